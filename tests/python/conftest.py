"""Shared fixtures of the Python package's tests: random-weight checkpoints from tests/parity (cached in the
build folder), photographs as files, and `vit embed` run on the same inputs for comparison.

Run by ctest (tests/CMakeLists.txt) with PYTHONPATH at the built package (build/python); by hand:
  PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "parity"))
import harness  # noqa: E402  (tests/parity: checkpoints, photos, the reference)

PHOTOS = harness.PHOTOS
harness.REPORT = os.devnull  # the parity table (tests/parity/report.py) holds the tool's own runs only


@pytest.fixture(scope="session")
def tiny():
    """ViT tiny at 32x32, patch 8, with a pooler."""
    return harness.checkpoint("tiny", "tiny")


@pytest.fixture(scope="session")
def tiny224():
    """ViT tiny at 224x224, patch 16: the real preprocessing size, 197 tokens."""
    return harness.checkpoint("preprocess-tiny-224", "tiny", image_size=224, patch_size=16)


@pytest.fixture(scope="session")
def classifier():
    """A ViTForImageClassification checkpoint with 5 labels."""
    return harness.checkpoint("tiny-cls5", "tiny", classifier=5)


@pytest.fixture(scope="session")
def photo_files():
    """Real photographs in several formats: PNG and JPEG from scikit-image, plus a grayscale JPEG and an
    RGBA PNG written here."""
    from PIL import Image
    folder = tempfile.mkdtemp(prefix="vit-python-photos-")
    files = [os.path.join(PHOTOS, n) for n in ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")]
    gray = os.path.join(folder, "camera_gray.jpg")
    Image.open(os.path.join(PHOTOS, "camera.png")).convert("L").save(gray, quality=90)
    rgba = os.path.join(folder, "rgba.png")
    Image.open(os.path.join(PHOTOS, "coffee.png")).convert("RGBA").resize((123, 77)).save(rgba)
    return files + [gray, rgba]


@pytest.fixture(scope="module")
def model(tiny224):
    """ViTModel over the tiny 224x224 checkpoint."""
    import vit
    return vit.ViTModel.from_pretrained(tiny224)


@pytest.fixture(scope="module")
def pixel_values(model, photo_files):
    """photo_files through the model's processor."""
    return model.processor(images=photo_files)["pixel_values"]


def run_cli(args, check=True):
    r = subprocess.run([harness.VIT] + args, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"vit {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def cli_embed(model_dir, inputs, outputs, extra=()):
    """`vit embed` on image files or .npy inputs: {output: array}."""
    with tempfile.TemporaryDirectory() as out:
        run_cli(["embed", "--model", model_dir, "--out", out, "--outputs", ",".join(outputs), *extra, *inputs])
        return {name: np.load(os.path.join(out, name + ".npy")) for name in outputs}


def cli_embed_pixel_values(model_dir, pixel_values, outputs, extra=()):
    """`vit embed` on a pixel_values array saved as .npy."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pixel_values.npy")
        np.save(path, pixel_values)
        return cli_embed(model_dir, [path], outputs, extra)
