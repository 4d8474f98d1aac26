#!/usr/bin/python3
"""Soak test of `vit serve`: clients send requests for --duration seconds (default 10 minutes), 10% of
them malformed in varied ways (broken JSON, bad base64, corrupt or truncated images, wrong fields, wrong
tensors, bodies that stop half-way). Passes when the server never crashes, every good request is answered
with the bits `vit embed` gives for that image, every malformed one gets a 4xx JSON error, and the
resident memory (VmRSS of /proc/PID/status, sampled every few seconds) stays flat after warm-up.
Loopback only; every wait is bounded.

  bench/serve/soak.py                     # tiny random checkpoint, 10 minutes
  bench/serve/soak.py --duration 60 --preset base
"""
import argparse
import base64
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import numpy as np

from common import ROOT, VIT, Server, checkpoint, log

PHOTOS = "/usr/lib/python3/dist-packages/skimage/data"
IMAGES = [os.path.join(ROOT, "examples", "cat.jpg")] + [
    os.path.join(PHOTOS, n) for n in ("chelsea.png", "coffee.png", "camera.png", "rocket.jpg")]


def reference(model):
    out = tempfile.mkdtemp(prefix="vit-soak-ref-")
    try:
        subprocess.run([VIT, "embed", "--model", model, "--out", out, "--outputs", "pooler_output", *IMAGES],
                       check=True, capture_output=True, timeout=3600)
        return np.load(os.path.join(out, "pooler_output.npy"))
    finally:
        shutil.rmtree(out, ignore_errors=True)


def b64(data):
    return base64.b64encode(data).decode()


