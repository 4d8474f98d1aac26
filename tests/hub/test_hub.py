#!/usr/bin/python3
"""`vit download` (and hub ids in `vit inspect`) against a loopback imitation of the Hugging Face hub.

The test serves its own hub on 127.0.0.1: the resolve endpoint with the real headers (X-Repo-Commit,
ETag, X-Linked-Etag, X-Linked-Size, X-Error-Code), LFS files answered by a 302 to a second server
standing for the CDN, Range requests, 401/403 for unknown and gated repositories, 404s, and switches
that cut a transfer in the middle, slow it down or corrupt it. Every request is logged so the tests
can count what the client asked. Model files are tiny and made here (numpy and struct, no torch).
Both servers bind port 0, answer at most MAX_REQUESTS requests and stop by themselves after
SERVER_LIFETIME_S seconds.
"""
import hashlib
import http.server
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import numpy as np

VIT = os.environ.get("VIT_BIN", "build/vit")
TOKEN = "hf_loopback_token"
MAX_REQUESTS = 5000
SERVER_LIFETIME_S = 900
RUN_TIMEOUT_S = 120


# ---------------------------------------------------------------- model files

def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def safetensors(tensors):
    """A valid safetensors file: u64 header length, JSON header, then the tensors' F32 bytes."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def vit_config(hidden_size=8, **extra):
    config = {"architectures": ["ViTModel"], "model_type": "vit", "hidden_size": hidden_size,
              "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16,
              "hidden_act": "gelu", "layer_norm_eps": 1e-12, "image_size": 8, "patch_size": 4,
              "num_channels": 3, "qkv_bias": True}
    config.update(extra)
    return json.dumps(config, indent=2).encode()


def weights(seed, elements):
    rng = np.random.default_rng(seed)
    return safetensors({"embeddings.cls_token": rng.standard_normal((1, 1, 8)),
                        "pooler.dense.weight": rng.standard_normal((elements // 8, 8))})


def commit_of(text):
    return hashlib.sha1(text.encode()).hexdigest()


PREPROCESSOR = json.dumps({"do_resize": True, "size": {"height": 8, "width": 8}, "image_mean": [0.5] * 3,
                           "image_std": [0.5] * 3}).encode()
C1, C2 = commit_of("tiny main"), commit_of("tiny v2")
SHARDED, TORCH, GATED, NOCONFIG, CORRUPT = (commit_of(n) for n in ("sharded", "torch", "gated", "noconfig", "corrupt"))

BIG = weights(1, 64 * 1024)           # 256 KiB of weights: large enough to cut, resume and slow down
SHARD1, SHARD2 = weights(2, 4096), weights(3, 4096)
INDEX = json.dumps({"metadata": {"total_size": len(SHARD1) + len(SHARD2)},
                    "weight_map": {"embeddings.cls_token": "model-00001-of-00002.safetensors",
                                   "pooler.dense.weight": "model-00002-of-00002.safetensors"}}).encode()


class File:
    def __init__(self, data, lfs=False, weak_etag=False):
        self.data, self.lfs, self.weak_etag = data, lfs, weak_etag


# repo -> {"branches": {name: commit}, "commits": {commit: {filename: File}}, "gated": bool}
REPOS = {
    "org/tiny-vit": {
        "branches": {"main": C1, "v2": C2, "refs/pr/1": C2},
        "commits": {
            C1: {"config.json": File(vit_config()), "preprocessor_config.json": File(PREPROCESSOR, weak_etag=True),
                 "model.safetensors": File(BIG, lfs=True), "README.md": File(b"# tiny\n")},
            C2: {"config.json": File(vit_config(layer_norm_eps=1e-6)),
                 "preprocessor_config.json": File(PREPROCESSOR, weak_etag=True),
                 "model.safetensors": File(weights(4, 1024), lfs=True)},
        },
    },
    "org/sharded": {"branches": {"main": SHARDED}, "commits": {SHARDED: {
        "config.json": File(vit_config()), "model.safetensors.index.json": File(INDEX),
        "model-00001-of-00002.safetensors": File(SHARD1, lfs=True),
        "model-00002-of-00002.safetensors": File(SHARD2, lfs=True)}}},
    "org/torch-only": {"branches": {"main": TORCH}, "commits": {TORCH: {
        "config.json": File(vit_config()), "pytorch_model.bin": File(b"PK\x03\x04 not parsed here", lfs=True)}}},
    "org/gated": {"gated": True, "branches": {"main": GATED}, "commits": {GATED: {
        "config.json": File(vit_config()), "model.safetensors": File(weights(5, 64), lfs=True)}}},
    "org/no-config": {"branches": {"main": NOCONFIG}, "commits": {NOCONFIG: {
        "model.safetensors": File(weights(6, 64), lfs=True)}}},
    "org/corrupt": {"branches": {"main": CORRUPT}, "commits": {CORRUPT: {
        "config.json": File(vit_config()), "model.safetensors": File(weights(7, 4096), lfs=True)}}},
}
CDN_BLOBS = {sha256(f.data): f.data for r in REPOS.values() for files in r["commits"].values()
             for f in files.values() if f.lfs}
# The CDN of org/corrupt serves other bytes than the hub's X-Linked-Etag promises.
_corrupt = REPOS["org/corrupt"]["commits"][CORRUPT]["model.safetensors"].data
CDN_BLOBS[sha256(_corrupt)] = _corrupt[:-1] + bytes([_corrupt[-1] ^ 0xFF])


# ---------------------------------------------------------------- the loopback hub

class HubState:
    def __init__(self):
        self.lock = threading.Lock()
        self.log = []             # dicts: server, method, path, range, auth
        self.cut = 0              # how many more CDN transfers to break off halfway
        self.throttle_s = 0.0     # sleep between 16 KiB chunks of a CDN transfer
        self.ignore_range = False # answer Range requests with the whole file (200), as some servers do
        self.cdn_port = None

    def record(self, entry):
        with self.lock:
            self.log.append(entry)
            return len(self.log) <= MAX_REQUESTS

    def take_cut(self):
        with self.lock:
            if self.cut > 0:
                self.cut -= 1
                return True
            return False

    def clear(self):
        with self.lock:
            self.log = []

    def requests(self, server=None, method=None):
        with self.lock:
            return [e for e in self.log if (server is None or e["server"] == server)
                    and (method is None or e["method"] == method)]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # a stuck client cannot hold a server thread longer

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.dispatch(head=True)

    def do_GET(self):
        self.dispatch(head=False)

    def dispatch(self, head):
        state, role = self.server.state, self.server.role
        path = urllib.parse.urlsplit(self.path).path
        within_budget = state.record({"server": role, "method": self.command, "path": path,
                                      "range": self.headers.get("Range"),
                                      "auth": self.headers.get("Authorization")})
        if not within_budget:
            return self.answer(503, {}, b"", head)
        if role == "cdn":
            return self.cdn(path, head)
        return self.resolve(path, head)

    def answer(self, status, headers, body, head):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def hub_error(self, status, code, message, head, commit=None):
        headers = {"X-Error-Code": code, "X-Error-Message": message}
        if commit:
            headers["X-Repo-Commit"] = commit
        self.answer(status, headers, json.dumps({"error": message}).encode(), head)

    def resolve(self, path, head):
        parts = path.split("/")
        if len(parts) < 6 or parts[3] != "resolve":
            return self.answer(404, {}, b"not found", head)
        repo_id = parts[1] + "/" + parts[2]
        revision = urllib.parse.unquote(parts[4])
        filename = urllib.parse.unquote("/".join(parts[5:]))
        repo = REPOS.get(repo_id)
        if repo is None:
            return self.hub_error(401, "RepoNotFound", "Repository not found", head)
        auth = self.headers.get("Authorization")
        if repo.get("gated") and auth != "Bearer " + TOKEN:
            status = 401 if auth is None else 403
            return self.hub_error(status, "GatedRepo", "Access to model " + repo_id + " is restricted.", head)
        commit = repo["branches"].get(revision, revision if revision in repo["commits"] else None)
        if commit is None:
            return self.hub_error(404, "RevisionNotFound", "Invalid rev id: " + revision, head)
        entry = repo["commits"][commit].get(filename)
        if entry is None:
            return self.hub_error(404, "EntryNotFound", filename + " does not exist", head, commit)
        if entry.lfs:
            digest = sha256(entry.data)
            pointer = ("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n"
                       % (digest, len(entry.data))).encode()
            location = "http://127.0.0.1:%d/cdn/%s?X-Amz-Signature=loopback" % (self.server.state.cdn_port, digest)
            return self.answer(302, {"Location": location, "X-Repo-Commit": commit, "ETag": '"%s"' %
                                     git_blob_sha1(pointer), "X-Linked-Etag": '"%s"' % digest,
                                     "X-Linked-Size": str(len(entry.data))}, b"", head)
        etag = '"%s"' % git_blob_sha1(entry.data)
        self.send_body(entry.data, {"X-Repo-Commit": commit, "ETag": ("W/" + etag) if entry.weak_etag else etag},
                       head, cut=False)

    def cdn(self, path, head):
        data = CDN_BLOBS.get(path.rsplit("/", 1)[-1])
        if data is None:
            return self.answer(404, {}, b"no such object", head)
        self.send_body(data, {"ETag": '"%s"' % sha256(data)}, head, cut=not head and self.server.state.take_cut())

    def send_body(self, data, headers, head, cut):
        start, status = 0, 200
        wanted = None if self.server.state.ignore_range else self.headers.get("Range")
        if wanted and wanted.startswith("bytes=") and wanted.endswith("-"):
            start = int(wanted[len("bytes="):-1])
            if start >= len(data):
                return self.answer(416, {"Content-Range": "bytes */%d" % len(data)}, b"", head)
            status = 206
            headers = dict(headers, **{"Content-Range": "bytes %d-%d/%d" % (start, len(data) - 1, len(data))})
        body = data[start:]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        if cut:
            body = body[:len(body) // 2]
            self.close_connection = True
        throttle = self.server.state.throttle_s
        for at in range(0, len(body), 16384):
            self.wfile.write(body[at:at + 16384])
            if throttle:
                self.wfile.flush()
                time.sleep(throttle)
        self.wfile.flush()
        if cut:
            self.connection.shutdown(socket.SHUT_RDWR)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, role, state):
        super().__init__(("127.0.0.1", 0), Handler)
        self.role, self.state = role, state
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()
        self.watchdog = threading.Timer(SERVER_LIFETIME_S, self.shutdown)
        self.watchdog.daemon = True
        self.watchdog.start()

    @property
    def port(self):
        return self.server_address[1]

    def stop(self):
        self.watchdog.cancel()
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=10)


def free_port():
    """A loopback port that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- huggingface_hub's view of a cache

