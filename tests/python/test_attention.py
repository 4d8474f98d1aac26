"""vit.attention_maps, ViTModel.attention_maps and vit.attention_overlay equal `vit attention` (its
attention_maps.npy and overlay PNGs) on the same images, and bad arguments raise ValueError naming them."""
import os
import tempfile

import numpy as np
import pytest

import vit
from conftest import run_cli

CASES = [("rollout", "mean", 0.0, None), ("rollout", "max", 0.0, None), ("rollout", "min", 0.9, None),
         ("rollout", "mean", 0.5, 0), ("last", "mean", 0.0, None), ("last", "max", 0.9, None), ("last", "min", 0.0, 0)]


@pytest.fixture(scope="module")
def attentions(model, pixel_values):
    return model(pixel_values=pixel_values, output_attentions=True).attentions


def cli_attention(model_dir, inputs, method, head_fusion, discard_ratio, layer, pictures=False):
    """`vit attention` on the inputs: (attention_maps.npy, {picture name: uint8 RGB array})."""
    from PIL import Image
    with tempfile.TemporaryDirectory() as out:
        args = ["attention", "--model", model_dir, "--out", out, "--method", method, "--head-fusion", head_fusion,
                "--discard-ratio", repr(discard_ratio), "--layer", str(-1 if layer is None else layer)]
        run_cli(args + ([] if pictures else ["--no-pictures"]) + list(inputs))
        maps = np.load(os.path.join(out, "attention_maps.npy"))
        names = sorted(n for n in os.listdir(out) if n.endswith(".png"))
        return maps, {n[:-4]: np.asarray(Image.open(os.path.join(out, n)).convert("RGB")) for n in names}


@pytest.mark.parametrize("method,head_fusion,discard_ratio,layer", CASES)
def test_maps_equal_the_cli(model, tiny224, photo_files, attentions, method, head_fusion, discard_ratio, layer):
    expected, _ = cli_attention(tiny224, photo_files, method, head_fusion, discard_ratio, layer)
    assert expected.shape == (len(photo_files), 14, 14)
    maps = vit.attention_maps(attentions, method=method, head_fusion=head_fusion, discard_ratio=discard_ratio,
                              layer=layer)
    assert maps.dtype == np.float32 and maps.shape == expected.shape
    np.testing.assert_array_equal(maps, expected)
    from_images = model.attention_maps(photo_files, method=method, head_fusion=head_fusion, discard_ratio=discard_ratio,
                                       layer=layer)
    np.testing.assert_array_equal(from_images, expected)


def test_options_change_the_maps(attentions):
    rollout = vit.attention_maps(attentions)
    assert not np.array_equal(rollout, vit.attention_maps(attentions, method="last"))
    assert not np.array_equal(rollout, vit.attention_maps(attentions, head_fusion="max"))
    assert not np.array_equal(rollout, vit.attention_maps(attentions, discard_ratio=0.9))
    assert np.allclose(rollout.reshape(len(rollout), -1).max(1), 1.0)


def test_pixel_values_batches_and_torch(model, pixel_values, attentions):
    import torch
    expected = vit.attention_maps(attentions, method="last", head_fusion="max")
    got = model.attention_maps(pixel_values, method="last", head_fusion="max", batch_size=4)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(model.attention_maps(pixel_values[2], method="last", head_fusion="max"),
                                  expected[2:3])
    torch_attentions = tuple(torch.from_numpy(a) for a in attentions)
    np.testing.assert_array_equal(vit.attention_maps(torch_attentions, method="last", head_fusion="max"), expected)


def test_rectangular_grid(tiny):
    small = vit.ViTModel.from_pretrained(tiny)
    x = np.random.default_rng(0).standard_normal((2, 3, 48, 40)).astype(np.float32)
    out = small(pixel_values=x, output_attentions=True, interpolate_pos_encoding=True)
    maps = vit.attention_maps(out.attentions, grid=(6, 5))
    assert maps.shape == (2, 6, 5)
    np.testing.assert_array_equal(small.attention_maps(x, interpolate_pos_encoding=True), maps)
    with pytest.raises(ValueError, match="grid"):
        vit.attention_maps(out.attentions)  # 31 tokens are not a square grid


def test_head_maps_and_overlay_equal_the_cli_pictures(model, tiny224, photo_files, pixel_values, attentions):
    files = photo_files[:2]
    maps, pictures = cli_attention(tiny224, files, "rollout", "mean", 0.0, None, pictures=True)
    heads = vit.head_attention_maps(attentions)
    heads_per_layer = attentions[-1].shape[1]
    assert heads.shape == (len(photo_files), heads_per_layer, 14, 14)
    np.testing.assert_allclose(heads.reshape(len(photo_files), heads_per_layer, -1).max(2), 1.0)
    for i, path in enumerate(files):
        name = os.path.splitext(os.path.basename(path))[0]
        rgb = vit.attention_overlay(pixel_values[i], maps[i], model.processor, as_array=True)
        assert rgb.dtype == np.uint8 and rgb.shape == (224, 224, 3)
        np.testing.assert_array_equal(rgb, pictures[name])
        image = vit.attention_overlay(pixel_values[i:i + 1], maps[i:i + 1], model.processor)
        np.testing.assert_array_equal(np.asarray(image), pictures[name])


@pytest.mark.parametrize("kwargs,argument", [
    ({"method": "mean"}, "method"),
    ({"head_fusion": "sum"}, "head_fusion"),
    ({"discard_ratio": 1.0}, "discard_ratio"),
    ({"discard_ratio": -0.1}, "discard_ratio"),
    ({"discard_ratio": "0.5"}, "discard_ratio"),
    ({"layer": 2}, "layer"),
    ({"layer": -3}, "layer"),
    ({"layer": 1.5}, "layer"),
    ({"grid": (13, 15)}, "grid"),
    ({"grid": (14,)}, "grid"),
    ({"grid": (0, 14)}, "grid"),
])
def test_bad_arguments_name_the_argument(attentions, kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{argument}: "):
        vit.attention_maps(attentions, **kwargs)


def test_bad_attentions(model, attentions, pixel_values):
    for bad in (None, [], attentions[0], [attentions[0].astype(np.int32)], [attentions[0][0]],
                [attentions[0], attentions[1][:1]]):
        with pytest.raises(ValueError, match="attentions"):
            vit.attention_maps(bad)
    with pytest.raises(ValueError, match="^method: "):
        model.attention_maps(pixel_values, method="Rollout")
    with pytest.raises(ValueError, match="^batch_size: "):
        model.attention_maps(pixel_values, batch_size=0)
    with pytest.raises(ValueError, match="^alpha: "):
        vit.attention_overlay(pixel_values[0], np.ones((14, 14), np.float32), model.processor, alpha=2)
    with pytest.raises(ValueError, match="^processor: "):
        vit.attention_overlay(pixel_values[0], np.ones((14, 14), np.float32), None)
