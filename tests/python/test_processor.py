"""pixel_values from paths, bytes, PIL images and numpy arrays, bit-identical to `vit embed --outputs
pixel_values` on the same files."""
import numpy as np
import pytest
from PIL import Image

import vit
from conftest import cli_embed


@pytest.fixture(scope="module")
def expected(tiny224, photo_files):
    return cli_embed(tiny224, photo_files, ["pixel_values"])["pixel_values"]


@pytest.fixture(scope="module")
def processor(tiny224):
    return vit.ViTImageProcessor.from_pretrained(tiny224)


def test_paths(processor, photo_files, expected):
    pixel_values = processor(images=photo_files, return_tensors="np")["pixel_values"]
    assert pixel_values.dtype == np.float32 and pixel_values.shape == (len(photo_files), 3, 224, 224)
    np.testing.assert_array_equal(pixel_values, expected)


def test_bytes(processor, photo_files, expected):
    encoded = [open(f, "rb").read() for f in photo_files]
    np.testing.assert_array_equal(processor(images=encoded)["pixel_values"], expected)


def test_pil_images(processor, photo_files, expected):
    images = [Image.open(f) for f in photo_files]
    np.testing.assert_array_equal(processor(images=images).pixel_values, expected)


def test_numpy_channels_last_and_first(processor, photo_files, expected):
    hwc = [np.asarray(Image.open(f).convert("RGB")) for f in photo_files]
    np.testing.assert_array_equal(processor(images=hwc)["pixel_values"], expected)
    chw = [np.ascontiguousarray(a.transpose(2, 0, 1)) for a in hwc]
    np.testing.assert_array_equal(processor(images=chw)["pixel_values"], expected)
    strided = [a.transpose(2, 0, 1) for a in hwc]  # views, not contiguous
    np.testing.assert_array_equal(processor(images=strided)["pixel_values"], expected)


def test_grayscale_array_is_repeated_as_pillow_converts(processor, photo_files, expected):
    gray_file = photo_files[4]
    gray = np.asarray(Image.open(gray_file))
    assert gray.ndim == 2
    np.testing.assert_array_equal(processor(images=gray)["pixel_values"][0], expected[4])
    np.testing.assert_array_equal(processor(images=gray[None])["pixel_values"][0], expected[4])


def test_single_image_and_torch(processor, photo_files, expected):
    torch = pytest.importorskip("torch")
    out = processor(images=photo_files[0], return_tensors="pt")["pixel_values"]
    assert isinstance(out, torch.Tensor) and tuple(out.shape) == (1, 3, 224, 224)
    np.testing.assert_array_equal(out.numpy(), expected[:1])


def test_size_override_matches_cli(tiny224, processor, photo_files):
    cli = cli_embed(tiny224, photo_files[:3], ["pixel_values"],
                    ["--image-size", "64", "48", "--interpolate-pos-encoding"])["pixel_values"]
    ours = processor(images=photo_files[:3], size={"height": 64, "width": 48})["pixel_values"]
    np.testing.assert_array_equal(ours, cli)
    resized = vit.ViTImageProcessor.from_pretrained(tiny224, size={"height": 64, "width": 48})
    np.testing.assert_array_equal(resized(photo_files[:3])["pixel_values"], cli)
    assert resized.size == {"height": 64, "width": 48} and processor.size == {"height": 224, "width": 224}


def test_default_processor_is_vit_image_processors():
    p = vit.ViTImageProcessor()
    d = p.to_dict()
    assert d["size"] == {"height": 224, "width": 224} and d["resample"] == 2
    assert d["image_mean"] == [0.5, 0.5, 0.5] and d["image_std"] == [0.5, 0.5, 0.5]
    flat = np.full((10, 20, 3), 255, np.uint8)
    np.testing.assert_array_equal(p(flat)["pixel_values"], np.ones((1, 3, 224, 224), np.float32))
    raw = vit.ViTImageProcessor(do_resize=False, do_normalize=False)(flat)["pixel_values"]
    np.testing.assert_array_equal(raw, np.ones((1, 3, 10, 20), np.float32))


def test_auto_image_processor_reads_each_family(tmp_path, photo_files):
    """The class preprocessor_config.json names, with its crop, against the reference restated from
    transformers (tests/parity/preprocess_reference.py)."""
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "parity"))
    import preprocess_reference as ref
    configs = {
        "dinov2": {"image_processor_type": "BitImageProcessor", "size": {"shortest_edge": 256},
                   "crop_size": {"height": 224, "width": 224}, "image_mean": [0.485, 0.456, 0.406],
                   "image_std": [0.229, 0.224, 0.225], "resample": 3},
        "clip": {"feature_extractor_type": "CLIPFeatureExtractor", "size": 224, "crop_size": 224, "resample": 3},
    }
    for name, config in configs.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "preprocessor_config.json").write_text(__import__("json").dumps(config))
        processor = vit.AutoImageProcessor.from_pretrained(str(folder), local_files_only=True)
        assert repr(processor).startswith(config.get("image_processor_type", "CLIPImageProcessor"))
        got = processor(images=photo_files)["pixel_values"]
        np.testing.assert_array_equal(got, ref.pixel_values(photo_files, config))
        assert processor.crop_size == {"height": 224, "width": 224}
    # Per-call overrides in transformers' spelling.
    small = processor(images=photo_files[:1], size={"shortest_edge": 40}, crop_size=32)["pixel_values"]
    assert small.shape == (1, 3, 32, 32)
    # The same steps from the constructor, with BitImageProcessor's settings spelled out.
    built = vit.ViTImageProcessor(size={"shortest_edge": 256}, resample=3, do_center_crop=True, crop_size=224,
                                  image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
    np.testing.assert_array_equal(built(images=photo_files)["pixel_values"],
                                  ref.pixel_values(photo_files, configs["dinov2"]))
