#!/usr/bin/python3
"""`vit probe train` on a synthetic ImageFolder with the tiny random-weight ViT: well above chance on
held-out images; a second run reads every feature from the cache; the exported Hugging Face folder,
run through the PyTorch reference ViTForImageClassification, gives the logits behind `vit classify`."""
import os
import shutil
import tempfile
import unittest

import numpy as np
import torch

from adapt_harness import (CLASSES, checkpoint, json_lines, make_image_folder, pixel_values, read_json,
                           read_safetensors, run_vit, vit_reference)


class ProbeOnImages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = checkpoint("tiny", "tiny")
        cls.data = make_image_folder(os.path.join(cls.tmp.name, "train"), per_class=40, seed=1)
        cls.val = make_image_folder(os.path.join(cls.tmp.name, "val"), per_class=15, seed=2)
        cls.cache = os.path.join(cls.tmp.name, "cache")
        cls.head = os.path.join(cls.tmp.name, "head")
        cls.first = run_vit(["probe", "train", "--model", cls.model, "--data", cls.data, "--val", cls.val,
                             "--out", cls.head, "--feature-cache", cls.cache])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_separates_held_out_images(self):
        report = read_json(os.path.join(self.head, "report.json"))
        chance = 1.0 / len(CLASSES)
        print(f"  validation accuracy {report['validation']['accuracy']:.3f} (chance {chance:.2f}), C={report['C']:.4g}")
        self.assertGreaterEqual(report["validation"]["accuracy"], 0.8)
        self.assertEqual(report["validation"]["total"], 15 * len(CLASSES))
        self.assertEqual(len(report["validation"]["per_class"]), len(CLASSES))
        self.assertIn("confusion matrix", self.first.stdout)
        from PIL import Image
        with Image.open(os.path.join(self.head, "confusion_matrix.png")) as png:
            self.assertEqual(png.format, "PNG")
            self.assertGreater(png.size[0], 4 * 28)

    def test_second_run_uses_the_cache(self):
        again = os.path.join(self.tmp.name, "head2")
        run_vit(["probe", "train", "--model", self.model, "--data", self.data, "--val", self.val, "--out", again,
                 "--feature-cache", self.cache])
        report = read_json(os.path.join(again, "report.json"))
        self.assertEqual(report["features_from_cache"], 55 * len(CLASSES))
        a = read_safetensors(os.path.join(self.head, "head.safetensors"))["classifier.weight"]
        b = read_safetensors(os.path.join(again, "head.safetensors"))["classifier.weight"]
        self.assertTrue(torch.equal(a, b), "cached features must give the same head")
        # A file with a new modification time but the same bytes is still a hit (the content decides);
        # one rewritten with other bytes of the same size, its mtime set back, is computed again.
        touched = os.path.join(self.data, sorted(CLASSES)[0], "0003.png")
        st = os.stat(touched)
        os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        third = os.path.join(self.tmp.name, "head4")
        run_vit(["probe", "train", "--model", self.model, "--data", self.data, "--val", self.val, "--out", third,
                 "--feature-cache", self.cache])
        self.assertEqual(read_json(os.path.join(third, "report.json"))["features_from_cache"], 55 * len(CLASSES))
        replaced = os.path.join(self.data, sorted(CLASSES)[1], "0004.png")
        donor = os.path.join(self.data, sorted(CLASSES)[1], "0005.png")
        st = os.stat(replaced)
        if os.path.getsize(donor) == st.st_size:
            shutil.copyfile(donor, replaced)
        else:  # same size, other bytes: flip one byte of the pixel data
            with open(replaced, "r+b") as f:
                f.seek(st.st_size // 2)
                b = f.read(1)
                f.seek(-1, os.SEEK_CUR)
                f.write(bytes([b[0] ^ 1]))
        os.utime(replaced, ns=(st.st_atime_ns, st.st_mtime_ns))
        fourth = os.path.join(self.tmp.name, "head5")
        r = run_vit(["probe", "train", "--model", self.model, "--data", self.data, "--val", self.val, "--out", fourth,
                     "--feature-cache", self.cache, "--skip-invalid"], check=False)
        self.assertIn(r.returncode, (0, 3), r.stderr)
        self.assertEqual(read_json(os.path.join(fourth, "report.json"))["features_from_cache"], 55 * len(CLASSES) - 1)

    def test_cached_features_equal_fresh_ones(self):
        # Features read from the cache equal freshly computed ones.
        fresh = os.path.join(self.tmp.name, "head3")
        run_vit(["probe", "train", "--model", self.model, "--data", self.data, "--val", self.val, "--out", fresh,
                 "--no-cache"])
        a = read_safetensors(os.path.join(self.head, "head.safetensors"))["classifier.weight"]
        b = read_safetensors(os.path.join(fresh, "head.safetensors"))["classifier.weight"]
        self.assertTrue(torch.equal(a, b))

    def test_export_matches_pytorch_and_classify(self):
        hf = os.path.join(self.tmp.name, "hf")
        run_vit(["probe", "export", "--head", self.head, "--out", hf])
        config = read_json(os.path.join(hf, "config.json"))
        self.assertEqual(config["architectures"], ["ViTForImageClassification"])
        labels = sorted(CLASSES)
        self.assertEqual([config["id2label"][str(i)] for i in range(len(labels))], labels)
        self.assertEqual(config["label2id"], {name: i for i, name in enumerate(labels)})
        self.assertTrue(os.path.exists(os.path.join(hf, "preprocessor_config.json")))
        sd = read_safetensors(os.path.join(hf, "model.safetensors"))
        self.assertFalse([k for k in sd if "pooler" in k], "ViTForImageClassification has no pooler")
        self.assertFalse([k for k in sd if not (k.startswith("vit.") or k.startswith("classifier."))])
        self.assertEqual(tuple(sd["classifier.weight"].shape), (len(labels), config["hidden_size"]))

        files = sorted(os.path.join(self.val, c, f) for c in labels for f in os.listdir(os.path.join(self.val, c)))[::7]
        x = torch.from_numpy(pixel_values(files, config["image_size"]))
        ref = vit_reference.forward(sd, config, x, torch.float64)["logits"]
        ref_p = np.exp(ref - ref.max(1, keepdims=True))
        ref_p /= ref_p.sum(1, keepdims=True)

        k = len(labels)
        exported = json_lines(run_vit(["classify", "--model", hf, "--top-k", str(k)] + files).stdout)
        with_head = json_lines(run_vit(["classify", "--model", self.model, "--head", self.head, "--top-k", str(k)]
                                       + files).stdout)
        self.assertEqual(len(exported), len(files))
        worst = 0.0
        for i, (a, b) in enumerate(zip(exported, with_head)):
            self.assertEqual(a["file"], files[i])
            pa = {l["label"]: l["score"] for l in a["labels"]}
            pb = {l["label"]: l["score"] for l in b["labels"]}
            self.assertEqual(a["labels"][0]["label"], labels[int(ref[i].argmax())])
            for j, name in enumerate(labels):
                worst = max(worst, abs(pa[name] - ref_p[i, j]), abs(pb[name] - ref_p[i, j]))
        print(f"  max |softmax(vit classify) - softmax(PyTorch reference logits)| = {worst:.2e} over {len(files)} images")
        self.assertLess(worst, 1e-4)

        # Logits themselves: the exported classifier on the reference [CLS] equals the reference logits,
        # and `vit embed --outputs logits` on the exported folder gives them too.
        emb = os.path.join(self.tmp.name, "emb")
        np.save(os.path.join(self.tmp.name, "pv.npy"), x.numpy())
        run_vit(["embed", "--model", hf, "--outputs", "logits", "--out", emb, os.path.join(self.tmp.name, "pv.npy")])
        ours = np.load(os.path.join(emb, "logits.npy"))
        err = float(np.abs(ours - ref).max())
        print(f"  max |logits(vit, exported folder) - logits(PyTorch float64)| = {err:.2e}")
        self.assertLess(err, 1e-3 * max(1.0, float(np.abs(ref).max())))


if __name__ == "__main__":
    unittest.main(verbosity=2)
