#!/usr/bin/env python3
# usage: VIT_BIN=build/vit bench/serve/slowloris.py MODEL
# 500 connections dripping a header byte every 1.5 s; /health latency beside them.
import socket, sys, time, threading, statistics
from common import Server

server = Server(sys.argv[1])
p, port = server.proc, server.port
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
server.stop()