def hf_try_to_load_from_cache(cache, repo_id, filename, revision="main"):
    """huggingface_hub's try_to_load_from_cache, restated: refs/ resolve the revision, the snapshot
    holds the file."""
    repo_cache = os.path.join(cache, "models--" + repo_id.replace("/", "--"))
    ref = os.path.join(repo_cache, "refs", revision)
    if os.path.isfile(ref):
        with open(ref) as f:
            revision = f.read()
    cached = os.path.join(repo_cache, "snapshots", revision, filename)
    return cached if os.path.isfile(cached) else None


# ---------------------------------------------------------------- tests

class HubDownload(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state = HubState()
        cls.hub = Server("hub", cls.state)
        cls.cdn = Server("cdn", cls.state)
        cls.state.cdn_port = cls.cdn.port

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        cls.cdn.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vit_hub_test_")
        self.cache = os.path.join(self.tmp, "cache")
        self.state.clear()
        self.state.cut, self.state.throttle_s, self.state.ignore_range = 0, 0.0, False

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("HF_") and not k.startswith("HUGGING") and k.lower() not in
               ("http_proxy", "https_proxy", "all_proxy", "transformers_offline")}
        env.update(HOME=self.tmp, HF_HUB_CACHE=self.cache, HF_ENDPOINT="http://127.0.0.1:%d" % self.hub.port,
                   NO_PROXY="*")
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def vit(self, *args, **env):
        return subprocess.run([VIT, *args], env=self.env(**env), capture_output=True, text=True,
                              timeout=RUN_TIMEOUT_S)

    def download(self, model, *args, **env):
        return self.vit("download", model, *args, **env)

    def assert_ok(self, run):
        self.assertEqual(run.returncode, 0, run.stderr)
        return run.stdout.strip()

    def assert_fails(self, run, *phrases, code=1):
        self.assertEqual(run.returncode, code, "stdout: %s\nstderr: %s" % (run.stdout, run.stderr))
        for phrase in phrases:
            self.assertIn(phrase, run.stderr)

    def storage(self, repo_id="org/tiny-vit"):
        return os.path.join(self.cache, "models--" + repo_id.replace("/", "--"))

    def snapshot(self, commit, repo_id="org/tiny-vit"):
        return os.path.join(self.storage(repo_id), "snapshots", commit)

    def leftovers(self):
        return [os.path.join(d, f) for d, _, files in os.walk(self.cache) for f in files
                if f.endswith(".incomplete") or ".tmp." in f]

    def assert_snapshot_matches(self, repo_id, commit, names):
        files = REPOS[repo_id]["commits"][commit]
        for name in names:
            pointer = os.path.join(self.snapshot(commit, repo_id), name)
            entry = files[name]
            etag = sha256(entry.data) if entry.lfs else git_blob_sha1(entry.data)
            self.assertTrue(os.path.islink(pointer), pointer)
            self.assertEqual(os.readlink(pointer), "../../blobs/" + etag)
            with open(pointer, "rb") as f:
                self.assertEqual(f.read(), entry.data, name)

    def test_first_download_then_nothing_is_fetched_again(self):
        snapshot = self.assert_ok(self.download("org/tiny-vit", HF_TOKEN=TOKEN))
        self.assertEqual(snapshot, self.snapshot(C1))
        self.assert_snapshot_matches("org/tiny-vit", C1,
                                     ["config.json", "preprocessor_config.json", "model.safetensors"])
        self.assertFalse(os.path.exists(os.path.join(snapshot, "README.md")))  # only what vit reads
        with open(os.path.join(self.storage(), "refs", "main")) as f:
            self.assertEqual(f.read(), C1)  # the bare hash, as huggingface_hub writes it
        self.assertEqual(self.leftovers(), [])
        for name in ("config.json", "preprocessor_config.json", "model.safetensors"):
            self.assertIsNotNone(hf_try_to_load_from_cache(self.cache, "org/tiny-vit", name), name)
        # The token goes to the hub, never to the CDN the LFS file was redirected to.
        hub_requests = self.state.requests("hub")
        self.assertTrue(hub_requests and all(r["auth"] == "Bearer " + TOKEN for r in hub_requests))
        cdn_gets = self.state.requests("cdn", "GET")
        self.assertEqual(len(cdn_gets), 1)
        self.assertIsNone(cdn_gets[0]["auth"])

        self.state.clear()
        self.assertEqual(self.assert_ok(self.download("org/tiny-vit")), snapshot)
        self.assertEqual(self.state.requests(method="GET"), [])
        self.assertEqual(len(self.state.requests(method="HEAD")), 1)  # main -> commit, once

        self.state.clear()
        self.assertEqual(self.assert_ok(self.download("org/tiny-vit@" + C1)), snapshot)
        self.assertEqual(self.state.requests(), [])  # a cached commit needs no network at all

    def test_cut_transfer_is_resumed_by_the_next_run(self):
        self.state.cut = 1000  # every transfer breaks halfway
        self.assert_fails(self.download("org/tiny-vit"), "resumes")
        blob = os.path.join(self.storage(), "blobs", sha256(BIG))
        self.assertFalse(os.path.exists(blob))
        self.assertFalse(os.path.lexists(os.path.join(self.snapshot(C1), "model.safetensors")))
        partial = os.path.getsize(blob + ".incomplete")
        self.assertTrue(0 < partial < len(BIG), partial)

        self.state.cut = 0
        self.state.clear()
        self.assertEqual(self.assert_ok(self.download("org/tiny-vit")), self.snapshot(C1))
        self.assertEqual([r["range"] for r in self.state.requests("cdn", "GET")], ["bytes=%d-" % partial])
        self.assert_snapshot_matches("org/tiny-vit", C1, ["model.safetensors"])
        self.assertEqual(self.leftovers(), [])

    def test_cut_once_is_resumed_within_the_run(self):
        self.state.cut = 1
        self.assertEqual(self.assert_ok(self.download("org/tiny-vit")), self.snapshot(C1))
        ranges = [r["range"] for r in self.state.requests("cdn", "GET")]
        self.assertEqual(len(ranges), 2, ranges)
        self.assertIsNone(ranges[0])
        self.assertRegex(ranges[1], r"^bytes=[1-9][0-9]*-$")
        self.assert_snapshot_matches("org/tiny-vit", C1, ["model.safetensors"])

    def test_server_ignoring_range_gets_the_whole_file_again(self):
        self.state.cut = 1000
        self.assert_fails(self.download("org/tiny-vit"), "resumes")
        self.state.cut, self.state.ignore_range = 0, True
        self.state.clear()
        self.assert_ok(self.download("org/tiny-vit"))
        self.assertRegex(self.state.requests("cdn", "GET")[0]["range"], r"^bytes=[1-9][0-9]*-$")
        self.assert_snapshot_matches("org/tiny-vit", C1, ["model.safetensors"])
        self.assertEqual(self.leftovers(), [])

    def test_corrupt_partial_file_is_detected_and_replaced(self):
        blobs = os.path.join(self.storage(), "blobs")
        os.makedirs(blobs)
        with open(os.path.join(blobs, sha256(BIG) + ".incomplete"), "wb") as f:
            f.write(b"\xff" * 1000)  # not the start of the file: the resumed whole fails its SHA-256
        self.assert_fails(self.download("org/tiny-vit"), "SHA-256")
        self.assertEqual(self.leftovers(), [])
        self.assert_ok(self.download("org/tiny-vit"))
        self.assert_snapshot_matches("org/tiny-vit", C1, ["model.safetensors"])

    def test_offline_uses_the_cache_only(self):
        self.assert_fails(self.download("org/tiny-vit", HF_HUB_OFFLINE="1"), "offline", "org/tiny-vit@main")
        self.assertEqual(self.state.requests(), [])
        self.assertFalse(os.path.exists(os.path.join(self.storage(), "blobs")))

        self.assert_ok(self.download("org/tiny-vit"))
        self.state.clear()
        dead = "http://127.0.0.1:%d" % free_port()
        self.assertEqual(self.assert_ok(self.download("org/tiny-vit", HF_HUB_OFFLINE="1", HF_ENDPOINT=dead)),
                         self.snapshot(C1))
        self.assertEqual(self.assert_ok(self.download("org/tiny-vit", "--offline")), self.snapshot(C1))
        self.assertEqual(self.assert_ok(self.download("org/tiny-vit@" + C1, "--offline")), self.snapshot(C1))
        self.assertEqual(self.state.requests(), [])
        self.assert_fails(self.download("org/tiny-vit@v2", "--offline"), "offline", "org/tiny-vit@v2")

        # A blob deleted behind the cache's back: offline names what is missing.
        os.remove(os.path.join(self.storage(), "blobs", sha256(BIG)))
        self.assert_fails(self.download("org/tiny-vit", "--offline"), "model.safetensors", "missing")

    def test_revisions_by_branch_tag_path_and_commit(self):
        v2 = self.assert_ok(self.download("org/tiny-vit@v2"))
        self.assertEqual(v2, self.snapshot(C2))
        self.assert_snapshot_matches("org/tiny-vit", C2, ["config.json", "model.safetensors"])
        self.assertEqual(self.assert_ok(self.download("org/tiny-vit", "--revision", "v2")), v2)
        with open(os.path.join(self.storage(), "refs", "v2")) as f:
            self.assertEqual(f.read(), C2)

        self.assertEqual(self.assert_ok(self.download("org/tiny-vit", "--revision", "refs/pr/1")), v2)
        with open(os.path.join(self.storage(), "refs", "refs", "pr", "1")) as f:
            self.assertEqual(f.read(), C2)

        self.assertEqual(self.assert_ok(self.download("org/tiny-vit@" + C1)), self.snapshot(C1))
        self.assert_snapshot_matches("org/tiny-vit", C1, ["config.json", "model.safetensors"])
        self.assertFalse(os.path.exists(os.path.join(self.storage(), "refs", C1)))  # no ref for a commit
        self.assertFalse(os.path.exists(os.path.join(self.storage(), "refs", "main")))
        # Both commits share one preprocessor_config.json blob.
        preprocessor = os.path.join(self.storage(), "blobs", git_blob_sha1(PREPROCESSOR))
        self.assertEqual(os.path.realpath(os.path.join(self.snapshot(C1), "preprocessor_config.json")), preprocessor)
        self.assertEqual(os.path.realpath(os.path.join(self.snapshot(C2), "preprocessor_config.json")), preprocessor)

        self.assert_fails(self.download("org/tiny-vit@nope"), "revision 'nope' not found")
        self.assert_fails(self.download("org/tiny-vit@v2", "--revision", "main"), "--revision", code=2)

    def test_cache_laid_out_by_huggingface_hub_is_used_as_it_is(self):
        storage = self.storage()
        files = REPOS["org/tiny-vit"]["commits"][C1]
        for name in ("config.json", "preprocessor_config.json", "model.safetensors"):
            entry = files[name]
            etag = sha256(entry.data) if entry.lfs else git_blob_sha1(entry.data)
            os.makedirs(os.path.join(storage, "blobs"), exist_ok=True)
            with open(os.path.join(storage, "blobs", etag), "wb") as f:
                f.write(entry.data)
            os.makedirs(os.path.join(storage, "snapshots", C1), exist_ok=True)
            os.symlink("../../blobs/" + etag, os.path.join(storage, "snapshots", C1, name))
        os.makedirs(os.path.join(storage, "refs"))
        with open(os.path.join(storage, "refs", "main"), "w") as f:
            f.write(C1)
        os.makedirs(os.path.join(self.cache, ".locks", "models--org--tiny-vit"))
        before = {e.name: (e.stat().st_ino, e.stat().st_mtime_ns) for e in os.scandir(os.path.join(storage, "blobs"))}

        self.assertEqual(self.assert_ok(self.download("org/tiny-vit", "--offline")), self.snapshot(C1))
        self.assertEqual(self.state.requests(), [])
        self.assertEqual(self.assert_ok(self.download("org/tiny-vit")), self.snapshot(C1))
        self.assertEqual(self.state.requests(method="GET"), [])
        after = {e.name: (e.stat().st_ino, e.stat().st_mtime_ns) for e in os.scandir(os.path.join(storage, "blobs"))}
        self.assertEqual(before, after)

    def test_two_processes_download_the_same_model_at_once(self):
        self.state.throttle_s = 0.03  # about half a second per transfer, so the two overlap
        runs = [subprocess.Popen([VIT, "download", "org/tiny-vit"], env=self.env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [run.communicate(timeout=RUN_TIMEOUT_S) for run in runs]
        for run, (out, err) in zip(runs, outputs):
            self.assertEqual(run.returncode, 0, err)
            self.assertEqual(out.strip(), self.snapshot(C1))
        self.assert_snapshot_matches("org/tiny-vit", C1, ["config.json", "model.safetensors"])
        self.assertEqual(len([r for r in self.state.requests("cdn", "GET") if r["path"].endswith(sha256(BIG))]), 1)
        self.assertEqual(self.leftovers(), [])

    def test_sharded_and_pytorch_checkpoints(self):
        commit = REPOS["org/sharded"]["branches"]["main"]
        self.assertEqual(self.assert_ok(self.download("org/sharded")), self.snapshot(commit, "org/sharded"))
        self.assert_snapshot_matches("org/sharded", commit, ["config.json", "model.safetensors.index.json",
                                                             "model-00001-of-00002.safetensors",
                                                             "model-00002-of-00002.safetensors"])
        no_exist = os.path.join(self.storage("org/sharded"), ".no_exist", commit)
        self.assertTrue(os.path.isfile(os.path.join(no_exist, "model.safetensors")))
        self.assertTrue(os.path.isfile(os.path.join(no_exist, "preprocessor_config.json")))
        self.state.clear()
        self.assert_ok(self.download("org/sharded"))
        self.assertEqual(len(self.state.requests()), 1)  # known-missing files are not asked for again

        commit = REPOS["org/torch-only"]["branches"]["main"]
        snapshot = self.assert_ok(self.download("org/torch-only"))
        self.assertEqual(snapshot, self.snapshot(commit, "org/torch-only"))
        self.assert_snapshot_matches("org/torch-only", commit, ["pytorch_model.bin"])

    def test_private_gated_and_missing(self):
        self.assert_fails(self.download("org/unknown"), "HF_TOKEN", "org/unknown")
        self.assertFalse(os.path.exists(os.path.join(self.storage("org/unknown"), "blobs")))
        self.assert_fails(self.download("org/gated"), "gated", "HF_TOKEN")
        self.assert_fails(self.download("org/gated", HF_TOKEN="hf_wrong"), "gated", "no access")
        self.assert_ok(self.download("org/gated", HF_TOKEN=TOKEN))
        shutil.rmtree(self.cache)
        # The token file huggingface-cli login writes: $HF_HOME/token.
        hf_home = os.path.join(self.tmp, "hf_home")
        os.makedirs(hf_home)
        with open(os.path.join(hf_home, "token"), "w") as f:
            f.write(TOKEN + "\n")
        self.assert_ok(self.download("org/gated", HF_HOME=hf_home))
        self.assert_fails(self.download("org/no-config"), "config.json")
        self.assert_fails(self.download("not-a-hub-id"), "org/name", code=2)

    def test_corrupt_and_unreachable(self):
        self.assert_fails(self.download("org/corrupt"), "SHA-256")
        self.assertEqual(self.leftovers(), [])
        blobs = os.path.join(self.storage("org/corrupt"), "blobs")
        self.assertEqual([f for f in os.listdir(blobs) if len(f) == 64], [])  # no corrupt blob kept
        self.assertFalse(os.path.lexists(os.path.join(self.snapshot(CORRUPT, "org/corrupt"), "model.safetensors")))
        dead = "http://127.0.0.1:%d" % free_port()
        self.assert_fails(self.download("org/tiny-vit", HF_ENDPOINT=dead), "cannot reach")

    def test_inspect_takes_a_hub_id(self):
        """The library's Model::Load path: --model org/name resolves through the same cache."""
        run = self.vit("inspect", "--json", "-m", "org/tiny-vit")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(json.loads(run.stdout)["directory"], self.snapshot(C1))
        self.state.clear()
        dead = "http://127.0.0.1:%d" % free_port()
        # Offline, and also when the hub cannot be reached: the cached snapshot serves.
        for env in ({"HF_HUB_OFFLINE": "1"}, {"HF_ENDPOINT": dead}):
            run = self.vit("inspect", "--json", "-m", "org/tiny-vit", **env)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(json.loads(run.stdout)["directory"], self.snapshot(C1))
        self.assertEqual(self.state.requests(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
