"""Plumbing shared by the server benchmarks: the vit binary, random-weight checkpoints, and a
`vit serve` child process on a loopback port."""
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VIT = os.environ.get("VIT_BIN", os.path.join(ROOT, "build", "vit"))


def checkpoint(preset, folder=None):
    """A random-weight checkpoint of tests/parity/make_checkpoint.py's `preset`, made once."""
    folder = folder or os.path.join(tempfile.gettempdir(), "vit-bench-checkpoints", preset)
    if not os.path.exists(os.path.join(folder, "config.json")):
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "parity", "make_checkpoint.py"),
                        "--preset", preset, "--out", folder + ".tmp"], check=True)
        os.replace(folder + ".tmp", folder)
    return folder


class Server:
    def __init__(self, model, *flags, start_timeout=300):
        self.log_path = tempfile.mktemp(prefix="vit-serve-bench-", suffix=".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([VIT, "serve", "--model", model, "--host", "127.0.0.1", "--port", "0", *flags],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = None
        deadline = time.time() + start_timeout
        while time.time() < deadline and self.proc.poll() is None:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.stderr())
            if m:
                self.port = int(m.group(1))
                return
            time.sleep(0.05)
        self.stop()
        raise SystemExit(f"vit serve did not start: {self.stderr()}")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stderr(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def request(self, method, path, body=None, headers=None, timeout=120):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def metrics(self):
        status, body = self.request("GET", "/metrics")
        values = {}
        for line in body.decode().splitlines():
            m = re.match(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", line)
            if m:
                values[m.group(1)] = float(m.group(2))
        return values

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self, timeout=60):
        """SIGTERM, then the exit code (the server drains and exits 0); killed if it does not."""
        code = self.proc.poll()
        if code is None:
            self.proc.terminate()
            try:
                code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait(10)
        self.log.close()
        return code


def log(message):
    print(message, file=sys.stderr, flush=True)
