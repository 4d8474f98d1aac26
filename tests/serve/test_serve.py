#!/usr/bin/python3
"""`vit serve` end to end: a real HTTP client against the server on 127.0.0.1, on random-weight
checkpoints. Every route, every error path, and embeddings equal bit for bit to `vit embed` on the same
image files (the server batches requests of many clients together; rows must not depend on the batch).
Every wait is bounded and every server is killed at the end."""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
from harness import VIT, checkpoint  # noqa: E402

PHOTOS = "/usr/lib/python3/dist-packages/skimage/data"
IMAGES = [os.path.join(PHOTOS, n) for n in ("chelsea.png", "coffee.png", "camera.png", "rocket.jpg",
                                            "hubble_deep_field.jpg", "astronaut.png")]
MIME = {".png": "image/png", ".jpg": "image/jpeg"}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def b64(data):
    return base64.b64encode(data).decode()


def data_url(path):
    return f"data:{MIME[os.path.splitext(path)[1]]};base64," + b64(read(path))


class Server:
    """`vit serve --port 0` in a child process; the port comes from its "listening on" line."""

    def __init__(self, model, *flags, start_timeout=120):
        self.log_path = tempfile.mktemp(prefix="vit-serve-", suffix=".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([VIT, "serve", "--model", model, "--host", "127.0.0.1", "--port", "0", *flags],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + start_timeout
        self.port = None
        while time.time() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.stderr())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.port is None:
            self.kill()
            raise AssertionError(f"vit serve did not start: {self.stderr()}")

    def stderr(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def request(self, method, path, body=None, headers=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None, expect=200):
        status, hdrs, data = self.request(method, path, body, headers)
        assert status == expect, f"{method} {path}: {status} {data[:500]!r}"
        return json.loads(data)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


def vit_embed(model, images, outputs):
    """`vit embed` on image files: {output: array}, rows in the order given."""
    out = tempfile.mkdtemp(prefix="vit-embed-")
    try:
        r = subprocess.run([VIT, "embed", "--model", model, "--out", out, "--outputs", ",".join(outputs), *images],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise AssertionError(f"vit embed failed: {r.stderr}")
        with open(os.path.join(out, "inputs.txt")) as f:
            assert [line.strip() for line in f] == images
        return {name: np.load(os.path.join(out, name + ".npy")) for name in outputs}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def f32(values):
    return np.asarray(values, dtype=np.float64).astype(np.float32)


def normalized(v):
    v = v.astype(np.float64)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


class ServeTiny(unittest.TestCase):
    """The tiny checkpoint with a pooler, every route and the error paths."""

    @classmethod
    def setUpClass(cls):
        cls.model = checkpoint("tiny", "tiny")
        cls.ref = vit_embed(cls.model, IMAGES, ["pooler_output", "cls", "mean", "last_hidden_state", "pixel_values"])
        cls.server = Server(cls.model, "--max-batch-size", "4", "--max-wait-ms", "20", "--max-body-mb", "8",
                            "--max-client-batch-size", "8")

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def assertBits(self, got, expected, what):
        got = f32(got)
        self.assertEqual(got.shape, expected.shape, what)
        self.assertTrue(np.array_equal(got, expected), f"{what}: max |diff| {np.abs(got - expected).max():.3e}")

    def error(self, method, path, body, expect, headers=None, needle=None):
        status, hdrs, data = self.server.request(method, path, body, headers)
        self.assertEqual(status, expect, data[:300])
        self.assertTrue(hdrs.get("content-type", "").startswith("application/json"), hdrs)
        message = json.loads(data)["error"]
        if isinstance(message, dict):
            message = message["message"]
        if needle:
            self.assertIn(needle, message)
        return message

    # -- TEI /embed ---------------------------------------------------------------------------------------
    def test_embed_equals_vit_embed_for_every_pooling(self):
        for pooling, key in (("pooler", "pooler_output"), ("cls", "cls"), ("mean", "mean")):
            got = self.server.json("POST", "/embed", {"inputs": [b64(read(p)) for p in IMAGES], "normalize": False,
                                                      "pooling": pooling})
            self.assertBits(got, self.ref[key], f"/embed pooling={pooling}")

    def test_embed_default_is_normalized_pooler(self):
        got = f32(self.server.json("POST", "/embed", {"inputs": [data_url(p) for p in IMAGES[:3]]}))
        np.testing.assert_allclose(got, normalized(self.ref["pooler_output"][:3]), rtol=0, atol=1e-6)
        np.testing.assert_allclose(np.linalg.norm(got.astype(np.float64), axis=1), 1, atol=1e-6)

    def test_embed_single_input_and_raw_bytes(self):
        got = self.server.json("POST", "/embed", {"inputs": data_url(IMAGES[1]), "normalize": False})
        self.assertBits(got, self.ref["pooler_output"][1:2], "single input")
        status, hdrs, data = self.server.request("POST", "/embed?normalize=false&pooling=mean", read(IMAGES[3]),
                                                 {"Content-Type": "image/jpeg"})
        self.assertEqual(status, 200, data[:300])
        self.assertBits(json.loads(data), self.ref["mean"][3:4], "raw image body")

    # -- OpenAI /v1/embeddings ----------------------------------------------------------------------------
    def test_openai_embeddings(self):
        body = {"input": [data_url(p) for p in IMAGES[:2]], "model": "tiny"}
        got = self.server.json("POST", "/v1/embeddings", body)
        self.assertEqual(got["object"], "list")
        self.assertEqual(got["model"], "tiny")
        self.assertEqual([d["index"] for d in got["data"]], [0, 1])
        self.assertEqual(got["data"][0]["object"], "embedding")
        tokens = 2 * ((32 // 8) ** 2 + 1)
        self.assertEqual(got["usage"], {"prompt_tokens": tokens, "total_tokens": tokens})
        vectors = f32([d["embedding"] for d in got["data"]])
        np.testing.assert_allclose(vectors, normalized(self.ref["pooler_output"][:2]), rtol=0, atol=1e-6)
        # base64: the little-endian float32 bytes of the same vectors
        got64 = self.server.json("POST", "/v1/embeddings", {**body, "encoding_format": "base64"})
        decoded = np.stack([np.frombuffer(base64.b64decode(d["embedding"]), "<f4") for d in got64["data"]])
        self.assertTrue(np.array_equal(decoded, vectors))
        # one bare base64 string, unnormalised, no model: the served name is echoed
        got = self.server.json("POST", "/v1/embeddings", {"input": b64(read(IMAGES[4])), "normalize": False})
        self.assertEqual(got["model"], "tiny")
        self.assertBits([got["data"][0]["embedding"]], self.ref["pooler_output"][4:5], "openai unnormalised")

    # -- KServe v2 ----------------------------------------------------------------------------------------
    def test_kserve_bytes_json_and_binary(self):
        got = self.server.json("POST", "/v2/models/tiny/infer", {
            "id": "r1", "inputs": [{"name": "images", "datatype": "BYTES", "shape": [2],
                                    "data": [b64(read(IMAGES[0])), data_url(IMAGES[1])]}]})
        self.assertEqual(got["model_name"], "tiny")
        self.assertEqual(got["id"], "r1")
        out = got["outputs"][0]
        self.assertEqual((out["name"], out["datatype"], out["shape"]), ("pooler_output", "FP32", [2, 64]))
        self.assertBits(np.reshape(out["data"], out["shape"]), self.ref["pooler_output"][:2], "kserve BYTES json")

        # binary: <u32 length><bytes> per element, outputs in binary too
        blobs = b"".join(struct.pack("<I", len(read(p))) + read(p) for p in IMAGES[2:5])
        header = json.dumps({
            "inputs": [{"name": "images", "datatype": "BYTES", "shape": [3],
                        "parameters": {"binary_data_size": len(blobs)}}],
            "outputs": [{"name": "last_hidden_state", "parameters": {"binary_data": True}},
                        {"name": "pooler_output", "parameters": {"binary_data": True}}]}).encode()
        status, hdrs, data = self.server.request(
            "POST", "/v2/models/tiny/versions/1/infer", header + blobs,
            {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))})
        self.assertEqual(status, 200, data[:300])
        n = int(hdrs["inference-header-content-length"])
        meta = json.loads(data[:n])
        offset = n
        arrays = {}
        for o in meta["outputs"]:
            size = o["parameters"]["binary_data_size"]
            arrays[o["name"]] = np.frombuffer(data[offset:offset + size], "<f4").reshape(o["shape"])
            offset += size
        self.assertEqual(offset, len(data))
        self.assertBits(arrays["last_hidden_state"], self.ref["last_hidden_state"][2:5], "kserve binary lhs")
        self.assertBits(arrays["pooler_output"], self.ref["pooler_output"][2:5], "kserve binary pooler")

    def test_kserve_fp32_pixel_values(self):
        pv = self.ref["pixel_values"][:3]
        got = self.server.json("POST", "/v2/models/tiny/infer", {
            "inputs": [{"name": "pixel_values", "datatype": "FP32", "shape": list(pv.shape),
                        "data": pv.ravel().tolist()}]})
        self.assertBits(np.reshape(got["outputs"][0]["data"], got["outputs"][0]["shape"]),
                        self.ref["pooler_output"][:3], "kserve FP32 json")
        raw = pv.astype("<f4").tobytes()
        header = json.dumps({"inputs": [{"name": "pixel_values", "datatype": "FP32", "shape": list(pv.shape),
                                         "parameters": {"binary_data_size": len(raw)}}],
                             "outputs": [{"name": "last_hidden_state"}]}).encode()
        status, hdrs, data = self.server.request("POST", "/v2/models/tiny/infer", header + raw,
                                                 {"Inference-Header-Content-Length": str(len(header))})
        self.assertEqual(status, 200, data[:300])
        out = json.loads(data)["outputs"][0]
        self.assertBits(np.reshape(out["data"], out["shape"]), self.ref["last_hidden_state"][:3], "kserve FP32 binary")

    def test_kserve_metadata_and_health(self):
        self.assertEqual(self.server.request("GET", "/v2/health/live")[0], 200)
        self.assertEqual(self.server.request("GET", "/v2/health/ready")[0], 200)
        self.assertEqual(self.server.request("GET", "/v2/models/tiny/ready")[0], 200)
        self.assertIn("binary_tensor_data", self.server.json("GET", "/v2")["extensions"])
        meta = self.server.json("GET", "/v2/models/tiny")
        self.assertEqual(meta["name"], "tiny")
        self.assertEqual(meta["inputs"], [{"name": "images", "datatype": "BYTES", "shape": [-1]}])
        self.assertEqual({o["name"]: o["shape"] for o in meta["outputs"]},
                         {"pooler_output": [-1, 64], "last_hidden_state": [-1, 17, 64]})
        self.error("GET", "/v2/models/other", None, 404, needle="tiny")
        self.error("POST", "/v2/models/other/infer", {"inputs": []}, 404)

    def test_kserve_versions_ready_body_and_raw_binary_body(self):
        self.assertEqual(self.server.json("GET", "/v2/models/tiny/ready"), {"name": "tiny", "ready": True})
        self.assertEqual(self.server.json("GET", "/v2/models/tiny/versions/1")["name"], "tiny")
        self.error("GET", "/v2/models/tiny/versions/2", None, 404, needle="version")
        self.error("GET", "/v2/models/tiny/versions/2/ready", None, 404)
        self.error("POST", "/v2/models/tiny/versions/3/infer", {"inputs": []}, 404)
        # Inference-Header-Content-Length: 0: the whole body is the one image
        status, hdrs, data = self.server.request("POST", "/v2/models/tiny/infer", read(IMAGES[3]),
                                                 {"Inference-Header-Content-Length": "0"})
        self.assertEqual(status, 200, data[:300])
        out = json.loads(data)["outputs"][0]
        self.assertBits(np.reshape(out["data"], out["shape"]), self.ref["pooler_output"][3:4], "kserve raw body")

    # -- TEI and OpenAI compatibility ---------------------------------------------------------------------
    def test_tei_aliases_ping_and_raw_body_without_content_type(self):
        body = {"inputs": [b64(read(p)) for p in IMAGES[:2]], "normalize": False}
        for path in ("/", "/invocations"):
            self.assertBits(self.server.json("POST", path, body), self.ref["pooler_output"][:2], path)
        self.assertEqual(self.server.request("GET", "/ping")[0], 200)
        # curl --data-binary @cat.jpg without -H: no Content-Type, sniffed as an image
        status, _, data = self.server.request("POST", "/embed?normalize=false", read(IMAGES[4]))
        self.assertEqual(status, 200, data[:300])
        self.assertBits(json.loads(data), self.ref["pooler_output"][4:5], "raw body, no Content-Type")

    def test_dimensions_truncate_then_normalize(self):
        inputs = [b64(read(p)) for p in IMAGES[:2]]
        got = self.server.json("POST", "/embed", {"inputs": inputs, "normalize": False, "dimensions": 16})
        self.assertBits(got, self.ref["pooler_output"][:2, :16], "dimensions 16")
        got = f32(self.server.json("POST", "/embed", {"inputs": inputs, "dimensions": 8}))
        np.testing.assert_allclose(got, normalized(self.ref["pooler_output"][:2, :8]), rtol=0, atol=1e-6)
        got = self.server.json("POST", "/v1/embeddings", {"input": inputs, "dimensions": 8})
        np.testing.assert_allclose(f32([d["embedding"] for d in got["data"]]),
                                   normalized(self.ref["pooler_output"][:2, :8]), rtol=0, atol=1e-6)
        self.error("POST", "/embed", {"inputs": inputs, "dimensions": 65}, 400, needle="dimensions")
        self.error("POST", "/embed", {"inputs": inputs, "dimensions": 0}, 400, needle="dimensions")

    def test_tei_error_types(self):
        status, _, data = self.server.request("POST", "/embed", {"inputs": []})
        self.assertEqual((status, json.loads(data)["error_type"]), (400, "Empty"))
        status, _, data = self.server.request("POST", "/embed", {"inputs": b64(b"GIF89a")})
        self.assertEqual((status, json.loads(data)["error_type"]), (422, "Tokenizer"))
        status, _, data = self.server.request("POST", "/embed", {"inputs": 7})
        self.assertEqual((status, json.loads(data)["error_type"]), (400, "Validation"))

    def test_openai_models_errors_and_wrong_model(self):
        models = self.server.json("GET", "/v1/models")
        self.assertEqual([m["id"] for m in models["data"]], ["tiny"])
        self.assertEqual(self.server.json("GET", "/v1/models/tiny")["object"], "model")
        status, _, data = self.server.request("POST", "/v1/embeddings", {"input": b64(read(IMAGES[0])), "model": "x"})
        self.assertEqual(status, 404)
        error = json.loads(data)["error"]
        self.assertEqual((error["type"], error["code"], error["param"]),
                         ("invalid_request_error", "model_not_found", None))
        status, _, data = self.server.request("POST", "/v1/embeddings", {"input": 3})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(data)["error"]["type"], "invalid_request_error")
        self.assertIsInstance(json.loads(data)["error"]["code"], str)

    # -- /health /info /metrics ---------------------------------------------------------------------------
    def test_health_info(self):
        self.assertEqual(self.server.json("GET", "/health"), {"status": "ok"})
        info = self.server.json("GET", "/info")
        self.assertEqual(info["model_id"], "tiny")
        self.assertEqual(info["precision"], "f32")
        self.assertTrue(info["has_pooler"])
        self.assertEqual(info["config"]["hidden_size"], 64)
        self.assertEqual(info["config"]["image_size"], 32)
        self.assertEqual(info["limits"]["max_batch_size"], 4)
        self.assertEqual(info["limits"]["max_body_mb"], 8)
        self.assertEqual(info["preprocessor"]["size"], {"height": 32, "width": 32})
        # text-embeddings-inference's top-level fields
        self.assertEqual(info["model_dtype"], "float32")
        self.assertEqual(info["model_type"], {"embedding": {"pooling": "pooler"}})
        self.assertEqual((info["max_client_batch_size"], info["max_batch_requests"]), (8, 4))
        self.assertEqual(info["max_input_length"], 17)

    def test_metrics(self):
        self.server.json("POST", "/embed", {"inputs": b64(read(IMAGES[0]))})
        self.server.request("POST", "/embed", b"{")
        status, hdrs, data = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["content-type"].startswith("text/plain"))
        text = data.decode()
        self.assertRegex(text, r'vit_requests_total\{route="/embed",status="200"\} [1-9]')
        self.assertRegex(text, r'vit_requests_total\{route="/embed",status="400"\} [1-9]')
        for name in ("vit_request_duration_seconds_bucket", "vit_batch_size_bucket", "vit_queue_depth",
                     "vit_images_per_second", "vit_images_total", "vit_requests_in_flight"):
            self.assertIn(name, text)
        # every sample line is "name{labels} value"
        for line in text.splitlines():
            if line and not line.startswith("#"):
                self.assertRegex(line, r'^[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? [-+0-9.eInf]+$')

    # -- many clients at once: batches form, and every row is still bit-identical -------------------------
    def test_concurrent_clients_get_their_own_bit_exact_rows(self):
        bodies = [json.dumps({"inputs": b64(read(p)), "normalize": False}).encode() for p in IMAGES]
        failures, lock = [], threading.Lock()

        def client(k):
            for i in range(6):
                j = (k + i) % len(IMAGES)
                try:
                    status, _, data = self.server.request("POST", "/embed", bodies[j],
                                                          {"Content-Type": "application/json"})
                    ok = status == 200 and np.array_equal(f32(json.loads(data)), self.ref["pooler_output"][j:j + 1])
                    if not ok:
                        with lock:
                            failures.append((k, j, status, data[:200]))
                except Exception as e:  # noqa: BLE001 - any failure is reported below
                    with lock:
                        failures.append((k, j, repr(e)))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertFalse(any(t.is_alive() for t in threads), "clients hung")
        self.assertEqual(failures, [])
        text = self.server.request("GET", "/metrics")[2].decode()
        batches = int(re.search(r"^vit_batches_total (\d+)$", text, re.M).group(1))
        images = int(re.search(r"^vit_images_total (\d+)$", text, re.M).group(1))
        self.assertGreater(images, batches, "16 concurrent clients never shared a batch")

    # -- errors -------------------------------------------------------------------------------------------
    def test_malformed_requests(self):
        self.error("POST", "/embed", b"{\"inputs\": [", 400, {"Content-Type": "application/json"}, "malformed JSON")
        self.error("POST", "/embed", {"inputs": "not*base64"}, 400, needle="base64")
        self.error("POST", "/embed", {"inputs": []}, 400, needle="empty")
        self.error("POST", "/embed", {}, 400, needle="inputs")
        self.error("POST", "/embed", {"inputs": [b64(read(IMAGES[0])), 7]}, 400, needle="inputs[1]")
        self.error("POST", "/embed", {"inputs": b64(read(IMAGES[0])), "pooling": "max"}, 400, needle="pooling")
        self.error("POST", "/embed", {"inputs": "https://example.com/x.png"}, 400, needle="URL")
        self.error("POST", "/v1/embeddings", {"input": b64(read(IMAGES[0])), "encoding_format": "f16"}, 400,
                   needle="encoding_format")
        self.error("POST", "/v2/models/tiny/infer", {"inputs": [{"name": "x", "datatype": "INT64", "shape": [1],
                                                                 "data": [1]}]}, 400, needle="datatype")

    def test_undecodable_images_are_422_naming_the_input(self):
        self.error("POST", "/embed", {"inputs": [b64(read(IMAGES[0])), b64(b"hello, not an image")]}, 422,
                   needle="inputs[1]")
        truncated = read(IMAGES[0])[:2000]
        self.error("POST", "/embed", {"inputs": b64(truncated)}, 422, needle="inputs")
        self.error("POST", "/embed", b"\x89PNG\r\n\x1a\n garbage", 422, {"Content-Type": "image/png"})
        self.error("POST", "/v1/embeddings", {"input": [b64(b"GIF89a")]}, 422, needle="input[0]")
        # the server still answers correctly afterwards
        got = self.server.json("POST", "/embed", {"inputs": b64(read(IMAGES[0])), "normalize": False})
        self.assertBits(got, self.ref["pooler_output"][:1], "after errors")

    def test_limits(self):
        self.error("POST", "/embed", b"x" * (9 << 20), 413, {"Content-Type": "image/png"}, "--max-body-mb")
        self.error("POST", "/embed", {"inputs": [b64(read(IMAGES[2]))] * 9}, 413, needle="--max-client-batch-size")
        self.error("GET", "/no/such/route", None, 404)
        self.assertEqual(self.server.request("GET", "/health")[0], 200)

    def test_slow_and_vanishing_clients_do_not_stall_others(self):
        # one client sends half a request line and stays; another announces a body and vanishes
        slow = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        slow.sendall(b"POST /embed HTTP/1.1\r\nHost: x\r\n")
        gone = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        gone.sendall(b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n{\"inputs\": \"")
        gone.close()
        try:
            start = time.time()
            got = self.server.json("POST", "/embed", {"inputs": b64(read(IMAGES[5])), "normalize": False})
            self.assertBits(got, self.ref["pooler_output"][5:6], "beside a slow client")
            self.assertLess(time.time() - start, 5)
        finally:
            slow.close()


class ServeNoPooler(unittest.TestCase):
    """A ViTForImageClassification checkpoint: no pooler."""

    @classmethod
    def setUpClass(cls):
        cls.model = checkpoint("tiny-cls5", "tiny", classifier=5)
        cls.ref = vit_embed(cls.model, IMAGES[:2], ["cls", "mean", "last_hidden_state"])
        cls.server = Server(cls.model)

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def test_default_is_cls_pooler_is_422_naming_it_and_cls_mean_work(self):
        got = self.server.json("POST", "/embed", {"inputs": b64(read(IMAGES[0])), "normalize": False})
        self.assertTrue(np.array_equal(f32(got), self.ref["cls"][:1]), "the default pooling without a pooler is cls")
        status, _, data = self.server.request("POST", "/embed", {"inputs": b64(read(IMAGES[0])), "pooling": "pooler"})
        self.assertEqual(status, 422)
        self.assertIn("pooler", json.loads(data)["error"])
        for pooling in ("cls", "mean"):
            got = self.server.json("POST", "/embed", {"inputs": [b64(read(p)) for p in IMAGES[:2]],
                                                      "pooling": pooling, "normalize": False})
            self.assertTrue(np.array_equal(f32(got), self.ref[pooling]), pooling)
        got = self.server.json("POST", "/v2/models/tiny-cls5/infer", {
            "inputs": [{"name": "images", "datatype": "BYTES", "shape": [1], "data": [b64(read(IMAGES[1]))]}]})
        self.assertEqual(got["outputs"][0]["name"], "last_hidden_state")
        self.assertTrue(np.array_equal(f32(got["outputs"][0]["data"]).reshape(got["outputs"][0]["shape"]),
                                       self.ref["last_hidden_state"][1:2]))
        self.assertFalse(self.server.json("GET", "/info")["has_pooler"])


class ServeOverload(unittest.TestCase):
    """Concurrency limit (429), per-request timeout (504), and draining on SIGTERM / SIGINT."""

    @classmethod
    def setUpClass(cls):
        cls.model = checkpoint("tiny", "tiny")
        cls.body = json.dumps({"inputs": b64(read(IMAGES[0])), "normalize": False}).encode()

    def post(self, server, results, index):
        try:
            results[index] = server.request("POST", "/embed", self.body, {"Content-Type": "application/json"})
        except Exception as e:  # noqa: BLE001
            results[index] = (None, {}, repr(e).encode())

    def test_queue_full_is_429_and_slow_requests_504(self):
        # A batch window far longer than the timeout: every admitted request times out.
        server = Server(self.model, "--max-concurrent-requests", "2", "--max-batch-size", "64",
                        "--max-wait-ms", "3000", "--request-timeout-ms", "1500")
        try:
            results = [None] * 6
            threads = [threading.Thread(target=self.post, args=(server, results, i)) for i in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            statuses = sorted(r[0] for r in results)
            self.assertEqual(statuses, [429, 429, 429, 429, 504, 504], [r[2][:200] for r in results])
            for status, hdrs, data in results:
                self.assertIn("error", json.loads(data))
                if status == 429:
                    self.assertEqual(hdrs.get("retry-after"), "1")
            self.assertEqual(server.request("GET", "/health")[0], 200)
        finally:
            server.kill()

    def drain(self, sig):
        ref = vit_embed(self.model, IMAGES[:1], ["pooler_output"])["pooler_output"]
        server = Server(self.model, "--max-batch-size", "64", "--max-wait-ms", "1500")
        try:
            results = [None]
            t = threading.Thread(target=self.post, args=(server, results, 0))
            t.start()
            time.sleep(0.5)  # the request now waits in the batch window
            server.proc.send_signal(sig)
            t.join(30)
            status, _, data = results[0]
            self.assertEqual(status, 200, data[:200])
            self.assertTrue(np.array_equal(f32(json.loads(data)), ref))
            self.assertEqual(server.proc.wait(30), 0, server.stderr())
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
        finally:
            server.kill()

    def test_sigterm_drains_and_exits_0(self):
        self.drain(signal.SIGTERM)

    def test_sigint_drains_and_exits_0(self):
        self.drain(signal.SIGINT)


if __name__ == "__main__":
    unittest.main(verbosity=2)
