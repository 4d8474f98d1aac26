#!/usr/bin/python3
"""`vit serve`'s HTTP layer against the real server on 127.0.0.1 (tiny random checkpoint): threads do not
grow with idle connections, framing (gzip, chunked, pipelining, no body, form content type), limits and
statuses, API keys, CORS, JSON logs and the text-embeddings-inference environment variables, raw
sockets throughout. Every wait is bounded and every server is killed at the end."""
import base64
import gzip
import json
import os
import socket
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
from harness import VIT, checkpoint  # noqa: E402
from test_serve import IMAGES, Server, read  # noqa: E402


def threads_of(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def exchange(port, raw, timeout=10):
    """Sends `raw` on a new connection; returns every byte the server sends until it closes or goes quiet."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(raw)
        data = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            if parse_all(data)[1] == b"" and b"Connection: close" not in data and responses_complete(data, raw):
                break
        return data
    finally:
        s.close()


def responses_complete(data, raw):
    return len(parse_all(data)[0]) >= raw.count(b" HTTP/1.1\r\n")


def parse_all(data):
    """[(status, headers, body)] of the whole answers in `data`, and what is left."""
    out = []
    while b"\r\n\r\n" in data:
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        n = int(headers.get("content-length", "0"))
        if len(rest) < n:
            break
        out.append((int(lines[0].split()[1]), headers, rest[:n]))
        data = rest[n:]
    return out, data


def one(port, raw):
    answers, _ = parse_all(exchange(port, raw))
    assert answers, f"no answer to {raw[:80]!r}"
    return answers[0]


def post(path, body, content_type="application/json", extra=b""):
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            .encode() + extra + b"\r\n" + body)


def embed_body():
    return json.dumps({"inputs": base64.b64encode(read(IMAGES[0])).decode(), "normalize": False}).encode()


class HttpLayer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = checkpoint("tiny", "tiny")
        cls.server = Server(cls.model, "--max-body-mb", "1", "--max-batch-size", "4")

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def test_threads_do_not_grow_with_idle_connections(self):
        port, pid = self.server.port, self.server.proc.pid
        self.assertEqual(one(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")[0], 200)
        at_rest = threads_of(pid)
        idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(300)]
        try:
            time.sleep(0.5)
            self.assertEqual(one(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")[0], 200)
            self.assertEqual(threads_of(pid), at_rest)
        finally:
            for s in idle:
                s.close()

    def test_framing(self):
        port = self.server.port
        body = embed_body()
        status, _, plain = one(port, post("/embed", body))
        self.assertEqual(status, 200)
        # gzip, and a form content type (curl -d's default) carrying JSON
        self.assertEqual(one(port, post("/embed", gzip.compress(body), extra=b"Content-Encoding: gzip\r\n"))[2], plain)
        self.assertEqual(one(port, post("/embed", body, "application/x-www-form-urlencoded"))[2], plain)
        # chunked
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000]) for i in range(0, len(body), 1000))
        raw = b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        self.assertEqual(one(port, raw + chunks + b"0\r\n\r\n")[2], plain)
        # pipelined: three requests in one send, three answers in order
        raw = post("/embed", body) + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + post("/embed", b"{}")
        answers, _ = parse_all(exchange(port, raw))
        self.assertEqual([a[0] for a in answers], [200, 200, 400])
        self.assertEqual(answers[0][2], plain)
        # no body and no length: an empty body, answered at once
        start = time.time()
        self.assertEqual(one(port, b"POST /embed HTTP/1.1\r\nHost: x\r\n\r\n")[0], 400)
        self.assertLess(time.time() - start, 2)

    def test_limits_and_statuses(self):
        port = self.server.port
        big = b"[" + b"1," * 600000 + b"1]"
        self.assertEqual(one(port, post("/embed", big))[0], 413)
        chunked = b"POST /embed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + \
            b"".join(b"10000\r\n" + b"x" * 0x10000 + b"\r\n" for _ in range(20)) + b"0\r\n\r\n"
        self.assertEqual(one(port, chunked)[0], 413)
        bomb = gzip.compress(b" " * (64 << 20))
        status, _, data = one(port, post("/embed", bomb, extra=b"Content-Encoding: gzip\r\n"))
        self.assertEqual(status, 413, data)
        self.assertEqual(one(port, post("/embed", b"{}", extra=b"Content-Encoding: zstd\r\n"))[0], 415)
        status, _, _ = one(port, b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Length: 900000000\r\n"
                                 b"Expect: 100-continue\r\n\r\n")
        self.assertEqual(status, 413)
        self.assertEqual(one(port, b"GET /embed HTTP/1.1\r\nHost: x\r\n\r\n")[:2][0], 405)
        self.assertEqual(one(port, b"GET /embed HTTP/1.1\r\nHost: x\r\n\r\n")[1]["allow"], "POST, OPTIONS")
        self.assertEqual(one(port, b"BREW /embed HTTP/1.1\r\nHost: x\r\n\r\n")[0], 501)
        self.assertEqual(one(port, b"GET /embed HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 100000 + b"\r\n\r\n")[0], 431)
        self.assertEqual(one(port, b"GET /no/such HTTP/1.1\r\nHost: x\r\n\r\n")[0], 404)
        metrics = one(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")[2].decode()
        for status in ("413", "415", "405"):
            self.assertIn(f'vit_requests_total{{route="/embed",status="{status}"}}', metrics)


class HttpOptions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = checkpoint("tiny", "tiny")

    def test_api_keys_cors_and_json_logs(self):
        keys = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"vit-keys-{os.getpid()}.txt")
        with open(keys, "w") as f:
            f.write("# keys\nfile-key\n")
        server = Server(self.model, "--api-key", "flag-key", "--api-key-file", keys,
                        "--cors-allow-origin", "https://app.example", "--json-logs")
        try:
            port = server.port
            status, headers, _ = one(port, post("/embed", embed_body()))
            self.assertEqual(status, 401)
            self.assertIn("Bearer", headers["www-authenticate"])
            for key in (b"flag-key", b"file-key"):
                self.assertEqual(one(port, post("/embed", embed_body(), extra=b"Authorization: Bearer " + key +
                                                b"\r\n"))[0], 200)
            self.assertEqual(one(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")[0], 200)
            status, headers, _ = one(port, b"OPTIONS /embed HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n"
                                           b"Access-Control-Request-Method: POST\r\n\r\n")
            self.assertEqual(status, 204)
            self.assertEqual(headers["access-control-allow-origin"], "https://app.example")
            time.sleep(0.2)
            lines = [json.loads(line) for line in server.stderr().splitlines() if line.startswith("{")]
            self.assertIn(401, [line["status"] for line in lines])
            self.assertTrue(all(line["remote_addr"] == "127.0.0.1" for line in lines))
        finally:
            server.kill()
            os.unlink(keys)

    def test_tei_environment_variables(self):
        env = dict(os.environ, MODEL_ID=self.model, PORT="0", HOSTNAME="127.0.0.1", MAX_CLIENT_BATCH_SIZE="3",
                   API_KEY="env-key")
        proc = subprocess.Popen([VIT, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            port = None
            deadline = time.time() + 120
            while time.time() < deadline and port is None:
                line = proc.stderr.readline()
                if not line:
                    break
                if "listening on http://127.0.0.1:" in line:
                    port = int(line.rsplit(":", 1)[1])
            self.assertIsNotNone(port, "vit serve did not start from the environment")
            self.assertEqual(one(port, b"GET /info HTTP/1.1\r\nHost: x\r\n\r\n")[0], 401)
            info = one(port, b"GET /info HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer env-key\r\n\r\n")
            self.assertIn(b'"max_client_batch_size":3', info[2].replace(b" ", b""))
        finally:
            proc.kill()
            proc.wait(10)


if __name__ == "__main__":
    unittest.main()
