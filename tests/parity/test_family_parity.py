#!/usr/bin/python3
"""The ViT family's other members (DeiT, DINOv2, CLIP, SigLIP) through `vit embed`, against the float64
reference of family_reference.py next to PyTorch float32: every output within 2x PyTorch's RMS error (3x its
max). Checkpoints are random-weight, in each family's exact hub layout (make_family_checkpoint.py)."""
import json
import os
import subprocess
import sys
import unittest

import numpy as np
import torch

import family_reference
import make_checkpoint
from harness import CACHE, HERE, compare, embed, photos

BOUNDS = {"bf16": 0.999, "int8": 0.995}


def family_checkpoint(name, kind, preset="tiny", pytorch_bin=False, labels=64, **overrides):
    """A random-weight checkpoint folder of a family, generated once and cached by its name."""
    folder = os.path.join(CACHE, name)
    if not os.path.exists(os.path.join(folder, "config.json")):
        cmd = [sys.executable, os.path.join(HERE, "make_family_checkpoint.py"), "--kind", kind, "--preset", preset,
               "--out", folder + ".tmp", "--labels", str(labels)]
        if pytorch_bin:
            cmd.append("--pytorch-bin")
        for k, v in overrides.items():
            cmd += ["--set", f"{k}={json.dumps(v)}"]
        subprocess.run(cmd, check=True)
        os.replace(folder + ".tmp", folder)
    return folder


