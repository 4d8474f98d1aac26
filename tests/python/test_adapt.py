"""LinearProbe and EmbeddingIndex on numpy arrays; a probe on embed() features exported as a
ViTForImageClassification folder gives the probe's logits."""
import numpy as np
import pytest

import vit


def blobs(n_per_class, dim, classes, seed):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, dim)) * 3
    x = np.concatenate([c + rng.standard_normal((n_per_class, dim)) for c in centers]).astype(np.float32)
    y = np.repeat(np.arange(classes), n_per_class)
    return x, y


def test_probe_fits_predicts_and_round_trips(tmp_path):
    x, y = blobs(30, 16, 3, seed=0)
    names = np.array(["cat", "dog", "fish"])[y]
    probe = vit.LinearProbe(Cs=[0.1, 1.0, 10.0], cv_folds=3).fit(x, names)
    assert list(probe.classes_) == ["cat", "dog", "fish"] and probe.report_["cv_folds"] == 3
    logits = probe.decision_function(x)
    np.testing.assert_allclose(logits, x @ probe.coef_.T + probe.intercept_, rtol=1e-4, atol=1e-4)
    assert probe.score(x, names) > 0.95
    np.testing.assert_allclose(probe.predict_proba(x).sum(1), 1.0, rtol=1e-5)
    probe.save(tmp_path / "head")
    loaded = vit.LinearProbe.load(tmp_path / "head")
    np.testing.assert_array_equal(loaded.decision_function(x), logits)
    assert list(loaded.predict(x)) == list(probe.predict(x))


def test_probe_exported_as_a_classifier(tiny, photo_files, tmp_path):
    model = vit.ViTModel.from_pretrained(tiny)
    features = model.embed(photo_files, pooling="cls")
    labels = [0, 1, 0, 1, 0, 1]
    probe = vit.LinearProbe(Cs=[1.0]).fit(features, labels, features_kind="cls", model=tiny)
    probe.export(tiny, tmp_path / "classifier")
    classifier = vit.ViTForImageClassification.from_pretrained(tmp_path / "classifier")
    assert classifier.config.id2label == {0: "0", 1: "1"}
    logits = classifier(**classifier.processor(images=photo_files)).logits
    np.testing.assert_allclose(logits, probe.decision_function(features), rtol=1e-4, atol=1e-5)


def test_index_search_equals_exact_cosine(tmp_path):
    rng = np.random.default_rng(2)
    data = rng.standard_normal((200, 24)).astype(np.float32)
    queries = rng.standard_normal((5, 24)).astype(np.float32)
    index = vit.EmbeddingIndex(data, [f"img{i}.jpg" for i in range(200)], kind="flat")
    scores, ids = index.search(queries, k=7)
    unit = data / np.linalg.norm(data, axis=1, keepdims=True)
    cosine = (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ unit.T
    np.testing.assert_array_equal(ids, np.argsort(-cosine, axis=1)[:, :7])
    np.testing.assert_allclose(scores, np.take_along_axis(cosine, ids, 1), rtol=1e-5, atol=1e-5)
    index.save(tmp_path / "index")
    loaded = vit.EmbeddingIndex.load(tmp_path / "index")
    assert len(loaded) == 200 and loaded.dim == 24 and loaded.paths[3] == "img3.jpg"
    np.testing.assert_array_equal(loaded.search(queries, k=7)[1], ids)
    loaded.add(queries, ["q0", "q1", "q2", "q3", "q4"])
    s, i = loaded.search(queries[1], k=1)
    assert i[0, 0] == 201 and s[0, 0] == pytest.approx(1.0, abs=1e-5)


def test_index_pads_when_k_exceeds_its_size_and_finds_duplicates():
    data = np.array([[1, 0], [0.999, 0.01], [0, 1]], np.float32)
    scores, ids = vit.EmbeddingIndex(data).search(data[:1], k=5)
    assert list(ids[0, 3:]) == [-1, -1] and np.isneginf(scores[0, 3:]).all()
    assert vit.find_near_duplicates(data, 0.99) == [[0, 1]]
