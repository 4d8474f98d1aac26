"""transformers' ViTImageProcessor on its PIL path, statement for statement, without transformers.

transformers is not a Debian package, so its steps are restated here from
src/transformers/models/vit/image_processing_vit.py (ViTImageProcessor.__init__ / preprocess),
image_processing_utils.py (get_size_dict) and image_transforms.py (resize, to_pil_image, rescale,
normalize), with the input format fixed to channels-last (vit never guesses channels-first from a
3-pixel-high picture, which transformers v4's infer_channel_dimension_format would).

Images enter as transformers' image_utils.load_image gives them: PIL.Image.open, optionally
ImageOps.exif_transpose, then convert("RGB").
"""
import numpy as np
from PIL import Image, ImageOps

IMAGENET_STANDARD_MEAN = [0.5, 0.5, 0.5]
IMAGENET_STANDARD_STD = [0.5, 0.5, 0.5]


def load_image(path, exif_transpose=False):
    image = Image.open(path)
    if exif_transpose:
        image = ImageOps.exif_transpose(image)
    return image.convert("RGB")


def get_size_dict(size):
    """image_processing_utils.get_size_dict(size, default_to_square=True, height_width_order=True)."""
    if isinstance(size, int):
        return {"height": size, "width": size}
    if isinstance(size, (list, tuple)):
        return {"height": size[0], "width": size[1]}
    if isinstance(size, dict):
        return dict(size)
    raise ValueError(f"size {size!r}")


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

    def preprocess(self, images):
        """PIL RGB images -> pixel_values [B, 3, H, W] as BatchFeature(return_tensors="np") holds it."""
        if self.do_convert_rgb:
            images = [im if im.mode == "RGB" else im.convert("RGB") for im in images]
        images = [np.array(im) for im in images]
        if self.do_resize:
            images = [self.resize(im) for im in images]
        if self.do_rescale:
            images = [self.rescale(im, self.rescale_factor) for im in images]
        if self.do_normalize:
            images = [self.normalize(im, self.image_mean, self.image_std) for im in images]
        images = [im.transpose(2, 0, 1) for im in images]
        return np.stack(images)


def pixel_values(paths, config, exif_transpose=False):
    processor = ViTImageProcessorReference(**config)
    return processor.preprocess([load_image(p, exif_transpose) for p in paths])
