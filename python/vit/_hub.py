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
    """A local folder as given; otherwise the hub id's snapshot folder, downloaded into the cache if needed."""
    path = os.fspath(name_or_path)
    if os.path.isdir(path):
        return path
    if os.path.exists(path):
        raise _vit.InvalidArgumentError(
            f"model '{path}' is a file; expected a folder with config.json and the weights, or a hub id")
    try:
        return os.fspath(_vit.download_model(path, **hub_options(**hub)))
    except _vit.InvalidArgumentError:  # not a hub id either: what Model::Load says of it
        raise _vit.NotFoundError(f"model '{path}' is not a folder, nor a hub id org/name[@revision]") from None
