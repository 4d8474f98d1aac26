#!/usr/bin/python3
"""The command line as users expect it: progress counted after the model has run (with the time left,
silenced by -q), `vit embed --out DIR` replacing an earlier set whole (never a mix, never a partial file after a
failed rerun), names that a line cannot hold quoted in inputs.txt, JSON lines / safetensors / --normalize
equal to the .npy outputs, a ViTForImageClassification checkpoint's default pooling, a mistyped model folder
named as such, and one flag vocabulary (with examples) across commands."""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
from harness import VIT, checkpoint, run_vit  # noqa: E402

COMMANDS = [["embed"], ["inspect"], ["download"], ["bench"], ["serve"], ["probe", "train"], ["probe", "fit"],
            ["probe", "export"], ["classify"], ["index", "build"], ["index", "add"], ["index", "search"], ["dedup"],
            ["attention"]]


def write_images(folder, names, seed=0):
    rng = np.random.default_rng(seed)
    paths = []
    for name in names:
        path = os.path.join(folder, name)
        Image.fromarray(rng.integers(0, 256, (30 + len(paths), 40, 3), dtype=np.uint8)).save(path, format="PNG")
        paths.append(path)
    return paths


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype="<f4")
        out[name] = out[name].reshape(info["shape"])
    return out


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = checkpoint("tiny", "tiny")
        cls.classifier = checkpoint("tiny-cls5", "tiny", classifier=5)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.images = write_images(cls.tmp.name, [f"im{i}.png" for i in range(5)])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def folder(self, name):
        path = os.path.join(self.tmp.name, name)
        os.makedirs(path, exist_ok=True)
        return path

    def embed(self, out, inputs, *extra, check=True):
        return run_vit(["embed", "-m", self.model, "-o", out, *extra, *inputs], check=check)

    def leftovers(self, out):
        return [n for n in os.listdir(out) if n.startswith((".vit-staging", ".vit-commit")) or n.endswith(".part.npy")]

    # -- progress ---------------------------------------------------------------------------------------------
    def test_progress_counts_batches_after_they_ran_with_time_left_and_q_silences_it(self):
        r = self.embed(self.folder("progress"), self.images, "-b", "2", "-v")
        lines = [l for l in r.stderr.splitlines() if re.match(r"vit embed: \d+/5 ", l)]
        self.assertEqual([int(l.split()[2].split("/")[0]) for l in lines], [2, 4, 5], r.stderr)
        self.assertIn("left", lines[0])
        self.assertIn("images/s", lines[0])
        self.assertNotIn("left", lines[-1])
        quiet = self.embed(self.folder("quiet"), self.images, "-q")
        self.assertEqual(quiet.stderr, "")

    # -- the output set ---------------------------------------------------------------------------------------
    def test_rerun_replaces_the_whole_set(self):
        out = self.folder("rerun")
        self.embed(out, self.images[:3], "--outputs", "cls,mean")
        self.embed(out, self.images[:2], "--outputs", "cls")
        self.assertFalse(os.path.exists(os.path.join(out, "mean.npy")), "a stale output of the earlier run stayed")
        self.assertEqual(np.load(os.path.join(out, "cls.npy")).shape[0], 2)
        with open(os.path.join(out, "inputs.txt")) as f:
            self.assertEqual(f.read().splitlines(), self.images[:2])
        with open(os.path.join(out, "vit-embed.json")) as f:
            manifest = json.load(f)
        self.assertEqual(sorted(manifest["files"]), ["cls.npy", "inputs.txt"])
        self.assertEqual((manifest["generation"], manifest["rows"], manifest["removed"]), (2, 2, ["mean.npy"]))
        self.assertEqual(self.leftovers(out), [])

    def test_a_failed_rerun_keeps_the_earlier_set(self):
        out = self.folder("failed-rerun")
        self.embed(out, self.images[:3], "--outputs", "cls")
        before = np.load(os.path.join(out, "cls.npy"))
        bad = os.path.join(self.tmp.name, "broken.png")
        with open(bad, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
        r = self.embed(out, self.images[:4] + [bad], "--outputs", "cls", "-b", "1", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("broken.png", r.stderr)
        self.assertTrue(np.array_equal(np.load(os.path.join(out, "cls.npy")), before))
        with open(os.path.join(out, "inputs.txt")) as f:
            self.assertEqual(len(f.read().splitlines()), 3)
        self.assertEqual(self.leftovers(out), [])

    def test_an_earlier_runs_outputs_without_a_manifest_are_replaced_too(self):
        out = self.folder("old-layout")
        np.save(os.path.join(out, "mean.npy"), np.zeros((7, 3), np.float32))
        with open(os.path.join(out, "inputs.txt"), "w") as f:
            f.write("x\n" * 7)
        np.save(os.path.join(out, "unrelated.npy"), np.zeros(1, np.float32))
        self.embed(out, self.images[:2], "--outputs", "cls")
        self.assertFalse(os.path.exists(os.path.join(out, "mean.npy")))
        self.assertTrue(os.path.exists(os.path.join(out, "unrelated.npy")), "only our outputs may be removed")

    def test_a_full_disk_names_the_file_and_the_reason_and_leaves_nothing(self):
        out = self.folder("full")
        self.embed(out, self.images[:1], "--outputs", "cls")
        before = np.load(os.path.join(out, "cls.npy"))

        def small_files():  # writes past 4 KiB fail with EFBIG, as they would with ENOSPC on a full disk
            import resource
            import signal
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

        r = subprocess.run([VIT, "embed", "-m", self.model, "-o", out, "--outputs", "cls,last_hidden_state",
                            *self.images], capture_output=True, text=True, preexec_fn=small_files)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stderr, r"last_hidden_state\.npy\S*: .*File too large")
        self.assertTrue(np.array_equal(np.load(os.path.join(out, "cls.npy")), before))
        self.assertEqual(self.leftovers(out), [])

    # -- names ------------------------------------------------------------------------------------------------
    def test_names_a_line_cannot_hold_are_json_strings(self):
        folder = self.folder("odd-names")
        paths = write_images(folder, ["a\nb.png", "plain.png", "tab\there.png"])
        out = os.path.join(self.tmp.name, "odd-out")
        self.embed(out, paths, "--outputs", "cls")
        with open(os.path.join(out, "inputs.txt"), "rb") as f:
            lines = f.read().decode().split("\n")[:-1]
        self.assertEqual(len(lines), 3)
        read = [json.loads(l) if l.startswith('"') else l for l in lines]
        self.assertEqual(sorted(read), sorted(paths))
        self.assertEqual(np.load(os.path.join(out, "cls.npy")).shape[0], 3)

    # -- formats ----------------------------------------------------------------------------------------------
    def test_jsonl_safetensors_and_normalize_equal_the_npy_outputs(self):
        npy = self.folder("fmt-npy")
        self.embed(npy, self.images, "--outputs", "pooler,cls,last_hidden_state")
        ref = {n: np.load(os.path.join(npy, n + ".npy")) for n in ("pooler_output", "cls", "last_hidden_state")}
        jl = self.folder("fmt-jsonl")
        self.embed(jl, self.images, "--outputs", "pooler_output,cls,last_hidden_state", "--format", "jsonl")
        with open(os.path.join(jl, "embeddings.jsonl")) as f:
            records = [json.loads(l) for l in f]
        self.assertEqual([r["input"] for r in records], self.images)
        for name, array in ref.items():
            self.assertTrue(np.array_equal(np.array([r[name] for r in records], np.float32), array), name)
        st = self.folder("fmt-st")
        self.embed(st, self.images, "--outputs", "pooler_output,cls,last_hidden_state", "--format", "safetensors")
        tensors = read_safetensors(os.path.join(st, "embeddings.safetensors"))
        self.assertEqual(sorted(tensors), sorted(ref))
        for name, array in ref.items():
            self.assertTrue(np.array_equal(tensors[name], array), name)
        self.assertEqual(self.leftovers(st), [])
        norm = self.folder("fmt-norm")
        self.embed(norm, self.images, "--outputs", "cls,last_hidden_state", "--normalize")
        cls = np.load(os.path.join(norm, "cls.npy"))
        np.testing.assert_allclose(np.linalg.norm(cls, axis=1), 1.0, atol=1e-6)
        np.testing.assert_allclose(cls, ref["cls"] / np.linalg.norm(ref["cls"], axis=1, keepdims=True), atol=1e-6)
        self.assertTrue(np.array_equal(np.load(os.path.join(norm, "last_hidden_state.npy")), ref["last_hidden_state"]),
                        "--normalize scales the pooled vectors only")

    # -- defaults ---------------------------------------------------------------------------------------------
    def test_a_checkpoint_without_a_pooler_defaults_to_cls(self):
        out = self.folder("no-pooler")
        run_vit(["embed", "-m", self.classifier, "-o", out, *self.images[:2]])
        self.assertEqual(np.load(os.path.join(out, "cls.npy")).shape[0], 2)
        with open(os.path.join(out, "vit-embed.json")) as f:
            self.assertEqual(json.load(f)["outputs"], ["cls"])
        r = run_vit(["embed", "-m", self.classifier, "-o", out, "--pooling", "pooler", self.images[0]], check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no pooler", r.stderr)

    def test_image_size_takes_two_numbers_and_the_inputs_may_follow(self):
        after, before = self.folder("size-after"), self.folder("size-before")
        self.embed(after, [], "--outputs", "pixel_values,pooler_output", "--interpolate-pos-encoding",
                   "--image-size", "48", "40", *self.images[:2])
        run_vit(["embed", "-m", self.model, "-o", before, *self.images[:2], "--outputs", "pixel_values,pooler_output",
                 "--interpolate-pos-encoding", "--image-size", "48", "40"])
        pixels = np.load(os.path.join(after, "pixel_values.npy"))
        self.assertEqual(pixels.shape, (2, 3, 48, 40))
        for name in ("pixel_values.npy", "pooler_output.npy"):
            np.testing.assert_array_equal(np.load(os.path.join(after, name)), np.load(os.path.join(before, name)))

    # -- model paths ------------------------------------------------------------------------------------------
    def test_a_mistyped_folder_is_named_and_hub_failures_say_how_to_work_offline(self):
        os.makedirs(os.path.join(self.tmp.name, "models"), exist_ok=True)
        r = subprocess.run([VIT, "embed", "-m", "models/tiny", self.images[0]], capture_output=True, text=True,
                           cwd=self.tmp.name)
        self.assertEqual(r.returncode, 1)
        self.assertIn("model folder 'models/tiny' does not exist", r.stderr)
        r = run_vit(["embed", "-m", "./nowhere/tiny", self.images[0]], check=False)
        self.assertIn("does not exist", r.stderr)
        env = dict(os.environ, HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_CACHE=os.path.join(self.tmp.name, "hub"))
        env.pop("HF_HUB_OFFLINE", None)
        r = subprocess.run([VIT, "embed", "-m", "nosuch/tiny", self.images[0]], capture_output=True, text=True,
                           env=env, cwd=self.tmp.name)
        self.assertEqual(r.returncode, 1)
        for hint in ("no folder 'nosuch/tiny'", "local folder", "HF_HUB_OFFLINE", "HF_ENDPOINT"):
            self.assertIn(hint, r.stderr)

    # -- one vocabulary ---------------------------------------------------------------------------------------
    def test_flags_mean_one_thing_everywhere_with_examples(self):
        for command in COMMANDS:
            h = run_vit([*command, "--help"]).stdout
            name = " ".join(command)
            self.assertIn("Examples:", h, name)
            self.assertIn("-q,--quiet", run_vit(["--help"]).stdout)
            if "--batch-size" in h:
                self.assertRegex(h, r"--batch-size INT:INT in \[1 - 4096\]=8|--batch-size \S+=8", name)
            if "--cache-dir" in h:
                self.assertIn("hub cache", h.split("--cache-dir")[1].splitlines()[0], name)
            if "--top-k" in h or "-k" in h.split():
                self.assertIn("-k,--top-k", h, name)
        self.assertIn("--feature-cache", run_vit(["dedup", "--help"]).stdout)
        self.assertIn("--pooling", run_vit(["index", "build", "--help"]).stdout)
        r = run_vit(["embed", "--no-such-flag", "-m", self.model, self.images[0]], check=False)
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("vit: usage error:"), r.stderr)
        self.assertIn("vit embed --help", r.stderr)
        q = run_vit(["embed", "-m", self.model, "-o", self.folder("q-after"), self.images[0], "-q"])
        self.assertEqual(q.stderr, "")


if __name__ == "__main__":
    unittest.main()