class Soak:
    def __init__(self, server, model_name, ref, rng_seed):
        self.server, self.name, self.ref = server, model_name, ref
        self.raw = [open(p, "rb").read() for p in IMAGES]
        self.lock = threading.Lock()
        self.counts = {"good": 0, "good_wrong": 0, "bad": 0, "bad_wrong": 0, "transport_errors": 0}
        self.failures = []
        self.seed = rng_seed

    def note(self, key, detail=None):
        with self.lock:
            self.counts[key] += 1
            if detail and len(self.failures) < 20:
                self.failures.append(detail)

    def good(self, rng):
        i = rng.randrange(len(IMAGES))
        kind = rng.choice(["embed", "openai", "kserve"])
        if kind == "embed":
            status, body = self.post("/embed", {"inputs": b64(self.raw[i]), "normalize": False})
            vectors = json.loads(body) if status == 200 else None
        elif kind == "openai":
            status, body = self.post("/v1/embeddings", {"input": b64(self.raw[i]), "normalize": False})
            vectors = [d["embedding"] for d in json.loads(body)["data"]] if status == 200 else None
        else:
            status, body = self.post(f"/v2/models/{self.name}/infer", {
                "inputs": [{"name": "images", "datatype": "BYTES", "shape": [1], "data": [b64(self.raw[i])]}]})
            vectors = json.loads(body)["outputs"][0]["data"] if status == 200 else None
        ok = vectors is not None and np.array_equal(
            np.asarray(vectors, np.float64).astype(np.float32).reshape(1, -1), self.ref[i:i + 1])
        self.note("good" if ok else "good_wrong", None if ok else (kind, i, status, body[:200]))

    def bad(self, rng):
        raw = self.raw[rng.randrange(len(self.raw))]
        kind = rng.randrange(8)
        if kind == 0:
            status, body = self.post("/embed", b'{"inputs": ["' + b64(raw)[:100].encode())
        elif kind == 1:
            status, body = self.post("/embed", {"inputs": "@@" + b64(raw)[:64]})
        elif kind == 2:
            status, body = self.post("/embed", {"inputs": b64(raw[: len(raw) // 3])})  # truncated image
        elif kind == 3:
            corrupt = bytearray(raw)
            for _ in range(64):
                corrupt[rng.randrange(16, len(corrupt))] = rng.randrange(256)
            corrupt[:8] = b"\x00" * 8  # no known signature
            status, body = self.post("/v1/embeddings", {"input": [b64(bytes(corrupt))]})
        elif kind == 4:
            status, body = self.post("/embed", {"inputs": b64(raw), "pooling": "median"})
        elif kind == 5:
            status, body = self.post(f"/v2/models/{self.name}/infer", {
                "inputs": [{"name": "pixel_values", "datatype": "FP32", "shape": [1, 3, 5, 5], "data": [0.0] * 75}]})
        elif kind == 6:
            status, body = self.post(f"/v2/models/{self.name}/infer", {"inputs": "nope"})
        else:
            # a body announced but never finished: the server times the connection out
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
                s.sendall(b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 5000\r\n\r\n{\"inputs\": \"" + b64(raw)[:100].encode())
            self.note("bad")
            return
        ok = status is not None and 400 <= status < 500 and "error" in json.loads(body)
        self.note("bad" if ok else "bad_wrong", None if ok else (kind, status, body[:200]))

    def post(self, path, body):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        try:
            return self.server.request("POST", path, body, {"Content-Type": "application/json"}, timeout=120)
        except OSError as e:
            self.note("transport_errors", (path, repr(e)))
            return None, b"null"

    def client(self, k, stop_at, bad_fraction):
        rng = random.Random(self.seed * 1000 + k)
        while time.time() < stop_at and self.server.proc.poll() is None:
            (self.bad if rng.random() < bad_fraction else self.good)(rng)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="checkpoint folder (default: --preset's random checkpoint)")
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--duration", type=float, default=600, help="seconds")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--bad-fraction", type=float, default=0.1)
    ap.add_argument("--sample-every", type=float, default=5, help="seconds between RSS samples")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    model = args.model or checkpoint(args.preset)
    ref = reference(model)
    server = Server(model, "--max-batch-size", "8", "--max-wait-ms", "5", "--io-timeout-ms", "2000")
    name = os.path.basename(os.path.normpath(model))
    soak = Soak(server, name, ref, args.seed)
    stop_at = time.time() + args.duration
    threads = [threading.Thread(target=soak.client, args=(k, stop_at, args.bad_fraction)) for k in range(args.clients)]
    for t in threads:
        t.start()
    samples = []  # (seconds since start, VmRSS KiB, heap in use KiB)

    def sample():
        heap = server.metrics().get("vit_heap_in_use_bytes", 0) / 1024
        samples.append((round(time.time() - start, 1), server.rss_kib(), round(heap)))

    start = time.time()
    while time.time() < stop_at and server.proc.poll() is None:
        sample()
        time.sleep(min(args.sample_every, max(0.0, stop_at - time.time())))
    for t in threads:
        t.join(300)
    alive = server.proc.poll() is None
    health = server.request("GET", "/health")[0] if alive else None
    if alive:
        sample()
    exit_code = server.stop()

    # Flat: after the first fifth (warm-up: allocator pools, thread stacks, workspaces), the RSS grows
    # by no more than 10% or 16 MiB, whichever is larger, from the warm sample to the last one.
    warm = [kib for t, kib, _ in samples if t >= args.duration / 5] or [kib for _, kib, _ in samples]
    growth_kib = warm[-1] - warm[0] if warm else 0
    rss_flat = growth_kib <= max(0.10 * warm[0], 16 * 1024) if warm else False
    # The allocator's bytes in use: what a leak would grow (RSS also grows with fragmentation).
    heap = [h for t, _, h in samples if t >= args.duration / 5] or [h for _, _, h in samples]
    report = {"duration_s": args.duration, "clients": args.clients, **soak.counts,
              "alive_at_end": alive, "health_at_end": health, "exit_code_after_sigterm": exit_code,
              "heap_kib_warm": heap[0] if heap else None, "heap_kib_last": heap[-1] if heap else None,
              "heap_kib_max": max(heap) if heap else None, "rss_kib_first": samples[0][1] if samples else None,
              "rss_kib_warm": warm[0] if warm else None,
              "rss_kib_max": max(k for _, k, _ in samples) if samples else None,
              "rss_kib_last": samples[-1][1] if samples else None, "rss_growth_after_warmup_kib": growth_kib,
              "rss_flat": rss_flat, "failures": soak.failures, "samples_s_rss_heap_kib": samples}
    print(json.dumps(report))
    ok = (alive and health == 200 and exit_code == 0 and soak.counts["good_wrong"] == 0 and
          soak.counts["bad_wrong"] == 0 and soak.counts["transport_errors"] == 0 and rss_flat)
    log(f"soak {args.duration:.0f} s: {soak.counts}; RSS {report['rss_kib_warm']} -> {report['rss_kib_last']} KiB "
        f"(max {report['rss_kib_max']}): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
