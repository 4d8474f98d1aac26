"""Shared plumbing of the adaptation and search tests: running build/vit, the random-weight
checkpoints of tests/parity, a synthetic ImageFolder whose classes differ in colour, texture and shape,
and a reader of the head's safetensors."""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "parity"))
from harness import checkpoint  # noqa: E402,F401  (random HF-layout checkpoints, cached in the build folder)
import make_checkpoint  # noqa: E402
import vit_reference  # noqa: E402,F401

BUILD = os.environ.get("VIT_BUILD_DIR", os.path.join(ROOT, "build"))
VIT = os.environ.get("VIT_BIN", os.path.join(BUILD, "vit"))

# Class name -> (colour, texture, shape). Each differs from the others in all three.
CLASSES = {
    "blue_disc_smooth": ((40, 60, 220), "smooth", "disc"),
    "green_bars_square": ((40, 190, 60), "stripes", "square"),
    "red_checker_triangle": ((210, 40, 40), "checker", "triangle"),
    "yellow_dots_ring": ((230, 210, 40), "dots", "ring"),
}


def run_vit(args, check=True, env=None):
    r = subprocess.run([VIT] + list(args), capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"vit {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r


def synthetic_image(rng, colour, texture, shape, size):
    """A noisy background with one textured, coloured shape at a random place and scale."""
    img = rng.normal(128, 30, (size, size, 3))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    r = rng.uniform(0.22, 0.36) * size
    cy, cx = rng.uniform(r, size - r, 2)
    dy, dx = yy - cy, xx - cx
    if shape == "disc":
        mask = dy ** 2 + dx ** 2 <= r ** 2
    elif shape == "square":
        mask = (np.abs(dy) <= r * 0.85) & (np.abs(dx) <= r * 0.85)
    elif shape == "triangle":
        mask = (dy <= r * 0.8) & (dy >= -r) & (np.abs(dx) <= (dy + r) * 0.6)
    else:  # ring
        d2 = dy ** 2 + dx ** 2
        mask = (d2 <= r ** 2) & (d2 >= (0.55 * r) ** 2)
    period = max(2, int(size / 8))
    if texture == "smooth":
        pattern = np.ones_like(yy)
    elif texture == "stripes":
        pattern = 0.45 + 0.55 * ((xx // (period / 2)) % 2)
    elif texture == "checker":
        pattern = 0.45 + 0.55 * (((xx // period) + (yy // period)) % 2)
    else:  # dots
        pattern = 0.45 + 0.55 * ((((xx % period) - period / 2) ** 2 + ((yy % period) - period / 2) ** 2) < (period / 3) ** 2)
    shade = rng.uniform(0.8, 1.1)
    for c in range(3):
        img[..., c] = np.where(mask, colour[c] * pattern * shade, img[..., c])
    img += rng.normal(0, 12, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_image_folder(root, per_class, size=40, seed=0, classes=CLASSES):
    """root/<class>/<i>.png, `per_class` images in each class."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    for name, (colour, texture, shape) in classes.items():
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(per_class):
            Image.fromarray(synthetic_image(rng, colour, texture, shape, size)).save(
                os.path.join(root, name, f"{i:04d}.png"))
    return root


def pixel_values(files, size, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)):
    """ViTImageProcessor on PIL: RGB, bilinear resize, rescale, normalise; [B, 3, size, size] float32."""
    from PIL import Image
    out = []
    for f in files:
        img = Image.open(f).convert("RGB").resize((size, size), Image.BILINEAR)
        x = np.asarray(img, dtype=np.float32) * np.float32(1 / 255)
        out.append(((x - np.array(mean, np.float32)) / np.array(std, np.float32)).transpose(2, 0, 1))
    return np.ascontiguousarray(np.stack(out).astype(np.float32))


def read_safetensors(path):
    return make_checkpoint.read_safetensors(path)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]
