"""transformers' image processors of the ViT family on their PIL path, statement for statement, without
transformers: ViTImageProcessor, BitImageProcessor (DINOv2), CLIPImageProcessor, SiglipImageProcessor and
DeiTImageProcessor.

transformers is not a Debian package, so its steps are restated here from
src/transformers/models/{vit,bit,clip,siglip,deit}/image_processing_*.py (__init__ / resize / preprocess),
image_processing_utils.py (get_size_dict, BaseImageProcessor.center_crop) and image_transforms.py
(get_resize_output_image_size, resize, center_crop, to_pil_image, rescale, normalize), with the input
format fixed to channels-last (vit never guesses channels-first from a 3-pixel-high picture, which
transformers v4's infer_channel_dimension_format would).

Images enter as transformers' image_utils.load_image gives them: PIL.Image.open, optionally
ImageOps.exif_transpose, then convert("RGB").
"""
import math

import numpy as np
from PIL import Image, ImageOps

IMAGENET_STANDARD_MEAN = [0.5, 0.5, 0.5]
IMAGENET_STANDARD_STD = [0.5, 0.5, 0.5]
OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
VALID_SIZE_DICT_KEYS = ({"height", "width"}, {"shortest_edge"}, {"shortest_edge", "longest_edge"}, {"longest_edge"},
                        {"max_height", "max_width"})


def load_image(path, exif_transpose=False):
    image = Image.open(path)
    if exif_transpose:
        image = ImageOps.exif_transpose(image)
    return image.convert("RGB")


def get_size_dict(size, default_to_square=True, param_name="size"):
    """image_processing_utils.get_size_dict(size, default_to_square=..., height_width_order=True)."""
    if isinstance(size, dict):
        size_dict = dict(size)
    elif isinstance(size, int):
        size_dict = {"height": size, "width": size} if default_to_square else {"shortest_edge": size}
    elif isinstance(size, (list, tuple)):
        size_dict = {"height": size[0], "width": size[1]}
    else:
        raise ValueError(f"Could not convert size input to size dict: {size}")
    if set(size_dict) not in [set(k) for k in VALID_SIZE_DICT_KEYS]:
        raise ValueError(f"{param_name} must have one of the following set of keys: {VALID_SIZE_DICT_KEYS}, "
                         f"got {size_dict.keys()}")
    return size_dict


def get_resize_output_image_size(image, size, default_to_square=True):
    """image_transforms.get_resize_output_image_size without max_size (none of these classes passes one)."""
    if isinstance(size, (tuple, list)):
        if len(size) == 2:
            return tuple(size)
        size = size[0]
    if default_to_square:
        return (size, size)
    height, width = image.shape[:2]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    return (new_long, new_short) if width <= height else (new_short, new_long)


def pil_resize(image, size, resample):
    """image_transforms.resize on uint8 channels-last: to_pil_image (no rescale), PIL resize, numpy."""
    height, width = size
    pil = Image.fromarray(image.astype(np.uint8))
    return np.array(pil.resize((width, height), resample=resample, reducing_gap=None))


def center_crop(image, size):
    """image_transforms.center_crop (channels-last in and out; the crop itself runs channels-first)."""
    size = get_size_dict(size)
    if "height" not in size or "width" not in size:
        raise ValueError(f"The size dictionary must have keys 'height' and 'width'. Got {size.keys()}")
    image = image.transpose(2, 0, 1)
    orig_height, orig_width = image.shape[-2:]
    crop_height, crop_width = int(size["height"]), int(size["width"])
    top = (orig_height - crop_height) // 2
    bottom = top + crop_height
    left = (orig_width - crop_width) // 2
    right = left + crop_width
    if top >= 0 and bottom <= orig_height and left >= 0 and right <= orig_width:
        return image[..., top:bottom, left:right].transpose(1, 2, 0)
    new_height = max(crop_height, orig_height)
    new_width = max(crop_width, orig_width)
    new_image = np.zeros_like(image, shape=image.shape[:-2] + (new_height, new_width))
    top_pad = math.ceil((new_height - orig_height) / 2)
    left_pad = math.ceil((new_width - orig_width) / 2)
    new_image[..., top_pad:top_pad + orig_height, left_pad:left_pad + orig_width] = image
    top, bottom, left, right = top + top_pad, bottom + top_pad, left + left_pad, right + left_pad
    new_image = new_image[..., max(0, top):min(new_height, bottom), max(0, left):min(new_width, right)]
    return new_image.transpose(1, 2, 0)


