#!/usr/bin/python3
"""`vit serve --grpc-port 0`: the KServe v2 gRPC service (inference.GRPCInferenceService) with Python's grpcio
(Debian's python3-grpcio), messages generated at test time by protoc from src/serve/proto/grpc_service.proto.
ModelInfer's outputs are bit for bit those of HTTP /v2 infer and of `vit embed`; errors carry the gRPC codes
of the HTTP statuses; the metrics count the RPCs; SIGTERM drains them."""
import importlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
sys.path.insert(0, HERE)
from harness import checkpoint  # noqa: E402
from test_serve import IMAGES, Server, b64, read, vit_embed  # noqa: E402

SERVICE = "/inference.GRPCInferenceService/"


def generated_messages(folder):
    """grpc_service_pb2, from the server's own .proto."""
    proto_dir = os.path.join(ROOT, "src", "serve", "proto")
    subprocess.run(["protoc", "-I", proto_dir, f"--python_out={folder}", os.path.join(proto_dir, "grpc_service.proto")],
                   check=True)
    sys.path.insert(0, folder)
    return importlib.import_module("grpc_service_pb2")


class Client:
    """The six RPCs as plain callables: unary-unary methods need no generated service stub."""

    def __init__(self, pb, port, max_mb=64):
        self.pb = pb
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[
            ("grpc.max_receive_message_length", max_mb << 20), ("grpc.max_send_message_length", max_mb << 20)])

    def call(self, method, request, timeout=60):
        response_type = getattr(self.pb, method + "Response")
        rpc = self.channel.unary_unary(SERVICE + method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        return rpc(request, timeout=timeout)

    def close(self):
        self.channel.close()


def grpc_port(server):
    deadline = time.time() + 30
    while time.time() < deadline:
        m = re.search(r"gRPC \(KServe v2\) listening on 127\.0\.0\.1:(\d+)", server.stderr())
        if m:
            return int(m.group(1))
        time.sleep(0.05)
    raise AssertionError(f"no gRPC port in: {server.stderr()}")


def as_array(response, index):
    out = response.outputs[index]
    return out.name, np.frombuffer(response.raw_output_contents[index], "<f4").reshape(list(out.shape))


class GrpcTiny(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="vit-grpc-")
        cls.pb = generated_messages(cls.tmp)
        cls.model = checkpoint("tiny", "tiny")
        cls.ref = vit_embed(cls.model, IMAGES, ["pooler_output", "last_hidden_state", "pixel_values"])
        cls.server = Server(cls.model, "--grpc-port", "0", "--max-batch-size", "4", "--max-body-mb", "2",
                            "--max-client-batch-size", "4")
        cls.client = Client(cls.pb, grpc_port(cls.server))

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def infer(self, *inputs_and_raw, outputs=(), model="tiny", version="", timeout=60):
        pb = self.pb
        request = pb.ModelInferRequest(model_name=model, model_version=version, id="r1")
        for tensor, raw in inputs_and_raw:
            request.inputs.append(tensor)
            if raw is not None:
                request.raw_input_contents.append(raw)
        for name in outputs:
            request.outputs.add(name=name)
        return self.client.call("ModelInfer", request, timeout)

    def bytes_input(self, paths, raw=True):
        tensor = self.pb.ModelInferRequest.InferInputTensor(name="images", datatype="BYTES", shape=[len(paths)])
        if raw:
            return tensor, b"".join(struct.pack("<I", len(read(p))) + read(p) for p in paths)
        tensor.contents.bytes_contents.extend(read(p) for p in paths)
        return tensor, None

    def assertCode(self, code, fn, needle=None):
        with self.assertRaises(grpc.RpcError) as caught:
            fn()
        self.assertEqual(caught.exception.code(), code, caught.exception.details())
        if needle:
            self.assertIn(needle, caught.exception.details())

    def test_health_and_metadata(self):
        pb = self.pb
        self.assertTrue(self.client.call("ServerLive", pb.ServerLiveRequest()).live)
        self.assertTrue(self.client.call("ServerReady", pb.ServerReadyRequest()).ready)
        self.assertTrue(self.client.call("ModelReady", pb.ModelReadyRequest(name="tiny", version="1")).ready)
        self.assertEqual(self.client.call("ServerMetadata", pb.ServerMetadataRequest()).name, "vit")
        meta = self.client.call("ModelMetadata", pb.ModelMetadataRequest(name="tiny"))
        self.assertEqual((meta.name, list(meta.versions)), ("tiny", ["1"]))
        self.assertEqual([(i.name, i.datatype, list(i.shape)) for i in meta.inputs], [("images", "BYTES", [-1])])
        self.assertEqual([(o.name, list(o.shape)) for o in meta.outputs],
                         [("pooler_output", [-1, 64]), ("last_hidden_state", [-1, 17, 64])])
        self.assertCode(grpc.StatusCode.NOT_FOUND, lambda: self.client.call("ModelReady", pb.ModelReadyRequest(name="x")))
        self.assertCode(grpc.StatusCode.NOT_FOUND,
                        lambda: self.client.call("ModelMetadata", pb.ModelMetadataRequest(name="tiny", version="2")))

    def test_model_infer_equals_http_and_vit_embed(self):
        got = self.infer(self.bytes_input(IMAGES[:3]), outputs=("pooler_output", "last_hidden_state"))
        self.assertEqual((got.model_name, got.model_version, got.id), ("tiny", "1", "r1"))
        name, pooler = as_array(got, 0)
        self.assertEqual(name, "pooler_output")
        self.assertTrue(np.array_equal(pooler, self.ref["pooler_output"][:3]))
        name, hidden = as_array(got, 1)
        self.assertEqual(name, "last_hidden_state")
        self.assertTrue(np.array_equal(hidden, self.ref["last_hidden_state"][:3]))
        # the same images over HTTP /v2
        http = self.server.json("POST", "/v2/models/tiny/infer", {
            "inputs": [{"name": "images", "datatype": "BYTES", "shape": [3], "data": [b64(read(p)) for p in IMAGES[:3]]}]})
        out = http["outputs"][0]
        self.assertTrue(np.array_equal(pooler, np.asarray(out["data"], np.float64).astype(np.float32).reshape(out["shape"])))

    def test_typed_contents_bytes_and_fp32(self):
        got = self.infer(self.bytes_input(IMAGES[3:5], raw=False))
        self.assertTrue(np.array_equal(as_array(got, 0)[1], self.ref["pooler_output"][3:5]))
        pv = self.ref["pixel_values"][:2]
        tensor = self.pb.ModelInferRequest.InferInputTensor(name="pixel_values", datatype="FP32", shape=list(pv.shape))
        tensor.contents.fp32_contents.extend(pv.ravel().tolist())
        self.assertTrue(np.array_equal(as_array(self.infer((tensor, None)), 0)[1], self.ref["pooler_output"][:2]))
        raw_tensor = self.pb.ModelInferRequest.InferInputTensor(name="pixel_values", datatype="FP32", shape=list(pv.shape))
        got = self.infer((raw_tensor, pv.astype("<f4").tobytes()), outputs=("last_hidden_state",))
        self.assertTrue(np.array_equal(as_array(got, 0)[1], self.ref["last_hidden_state"][:2]))

    def test_errors_carry_grpc_codes(self):
        pb = self.pb
        code = grpc.StatusCode
        self.assertCode(code.NOT_FOUND, lambda: self.infer(self.bytes_input(IMAGES[:1]), model="other"), "tiny")
        self.assertCode(code.NOT_FOUND, lambda: self.infer(self.bytes_input(IMAGES[:1]), version="3"))
        self.assertCode(code.INVALID_ARGUMENT, lambda: self.infer(), "one input")
        tensor, raw = self.bytes_input(IMAGES[:1])
        tensor.shape[:] = [2]
        self.assertCode(code.INVALID_ARGUMENT, lambda: self.infer((tensor, raw)), "inputs[0]")
        bad = pb.ModelInferRequest.InferInputTensor(name="x", datatype="INT64", shape=[1])
        self.assertCode(code.INVALID_ARGUMENT, lambda: self.infer((bad, b"\0" * 8)), "datatype")
        self.assertCode(code.INVALID_ARGUMENT, lambda: self.infer(self.bytes_input(IMAGES[:1]), outputs=("logits",)))
        not_image = pb.ModelInferRequest.InferInputTensor(name="images", datatype="BYTES", shape=[1])
        not_image.contents.bytes_contents.append(b"hello, not an image")
        self.assertCode(code.INVALID_ARGUMENT, lambda: self.infer((not_image, None)), "inputs[0][0]")
        # more images than --max-client-batch-size, and a message over --max-body-mb
        self.assertCode(code.RESOURCE_EXHAUSTED, lambda: self.infer(self.bytes_input([IMAGES[2]] * 5)),
                        "--max-client-batch-size")
        big = pb.ModelInferRequest.InferInputTensor(name="images", datatype="BYTES", shape=[1])
        self.assertCode(code.RESOURCE_EXHAUSTED, lambda: self.infer((big, struct.pack("<I", 3 << 20) + b"x" * (3 << 20))))
        # the server still answers correctly afterwards
        self.assertTrue(np.array_equal(as_array(self.infer(self.bytes_input(IMAGES[:1])), 0)[1],
                                       self.ref["pooler_output"][:1]))

    def test_metrics_count_rpcs(self):
        self.infer(self.bytes_input(IMAGES[:1]))
        with self.assertRaises(grpc.RpcError):
            self.infer(self.bytes_input(IMAGES[:1]), model="other")
        text = self.server.request("GET", "/metrics")[2].decode()
        self.assertRegex(text, r'vit_requests_total\{route="/inference.GRPCInferenceService/ModelInfer",status="200"\} [1-9]')
        self.assertRegex(text, r'vit_requests_total\{route="/inference.GRPCInferenceService/ModelInfer",status="404"\} [1-9]')


class GrpcDeadlinesAndDrain(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="vit-grpc-")
        cls.pb = generated_messages(cls.tmp)
        cls.model = checkpoint("tiny", "tiny")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def request(self):
        tensor = self.pb.ModelInferRequest.InferInputTensor(name="images", datatype="BYTES", shape=[1])
        tensor.contents.bytes_contents.append(read(IMAGES[0]))
        return self.pb.ModelInferRequest(model_name="tiny", inputs=[tensor])

    def test_client_deadline_and_sigterm_drain(self):
        # A batch window longer than the client's deadline: DEADLINE_EXCEEDED.
        server = Server(self.model, "--grpc-port", "0", "--max-batch-size", "64", "--max-wait-ms", "1500")
        client = Client(self.pb, grpc_port(server))
        try:
            with self.assertRaises(grpc.RpcError) as caught:
                client.call("ModelInfer", self.request(), timeout=0.5)
            self.assertEqual(caught.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
            # An RPC waiting in the batch window when SIGTERM comes is still answered, then the server exits 0.
            ref = vit_embed(self.model, IMAGES[:1], ["pooler_output"])["pooler_output"]
            result = {}

            def call():
                try:
                    result["response"] = client.call("ModelInfer", self.request(), timeout=30)
                except grpc.RpcError as e:
                    result["error"] = e

            t = threading.Thread(target=call)
            t.start()
            time.sleep(0.5)
            server.proc.send_signal(signal.SIGTERM)
            t.join(30)
            self.assertNotIn("error", result, result.get("error"))
            self.assertTrue(np.array_equal(as_array(result["response"], 0)[1], ref))
            self.assertEqual(server.proc.wait(30), 0, server.stderr())
        finally:
            client.close()
            server.kill()


if __name__ == "__main__":
    unittest.main(verbosity=2)
