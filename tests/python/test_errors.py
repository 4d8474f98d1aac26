"""Every error path: the right Python exception, the message `vit` prints, and never a crash."""
import os
import warnings

import numpy as np
import pytest

import vit
from conftest import run_cli


@pytest.fixture(scope="module")
def model(tiny):
    return vit.ViTModel.from_pretrained(tiny)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    truncated = folder / "truncated.jpg"
    truncated.write_bytes(open(os.path.join(vit_photos(), "rocket.jpg"), "rb").read()[:300])
    text = folder / "notes.png"
    text.write_text("not an image")
    return str(truncated), str(text)


def vit_photos():
    import harness
    return harness.PHOTOS


def cli_message(args):
    r = run_cli(args, check=False)
    assert r.returncode != 0
    return r.stderr.strip().splitlines()[-1].removeprefix("vit: error: ")


def test_missing_model_folder(tmp_path):
    missing = str(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError) as e:
        vit.ViTModel.from_pretrained(missing)
    assert isinstance(e.value, vit.VitError) and missing in str(e.value)
    assert str(e.value) == cli_message(["embed", "--model", missing, os.path.join(vit_photos(), "coffee.png")])
    with pytest.raises(FileNotFoundError) as e:
        vit.ViTImageProcessor.from_pretrained(missing)
    assert str(e.value) == cli_message(["embed", "--model", missing, os.path.join(vit_photos(), "coffee.png")])