class ViTImageProcessorReference:
    """ViTImageProcessor(**preprocessor_config) with its preprocess()."""

    def __init__(self, do_resize=True, size=None, resample=2, do_rescale=True, rescale_factor=1 / 255,
                 do_normalize=True, image_mean=None, image_std=None, do_convert_rgb=None, **kwargs):
        size = size if size is not None else {"height": 224, "width": 224}
        self.size = get_size_dict(size)
        self.do_resize = do_resize
        self.do_rescale = do_rescale
        self.do_normalize = do_normalize
        self.resample = resample
        self.rescale_factor = rescale_factor
        self.image_mean = image_mean if image_mean is not None else IMAGENET_STANDARD_MEAN
        self.image_std = image_std if image_std is not None else IMAGENET_STANDARD_STD
        self.do_convert_rgb = do_convert_rgb

    # image_transforms.resize: to_pil_image (uint8, so no rescale), PIL resize, back to numpy.
    def resize(self, image):
        if "height" not in self.size or "width" not in self.size:
            raise ValueError(f"The `size` dictionary must contain the keys `height` and `width`. Got {self.size.keys()}")
        height, width = self.size["height"], self.size["width"]
        pil = Image.fromarray(image.astype(np.uint8))
        resized = pil.resize((width, height), resample=self.resample, reducing_gap=None)
        return np.array(resized)

    # image_transforms.rescale
    @staticmethod
    def rescale(image, scale):
        rescaled = image.astype(np.float64) * scale
        return rescaled.astype(np.float32)

    # image_transforms.normalize, channels last
    @staticmethod
    def normalize(image, mean, std):
        if not np.issubdtype(image.dtype, np.floating):
            image = image.astype(np.float32)
        mean = mean if isinstance(mean, (list, tuple)) else [mean] * 3
        std = std if isinstance(std, (list, tuple)) else [std] * 3
        if len(mean) != 3 or len(std) != 3:
            raise ValueError("mean and std must have 3 elements")
        mean = np.array(mean, dtype=image.dtype)
        std = np.array(std, dtype=image.dtype)
        return (image - mean) / std

    do_center_crop = False

    def preprocess(self, images):
        """PIL RGB images -> pixel_values [B, 3, H, W] as BatchFeature(return_tensors="np") holds it."""
        if self.do_convert_rgb:
            images = [im if im.mode == "RGB" else im.convert("RGB") for im in images]
        images = [np.array(im) for im in images]
        if self.do_resize:
            images = [self.resize(im) for im in images]
        if self.do_center_crop:
            images = [center_crop(im, self.crop_size) for im in images]
        if self.do_rescale:
            images = [self.rescale(im, self.rescale_factor) for im in images]
        if self.do_normalize:
            images = [self.normalize(im, self.image_mean, self.image_std) for im in images]
        images = [im.transpose(2, 0, 1) for im in images]
        return np.stack(images)


class BitImageProcessorReference(ViTImageProcessorReference):
    """BitImageProcessor (DINOv2's) and CLIPImageProcessor: the same __init__ defaults and steps."""

    def __init__(self, do_resize=True, size=None, resample=3, do_center_crop=True, crop_size=None,
                 do_rescale=True, rescale_factor=1 / 255, do_normalize=True, image_mean=None, image_std=None,
                 do_convert_rgb=True, use_square_size=False, **kwargs):
        size = size if size is not None else {"shortest_edge": 224}
        size = get_size_dict(size, default_to_square=False)
        if use_square_size:  # CLIPImageProcessor only; harmless here as Bit configs never carry it
            size = {"height": size["shortest_edge"], "width": size["shortest_edge"]}
        crop_size = crop_size if crop_size is not None else {"height": 224, "width": 224}
        self.crop_size = get_size_dict(crop_size, default_to_square=True, param_name="crop_size")
        super().__init__(do_resize=do_resize, size=size, resample=resample, do_rescale=do_rescale,
                         rescale_factor=rescale_factor, do_normalize=do_normalize,
                         image_mean=image_mean if image_mean is not None else OPENAI_CLIP_MEAN,
                         image_std=image_std if image_std is not None else OPENAI_CLIP_STD,
                         do_convert_rgb=do_convert_rgb)
        self.size = size
        self.do_center_crop = do_center_crop

    def resize(self, image):
        size = self.size
        if "shortest_edge" in size:
            size, default_to_square = size["shortest_edge"], False
        elif "height" in size and "width" in size:
            size, default_to_square = (size["height"], size["width"]), True
        else:
            raise ValueError("Size must contain either 'shortest_edge' or 'height' and 'width'.")
        return pil_resize(image, get_resize_output_image_size(image, size, default_to_square), self.resample)


class SiglipImageProcessorReference(ViTImageProcessorReference):
    """SiglipImageProcessor: resize to size["height"] x size["width"], no crop."""

    def __init__(self, do_resize=True, size=None, resample=3, **kwargs):
        size = size if size is not None else {"height": 224, "width": 224}
        super().__init__(do_resize=do_resize, resample=resample, **kwargs)
        self.size = get_size_dict(size, default_to_square=False)

    def resize(self, image):
        return pil_resize(image, (self.size["height"], self.size["width"]), self.resample)


class DeiTImageProcessorReference(ViTImageProcessorReference):
    """DeiTImageProcessor: resize to height x width (256 by default), centre crop (224)."""

    def __init__(self, do_resize=True, size=None, resample=3, do_center_crop=True, crop_size=None, **kwargs):
        size = size if size is not None else {"height": 256, "width": 256}
        crop_size = crop_size if crop_size is not None else {"height": 224, "width": 224}
        super().__init__(do_resize=do_resize, size=size, resample=resample, **kwargs)
        self.do_center_crop = do_center_crop
        self.crop_size = get_size_dict(crop_size, param_name="crop_size")


PROCESSORS = {
    "ViTImageProcessor": ViTImageProcessorReference,
    "BitImageProcessor": BitImageProcessorReference,
    "CLIPImageProcessor": BitImageProcessorReference,
    "SiglipImageProcessor": SiglipImageProcessorReference,
    "DeiTImageProcessor": DeiTImageProcessorReference,
}


def make_processor(config):
    """AutoImageProcessor's choice: image_processor_type, else feature_extractor_type renamed."""
    name = config.get("image_processor_type")
    if name is None and config.get("feature_extractor_type") is not None:
        name = config["feature_extractor_type"].replace("FeatureExtractor", "ImageProcessor")
    return PROCESSORS[name or "ViTImageProcessor"](**config)


def pixel_values(paths, config, exif_transpose=False):
    processor = make_processor(config)
    return processor.preprocess([load_image(p, exif_transpose) for p in paths])
