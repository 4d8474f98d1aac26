"""vit: Hugging Face Vision Transformers (ViTModel, ViTForImageClassification) on the CPU, with the
outputs transformers computes and no PyTorch needed at run time.

    import vit
    processor = vit.ViTImageProcessor.from_pretrained("google/vit-large-patch16-224-in21k")
    model = vit.ViTModel.from_pretrained("google/vit-large-patch16-224-in21k")
    out = model(**processor(images=["cat.jpg"], return_tensors="np"))
    out.pooler_output                                  # numpy float32 [1, 1024]
    model.embed(["cat.jpg", "dog.png"], pooling="cls")  # [2, 1024], decoded and batched in C++
    model.attention_maps(["cat.jpg"])                  # [1, 14, 14]: where [CLS] looks (vit.attention_maps)
"""
from ._vit import (
    InvalidArgumentError,
    InvalidInputError,
    NotFoundError,
    UnauthorizedError,
    UnsupportedError,
    VitError,
    VitIOError,
)
from .adapt import EmbeddingIndex, LinearProbe, find_near_duplicates
from .attention import attention_maps, attention_overlay, head_attention_maps
from .image_processing import AutoImageProcessor, BatchFeature, ViTImageProcessor
from .modeling import (
    AutoModel,
    AutoModelForImageClassification,
    BaseModelOutputWithPooling,
    CLIPVisionModel,
    CLIPVisionModelOutput,
    CLIPVisionModelWithProjection,
    DeiTForImageClassification,
    DeiTForImageClassificationWithTeacher,
    DeiTModel,
    Dinov2ForImageClassification,
    Dinov2Model,
    Dinov2WithRegistersForImageClassification,
    Dinov2WithRegistersModel,
    ImageClassifierOutput,
    ModelOutput,
    SiglipVisionModel,
    ViTConfig,
    ViTForImageClassification,
    ViTModel,
)

__version__ = "0.1.0"

__all__ = [
    "AutoImageProcessor",
    "AutoModel",
    "AutoModelForImageClassification",
    "BaseModelOutputWithPooling",
    "BatchFeature",
    "CLIPVisionModel",
    "CLIPVisionModelOutput",
    "CLIPVisionModelWithProjection",
    "DeiTForImageClassification",
    "DeiTForImageClassificationWithTeacher",
    "DeiTModel",
    "Dinov2ForImageClassification",
    "Dinov2Model",
    "Dinov2WithRegistersForImageClassification",
    "Dinov2WithRegistersModel",
    "EmbeddingIndex",
    "ImageClassifierOutput",
    "InvalidArgumentError",
    "InvalidInputError",
    "LinearProbe",
    "ModelOutput",
    "NotFoundError",
    "SiglipVisionModel",
    "UnauthorizedError",
    "UnsupportedError",
    "ViTConfig",
    "ViTForImageClassification",
    "ViTImageProcessor",
    "ViTModel",
    "VitError",
    "VitIOError",
    "attention_maps",
    "attention_overlay",
    "find_near_duplicates",
    "head_attention_maps",
]
