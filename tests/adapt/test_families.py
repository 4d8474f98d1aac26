#!/usr/bin/python3
"""The probes, the classifier and the indexes on every member of the family (DeiT, DINOv2, CLIP, SigLIP) as on
ViT: `vit probe train` with each family's default features (cls; SigLIP, which has no [CLS], its pooler),
`vit classify --head`, `vit probe export` (DeiT as DeiTForImageClassification, checked against the PyTorch
reference; the others refused naming the model_type), and `vit index build/search` on the default pooling
(CLIP's image_embeds)."""
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
from adapt_harness import json_lines, make_image_folder, read_json, read_safetensors, run_vit  # noqa: E402
import family_reference  # noqa: E402
from test_family_parity import at_its_size  # noqa: E402

TWO = {"blue_disc_smooth": ((40, 60, 220), "smooth", "disc"),
       "green_bars_square": ((40, 190, 60), "stripes", "square")}
# (checkpoint, kind, the features probe train picks, the pooling an index picks)
FAMILIES = [("deit-teacher-tiny", "deit-teacher", "cls", "cls"),
            ("dinov2-registers-tiny", "dinov2-registers", "cls", "pooler"),
            ("clip-vision-tiny", "clip-vision", "cls", "image_embeds"),
            ("siglip-tiny", "siglip", "pooler", "pooler")]


class Families(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = make_image_folder(os.path.join(cls.tmp.name, "data"), 4, size=32, classes=TWO)
        cls.files = sorted(os.path.join(cls.data, c, f) for c in TWO for f in os.listdir(os.path.join(cls.data, c)))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_probe_classify_export_and_index(self):
        for name, kind, features, pooling in FAMILIES:
            with self.subTest(kind):
                model = at_its_size(name, kind)
                head = os.path.join(self.tmp.name, "head-" + kind)
                run_vit(["probe", "train", "--model", model, "--data", self.data, "--val-split", "0.25", "--out", head,
                         "--no-cache"])
                self.assertEqual(read_json(os.path.join(head, "head_config.json"))["features"], features)
                rows = json_lines(run_vit(["classify", "--model", model, "--head", head, *self.files[:3]]).stdout)
                self.assertEqual([r["file"] for r in rows], self.files[:3])

                exported = os.path.join(self.tmp.name, "hf-" + kind)
                r = run_vit(["probe", "export", "--head", head, "--out", exported], check=False)
                if kind == "deit-teacher":
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.check_deit_export(exported, head, model)
                elif features == "cls":
                    self.assertEqual(r.returncode, 2, r.stderr)
                    self.assertIn("vit classify --head", r.stderr)
                    self.assertIn(read_json(os.path.join(model, "config.json"))["model_type"], r.stderr)

                index = os.path.join(self.tmp.name, "index-" + kind)
                run_vit(["index", "build", "--model", model, "--out", index, "--no-cache", self.data])
                self.assertEqual(read_json(os.path.join(index, "index.json"))["features"], pooling)
                hits = json_lines(run_vit(["index", "search", index, "--no-cache", "-k", "1", self.files[0]]).stdout)
                self.assertEqual(hits[0]["neighbors"][0]["path"], self.files[0], kind)

    def check_deit_export(self, exported, head, model):
        config = read_json(os.path.join(exported, "config.json"))
        self.assertEqual(config["architectures"], ["DeiTForImageClassification"])
        sd = read_safetensors(os.path.join(exported, "model.safetensors"))
        self.assertFalse([k for k in sd if not (k.startswith("deit.") or k.startswith("classifier."))])
        self.assertFalse([k for k in sd if "cls_classifier" in k or "distillation_classifier" in k])
        files = self.files[::3]
        pixels = os.path.join(self.tmp.name, "pixel_values")
        run_vit(["embed", "--model", exported, "--out", pixels, "--outputs", "pixel_values,logits", *files])
        x = np.load(os.path.join(pixels, "pixel_values.npy"))
        ours = np.load(os.path.join(pixels, "logits.npy"))
        ref = family_reference.forward(sd, config, torch.from_numpy(x), torch.float64)["logits"]
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-4)
        exported_top = [r["labels"][0]["label"] for r in
                        json_lines(run_vit(["classify", "--model", exported, *files]).stdout)]
        with_head = [r["labels"][0]["label"] for r in
                     json_lines(run_vit(["classify", "--model", model, "--head", head, *files]).stdout)]
        self.assertEqual(exported_top, with_head)


if __name__ == "__main__":
    unittest.main(verbosity=2)
