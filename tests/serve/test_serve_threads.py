#!/usr/bin/python3
"""`vit serve --threads N`: the batches the server runs use N threads, not every core. The model runs on
the batcher's thread, not the one that loaded it; threads are read from /proc/<pid>/task while requests
of pixel_values (binary KServe tensors: no decoding on the request threads) keep the model busy."""
import json
import os
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
sys.path.insert(0, HERE)
from harness import checkpoint, photos  # noqa: E402
from test_serve import Server  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_thread(pid):
    """CPU seconds of each thread but the HTTP layer's I/O threads (named vit-http-io), which read the
    requests' 10 MB bodies: the model's threads are what is counted."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().startswith("vit-http-io"):
                    continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[tid] = (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, IndexError):
            pass  # the thread ended between listing and reading
    return out


class ServeThreads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # As tests/tool/test_threads.py: one thread runs 48 images of it in about a second.
        cls.model = checkpoint("threads-small", "base", hidden_size=192, num_attention_heads=3,
                               intermediate_size=768, num_hidden_layers=6)
        pv = photos(16, 224, 224)
        raw = pv.astype("<f4").tobytes()
        header = json.dumps({"inputs": [{"name": "pixel_values", "datatype": "FP32", "shape": list(pv.shape),
                                         "parameters": {"binary_data_size": len(raw)}}]}).encode()
        cls.body, cls.header_length = header + raw, len(header)

    def busy_threads(self, threads):
        """The threads that spent more than 0.1 s of CPU while three requests of 16 images ran."""
        server = Server(self.model, "--threads", str(threads), "--max-batch-size", "8", "--max-wait-ms", "1")
        try:
            before = cpu_by_thread(server.proc.pid)
            results = []

            def post():
                status, _, data = server.request("POST", "/v2/models/threads-small/infer", self.body,
                                                 {"Inference-Header-Content-Length": str(self.header_length)}, 120)
                results.append((status, data[:200]))

            clients = [threading.Thread(target=post) for _ in range(3)]
            for c in clients:
                c.start()
            for c in clients:
                c.join(120)
            after = cpu_by_thread(server.proc.pid)
            self.assertEqual([r[0] for r in results], [200] * 3, results)
            return sorted((after[t] - before.get(t, 0.0) for t in after if after[t] - before.get(t, 0.0) > 0.1),
                          reverse=True)
        finally:
            server.kill()

    def test_one_thread_runs_the_batches(self):
        busy = self.busy_threads(1)
        self.assertEqual(len(busy), 1, f"CPU seconds of the busy threads: {busy}")
        self.assertGreater(busy[0], 0.3, "the model did not run long enough to be watched")

    def test_two_threads_run_the_batches(self):
        if len(os.sched_getaffinity(0)) < 2:
            self.skipTest("one core")
        busy = self.busy_threads(2)
        self.assertEqual(len(busy), 2, f"CPU seconds of the busy threads: {busy}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
