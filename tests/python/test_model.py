"""Every output of ViTModel / ViTForImageClassification equal to `vit embed`'s for the same input, within
PyTorch float32's error of the float64 reference (tests/parity), and embed() equal to the full outputs."""
import numpy as np
import pytest

import harness
import vit
from conftest import cli_embed, cli_embed_pixel_values

ALL = ["last_hidden_state", "pooler_output", "hidden_states", "attentions", "cls", "mean"]


def test_every_output_equals_the_cli(model, tiny224, pixel_values):
    out = model(pixel_values=pixel_values, output_hidden_states=True, output_attentions=True)
    cli = cli_embed_pixel_values(tiny224, pixel_values, ALL)
    np.testing.assert_array_equal(out.last_hidden_state, cli["last_hidden_state"])
    np.testing.assert_array_equal(out.pooler_output, cli["pooler_output"])
    assert isinstance(out.hidden_states, tuple) and len(out.hidden_states) == 3
    np.testing.assert_array_equal(np.stack(out.hidden_states), cli["hidden_states"])
    assert isinstance(out.attentions, tuple) and len(out.attentions) == 2
    np.testing.assert_array_equal(np.stack(out.attentions), cli["attentions"])
    np.testing.assert_array_equal(out.last_hidden_state[:, 0], cli["cls"])
    np.testing.assert_allclose(out.last_hidden_state[:, 1:].mean(1), cli["mean"], rtol=1e-5, atol=1e-6)


def test_parity_with_the_pytorch_reference(model, tiny224, pixel_values):
    out = model(pixel_values=pixel_values, output_hidden_states=True)
    ours = {"last_hidden_state": out.last_hidden_state, "pooler_output": out.pooler_output,
            "hidden_states": np.stack(out.hidden_states)}
    _, failures = harness.compare("python tiny224", ours, tiny224, pixel_values)
    assert not failures, failures


def test_parity_with_interpolated_positions(tiny):
    small = vit.ViTModel.from_pretrained(tiny)
    x = harness.photos(2, 48, 40)
    out = small(pixel_values=x, interpolate_pos_encoding=True)
    ours = {"last_hidden_state": out.last_hidden_state, "pooler_output": out.pooler_output}
    _, failures = harness.compare("python tiny 48x40", ours, tiny, x, interpolate=True)
    assert not failures, failures


@pytest.mark.parametrize("pooling,output", [("pooler", "pooler_output"), ("cls", "cls"), ("mean", "mean")])
def test_embed_equals_the_cli_and_the_full_outputs(model, tiny224, photo_files, pixel_values, pooling, output):
    embedded = model.embed(photo_files, pooling=pooling, batch_size=4)
    assert embedded.shape == (len(photo_files), 64) and embedded.dtype == np.float32
    np.testing.assert_array_equal(embedded, cli_embed(tiny224, photo_files, [output], ["-b", "4"])[output])
    full = model(pixel_values=pixel_values)
    column = {"pooler": full.pooler_output, "cls": full.last_hidden_state[:, 0],
              "mean": full.last_hidden_state[:, 1:].mean(1)}[pooling]
    np.testing.assert_allclose(embedded, column, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.embed(photo_files, pooling=pooling, batch_size=1), embedded)


def test_embed_normalize_and_mixed_inputs(model, photo_files):
    from PIL import Image
    plain = model.embed(photo_files[:3])
    unit = model.embed(photo_files[:3], normalize=True)
    np.testing.assert_allclose(unit, plain / np.linalg.norm(plain, axis=1, keepdims=True), rtol=1e-5, atol=1e-6)
    mixed = [photo_files[0], open(photo_files[1], "rb").read(), Image.open(photo_files[2])]
    np.testing.assert_array_equal(model.embed(mixed), plain)


def test_outputs_index_like_transformers(model, pixel_values):
    out = model(pixel_values=pixel_values[:2])
    assert list(out.keys()) == ["last_hidden_state", "pooler_output"]
    assert out[0] is out["last_hidden_state"] is out.last_hidden_state
    assert out[1] is out.pooler_output and out.hidden_states is None
    assert len(model(pixel_values=pixel_values[:2], return_dict=False)) == 2
    assert out.last_hidden_state.flags.c_contiguous and out.last_hidden_state.base is not None  # shares our buffer


def test_torch_in_torch_out(model, pixel_values):
    torch = pytest.importorskip("torch")
    out = model(pixel_values=torch.from_numpy(pixel_values[:2]), output_attentions=True)
    assert isinstance(out.last_hidden_state, torch.Tensor) and isinstance(out.attentions[0], torch.Tensor)
    expected = model(pixel_values=pixel_values[:2], output_attentions=True)
    np.testing.assert_array_equal(out.last_hidden_state.numpy(), expected.last_hidden_state)
    np.testing.assert_array_equal(out.attentions[1].numpy(), expected.attentions[1])


def test_float64_and_strided_inputs_are_converted(model, pixel_values):
    expected = model(pixel_values=pixel_values[:2]).last_hidden_state
    np.testing.assert_array_equal(model(pixel_values=pixel_values[:2].astype(np.float64)).last_hidden_state, expected)
    strided = np.ascontiguousarray(pixel_values[:2].transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    assert not strided.flags.c_contiguous
    np.testing.assert_array_equal(model(pixel_values=strided).last_hidden_state, expected)


def test_classifier_logits(classifier, photo_files):
    model = vit.ViTForImageClassification.from_pretrained(classifier)
    assert model.config.id2label == {i: f"label_{i}" for i in range(5)} and model.config.num_labels == 5
    processor = vit.ViTImageProcessor.from_pretrained(classifier)
    inputs = processor(images=photo_files, return_tensors="np")
    out = model(**inputs, output_hidden_states=True)
    assert out.logits.shape == (len(photo_files), 5) and out[0] is out.logits
    cli = cli_embed_pixel_values(classifier, inputs["pixel_values"], ["logits"])
    np.testing.assert_array_equal(out.logits, cli["logits"])
    _, failures = harness.compare("python tiny-cls5", {"logits": out.logits}, classifier, inputs["pixel_values"])
    assert not failures, failures
    backbone = vit.ViTModel.from_pretrained(classifier)(**inputs)
    assert backbone.pooler_output is None and list(backbone.keys()) == ["last_hidden_state"]


def test_config_and_info(model):
    assert model.config.hidden_size == 64 and model.config.num_hidden_layers == 2
    assert model.config.image_size == 224 and model.config.id2label == {}
    assert model.info["precision"] == "f32" and model.info["has_pooler"]
    assert "ViTModel" in repr(model) and model.eval() is model
