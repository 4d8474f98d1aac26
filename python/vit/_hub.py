"""Where from_pretrained finds a model: a folder as it is, a hub id through the Hugging Face cache."""
import os
from typing import Optional, Union

from . import _vit


def hub_options(revision: Optional[str], cache_dir: Union[str, os.PathLike, None], local_files_only: bool,
                token: Union[str, bool, None]) -> dict:
    """The keyword arguments _vit takes for transformers' revision, cache_dir, local_files_only, token."""
    return {
        "revision": revision or "",
        "cache_dir": os.fspath(cache_dir) if cache_dir is not None else None,
        "offline": True if local_files_only else None,
        "token": token if isinstance(token, str) else "",
    }


def model_directory(name_or_path: Union[str, os.PathLike], **hub) -> str:
    """A local folder as given; otherwise the hub id's snapshot folder, downloaded into the cache if needed. The
    library decides which it is, with the errors ViTModel.from_pretrained and the CLI give."""
    return os.fspath(_vit.resolve_model(os.fspath(name_or_path), **hub_options(**hub)))
