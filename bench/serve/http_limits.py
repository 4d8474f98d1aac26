#!/usr/bin/env python3
# usage: VIT_BIN=build/vit bench/serve/http_limits.py MODEL
# Threads at rest and with 500 idle connections; RSS before, at the peak of and after a header flood.
import os, socket, sys, time, threading
from common import Server

server = Server(sys.argv[1])
p, port = server.proc, server.port
def status(key):
    for line in open(f"/proc/{p.pid}/status"):
        if line.startswith(key): return line.split()[1]
rest = len(os.listdir(f"/proc/{p.pid}/task"))
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(500)]
time.sleep(1)
with500 = len(os.listdir(f"/proc/{p.pid}/task"))
for c in conns: c.close()
time.sleep(1)
rss0 = int(status("VmRSS:"))
# header flood: 100 connections each sending 4 MB of header fields (no end of header)
def flood():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        line = b"X-Flood: " + b"a" * 1000 + b"\r\n"
        for _ in range(4000): s.sendall(line)
    except OSError:
        pass
ts = [threading.Thread(target=flood) for _ in range(100)]
[t.start() for t in ts]; [t.join(60) for t in ts]
time.sleep(0.5)
print(f"threads at rest {rest}, with 500 idle connections {with500}; RSS before flood {rss0//1024} MiB, "
      f"peak during 100x4MB header flood {int(status('VmHWM:'))//1024} MiB, after {int(status('VmRSS:'))//1024} MiB")
server.stop()
