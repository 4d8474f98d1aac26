"""transformers' image processors of the ViT family with their interface: resize (Pillow-exact), centre crop,
rescale and normalize in C++, as preprocessor_config.json sets them."""
import os
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _hub, _vit

# Pillow's filter numbers (PIL.Image.Resampling), as transformers' PILImageResampling.
_RESAMPLE_NAMES = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}


class BatchFeature(dict):
    """transformers' BatchFeature: a dict ({"pixel_values": array}) whose keys also read as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def is_torch_tensor(x: Any) -> bool:
    """Whether x is a torch.Tensor, without importing torch when it is not loaded."""
    torch = __import__("sys").modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def convert_tensors(array: Optional[np.ndarray], return_tensors: Optional[str]) -> Any:
    """The array as return_tensors asks: numpy ("np" or None) or torch ("pt", sharing the memory)."""
    if array is None or return_tensors in (None, "np"):
        return array
    if return_tensors == "pt":
        try:
            import torch
        except ImportError as e:
            raise ImportError('return_tensors="pt" needs torch; use return_tensors="np"') from e
        return torch.from_numpy(array)
    raise ValueError(f'return_tensors: expected "np" or "pt", got {return_tensors!r}')


def _channels_last(array: np.ndarray, name: str) -> np.ndarray:
    """A uint8 image array as contiguous RGB [H, W, 3]: channels first or last inferred as transformers does
    (a leading dimension of 1 or 3 is channels first), one channel repeated as Pillow's L -> RGB."""
    if array.dtype != np.uint8:
        raise _vit.InvalidArgumentError(f"{name}: expected uint8 pixel values, got dtype {array.dtype}")
    if array.ndim == 2:
        array = array[:, :, None]
    elif array.ndim != 3:
        raise _vit.InvalidArgumentError(f"{name}: expected an image of 2 or 3 dimensions, got shape {array.shape}")
    elif array.shape[0] in (1, 3):
        array = array.transpose(1, 2, 0)
    elif array.shape[2] not in (1, 3):
        raise _vit.InvalidArgumentError(
            f"{name}: expected 1 or 3 channels first or last, got shape {array.shape} (convert RGBA to RGB first)")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise _vit.InvalidArgumentError(f"{name}: an image of size 0, shape {array.shape}")
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array)


def image_inputs(images: Any, convert_rgb: bool = True) -> List[Any]:
    """What the C++ side takes: paths (str), encoded bytes, or uint8 RGB arrays [H, W, 3]."""
    if isinstance(images, np.ndarray) and images.ndim == 4:
        images = list(images)
    elif is_torch_tensor(images) and images.ndim == 4:
        images = list(images)
    elif not isinstance(images, (list, tuple)):
        images = [images]
    items = []
    for i, image in enumerate(images):
        name = f"images[{i}]"
        if isinstance(image, (str, os.PathLike)):
            items.append(os.fspath(image))
        elif isinstance(image, (bytes, bytearray, memoryview)):
            items.append(bytes(image))
        elif isinstance(image, np.ndarray):
            items.append(_channels_last(image, name))
        elif is_torch_tensor(image):
            items.append(_channels_last(image.detach().cpu().numpy(), name))
        elif hasattr(image, "convert") and hasattr(image, "mode"):  # a PIL image
            if image.mode != "RGB" and convert_rgb:
                image = image.convert("RGB")
            items.append(_channels_last(np.asarray(image), name))
        else:
            raise _vit.InvalidArgumentError(
                f"{name}: expected a file path, encoded bytes, a PIL image or a uint8 array, got {type(image).__name__}")
    return items


# The classes whose resize() takes {"shortest_edge": n} (BitImageProcessor for DINOv2, CLIPImageProcessor).
_SHORTEST_EDGE_CLASSES = ("BitImageProcessor", "BitImageProcessorFast", "CLIPImageProcessor", "CLIPImageProcessorFast")


def _config_changes(size: Any = None, resample: Any = None, crop_size: Any = None, **fields: Any) -> Dict[str, Any]:
    """transformers' argument spellings (size and crop_size dicts, resample enum) as the C++ processor's fields."""
    changes = {k: v for k, v in fields.items() if v is not None}
    if size is not None:
        if isinstance(size, int):
            size = {"height": size, "width": size}
        if isinstance(size, dict) and set(size) == {"shortest_edge"}:
            changes["shortest_edge"] = int(size["shortest_edge"])
        elif not isinstance(size, dict) or set(size) != {"height", "width"}:
            raise _vit.InvalidArgumentError(
                f'size: expected {{"height": H, "width": W}}, {{"shortest_edge": N}} or an int, got {size!r}')
        else:
            changes["shortest_edge"] = 0
            changes["height"], changes["width"] = int(size["height"]), int(size["width"])
    if crop_size is not None:
        if isinstance(crop_size, int):
            crop_size = {"height": crop_size, "width": crop_size}
        if not isinstance(crop_size, dict) or set(crop_size) != {"height", "width"}:
            raise _vit.InvalidArgumentError(f'crop_size: expected {{"height": H, "width": W}} or an int, got {crop_size!r}')
        changes["crop_height"], changes["crop_width"] = int(crop_size["height"]), int(crop_size["width"])
    if resample is not None:
        changes["resample"] = _RESAMPLE_NAMES[resample.lower()] if isinstance(resample, str) else int(resample)
    for key in ("image_mean", "image_std"):
        if key in changes:
            value = changes[key]
            changes[key] = [float(value)] * 3 if isinstance(value, (int, float)) else [float(v) for v in value]
    return changes


