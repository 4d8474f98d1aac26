"""Linear probes and similarity search on embeddings held as numpy arrays (the C++ library's
TrainLinearProbe and EmbeddingIndex, the same code as `vit probe` and `vit index`)."""
import os
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _vit


def _matrix(x: Any, name: str) -> np.ndarray:
    """A C-contiguous float32 [N, D] array; a single vector becomes one row."""
    array = np.asarray(x)
    if array.dtype.kind != "f":
        raise _vit.InvalidArgumentError(f"{name}: expected floating-point values, got dtype {array.dtype}")
    if array.ndim == 1:
        array = array[None, :]
    return np.ascontiguousarray(array, dtype=np.float32)


class LinearProbe:
    """A softmax classifier on frozen features (scikit-learn's LogisticRegressionCV, as `vit probe train`):
    L2 strength chosen from Cs by stratified cross-validation on standardised features.

        probe = vit.LinearProbe().fit(train_features, train_labels)
        probe.predict(test_features); probe.save("head"); probe.export(model_dir, "classifier")

    Trained on "cls" features (last_hidden_state[:, 0]) it is exactly a ViTForImageClassification head.
    """

    def __init__(self, Cs: Optional[Sequence[float]] = None, cv_folds: int = 5, seed: int = 0,
                 standardize: bool = True, max_iterations: int = 1000, tolerance: float = 1e-6) -> None:
        self.Cs = list(Cs) if Cs is not None else []
        self.cv_folds, self.seed, self.standardize = cv_folds, seed, standardize
        self.max_iterations, self.tolerance = max_iterations, tolerance
        self.head_: Optional[_vit.LinearHead] = None
        self.report_: dict = {}
        self.classes_: np.ndarray = np.array([])

    def fit(self, features: Any, labels: Sequence[Any], features_kind: str = "cls", model: str = "") -> "LinearProbe":
        """features [N, D]; labels: N class names or ids (the classes are their sorted distinct values).
        features_kind and model are recorded in the saved head ("cls", "pooler", "image_embeds" or "mean")."""
        self.classes_, y = np.unique(np.asarray(labels), return_inverse=True)
        self.head_, self.report_ = _vit.train_linear_probe(
            _matrix(features, "features"), y.astype(np.int64), [str(c) for c in self.classes_], feature_kind=features_kind,
            model=model, Cs=self.Cs, cv_folds=self.cv_folds, seed=self.seed, standardize=self.standardize,
            max_iterations=self.max_iterations, tolerance=self.tolerance)
        return self

    def _fitted(self) -> "_vit.LinearHead":
        if self.head_ is None:
            raise _vit.InvalidArgumentError("LinearProbe: not fitted; call fit() or LinearProbe.load() first")
        return self.head_

    def decision_function(self, features: Any) -> np.ndarray:
        """logits [N, num_classes]."""
        return self._fitted().logits(_matrix(features, "features"))

    def predict_proba(self, features: Any) -> np.ndarray:
        """Softmax probabilities [N, num_classes], columns in the order of classes_."""
        logits = self.decision_function(features).astype(np.float64)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

    def predict(self, features: Any) -> np.ndarray:
        """The most probable class of each row."""
        return self.classes_[self.decision_function(features).argmax(axis=1)]

    def score(self, features: Any, labels: Sequence[Any]) -> float:
        """Accuracy on (features, labels)."""
        return float(np.mean(self.predict(features) == np.asarray(labels)))

    @property
    def coef_(self) -> np.ndarray:
        return self._fitted().weight

    @property
    def intercept_(self) -> np.ndarray:
        return self._fitted().bias

    def save(self, directory: Union[str, os.PathLike]) -> None:
        """head.safetensors and head_config.json, as `vit probe train --out` writes."""
        self._fitted().save(os.fspath(directory))

    @classmethod
    def load(cls, directory: Union[str, os.PathLike]) -> "LinearProbe":
        """A head saved by save() or `vit probe train` (classes are its labels, as strings)."""
        probe = cls()
        probe.head_ = _vit.LinearHead.load(os.fspath(directory))
        probe.classes_ = np.array(probe.head_.id2label)
        return probe

    def export(self, model_dir: Union[str, os.PathLike], out_dir: Union[str, os.PathLike]) -> None:
        """A Hugging Face ViTForImageClassification folder: the backbone in model_dir with this head."""
        self._fitted().export(os.fspath(model_dir), os.fspath(out_dir))


class EmbeddingIndex:
    """Cosine-similarity search (FAISS: exact up to flat_limit vectors, HNSW above, or kind="ivf"), the
    index of `vit index`: a folder that save()/load() write and read.

        index = vit.EmbeddingIndex(embeddings, paths)
        scores, ids = index.search(queries, k=5)   # [Q, 5] each; ids -1 where fewer were found
    """

    def __init__(self, embeddings: Any, paths: Optional[Sequence[str]] = None, *, kind: str = "auto",
                 model: str = "", features: str = "", **options: Any) -> None:
        x = _matrix(embeddings, "embeddings")
        self._index = _vit.EmbeddingIndex.build(x, self._paths(paths, 0, len(x)), model=model, features=features,
                                                kind=kind, **options)

    @staticmethod
    def _paths(paths: Optional[Sequence[str]], start: int, count: int) -> List[str]:
        if paths is None:
            return [str(i) for i in range(start, start + count)]
        paths = [os.fspath(p) for p in paths]
        if len(paths) != count:
            raise _vit.InvalidArgumentError(f"paths: {len(paths)} paths for {count} embeddings")
        return paths

    @classmethod
    def load(cls, directory: Union[str, os.PathLike]) -> "EmbeddingIndex":
        """An index folder written by save() or `vit index build`."""
        self = cls.__new__(cls)
        self._index = _vit.EmbeddingIndex.load(os.fspath(directory))
        return self

    def save(self, directory: Union[str, os.PathLike]) -> None:
        self._index.save(os.fspath(directory))

    def add(self, embeddings: Any, paths: Optional[Sequence[str]] = None) -> None:
        x = _matrix(embeddings, "embeddings")
        self._index.add(x, self._paths(paths, self._index.size, len(x)))

    def search(self, queries: Any, k: int = 10) -> Tuple[np.ndarray, np.ndarray]:
        """(scores [Q, k] cosine similarities, ids [Q, k] rows), best first."""
        return self._index.search(_matrix(queries, "queries"), k)

    def set_search_effort(self, hnsw_ef_search: int = 128, ivf_nprobe: int = 16) -> None:
        self._index.set_search_effort(hnsw_ef_search, ivf_nprobe)

    def __len__(self) -> int:
        return self._index.size

    @property
    def dim(self) -> int:
        return self._index.dim

    @property
    def kind(self) -> str:
        return self._index.kind

    @property
    def paths(self) -> List[str]:
        return self._index.paths


def find_near_duplicates(embeddings: Any, threshold: float = 0.95) -> List[List[int]]:
    """Groups of rows whose cosine similarity is >= threshold (transitively), as `vit dedup`."""
    return _vit.find_near_duplicates(_matrix(embeddings, "embeddings"), float(threshold))
