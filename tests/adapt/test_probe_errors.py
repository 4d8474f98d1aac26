#!/usr/bin/python3
"""Bad input gets clear errors: an empty class folder, one class only, unreadable images (reported and
skipped with --skip-invalid), a head whose width does not match the model, a model without a
classifier, a corrupt index file."""
import os
import shutil
import tempfile
import unittest

from adapt_harness import checkpoint, make_image_folder, read_json, run_vit

TWO = {"blue_disc_smooth": ((40, 60, 220), "smooth", "disc"),
       "green_bars_square": ((40, 190, 60), "stripes", "square")}


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = checkpoint("tiny", "tiny")
        cls.narrow = checkpoint("tiny-narrow", "tiny", hidden_size=32, intermediate_size=64)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def folder(self, name, per_class=6, classes=TWO):
        root = os.path.join(self.tmp.name, name)
        shutil.rmtree(root, ignore_errors=True)
        return make_image_folder(root, per_class, classes=classes)

    def train(self, data, *extra):
        out = os.path.join(self.tmp.name, "head-" + os.path.basename(data))
        return run_vit(["probe", "train", "--model", self.model, "--data", data, "--out", out, "--no-cache", *extra],
                       check=False), out

    def assert_fails(self, result, code, *needles):
        self.assertEqual(result.returncode, code, result.stderr)
        for n in needles:
            self.assertIn(n, result.stderr)
        self.assertNotIn("Traceback", result.stderr)

    def test_empty_class_folder(self):
        data = self.folder("empty")
        os.makedirs(os.path.join(data, "zz_nothing_here"))
        r, _ = self.train(data)
        self.assert_fails(r, 1, "zz_nothing_here", "no image")

    def test_one_class_only(self):
        data = self.folder("one", classes={"only": TWO["blue_disc_smooth"]})
        r, _ = self.train(data)
        self.assert_fails(r, 1, "only one class", "at least 2")

    def test_unreadable_images(self):
        data = self.folder("broken")
        bad = os.path.join(data, "green_bars_square", "9999.png")
        with open(bad, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\nthis is not a png")
        r, _ = self.train(data)
        self.assert_fails(r, 1, "9999.png")
        r, out = self.train(data, "--skip-invalid")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("9999.png", r.stderr)
        report = read_json(os.path.join(out, "report.json"))
        self.assertEqual([s["file"] for s in report["skipped"]], [bad])
        self.assertEqual(report["train"]["total"] + report["validation"]["total"], 12)

    def test_head_width_mismatch(self):
        data = self.folder("width")
        r, head = self.train(data)
        self.assertEqual(r.returncode, 0, r.stderr)
        image = os.path.join(data, "blue_disc_smooth", "0000.png")
        r = run_vit(["classify", "--model", self.narrow, "--head", head, image], check=False)
        self.assert_fails(r, 2, "64-wide", "32-wide")

    def test_model_without_classifier(self):
        data = self.folder("noclassifier")
        r = run_vit(["classify", "--model", self.model, os.path.join(data, "blue_disc_smooth", "0000.png")],
                    check=False)
        self.assert_fails(r, 2, "no classification head", "--head")

    def test_export_of_a_mean_head(self):
        data = self.folder("mean")
        r, head = self.train(data, "--features", "mean")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run_vit(["probe", "export", "--head", head, "--out", os.path.join(self.tmp.name, "x")], check=False)
        self.assert_fails(r, 2, "--pooling cls")

    def test_corrupt_index(self):
        data = self.folder("index")
        index = os.path.join(self.tmp.name, "index")
        run_vit(["index", "build", "--model", self.model, "--out", index, "--no-cache", data])
        path = os.path.join(index, "index.faiss")
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
        r = run_vit(["index", "search", index, "--no-cache", os.path.join(data, "blue_disc_smooth", "0000.png")],
                    check=False)
        self.assert_fails(r, 1, "index.faiss", "damaged")
        with open(path, "wb") as f:
            f.write(b"")
        r = run_vit(["index", "search", index, "--no-cache", os.path.join(data, "blue_disc_smooth", "0000.png")],
                    check=False)
        self.assert_fails(r, 1, "index.faiss")
        r = run_vit(["index", "search", os.path.join(self.tmp.name, "no-such-index"), "--no-cache",
                     os.path.join(data, "blue_disc_smooth", "0000.png")], check=False)
        self.assert_fails(r, 1, "no such index folder")


if __name__ == "__main__":
    unittest.main(verbosity=2)