def test_hub_id_not_cached_offline(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        vit.ViTModel.from_pretrained("google/vit-base-patch16-224", cache_dir=tmp_path, local_files_only=True)
    assert "google/vit-base-patch16-224" in str(e.value)
    with pytest.raises(FileNotFoundError) as e:
        vit.ViTImageProcessor.from_pretrained("google/vit-base-patch16-224", cache_dir=tmp_path, local_files_only=True)
    assert "google/vit-base-patch16-224" in str(e.value)


def test_bad_options(tiny):
    with pytest.raises(ValueError, match="precision"):
        vit.ViTModel.from_pretrained(tiny, precision="f16")
    with pytest.raises(ValueError, match="threads"):
        vit.ViTModel.from_pretrained(tiny, threads=0)
    with pytest.raises(ValueError, match="no classifier"):
        vit.ViTForImageClassification.from_pretrained(tiny)
    with pytest.raises(TypeError):
        vit.ViTModel.from_pretrained(tiny, torch_dtype="float32")


def test_missing_image_names_the_file(model, tiny, tmp_path):
    missing = str(tmp_path / "missing.jpg")
    with pytest.raises(FileNotFoundError) as e:
        model.embed([missing])
    assert missing in str(e.value) and isinstance(e.value, vit.NotFoundError)
    with pytest.raises(FileNotFoundError):
        model.processor(images=[missing])


@pytest.mark.parametrize("which", [0, 1])
def test_bad_image_raises_with_the_clis_message(model, tiny, bad_files, which, tmp_path):
    bad = bad_files[which]
    good = os.path.join(vit_photos(), "coffee.png")
    with pytest.raises(ValueError) as e:
        model.embed([good, bad])
    assert bad in str(e.value) and isinstance(e.value, vit.InvalidInputError)
    assert str(e.value) == cli_message(["embed", "--model", tiny, "--out", str(tmp_path), good, bad])
    with pytest.raises(ValueError):
        model.processor(images=[open(bad, "rb").read()])


def test_skip_invalid_reports_and_says_which_rows_were_kept(model, bad_files):
    good = [os.path.join(vit_photos(), n) for n in ("coffee.png", "chelsea.png", "astronaut.png")]
    inputs = [good[0], bad_files[0], good[1], bad_files[1], good[2]]
    with pytest.warns(RuntimeWarning) as record:
        features, kept = model.embed(inputs, skip_invalid=True, batch_size=2)
    assert [int(i) for i in kept] == [0, 2, 4]
    messages = [str(w.message) for w in record]
    assert len(messages) == 2 and bad_files[0] in messages[0] and bad_files[1] in messages[1]
    np.testing.assert_array_equal(features, model.embed(good))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        none, kept = model.embed(list(bad_files), skip_invalid=True)
    assert none.shape == (0, 64) and kept.shape == (0,)


def test_bad_pixel_values_never_crash(model):
    good = np.zeros((1, 3, 32, 32), np.float32)
    cases = [
        (np.zeros((1, 3, 32, 32), np.int32), "dtype"),
        (np.zeros((3, 32, 32), np.float32), "dimensions"),
        (np.zeros((1, 4, 32, 32), np.float32), "channels"),
        (np.zeros((1, 3, 40, 40), np.float32), "Input image size"),
        (np.zeros((0, 3, 32, 32), np.float32), "empty batch"),
        (np.full((1, 3, 32, 32), np.nan, np.float32), "NaN"),
        (np.array([["a"]]), "dtype"),
    ]
    for value, message in cases:
        with pytest.raises(ValueError, match=message):
            model(pixel_values=value)
    with pytest.raises(ValueError, match="required"):
        model()
    inf = good.copy()
    inf[0, 1, 2, 3] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        model(pixel_values=inf)
    assert model(pixel_values=good).last_hidden_state.shape == (1, 17, 64)


def test_bad_images_never_crash(model):
    processor = model.processor
    for images, message in [
        ([np.zeros((8, 8, 3), np.uint16)], "uint8"),
        ([np.zeros((8, 8, 4), np.uint8)], "RGBA"),
        ([np.zeros((0, 8, 3), np.uint8)], "size 0"),
        ([np.zeros((2, 8, 8, 3, 1), np.uint8)], "dimensions"),
        ([42], "int"),
        ([], "no images"),
    ]:
        with pytest.raises(ValueError, match=message):
            processor(images=images)
    with pytest.raises(ValueError, match="return_tensors"):
        processor(images=np.zeros((8, 8, 3), np.uint8), return_tensors="tf")
    with pytest.raises(ValueError, match="size"):
        processor(images=np.zeros((8, 8, 3), np.uint8), size={"shortest_edge": 8})
    with pytest.raises(ValueError, match="cannot share a batch"):
        vit.ViTImageProcessor(do_resize=False)([np.zeros((8, 8, 3), np.uint8), np.zeros((9, 8, 3), np.uint8)])


def test_bad_embed_arguments(model, classifier):
    photo = os.path.join(vit_photos(), "coffee.png")
    with pytest.raises(ValueError, match="batch_size"):
        model.embed([photo], batch_size=0)
    with pytest.raises(ValueError, match="pooling"):
        model.embed([photo], pooling="max")
    with pytest.raises(ValueError, match="no pooler"):
        vit.ViTModel.from_pretrained(classifier).embed([photo], pooling="pooler")
    assert model.embed([]).shape == (0, 64)


def test_probe_and_index_errors():
    with pytest.raises(ValueError, match="labels"):
        vit.LinearProbe().fit(np.zeros((4, 3), np.float32), [0, 1, 0])
    with pytest.raises(ValueError, match="at least 2"):
        vit.LinearProbe(Cs=[1.0]).fit(np.zeros((4, 3), np.float32), [0, 0, 0, 0])
    with pytest.raises(ValueError, match="not fitted"):
        vit.LinearProbe().predict(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="dtype"):
        vit.EmbeddingIndex(np.zeros((4, 3), np.int64))
    index = vit.EmbeddingIndex(np.eye(3, dtype=np.float32))
    with pytest.raises(ValueError):
        index.search(np.zeros((1, 5), np.float32))
    with pytest.raises(ValueError, match="k must"):
        index.search(np.zeros((1, 3), np.float32), k=0)
    with pytest.raises(ValueError, match="NaN"):
        index.search(np.full((1, 3), np.nan, np.float32))
    with pytest.raises(FileNotFoundError):
        vit.EmbeddingIndex.load("/nonexistent/index")
    with pytest.raises(FileNotFoundError):
        vit.LinearProbe.load("/nonexistent/head")
