#!/usr/bin/python3
"""`vit inspect` and `vit embed` on every member of the family: inspect names the family (text and --json), and
embed with no --outputs writes the family's default vector (CLIP's image_embeds; pooler_output where there is a
pooler; cls for a classifier without one)."""
import json
import os
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
from harness import photos, run_vit  # noqa: E402
from test_family_parity import family_checkpoint  # noqa: E402

# (checkpoint, kind, family, model_type, the default output of `vit embed`)
FAMILIES = [("deit-teacher-tiny", "deit-teacher", "DeiT", "deit", "cls"),
            ("deit-tiny", "deit", "DeiT", "deit", "pooler_output"),
            ("dinov2-cls-tiny", "dinov2-cls", "DINOv2", "dinov2", "pooler_output"),
            ("dinov2-registers-tiny", "dinov2-registers", "DINOv2", "dinov2_with_registers", "pooler_output"),
            ("clip-tiny", "clip", "CLIP", "clip", "image_embeds"),
            ("clip-vision-tiny", "clip-vision", "CLIP", "clip_vision_model", "image_embeds"),
            ("siglip-vision-tiny", "siglip-vision", "SigLIP", "siglip_vision_model", "pooler_output")]


class Families(unittest.TestCase):
    def test_inspect_names_the_family_and_embed_writes_its_default(self):
        x = photos(2, 32, 32)
        for name, kind, family, model_type, default in FAMILIES:
            with self.subTest(kind):
                model = family_checkpoint(name, kind)
                text = run_vit(["inspect", "--model", model]).stdout
                self.assertIn(f"family:      {family} (model_type {model_type})", text)
                info = json.loads(run_vit(["inspect", "--model", model, "--json"]).stdout)
                self.assertEqual((info["family"], info["model_type"]), (family, model_type))
                with tempfile.TemporaryDirectory() as tmp:
                    np.save(os.path.join(tmp, "x.npy"), x)
                    run_vit(["embed", "--model", model, "--out", os.path.join(tmp, "out"), os.path.join(tmp, "x.npy")])
                    written = sorted(f for f in os.listdir(os.path.join(tmp, "out")) if f.endswith(".npy"))
                    self.assertEqual(written, [default + ".npy"], kind)


if __name__ == "__main__":
    unittest.main(verbosity=2)