class ViTImageProcessor:
    """transformers.ViTImageProcessor: resize to size (Pillow's filter, bit-identical), rescale by
    rescale_factor, normalize with image_mean/image_std, in C++ over every core.

    processor(images=..., return_tensors="np") returns {"pixel_values": float32 [B, 3, H, W]}; images is
    one or a list of file paths, encoded bytes, PIL images, or uint8 arrays (HWC or CHW).
    """

    def __init__(self, do_resize: bool = True, size: Optional[Dict[str, int]] = None, resample: Any = 2,
                 do_rescale: bool = True, rescale_factor: float = 1 / 255, do_normalize: bool = True,
                 image_mean: Optional[Sequence[float]] = None, image_std: Optional[Sequence[float]] = None,
                 do_convert_rgb: bool = True, do_center_crop: bool = False,
                 crop_size: Optional[Dict[str, int]] = None, **kwargs: Any) -> None:
        """ViTImageProcessor's defaults; size={"shortest_edge": n} with do_center_crop and crop_size give
        the steps of BitImageProcessor and CLIPImageProcessor (from_pretrained reads any class's file)."""
        _check_unused(kwargs)
        self._processor = _vit.ImageProcessor(_config_changes(
            size=size, resample=resample, do_resize=do_resize, do_rescale=do_rescale, rescale_factor=rescale_factor,
            do_normalize=do_normalize, image_mean=image_mean, image_std=image_std, do_convert_rgb=do_convert_rgb,
            do_center_crop=do_center_crop, crop_size=crop_size))

    @classmethod
    def _wrap(cls, processor: "_vit.ImageProcessor") -> "ViTImageProcessor":
        self = cls.__new__(cls)
        self._processor = processor
        return self

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Union[str, os.PathLike], *, revision: Optional[str] = None,
                        cache_dir: Union[str, os.PathLike, None] = None, local_files_only: bool = False,
                        token: Union[str, bool, None] = None, **kwargs: Any) -> "ViTImageProcessor":
        """Reads preprocessor_config.json from a folder or a hub id ("org/name[@revision]", fetched into the
        Hugging Face cache with the model). Keyword arguments such as size= override the file."""
        directory = _hub.model_directory(pretrained_model_name_or_path, revision=revision, cache_dir=cache_dir,
                                         local_files_only=local_files_only, token=token)
        processor = _vit.ImageProcessor.from_pretrained(directory)
        if kwargs:
            processor = processor.with_config(_config_changes(**kwargs))
        return cls._wrap(processor)

    def __call__(self, images: Any, return_tensors: Optional[str] = "np", exif_transpose: bool = False,
                 **kwargs: Any) -> BatchFeature:
        """{"pixel_values": [B, 3, H, W] float32} (torch with return_tensors="pt"). Keyword arguments such
        as size= or do_normalize= apply to this call only. exif_transpose applies EXIF orientation to files
        and bytes (transformers' pipelines do; ViTImageProcessor itself does not)."""
        size = kwargs.get("size")
        config = self._processor.config
        if (isinstance(size, dict) and "shortest_edge" in size and config["shortest_edge"] == 0
                and config["image_processor_type"] not in _SHORTEST_EDGE_CLASSES):
            # transformers' resize() of these classes raises on a size without height and width.
            raise _vit.InvalidArgumentError(
                f'size: {config["image_processor_type"]} resizes to {{"height": H, "width": W}}, got {size!r}')
        processor = self._processor.with_config(_config_changes(**kwargs)) if kwargs else self._processor
        items = image_inputs(images, processor.config["do_convert_rgb"])
        pixel_values = processor.preprocess(items, exif_transpose)
        return BatchFeature(pixel_values=convert_tensors(pixel_values, return_tensors))

    preprocess = __call__

    @property
    def size(self) -> Dict[str, int]:
        c = self._processor.config
        if c["shortest_edge"] > 0:
            return {"shortest_edge": c["shortest_edge"]}
        return {"height": c["height"], "width": c["width"]}

    @property
    def crop_size(self) -> Dict[str, int]:
        c = self._processor.config
        return {"height": c["crop_height"], "width": c["crop_width"]}

    def to_dict(self) -> Dict[str, Any]:
        """The settings, spelled as preprocessor_config.json (crop_size only for classes that crop)."""
        c = dict(self._processor.config)
        c["size"] = self.size
        crop = {"height": c.pop("crop_height"), "width": c.pop("crop_width")}
        if c["do_center_crop"]:
            c["crop_size"] = crop
        else:
            del c["do_center_crop"]
        for key in ("height", "width", "shortest_edge"):
            del c[key]
        c["image_mean"], c["image_std"] = list(c["image_mean"]), list(c["image_std"])
        return c

    def __getattr__(self, name: str) -> Any:
        config = self.__dict__.get("_processor")
        if config is not None and name in config.config:
            return config.config[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"{self._processor.config['image_processor_type']}({self.to_dict()})"


class AutoImageProcessor(ViTImageProcessor):
    """transformers.AutoImageProcessor.from_pretrained: the class preprocessor_config.json names
    (ViTImageProcessor, BitImageProcessor, CLIPImageProcessor, SiglipImageProcessor, DeiTImageProcessor), run
    in C++ as ViTImageProcessor runs; every processor object here reads any of them the same way."""


def _check_unused(kwargs: Dict[str, Any]) -> None:
    if kwargs:
        raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(kwargs))}")
