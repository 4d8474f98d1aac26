"""ViTModel and ViTForImageClassification with transformers' interface, running vit's C++ engine; the other
members of the family (DeiT, DINOv2, CLIP, SigLIP) under their transformers names, and AutoModel /
AutoModelForImageClassification for any of them."""
import os
import sys
import time
import warnings
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _vit
from .attention import attention_maps
from .image_processing import ViTImageProcessor, convert_tensors, image_inputs, is_torch_tensor


class ViTConfig:
    """config.json's fields as attributes (hidden_size, num_hidden_layers, ...), with transformers'
    id2label ({int: str}) and label2id."""

    def __init__(self, fields: Dict[str, Any]) -> None:
        fields = dict(fields)
        labels = fields.pop("id2label", [])
        self.__dict__.update(fields)
        self.id2label: Dict[int, str] = {i: label for i, label in enumerate(labels)}
        self.label2id: Dict[str, int] = {label: i for i, label in self.id2label.items()}

    @property
    def num_labels(self) -> int:
        return len(self.id2label)

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)

    def __repr__(self) -> str:
        return f"ViTConfig({self.__dict__})"


class ModelOutput(OrderedDict):
    """transformers' ModelOutput: fields as attributes, as keys (only those not None) and by position."""

    _fields: Tuple[str, ...] = ()

    def __init__(self, **values: Any) -> None:
        super().__init__((name, values[name]) for name in self._fields if values.get(name) is not None)
        for name in self._fields:
            object.__setattr__(self, name, values.get(name))

    def __getitem__(self, key: Union[str, int, slice]) -> Any:
        if isinstance(key, (int, slice)):
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self) -> Tuple[Any, ...]:
        return tuple(self.values())

    def __reduce__(self):  # type: ignore[override]
        return (_rebuild, (type(self), {name: getattr(self, name) for name in self._fields}))


def _rebuild(cls: type, values: Dict[str, Any]) -> "ModelOutput":
    return cls(**values)


class BaseModelOutputWithPooling(ModelOutput):
    """last_hidden_state [B, T, D], pooler_output [B, D] (None without a pooler), hidden_states (a tuple of
    num_hidden_layers + 1 arrays [B, T, D]) and attentions (num_hidden_layers arrays [B, heads, T, T])."""

    _fields = ("last_hidden_state", "pooler_output", "hidden_states", "attentions")
    last_hidden_state: Any
    pooler_output: Any
    hidden_states: Any
    attentions: Any


class CLIPVisionModelOutput(ModelOutput):
    """CLIPVisionModelWithProjection's output: image_embeds [B, projection_dim] (visual_projection of the
    pooled [CLS]), last_hidden_state, hidden_states and attentions."""

    _fields = ("image_embeds", "last_hidden_state", "hidden_states", "attentions")
    image_embeds: Any
    last_hidden_state: Any
    hidden_states: Any
    attentions: Any


class ImageClassifierOutput(ModelOutput):
    """logits [B, num_labels], hidden_states and attentions as in BaseModelOutputWithPooling."""

    _fields = ("loss", "logits", "hidden_states", "attentions")
    loss: Any
    logits: Any
    hidden_states: Any
    attentions: Any


