#!/usr/bin/python3
"""The same KServe v2 ModelInfer over HTTP (/v2/models/{name}/infer, binary tensors, keep-alive) and over
gRPC (raw_input_contents), against one `vit serve --grpc-port 0`: per-request latency (p50, p99) of one
client, then throughput of several. The transports' cost shows best on a small model.

  VIT_BIN=build/vit VIT_BUILD_DIR=build /usr/bin/python3 bench/serve/grpc_vs_http.py [--model DIR]
      [--requests 300] [--clients 8] [--images 1]
(without --model: the tests' random "tiny" checkpoint, 32x32 images, generated on first use)"""
import argparse
import http.client
import json
import os
import struct
import sys
import tempfile
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "parity"))
sys.path.insert(0, os.path.join(ROOT, "tests", "serve"))
from harness import checkpoint  # noqa: E402
from test_grpc import Client, generated_messages, grpc_port  # noqa: E402
from test_serve import IMAGES, Server, read  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--images", type=int, default=1)
    args = parser.parse_args()
    model = args.model or checkpoint("tiny", "tiny")
    name = os.path.basename(model.rstrip("/"))
    image = read(IMAGES[0])
    blob = (struct.pack("<I", len(image)) + image) * args.images
    header = json.dumps({"inputs": [{"name": "images", "datatype": "BYTES", "shape": [args.images],
                                     "parameters": {"binary_data_size": len(blob)}}],
                         "outputs": [{"name": "pooler_output", "parameters": {"binary_data": True}}]}).encode()
    tmp = tempfile.mkdtemp(prefix="vit-grpc-bench-")
    pb = generated_messages(tmp)
    request = pb.ModelInferRequest(model_name=name)
    request.inputs.add(name="images", datatype="BYTES", shape=[args.images])
    request.raw_input_contents.append(blob)
    server = Server(model, "--grpc-port", "0", "--max-batch-size", "8", "--max-wait-ms", "1")
    port = grpc_port(server)
    try:
        def http_client():
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            hdrs = {"Inference-Header-Content-Length": str(len(header)), "Content-Type": "application/octet-stream"}

            def call():
                conn.request("POST", f"/v2/models/{name}/infer", header + blob, hdrs)
                r = conn.getresponse()
                body = r.read()
                assert r.status == 200, body[:200]
            return call, conn.close

        def grpc_client():
            client = Client(pb, port)

            def call():
                client.call("ModelInfer", request)
            return call, client.close

        for label, make in (("http", http_client), ("grpc", grpc_client)):
            call, close = make()
            for _ in range(20):
                call()  # warm-up
            latencies = []
            for _ in range(args.requests):
                start = time.perf_counter()
                call()
                latencies.append(time.perf_counter() - start)
            close()
            lat = np.array(latencies) * 1e3

            done, errors = [0], []

            def worker():
                c, cl = make()
                try:
                    for _ in range(args.requests // args.clients):
                        c()
                        done[0] += 1
                except Exception as e:  # noqa: BLE001
                    errors.append(repr(e))
                finally:
                    cl()
            threads = [threading.Thread(target=worker) for _ in range(args.clients)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - start
            print(f"{label}: 1 client p50 {np.percentile(lat, 50):.2f} ms p99 {np.percentile(lat, 99):.2f} ms; "
                  f"{args.clients} clients {done[0] / seconds:.0f} requests/s, {len(errors)} errors")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
