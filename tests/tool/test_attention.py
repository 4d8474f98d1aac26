#!/usr/bin/python3
"""`vit attention` against a float64 numpy computation of attention rollout and of one layer's attention
from the attentions `vit embed --outputs attentions` writes for the same images, over several models,
head fusions, discard ratios and an interpolated (non-square) size; and its pictures, golden-free: their
sizes, and the overlay's brightest point on the map's hottest patch."""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
from harness import PHOTOS, checkpoint, run_vit  # noqa: E402

IMAGES = [os.path.join(PHOTOS, n) for n in ("chelsea.png", "coffee.png", "rocket.jpg")]
TOLERANCE = 1e-5


def fuse(attention, fusion):
    """attention [heads, T, T] float32 -> [T, T] float64, heads taken in order as the library does."""
    a = attention.astype(np.float64)
    out = a[0].copy()
    for h in range(1, a.shape[0]):
        out = out + a[h] if fusion == "mean" else np.maximum(out, a[h]) if fusion == "max" else np.minimum(out, a[h])
    return out / a.shape[0] if fusion == "mean" else out


def discard(m, ratio):
    """Zeroes the lowest `ratio` share of the weights outside the [CLS] column, ties in token order."""
    t = m.shape[0]
    flat = m.ravel().copy()
    candidates = np.arange(t * t).reshape(t, t)[:, 1:].ravel()
    count = int(np.floor(ratio * candidates.size))
    order = np.lexsort((candidates, flat[candidates]))[:count]
    flat[candidates[order]] = 0.0
    return flat.reshape(t, t)


def reference_maps(attentions, grid, method, fusion, ratio, layer):
    """attentions [L, B, heads, T, T] -> [B, gh, gw] float64."""
    layers, batch, _, tokens, _ = attentions.shape
    layer %= layers
    maps = []
    for b in range(batch):
        if method == "last":
            row = discard(fuse(attentions[layer, b], fusion), ratio)[0]
        else:
            result = np.eye(tokens)
            for l in range(layer + 1):
                a = discard(fuse(attentions[l, b], fusion), ratio) + np.eye(tokens)
                a = a / 2
                a = a / a.sum(axis=-1, keepdims=True)
                result = a @ result
            row = result[0]
        patches = row[1:]
        maps.append((patches / patches.max()).reshape(grid))
    return np.stack(maps)


def vit_attention(model, out, images, *flags):
    r = run_vit(["attention", "--model", model, "--out", out, *flags, "--", *images], check=False)
    if r.returncode != 0:
        raise AssertionError(f"vit attention failed ({r.returncode}): {r.stderr}")
    return np.load(os.path.join(out, "attention_maps.npy"))