def _pixel_values(pixel_values: Any) -> np.ndarray:
    """A C-contiguous float32 numpy array from numpy, torch or nested lists; other dtypes are a ValueError."""
    if pixel_values is None:
        raise _vit.InvalidArgumentError("pixel_values: required")
    if is_torch_tensor(pixel_values):
        pixel_values = pixel_values.detach().cpu().numpy()
    array = np.asarray(pixel_values)
    if array.dtype.kind != "f":
        raise _vit.InvalidArgumentError(f"pixel_values: expected floating-point values, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.float32)


class _Progress:
    """A one-line progress report on stderr, redrawn in place on a terminal."""

    def __init__(self, total: int) -> None:
        self.total, self.start = total, time.monotonic()
        self.terminal = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        rate = done / max(time.monotonic() - self.start, 1e-9)
        line = f"vit embed: {done}/{total} images, {rate:.1f} images/s"
        if self.terminal:
            sys.stderr.write("\r" + line + ("\n" if done == total else ""))
            sys.stderr.flush()
        elif done == total:
            sys.stderr.write(line + "\n")


class ViTModel:
    """transformers.ViTModel on vit's engine. model(pixel_values=...) returns BaseModelOutputWithPooling of
    numpy float32 arrays (torch tensors when pixel_values was one); model.embed(images) is the one call
    for a vector per image. Other Python threads keep running while it computes."""

    def __init__(self, model: "_vit.Model") -> None:
        self._model = model
        self.config = ViTConfig(model.config)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Union[str, os.PathLike], *, precision: str = "f32",
                        threads: Optional[int] = None, revision: Optional[str] = None,
                        cache_dir: Union[str, os.PathLike, None] = None, local_files_only: bool = False,
                        token: Union[str, bool, None] = None, packed_cache: Union[str, os.PathLike, None] = None,
                        progress: bool = True) -> "ViTModel":
        """Loads a folder (config.json, preprocessor_config.json, model.safetensors or pytorch_model.bin)
        or a hub id "org/name[@revision]" through the Hugging Face cache, as `vit --model` does.

        precision: "f32" (PyTorch float32's results), "bf16" or "int8". threads: None for every core.
        local_files_only: the cache only (also HF_HUB_OFFLINE=1). packed_cache: a folder keeping the
        weights packed for this CPU between loads (default $VIT_PACKED_CACHE).
        """
        if threads is not None and threads < 1:
            raise _vit.InvalidArgumentError(f"threads: expected a positive number or None, got {threads}")
        model = _vit.Model(os.fspath(pretrained_model_name_or_path), precision=precision, threads=threads or 0,
                           revision=revision or "", cache_dir=os.fspath(cache_dir) if cache_dir is not None else None,
                           offline=True if local_files_only else None, token=token if isinstance(token, str) else "",
                           packed_cache=os.fspath(packed_cache) if packed_cache is not None else None,
                           progress=progress)
        return cls._checked(model)

    # The family a subclass named after a transformers class loads (model.info["family"]); None: any.
    _family: Optional[str] = None
    # What a subclass needs the checkpoint to have: (a model.info flag, the refusal when it is false).
    _requires: Optional[Tuple[str, str]] = None

    @classmethod
    def _checked(cls, model: "_vit.Model") -> "ViTModel":
        _check_family(cls, model)
        if cls._requires is not None and not model.info[cls._requires[0]]:
            raise _vit.InvalidArgumentError(f"{model.info['source']}: {cls._requires[1]}")
        return cls(model)

    @property
    def info(self) -> Dict[str, Any]:
        """What was loaded: folder, weights file, parameters, precision, the GEMM kernel that runs."""
        return self._model.info

    @property
    def processor(self) -> ViTImageProcessor:
        """The checkpoint's ViTImageProcessor (its preprocessor_config.json)."""
        return ViTImageProcessor._wrap(self._model.processor)

    def eval(self) -> "ViTModel":
        """Returns self: there is no training mode (kept so that transformers code runs unchanged)."""
        return self

    def _run(self, pixel_values: Any, output_hidden_states: Optional[bool], output_attentions: Optional[bool],
             interpolate_pos_encoding: Optional[bool]) -> Tuple[Dict[str, Any], Optional[str]]:
        return_tensors = "pt" if is_torch_tensor(pixel_values) else "np"
        out = self._model.run(_pixel_values(pixel_values), output_hidden_states=bool(output_hidden_states),
                              output_attentions=bool(output_attentions),
                              interpolate_pos_encoding=bool(interpolate_pos_encoding))
        for name in ("hidden_states", "attentions"):
            if out[name] is not None:
                out[name] = tuple(convert_tensors(a, return_tensors) for a in out[name])
        for name in ("last_hidden_state", "pooler_output", "logits", "image_embeds"):
            out[name] = convert_tensors(out[name], return_tensors)
        return out, return_tensors

    def __call__(self, pixel_values: Any = None, output_hidden_states: Optional[bool] = None,
                 output_attentions: Optional[bool] = None, interpolate_pos_encoding: Optional[bool] = None,
                 return_dict: Optional[bool] = None) -> Any:
        """Runs pixel_values [B, C, H, W] (float32; numpy, torch or lists). interpolate_pos_encoding:
        accept other image sizes (bicubic-resized position embeddings, as transformers)."""
        out, _ = self._run(pixel_values, output_hidden_states, output_attentions, interpolate_pos_encoding)
        result = BaseModelOutputWithPooling(last_hidden_state=out["last_hidden_state"],
                                            pooler_output=out["pooler_output"], hidden_states=out["hidden_states"],
                                            attentions=out["attentions"])
        return result if return_dict is not False else result.to_tuple()

    forward = __call__

    def embed(self, images: Union[Any, Sequence[Any]], pooling: Optional[str] = None, batch_size: int = 8,
              normalize: bool = False, skip_invalid: bool = False,
              progress: Union[bool, Callable[[int, int], None]] = False,
              exif_transpose: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
        """One vector per image: float32 [N, D], row i for images[i].

        images: file paths, encoded bytes, PIL images or uint8 arrays, decoded and preprocessed in parallel
        in C++, batch_size at a time. pooling: "pooler" (pooler_output), "image_embeds" (CLIP's projected
        vector, outputs.image_embeds), "cls" (last_hidden_state[:, 0]) or "mean" (the mean of the patch
        tokens); None: image_embeds when the model has them, else pooler when it has one, else cls.
        normalize: unit L2 rows. A file that cannot be read raises, naming it; with skip_invalid=True it is
        reported as a warning and skipped, and the call returns (embeddings, kept) where kept[i] is the index
        in images of row i. progress: True for a progress line on stderr, or a callable(done, total) after
        each batch. Ctrl-C stops between batches.
        """
        items = image_inputs(images)
        report = _Progress(len(items)) if progress is True else (progress or None)
        features, kept, skipped = self._model.embed(items, pooling=pooling or "", batch_size=batch_size,
                                                    normalize=normalize, skip_invalid=skip_invalid,
                                                    exif_transpose=exif_transpose, progress=report)
        for index, reason in skipped:
            warnings.warn(f"vit embed: skipping images[{index}]: {reason}", RuntimeWarning, stacklevel=2)
        return (features, kept) if skip_invalid else features

    def attention_maps(self, images: Any, method: str = "rollout", head_fusion: str = "mean",
                       discard_ratio: float = 0.0, layer: Optional[int] = None, batch_size: int = 8,
                       interpolate_pos_encoding: bool = False, exif_transpose: bool = False) -> np.ndarray:
        """Where the [CLS] token looks, per image: float32 [N, grid_h, grid_w], each image's largest value
        1, as `vit attention --method --head-fusion --discard-ratio --layer` writes to attention_maps.npy.

        images: pixel_values (a float array or tensor [N, 3, H, W] or [3, H, W]), or images the checkpoint's
        processor takes (paths, bytes, PIL images, uint8 arrays), run batch_size at a time. The other
        arguments are vit.attention_maps's; overlay a map with vit.attention_overlay(pixel_values[i],
        maps[i], model.processor).
        """
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise _vit.InvalidArgumentError(f"batch_size: expected a positive integer, got {batch_size!r}")
        array = images.detach().cpu().numpy() if is_torch_tensor(images) else images
        if isinstance(array, np.ndarray) and array.dtype.kind == "f":
            pixel_values = _pixel_values(array[None] if array.ndim == 3 else array)
        else:
            pixel_values = self.processor(images=images, exif_transpose=exif_transpose)["pixel_values"]
        if pixel_values.ndim != 4:
            raise _vit.InvalidArgumentError(f"images: expected pixel_values [N, 3, H, W], got shape {pixel_values.shape}")
        patch = self.config.patch_size
        grid = (pixel_values.shape[2] // patch, pixel_values.shape[3] // patch)
        maps = []
        for begin in range(0, pixel_values.shape[0], batch_size):
            out = self._model.run(pixel_values[begin:begin + batch_size], output_attentions=True,
                                  interpolate_pos_encoding=bool(interpolate_pos_encoding))
            maps.append(attention_maps(out["attentions"], method=method, head_fusion=head_fusion,
                                       discard_ratio=discard_ratio, layer=layer, grid=grid))
        if not maps:
            return np.zeros((0,) + grid, dtype=np.float32)
        return maps[0] if len(maps) == 1 else np.concatenate(maps)

    def __repr__(self) -> str:
        info = self._model.info
        return f"{type(self).__name__}({info['source']!r}, precision={info['precision']!r})"


def _check_family(cls: type, model: "_vit.Model") -> None:
    family = getattr(cls, "_family", None)
    if family is not None and model.info["family"] != family:
        raise _vit.InvalidArgumentError(
            f"{model.info['source']}: a {model.info['family']} checkpoint (config.json model_type "
            f"{model.config['model_type']!r}), not {family}; load it with vit.AutoModel")


class ViTForImageClassification(ViTModel):
    """transformers.ViTForImageClassification: model(pixel_values=...).logits [B, num_labels], labels in
    config.id2label. Needs a checkpoint with a classifier (classifier.weight/bias)."""

    _requires = ("has_classifier", "this checkpoint has no classifier (no classifier.* tensors); use ViTModel")

    def __call__(self, pixel_values: Any = None, output_hidden_states: Optional[bool] = None,  # type: ignore[override]
                 output_attentions: Optional[bool] = None, interpolate_pos_encoding: Optional[bool] = None,
                 return_dict: Optional[bool] = None) -> Any:
        """Runs pixel_values [B, C, H, W]; ImageClassifierOutput with logits [B, num_labels]."""
        out, _ = self._run(pixel_values, output_hidden_states, output_attentions, interpolate_pos_encoding)
        result = ImageClassifierOutput(logits=out["logits"], hidden_states=out["hidden_states"],
                                       attentions=out["attentions"])
        return result if return_dict is not False else result.to_tuple()

    forward = __call__


class DeiTModel(ViTModel):
    """transformers.DeiTModel: last_hidden_state ([CLS], the distillation token, the patches) and pooler_output."""

    _family = "DeiT"


class Dinov2Model(ViTModel):
    """transformers.Dinov2Model (and Dinov2WithRegistersModel): pooler_output is the final LayerNorm's [CLS]."""

    _family = "DINOv2"


Dinov2WithRegistersModel = Dinov2Model


class CLIPVisionModel(ViTModel):
    """transformers.CLIPVisionModel: pooler_output is post_layernorm([CLS]); reads a CLIPModel's vision tower."""

    _family = "CLIP"


class SiglipVisionModel(ViTModel):
    """transformers.SiglipVisionModel: pooler_output is the attention-pooling head's; no [CLS]."""

    _family = "SigLIP"


class CLIPVisionModelWithProjection(ViTModel):
    """transformers.CLIPVisionModelWithProjection: model(pixel_values=...) returns CLIPVisionModelOutput with
    image_embeds, the vector CLIP compares with text embeddings (model.embed's default pooling too). Needs a
    checkpoint with visual_projection (CLIPVisionModelWithProjection or CLIPModel)."""

    _family = "CLIP"

    _requires = ("has_image_embeds", "this checkpoint has no visual_projection; use CLIPVisionModel")

    def __call__(self, pixel_values: Any = None, output_hidden_states: Optional[bool] = None,  # type: ignore[override]
                 output_attentions: Optional[bool] = None, interpolate_pos_encoding: Optional[bool] = None,
                 return_dict: Optional[bool] = None) -> Any:
        """Runs pixel_values [B, C, H, W]; CLIPVisionModelOutput with image_embeds [B, projection_dim]."""
        out, _ = self._run(pixel_values, output_hidden_states, output_attentions, interpolate_pos_encoding)
        result = CLIPVisionModelOutput(image_embeds=out["image_embeds"], last_hidden_state=out["last_hidden_state"],
                                       hidden_states=out["hidden_states"], attentions=out["attentions"])
        return result if return_dict is not False else result.to_tuple()

    forward = __call__


class DeiTForImageClassification(ViTForImageClassification):
    """transformers.DeiTForImageClassification(WithTeacher): logits (WithTeacher: the mean of its two heads)."""

    _family = "DeiT"


DeiTForImageClassificationWithTeacher = DeiTForImageClassification


class Dinov2ForImageClassification(ViTForImageClassification):
    """transformers.Dinov2(WithRegisters)ForImageClassification: logits of cat([CLS], mean of the patch tokens)."""

    _family = "DINOv2"


Dinov2WithRegistersForImageClassification = Dinov2ForImageClassification


class AutoModel:
    """transformers.AutoModel.from_pretrained for any member of the family: the base model (last_hidden_state,
    pooler_output), as ViTModel; CLIPVisionModelWithProjection checkpoints (config.json's architectures) get
    that class, with image_embeds."""

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Union[str, os.PathLike], **kwargs: Any) -> ViTModel:
        model = ViTModel.from_pretrained(pretrained_model_name_or_path, **kwargs)
        if "CLIPVisionModelWithProjection" in model.config.__dict__.get("architectures", []):
            return CLIPVisionModelWithProjection._checked(model._model)
        return model


class AutoModelForImageClassification:
    """transformers.AutoModelForImageClassification.from_pretrained: a checkpoint with a classifier, any family."""

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Union[str, os.PathLike],
                        **kwargs: Any) -> ViTForImageClassification:
        return ViTForImageClassification.from_pretrained(pretrained_model_name_or_path, **kwargs)


__all__: List[str] = ["ViTConfig", "ModelOutput", "BaseModelOutputWithPooling", "CLIPVisionModelOutput",
                      "ImageClassifierOutput", "ViTModel", "ViTForImageClassification", "AutoModel",
                      "AutoModelForImageClassification", "DeiTModel", "Dinov2Model", "Dinov2WithRegistersModel",
                      "CLIPVisionModel", "CLIPVisionModelWithProjection", "SiglipVisionModel",
                      "DeiTForImageClassification", "DeiTForImageClassificationWithTeacher",
                      "Dinov2ForImageClassification", "Dinov2WithRegistersForImageClassification"]
