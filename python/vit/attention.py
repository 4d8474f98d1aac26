"""What the model looks at: maps of the [CLS] token's attention over the patch grid, from the attentions
a model(..., output_attentions=True) call returns, as `vit attention` computes them (attention_maps.npy),
and pictures of them.

    out = model(pixel_values=pixel_values, output_attentions=True)
    maps = vit.attention_maps(out.attentions, method="rollout", discard_ratio=0.9)  # [B, 14, 14]
    vit.attention_overlay(pixel_values[0], maps[0], model.processor).save("cat.png")
"""
import math
import numbers
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from . import _vit
from .image_processing import ViTImageProcessor, is_torch_tensor

METHODS = ("rollout", "last")
HEAD_FUSIONS = ("mean", "max", "min")


def _array(x: Any, name: str) -> np.ndarray:
    if is_torch_tensor(x):
        x = x.detach().cpu().numpy()
    array = np.asarray(x)
    if array.dtype.kind != "f":
        raise _vit.InvalidArgumentError(f"{name}: expected floating-point values, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.float32)


def _attentions(attentions: Any) -> Tuple[np.ndarray, ...]:
    if attentions is None:
        raise _vit.InvalidArgumentError("attentions: required (run the model with output_attentions=True)")
    if isinstance(attentions, np.ndarray) or is_torch_tensor(attentions):
        if attentions.ndim == 5:  # the layers stacked, as `vit embed --outputs attentions` writes them
            attentions = list(attentions)
        else:
            raise _vit.InvalidArgumentError(
                f"attentions: expected a sequence of [B, heads, T, T] arrays, got one array of shape "
                f"{tuple(attentions.shape)}")
    if not isinstance(attentions, Sequence) or len(attentions) == 0:
        raise _vit.InvalidArgumentError("attentions: expected a non-empty sequence of [B, heads, T, T] arrays, one "
                                        "per layer (model(..., output_attentions=True).attentions)")
    return tuple(_array(a, f"attentions[{i}]") for i, a in enumerate(attentions))


def _grid(grid: Any, tokens: int) -> Tuple[int, int]:
    if grid is None:
        side = math.isqrt(max(tokens - 1, 0))
        if tokens < 2 or side * side != tokens - 1:
            raise _vit.InvalidArgumentError(
                f"grid: {tokens} tokens are not [CLS] plus a square patch grid; pass grid=(grid_h, grid_w)")
        return side, side
    if (not isinstance(grid, Sequence) or len(grid) != 2
            or not all(isinstance(g, numbers.Integral) and not isinstance(g, bool) and g >= 1 for g in grid)):
        raise _vit.InvalidArgumentError(f"grid: expected (grid_h, grid_w), two positive integers, got {grid!r}")
    grid_h, grid_w = int(grid[0]), int(grid[1])
    if grid_h * grid_w + 1 != tokens:
        raise _vit.InvalidArgumentError(
            f"grid: {grid_h}x{grid_w} patches plus [CLS] make {grid_h * grid_w + 1} tokens, the attentions have {tokens}")
    return grid_h, grid_w


def _layer(layer: Optional[int], layers: int) -> int:
    if layer is None:
        return -1
    if not isinstance(layer, numbers.Integral) or isinstance(layer, bool):
        raise _vit.InvalidArgumentError(f"layer: expected an integer or None, got {layer!r}")
    if not -layers <= layer < layers:
        raise _vit.InvalidArgumentError(
            f"layer: {layer} is outside the model's {layers} layers (0..{layers - 1}, or -1 for the last)")
    return int(layer)


def _check_options(method: str, head_fusion: str, discard_ratio: float) -> float:
    if method not in METHODS:
        raise _vit.InvalidArgumentError(f"method: expected 'rollout' or 'last', got {method!r}")
    if head_fusion not in HEAD_FUSIONS:
        raise _vit.InvalidArgumentError(f"head_fusion: expected 'mean', 'max' or 'min', got {head_fusion!r}")
    if (not isinstance(discard_ratio, numbers.Real) or isinstance(discard_ratio, bool)
            or not 0.0 <= float(discard_ratio) < 1.0):
        raise _vit.InvalidArgumentError(f"discard_ratio: expected a number in [0, 1), got {discard_ratio!r}")
    return float(discard_ratio)


def attention_maps(attentions: Sequence[Any], method: str = "rollout", head_fusion: str = "mean",
                   discard_ratio: float = 0.0, layer: Optional[int] = None,
                   grid: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Where the [CLS] token looks: float32 [B, grid_h, grid_w], each image's largest value 1 (what
    `vit attention` writes to attention_maps.npy).

    attentions: model(..., output_attentions=True).attentions, one [B, heads, T, T] array per layer (numpy
    or torch). method: "rollout" (Abnar & Zuidema: the layers' fused attention, plus the identity for the
    residual path, multiplied from the first layer to `layer`) or "last" (the [CLS] row of one layer,
    `layer`). head_fusion: how each layer's heads combine, "mean", "max" or "min". discard_ratio: in
    [0, 1), the share of each fused layer's lowest weights (never the [CLS] column) set to zero. layer:
    0-based, negative from the end; None is the last. grid: (grid_h, grid_w), the patch grid; None for a
    square one (images of other shapes need it: height // patch_size, width // patch_size).
    Bad arguments raise InvalidArgumentError (a ValueError) naming the argument.
    """
    discard_ratio = _check_options(method, head_fusion, discard_ratio)
    arrays = _attentions(attentions)
    first = arrays[0]
    if first.ndim != 4 or first.shape[2] != first.shape[3]:
        raise _vit.InvalidArgumentError(f"attentions[0]: expected [B, heads, T, T], got shape {first.shape}")
    grid_h, grid_w = _grid(grid, first.shape[2])
    return _vit.attention_maps(arrays, grid_h, grid_w, method=method, head_fusion=head_fusion,
                               discard_ratio=discard_ratio, layer=_layer(layer, len(arrays)))


def head_attention_maps(attentions: Sequence[Any], layer: Optional[int] = None,
                        grid: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Every head of one layer (None: the last): float32 [B, heads, grid_h, grid_w], each head's [CLS] row
    over the patches scaled so that its largest value is 1 (the `vit attention` <name>_heads.png)."""
    arrays = _attentions(attentions)
    first = arrays[0]
    if first.ndim != 4 or first.shape[2] != first.shape[3]:
        raise _vit.InvalidArgumentError(f"attentions[0]: expected [B, heads, T, T], got shape {first.shape}")
    grid_h, grid_w = _grid(grid, first.shape[2])
    return _vit.head_attention_maps(arrays, grid_h, grid_w, layer=_layer(layer, len(arrays)))


def attention_overlay(pixel_values: Any, attention_map: Any, processor: ViTImageProcessor, alpha: float = 0.6,
                      as_array: bool = False) -> Any:
    """One image's map over the image as the model saw it (the `vit attention` <name>.png): the map
    upsampled bilinearly to the image's size in the viridis colormap at `alpha` opacity.

    pixel_values: one image, [3, H, W] or [1, 3, H, W], as `processor` made it (its normalisation and
    rescaling are undone). attention_map: [grid_h, grid_w] or [1, grid_h, grid_w] with values in [0, 1],
    e.g. attention_maps(...)[i]. Returns a PIL image when PIL is importable and as_array is False,
    else uint8 RGB [H, W, 3].
    """
    if not isinstance(processor, ViTImageProcessor):
        raise _vit.InvalidArgumentError(f"processor: expected a ViTImageProcessor, got {type(processor).__name__}")
    if (not isinstance(alpha, numbers.Real) or isinstance(alpha, bool)) or not 0.0 <= float(alpha) <= 1.0:
        raise _vit.InvalidArgumentError(f"alpha: expected a number in [0, 1], got {alpha!r}")
    rgb = _vit.attention_overlay(_array(pixel_values, "pixel_values"), _array(attention_map, "attention_map"),
                                 processor._processor, alpha=float(alpha))
    if as_array:
        return rgb
    try:
        from PIL import Image
    except ImportError:
        return rgb
    return Image.fromarray(rgb, "RGB")


__all__ = ["attention_maps", "head_attention_maps", "attention_overlay"]