class AttentionMaps(unittest.TestCase):
    def check_model(self, model, grid, cases, size_flags=()):
        with tempfile.TemporaryDirectory() as tmp:
            r = run_vit(["embed", "--model", model, "--out", tmp, "--outputs", "attentions", *size_flags, "--", *IMAGES],
                        check=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            attentions = np.load(os.path.join(tmp, "attentions.npy"))
            for method, fusion, ratio, layer in cases:
                with self.subTest(model=os.path.basename(model), method=method, fusion=fusion, ratio=ratio,
                                  layer=layer):
                    out = os.path.join(tmp, f"{method}-{fusion}-{ratio}-{layer}")
                    ours = vit_attention(model, out, IMAGES, "--method", method, "--head-fusion", fusion,
                                         "--discard-ratio", str(ratio), "--layer", str(layer), "--no-pictures",
                                         *size_flags)
                    self.assertEqual(ours.dtype, np.float32)
                    self.assertEqual(ours.shape, (len(IMAGES), *grid))
                    ref = reference_maps(attentions, grid, method, fusion, ratio, layer)
                    diff = float(np.abs(ours.astype(np.float64) - ref).max())
                    print(f"  {os.path.basename(model):14s} {method:7s} {fusion:4s} discard {ratio:<4} layer {layer:>2}"
                          f"  max |ours - float64| {diff:.2e}")
                    self.assertLess(diff, TOLERANCE)
                    with open(os.path.join(out, "inputs.txt")) as f:
                        self.assertEqual(f.read().split("\n")[:-1], IMAGES)

    def test_tiny(self):
        self.check_model(checkpoint("tiny", "tiny"), (4, 4), [
            ("rollout", "mean", 0.0, -1), ("rollout", "max", 0.9, -1), ("rollout", "min", 0.5, 0),
            ("last", "mean", 0.0, -1), ("last", "max", 0.0, 0), ("last", "min", 0.3, -1)])

    def test_interpolated_non_square(self):
        self.check_model(checkpoint("tiny", "tiny"), (5, 7), [
            ("rollout", "mean", 0.0, -1), ("rollout", "max", 0.6, -1), ("last", "mean", 0.2, -1)],
            size_flags=("--interpolate-pos-encoding", "--image-size", "40", "56"))

    def test_base_three_layers(self):
        self.check_model(checkpoint("base-3layers", "base", num_hidden_layers=3), (14, 14), [
            ("rollout", "mean", 0.0, -1), ("rollout", "mean", 0.9, -1), ("rollout", "max", 0.5, 1),
            ("last", "min", 0.0, -2)])

    def test_bad_options_are_usage_errors(self):
        model = checkpoint("tiny", "tiny")
        with tempfile.TemporaryDirectory() as tmp:
            for flags, words in ((["--discard-ratio", "1"], "discard ratio"), (["--layer", "2"], "--layer 2"),
                                 (["--method", "gradcam"], "--method")):
                r = run_vit(["attention", "--model", model, "--out", tmp, *flags, IMAGES[0]], check=False)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(words, r.stderr)


class Pictures(unittest.TestCase):
    def test_sizes_and_names(self):
        model = checkpoint("tiny", "tiny")
        with tempfile.TemporaryDirectory() as tmp:
            # --image-size takes two numbers, so the inputs may follow it directly.
            r = run_vit(["attention", "--model", model, "--out", tmp, "--interpolate-pos-encoding", "--image-size",
                         "40", "56", *IMAGES], check=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            for path in IMAGES:
                stem = os.path.splitext(os.path.basename(path))[0]
                with Image.open(os.path.join(tmp, stem + ".png")) as overlay:
                    self.assertEqual((overlay.mode, overlay.size), ("RGB", (56, 40)))
                with Image.open(os.path.join(tmp, stem + "_heads.png")) as heads:
                    # 4 heads in a 2x2 grid of 56x40 overlays under a title.
                    self.assertGreater(heads.size[0], 2 * 56)
                    self.assertGreater(heads.size[1], 2 * 40)

    def test_hot_region_follows_the_map(self):
        # A uniform grey image: what differs across the overlay is the heat alone, and viridis grows
        # lighter with the value, so the lightest pixels lie on the patch of the map's maximum.
        model = checkpoint("tiny", "tiny")
        with tempfile.TemporaryDirectory() as tmp:
            grey = os.path.join(tmp, "grey.png")
            Image.new("RGB", (64, 96), (120, 120, 120)).save(grey)
            for method in ("rollout", "last"):
                out = os.path.join(tmp, method)
                maps = vit_attention(model, out, [grey], "--method", method, "--interpolate-pos-encoding",
                                     "--image-size", "48", "32")
                self.assertEqual(maps.shape, (1, 6, 4))
                with Image.open(os.path.join(out, "grey.png")) as overlay:
                    light = np.asarray(overlay, dtype=np.int32).sum(axis=2)
                self.assertEqual(light.shape, (48, 32))
                gy, gx = np.unravel_index(int(np.argmax(maps[0])), maps[0].shape)
                centre = light[gy * 8 + 3:gy * 8 + 5, gx * 8 + 3:gx * 8 + 5]
                self.assertEqual(int(centre.max()), int(light.max()), f"{method}: map\n{maps[0]}")
                # And the coldest patch is darker than the hottest.
                cy, cx = np.unravel_index(int(np.argmin(maps[0])), maps[0].shape)
                self.assertLess(int(light[cy * 8 + 4, cx * 8 + 4]), int(light.max()))


if __name__ == "__main__":
    unittest.main()
