"""The Python package on every member of the family (DeiT, DINOv2, CLIP, SigLIP), as on ViT: AutoModel and the
classes named as transformers names them, with transformers' output names and shapes, bit for bit what
`vit embed` writes; embed() with the family's default pooling (CLIP's image_embeds); a checkpoint of another
family refused by a named class."""
import os

import numpy as np
import pytest

import harness
from conftest import cli_embed_pixel_values
from test_family_parity import at_its_size, family_checkpoint

import vit

# (checkpoint name, kind, the vit class named as transformers names the checkpoint's class)
BASES = [
    ("deit-tiny", "deit", "DeiTModel"),
    ("dinov2-registers-tiny", "dinov2-registers", "Dinov2WithRegistersModel"),
    ("clip-tiny", "clip", "CLIPVisionModel"),
    ("siglip-tiny", "siglip", "SiglipVisionModel"),
]
CLASSIFIERS = [
    ("deit-teacher-tiny", "deit-teacher", "DeiTForImageClassificationWithTeacher"),
    ("dinov2-cls-tiny", "dinov2-cls", "Dinov2ForImageClassification"),
]


@pytest.fixture(scope="module")
def pixels():
    return harness.photos(2, 32, 32)


@pytest.mark.parametrize("name,kind,cls", BASES)
def test_base_models_give_what_vit_embed_writes(name, kind, cls, pixels):
    folder = family_checkpoint(name, kind)
    ref = cli_embed_pixel_values(folder, pixels, ["last_hidden_state", "pooler_output"])
    for model in (vit.AutoModel.from_pretrained(folder), getattr(vit, cls).from_pretrained(folder)):
        out = model(pixel_values=pixels)
        assert np.array_equal(out.last_hidden_state, ref["last_hidden_state"]), cls
        assert np.array_equal(out.pooler_output, ref["pooler_output"]), cls
        assert list(out.keys()) == ["last_hidden_state", "pooler_output"]
    assert model.info["family"] == cls.replace("Dinov2WithRegistersModel", "DINOv2").replace(
        "CLIPVisionModel", "CLIP").replace("SiglipVisionModel", "SigLIP").replace("DeiTModel", "DeiT")


def test_clip_with_projection_gives_image_embeds_as_transformers_names_them(pixels):
    folder = family_checkpoint("clip-vision-tiny", "clip-vision")
    ref = cli_embed_pixel_values(folder, pixels, ["image_embeds", "last_hidden_state", "pooler_output"])
    model = vit.AutoModel.from_pretrained(folder)
    assert isinstance(model, vit.CLIPVisionModelWithProjection)
    out = model(pixel_values=pixels)
    assert list(out.keys()) == ["image_embeds", "last_hidden_state"]
    assert out.image_embeds.shape == (2, 32)
    assert np.array_equal(out.image_embeds, ref["image_embeds"])
    assert np.array_equal(out[0], ref["image_embeds"]), "by position, image_embeds first"
    # CLIPModel's vision tower with its projection loads as the same class.
    full = vit.CLIPVisionModelWithProjection.from_pretrained(family_checkpoint("clip-tiny", "clip"))
    assert full(pixel_values=pixels).image_embeds.shape == (2, 32)


def test_embed_defaults_to_the_familys_vector(photo_files):
    clip = vit.AutoModel.from_pretrained(at_its_size("clip-vision-tiny", "clip-vision"))
    files = photo_files[:3]
    default = clip.embed(files)
    assert default.shape == (3, 32)
    assert np.array_equal(default, clip.embed(files, pooling="image_embeds"))
    assert clip.embed(files, pooling="pooler").shape == (3, 64)
    assert clip.embed([], pooling="image_embeds").shape == (0, 32)
    siglip = vit.AutoModel.from_pretrained(at_its_size("siglip-tiny", "siglip"))
    assert np.array_equal(siglip.embed(files), siglip.embed(files, pooling="pooler"))
    with pytest.raises(vit.InvalidArgumentError, match=r"\[CLS\]"):
        siglip.embed(files, pooling="cls")
    with pytest.raises(vit.InvalidArgumentError, match="image_embeds"):
        siglip.embed(files, pooling="image_embeds")


@pytest.mark.parametrize("name,kind,cls", CLASSIFIERS)
def test_classifiers_give_the_logits_vit_embed_writes(name, kind, cls, pixels):
    folder = family_checkpoint(name, kind)
    ref = cli_embed_pixel_values(folder, pixels, ["logits"])
    for model in (vit.AutoModelForImageClassification.from_pretrained(folder), getattr(vit, cls).from_pretrained(folder)):
        out = model(pixel_values=pixels)
        assert np.array_equal(out.logits, ref["logits"]), cls
        assert model.config.num_labels == ref["logits"].shape[1]


def test_a_class_refuses_another_familys_checkpoint():
    with pytest.raises(vit.InvalidArgumentError, match="SigLIP.*AutoModel"):
        vit.Dinov2Model.from_pretrained(family_checkpoint("siglip-tiny", "siglip"))
    with pytest.raises(vit.InvalidArgumentError, match="not CLIP"):
        vit.CLIPVisionModelWithProjection.from_pretrained(family_checkpoint("siglip-tiny", "siglip"))
    with pytest.raises(vit.InvalidArgumentError, match="no classifier"):
        vit.Dinov2ForImageClassification.from_pretrained(family_checkpoint("dinov2-registers-tiny", "dinov2-registers"))
