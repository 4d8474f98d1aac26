#!/usr/bin/python3
"""Killed at any write, fsync, mkdir, rename, unlink or rmdir, a rerun of `vit embed --out DIR` leaves DIR holding the earlier
set of outputs or the new one, never a mix and never a partial file, once the next run (here one that then fails
on a bad input) has completed or dropped what the killed one left.

strace's fault injection (`strace -f -e inject=SYSCALL:signal=KILL:when=N`) kills the run at its Nth call of each
syscall in turn, from the first until a run gets through. The two sets differ in their outputs (cls,mean against
cls), their rows and their names, so a mix shows."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
from harness import VIT, checkpoint, run_vit  # noqa: E402

SYSCALLS = ["write", "pwrite64", "ftruncate", "fsync", "mkdir", "rename", "renameat", "renameat2", "unlink", "rmdir"]
STRACE = shutil.which("strace")


@unittest.skipUnless(STRACE, "strace is not installed (scripts/setup installs it)")
class EmbedCrash(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        root = cls.tmp.name
        cls.model = checkpoint("tiny", "tiny")
        rng = np.random.default_rng(4)
        cls.images = []
        for i in range(5):
            path = os.path.join(root, f"im{i}.png")
            Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(path)
            cls.images.append(path)
        cls.bad = os.path.join(root, "bad.png")
        with open(cls.bad, "wb") as f:
            f.write(b"not an image")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def embed(self, out, images, outputs):
        return ["embed", "-m", self.model, "-o", out, "--outputs", outputs, "-b", "1", "-t", "1", "-q", *images]

    def state(self, folder):
        """What a reader finds, after the next run's start has completed or dropped a killed run's leftovers."""
        r = run_vit(["embed", "-m", self.model, "-o", folder, "-t", "1", "-q", self.bad], check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        files = sorted(n for n in os.listdir(folder) if n != ".vit-lock")
        contents = {}
        for name in files:
            with open(os.path.join(folder, name), "rb") as f:
                contents[name] = f.read() if name != "vit-embed.json" else b"manifest"
        return files, contents

    def test_every_kill_leaves_the_old_set_or_the_new(self):
        root = self.tmp.name
        old_dir, new_dir, work = (os.path.join(root, n) for n in ("old", "new", "work"))
        old_args = lambda out: self.embed(out, self.images[:3], "cls,mean")
        new_args = lambda out: self.embed(out, self.images[1:], "cls")
        run_vit(old_args(old_dir))
        run_vit(new_args(new_dir))
        old, new = self.state(old_dir), self.state(new_dir)
        self.assertNotEqual(old, new)
        runs = 0
        for syscall in SYSCALLS:
            n = 1
            while True:
                shutil.rmtree(work, ignore_errors=True)
                run_vit(old_args(work))
                r = subprocess.run([STRACE, "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
                                    "-e", f"inject={syscall}:signal=KILL:when={n}", VIT] + new_args(work),
                                   capture_output=True, text=True)
                runs += 1
                if r.returncode == 0:
                    self.assertEqual(self.state(work), new, f"after a complete run (no {syscall} #{n})")
                    break
                self.assertIn(r.returncode, (-9, 137), f"{syscall} #{n}: not killed but failed:\n{r.stderr}")
                self.assertIn(self.state(work), (old, new), f"killed at {syscall} #{n}: neither set")
                n += 1
                self.assertLess(n, 400, f"{syscall}: no run got through")
        print(f"vit embed: {runs} killed or complete runs")


if __name__ == "__main__":
    unittest.main()
