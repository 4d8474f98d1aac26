#!/usr/bin/python3
"""Killed at any write, fsync, rename or link, `vit probe train`, `vit index build` and `vit index add`
leave what a reader sees as the old state or the new one: never a mix, never nothing.

strace's fault injection (`strace -f -e inject=SYSCALL:signal=KILL:when=N`) kills the command at its
Nth call of each syscall in turn, from the first until a run gets through; after every kill the reader
(`vit classify --head`, `vit index search`) must answer exactly as it did before the run or as a clean
run makes it answer. The old and new states differ in their labels or their paths, so a mix shows."""
import os
import shutil
import subprocess
import tempfile
import unittest

from adapt_harness import CLASSES, VIT, checkpoint, make_image_folder, run_vit

SYSCALLS = ["write", "fsync", "rename", "renameat2", "link"]
STRACE = shutil.which("strace")
COMMON = ["--no-cache", "-t", "1"]


@unittest.skipUnless(STRACE, "strace is not installed (scripts/setup installs it)")
class CrashConsistency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        root = cls.tmp.name
        cls.model = checkpoint("tiny", "tiny")
        cls.data_a = make_image_folder(os.path.join(root, "a"), per_class=3, size=24, seed=1)
        # Other class names: a head of B's weights with A's labels (or the reverse) answers other labels.
        renamed = {"b_" + k: v for k, v in list(CLASSES.items())[:3]}
        cls.data_b = make_image_folder(os.path.join(root, "b"), per_class=3, size=24, seed=2, classes=renamed)
        cls.queries = make_image_folder(os.path.join(root, "q"), per_class=1, size=24, seed=3)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def sweep(self, command, restore, read, old, new):
        """Runs `command` killed at each call of each syscall; after each kill, `read()` is old or new."""
        runs = 0
        for syscall in SYSCALLS:
            n = 1
            while True:
                restore()
                r = subprocess.run([STRACE, "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
                                    "-e", f"inject={syscall}:signal=KILL:when={n}", VIT] + command,
                                   capture_output=True, text=True)
                runs += 1
                if r.returncode == 0:
                    self.assertEqual(read(), new, f"after a complete run (no {syscall} #{n})")
                    break
                self.assertIn(r.returncode, (-9, 137), f"{syscall} #{n}: not killed but failed:\n{r.stderr}")
                seen = read()
                self.assertIn(seen, (old, new), f"killed at {syscall} #{n}: the reader sees neither state")
                n += 1
                self.assertLess(n, 400, f"{syscall}: no run got through")
        return runs

    def folder_state(self, pristine, work):
        def restore():
            shutil.rmtree(work, ignore_errors=True)
            for name in os.listdir(os.path.dirname(work)):  # staging folders of a killed run
                if name.startswith("." + os.path.basename(work) + ".staging-"):
                    shutil.rmtree(os.path.join(os.path.dirname(work), name))
            shutil.copytree(pristine, work)
        return restore

    def test_probe_train(self):
        root = self.tmp.name
        train = lambda data, out: ["probe", "train", "--model", self.model, "--data", data, "--val-split", "0",
                                   "--C", "1", "--out", out] + COMMON
        old_head, new_head, work = (os.path.join(root, n) for n in ("head_old", "head_new", "head"))
        run_vit(train(self.data_a, old_head))
        run_vit(train(self.data_b, new_head))

        def classify(head):
            r = run_vit(["classify", "--model", self.model, "--head", head, "--top-k", "2",
                         "-t", "1", self.queries], check=False)
            return r.returncode, r.stdout

        old, new = classify(old_head), classify(new_head)
        self.assertEqual(old[0], 0)
        self.assertNotEqual(old, new)
        runs = self.sweep(train(self.data_b, work), self.folder_state(old_head, work), lambda: classify(work), old, new)
        print(f"probe train: {runs} runs")

    def search(self, index):
        r = run_vit(["index", "search", index, "--k", "3", "--no-cache", "-t", "1", self.queries], check=False)
        return r.returncode, r.stdout

    def test_index_build(self):
        root = self.tmp.name
        build = lambda data, out: ["index", "build", "--model", self.model, "--out", out, data] + COMMON
        old_index, new_index, work = (os.path.join(root, n) for n in ("build_old", "build_new", "build"))
        run_vit(build(self.data_a, old_index))
        run_vit(build(self.data_b, new_index))
        old, new = self.search(old_index), self.search(new_index)
        self.assertEqual(old[0], 0)
        self.assertNotEqual(old, new)
        runs = self.sweep(build(self.data_b, work), self.folder_state(old_index, work), lambda: self.search(work),
                          old, new)
        print(f"index build: {runs} runs")

    def test_index_add(self):
        root = self.tmp.name
        old_index, new_index, work = (os.path.join(root, n) for n in ("add_old", "add_new", "add"))
        run_vit(["index", "build", "--model", self.model, "--out", old_index, self.data_a] + COMMON)
        shutil.copytree(old_index, new_index)
        run_vit(["index", "add", new_index, self.data_b] + COMMON)
        old, new = self.search(old_index), self.search(new_index)
        self.assertEqual(old[0], 0)
        self.assertNotEqual(old, new)
        runs = self.sweep(["index", "add", work, self.data_b] + COMMON, self.folder_state(old_index, work),
                          lambda: self.search(work), old, new)
        print(f"index add: {runs} runs")


if __name__ == "__main__":
    unittest.main()
