#!/usr/bin/env python3
# usage: bench/serve/slowloris.py VIT MODEL: 500 connections dripping a header byte every 2 s; /health latency beside them
import re, socket, subprocess, sys, time, threading, statistics, tempfile
vit, model = sys.argv[1], sys.argv[2]
LOG = tempfile.NamedTemporaryFile(prefix="vit-serve-", suffix=".log", delete=False).name
log = open(LOG, "wb")
p = subprocess.Popen([vit, "serve", "--model", model, "--port", "0"], stderr=log, stdout=subprocess.DEVNULL)
port = None
for _ in range(600):
    m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", open(LOG, "rb").read())
    if m: port = int(m.group(1)); break
    time.sleep(0.1)
def health():
    t = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        ok = s.recv(100).startswith(b"HTTP/1.1 200")
        s.close()
    except OSError:
        ok = False
    return ok, time.time() - t
base = [health()[1] for _ in range(20)]
socks = []
for _ in range(500):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"GET /health HTTP/1.1\r\n"); socks.append(s)
stop = time.time() + 14
lat, fails, alive = [], 0, []
while time.time() < stop:
    for s in socks:
        try: s.send(b"X")
        except OSError: pass
    for _ in range(10):
        ok, t = health(); lat.append(t); fails += not ok
    time.sleep(1.5)
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        d = s.recv(200)
        closed += 1  # an answer (408) or EOF
    except BlockingIOError: pass
    except OSError: closed += 1
print(f"/health p50 alone {statistics.median(base)*1000:.1f} ms; beside 500 dripping connections p50 "
      f"{statistics.median(lat)*1000:.1f} ms max {max(lat)*1000:.1f} ms, {fails} failed of {len(lat)}; "
      f"dripping connections closed after 14 s: {closed}/500")
p.kill(); p.wait()
