#!/usr/bin/python3
"""`vit embed --threads N` runs on N threads: no other pool (OpenBLAS's, which FAISS brings in, starts one
as the library loads) lives beside ours while the model runs. Threads are read from /proc/<pid>/task."""
import os
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
from harness import VIT, checkpoint, photos  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def threads_while_running(cmd, settle_cpu=0.2):
    """Runs cmd; returns the thread counts seen once its main thread has spent settle_cpu seconds of CPU
    (start-up done), and the CPU seconds of every thread other than the main one."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    counts, others = [], {}
    while proc.poll() is None:
        try:
            tids = os.listdir(f"/proc/{proc.pid}/task")
            settled = cpu_seconds(proc.pid, str(proc.pid)) >= settle_cpu
            for tid in tids:
                if tid != str(proc.pid):
                    others[tid] = max(others.get(tid, 0.0), cpu_seconds(proc.pid, tid))
            if settled:
                counts.append(len(tids))
        except (OSError, IndexError):
            pass  # the process or a thread ended between listing and reading
        time.sleep(0.01)
    stderr = proc.stderr.read()
    if proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}): {stderr}")
    return counts, others


class Threads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Small enough to make quickly, large enough that one thread runs it for about a second.
        cls.model = checkpoint("threads-small", "base", hidden_size=192, num_attention_heads=3,
                               intermediate_size=768, num_hidden_layers=6)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.inputs = os.path.join(cls.tmp.name, "pixel_values.npy")
        np.save(cls.inputs, photos(48, 224, 224))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def embed(self, threads):
        return threads_while_running([VIT, "embed", "--model", self.model, "--threads", str(threads), "-b", "4",
                                      "--out", os.path.join(self.tmp.name, "out"), self.inputs])

    def test_one_thread_means_one_thread(self):
        counts, others = self.embed(1)
        self.assertGreaterEqual(len(counts), 5, "the run ended before it could be watched; make it longer")
        self.assertEqual(max(counts), 1, f"threads seen while the model ran: {sorted(set(counts))}")
        busy = {tid: cpu for tid, cpu in others.items() if cpu > 0.05}
        self.assertEqual(busy, {}, "threads besides the main one spent CPU time")

    def test_two_threads_are_ours(self):
        if len(os.sched_getaffinity(0)) < 2:
            self.skipTest("one core")
        counts, _ = self.embed(2)
        self.assertGreaterEqual(len(counts), 3, "the run ended before it could be watched; make it longer")
        self.assertLessEqual(max(counts), 2, f"threads seen while the model ran: {sorted(set(counts))}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