def at_its_size(name, kind):
    """The family's tiny checkpoint with a preprocessor_config.json that resizes photos to its 32x32 input
    (the hub's 224 would need interpolated position embeddings); the weights are links to the cached ones."""
    source = family_checkpoint(name, kind)
    folder = source + "-32px"
    if not os.path.exists(os.path.join(folder, "preprocessor_config.json")):
        os.makedirs(folder, exist_ok=True)
        for f in os.listdir(source):
            if not os.path.exists(os.path.join(folder, f)):
                os.symlink(os.path.join(source, f), os.path.join(folder, f))
        with open(os.path.join(folder, "preprocessor_config.json.tmp"), "w") as f:
            json.dump({"image_processor_type": "ViTImageProcessor", "do_resize": True, "resample": 2,
                       "size": {"height": 32, "width": 32}, "do_rescale": True, "rescale_factor": 1 / 255,
                       "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}, f)
        os.replace(os.path.join(folder, "preprocessor_config.json.tmp"), os.path.join(folder, "preprocessor_config.json"))
    return folder


def cosines(a, b):
    a = a.reshape(-1, a.shape[-1]).astype(np.float64)
    b = b.reshape(-1, b.shape[-1]).astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def unavailable(error):
    return "needs a CPU with" in str(error) or "this CPU has no oneDNN kernel" in str(error)


# (checkpoint name, kind, outputs) of the tiny members.
TINY = [
    ("deit-teacher-tiny", "deit-teacher", ["last_hidden_state", "mean", "cls", "logits", "hidden_states", "attentions"]),
    ("deit-tiny", "deit", ["last_hidden_state", "pooler_output", "hidden_states"]),
    ("clip-tiny", "clip",
     ["last_hidden_state", "mean", "cls", "pooler_output", "image_embeds", "hidden_states", "attentions"]),
    ("clip-vision-tiny", "clip-vision", ["last_hidden_state", "pooler_output", "image_embeds"]),
    ("dinov2-tiny", "dinov2", ["last_hidden_state", "pooler_output", "hidden_states", "attentions"]),
    ("dinov2-registers-tiny", "dinov2-registers", ["last_hidden_state", "mean", "cls", "pooler_output", "hidden_states"]),
    ("siglip-tiny", "siglip", ["last_hidden_state", "mean", "pooler_output", "hidden_states", "attentions"]),
    ("siglip-vision-tiny", "siglip-vision", ["last_hidden_state", "pooler_output"]),
    ("dinov2-swiglu-tiny", "dinov2-swiglu", ["last_hidden_state", "pooler_output", "hidden_states", "attentions"]),
    ("dinov2-cls-tiny", "dinov2-cls", ["logits", "last_hidden_state", "pooler_output", "mean"]),
    ("dinov2-registers-cls-tiny", "dinov2-registers-cls", ["logits", "last_hidden_state", "mean", "cls"]),
]


class FamilyParity(unittest.TestCase):
    def check(self, case, model_dir, pixel_values, outputs, extra=(), interpolate=False):
        ours = embed(model_dir, pixel_values, outputs, extra)
        _, failures = compare(case, ours, model_dir, pixel_values, interpolate, reference=family_reference.forward)
        self.assertEqual(failures, [], case)
        return ours

    def test_tiny_every_family_every_output(self):
        for name, kind, outputs in TINY:
            with self.subTest(kind):
                self.check(name, family_checkpoint(name, kind), photos(3, 32, 32), outputs)

    def test_interpolated_sizes(self):
        # DeiT, CLIP and SigLIP (no [CLS]: its whole grid) with --interpolate-pos-encoding; DINOv2 at any size without it, as Dinov2Model does.
        for name, kind, extra, size in [("deit-teacher-tiny", "deit-teacher", ["--interpolate-pos-encoding"], (48, 40)),
                                        ("clip-tiny", "clip", ["--interpolate-pos-encoding"], (40, 56)),
                                        ("siglip-tiny", "siglip", ["--interpolate-pos-encoding"], (48, 40)),
                                        ("dinov2-tiny", "dinov2", [], (56, 40)),
                                        ("dinov2-registers-tiny", "dinov2-registers", [], (24, 48)),
                                        ("dinov2-registers-tiny", "dinov2-registers", [], (48, 56))]:
            with self.subTest(kind):
                outputs = ["last_hidden_state", "pooler_output"] if kind != "deit-teacher" else ["last_hidden_state", "logits"]
                self.check(f"{name} {size[0]}x{size[1]}", family_checkpoint(name, kind), photos(3, *size), outputs, extra,
                           interpolate=True)

    def test_pytorch_bin_of_full_models_gives_the_same_bits(self):
        # CLIPModel's and SiglipModel's pytorch_model.bin (with position_ids buffers and the text tower).
        for kind in ("clip", "siglip", "deit-teacher"):
            with self.subTest(kind):
                st = family_checkpoint(f"{kind}-tiny", kind)
                folder = family_checkpoint(f"{kind}-tiny-bin", kind, pytorch_bin=True)
                if os.path.exists(os.path.join(folder, "model.safetensors")):
                    os.remove(os.path.join(folder, "model.safetensors"))
                x = photos(2, 32, 32)
                a, b = embed(st, x, ["last_hidden_state"]), embed(folder, x, ["last_hidden_state"])
                np.testing.assert_array_equal(a["last_hidden_state"], b["last_hidden_state"])

    def test_rows_do_not_depend_on_the_batch(self):
        x = photos(4, 32, 32)
        for name, kind, _ in TINY[::2]:
            model = family_checkpoint(name, kind)
            outputs = ["last_hidden_state"] + (["logits"] if kind == "deit-teacher" else ["pooler_output"])
            for precision in ("f32", "bf16", "int8"):
                try:
                    whole = embed(model, x, outputs, ["--batch-size", "4", "--precision", precision])
                except AssertionError as e:
                    if unavailable(e):
                        continue
                    raise
                part = embed(model, x, outputs, ["--batch-size", "3", "--precision", precision])
                for k in outputs:
                    np.testing.assert_array_equal(whole[k], part[k], err_msg=f"{kind} {precision} {k}")

    def full_size(self, case, name, kind, preset, size, outputs, batch=2, **overrides):
        model = family_checkpoint(name, kind, preset, **overrides)
        x = photos(batch, size, size)
        ours = self.check(case, model, x, outputs)
        # bf16 and int8 against the same float64 reference, by cosine.
        cfg, sd = make_checkpoint.load_checkpoint(model)
        ref = family_reference.forward(sd, cfg, torch.from_numpy(x), torch.float64)
        for precision, bound in BOUNDS.items():
            try:
                low = embed(model, x, outputs[:2], ["--precision", precision])
            except AssertionError as e:
                if unavailable(e):
                    print(f"  {case} {precision}: not available on this CPU")
                    continue
                raise
            for k in outputs[:2]:
                c = cosines(low[k], ref[k]).min()
                print(f"  {case} {precision} {k:18s} min cosine {c:.6f}")
                self.assertGreaterEqual(c, bound, f"{case} {precision} {k}")
        return ours

    def test_dinov2_large_at_224(self):
        # facebook/dinov2-large's config (image_size 518): at 224 the 37x37 grid is interpolated to 16x16.
        self.full_size("dinov2-L/14 224 (4 layers)", "dinov2-large-4", "dinov2", "dinov2-large", 224,
                       ["last_hidden_state", "pooler_output"], num_hidden_layers=4)

    def test_clip_large(self):
        self.full_size("clip ViT-L/14 (4 layers)", "clip-large-4", "clip", "clip-large", 224,
                       ["image_embeds", "pooler_output", "last_hidden_state"], num_hidden_layers=4)

    def test_siglip_base(self):
        self.full_size("siglip-B/16", "siglip-base", "siglip", "siglip-base", 224, ["pooler_output", "last_hidden_state"])

    def test_deit_base_distilled(self):
        self.full_size("deit-B/16 distilled (6 layers)", "deit-base-6", "deit-teacher", "deit-base", 224,
                       ["logits", "last_hidden_state"], num_hidden_layers=6)


if __name__ == "__main__":
    unittest.main(verbosity=2)
