"""The inputs of a distributed job, expanded on the client into a list of items: image files, folders
(recursed, sorted as `vit embed` sorts them), `@list.txt` files naming one input per line, and tar archives
as webdataset writes them (each image member is an item keyed by its member name, read by offset)."""
import os
import tarfile
from typing import Iterable, List, NamedTuple, Union

from .. import _vit

# The extensions `vit embed` takes from a folder (tools/vit/inputs.cc), and the archives taken here.
IMAGE_EXTENSIONS = frozenset([".jpg", ".jpeg", ".jpe", ".jfif", ".mpo", ".png", ".webp", ".bmp", ".dib", ".gif",
                              ".tif", ".tiff", ".pbm", ".pgm", ".ppm", ".pnm", ".tga", ".ico", ".cur", ".pcx",
                              ".sgi", ".rgb", ".rgba", ".bw", ".xbm", ".dds", ".psd", ".jp2", ".j2k", ".j2c", ".jpc",
                              ".jpf", ".jpx", ".heic", ".heif", ".hif", ".avif"])
TAR_EXTENSIONS = (".tar",)
COMPRESSED_TAR_EXTENSIONS = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar.zst")


class Item(NamedTuple):
    """One input: `key` names its row (the path as given, or the tar member's name); `path` is what a
    worker opens (absolute); a tar member also has the offset and size of its bytes in the archive."""
    key: str
    path: str
    offset: int = -1
    size: int = -1


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _is_tar(path: str) -> bool:
    return path.lower().endswith(TAR_EXTENSIONS)


def _tar_items(path: str) -> List[Item]:
    """Every image member of an uncompressed tar, in archive order. Other members (webdataset's .json,
    .cls, .txt beside each image) are not inputs."""
    absolute = os.path.abspath(path)
    items = []
    try:
        with tarfile.open(absolute, mode="r:") as archive:
            for member in archive:
                if member.isfile() and _extension(member.name) in IMAGE_EXTENSIONS:
                    items.append(Item(member.name, absolute, member.offset_data, member.size))
    except tarfile.ReadError as e:
        raise _vit.InvalidInputError(f"{path}: not a readable uncompressed tar archive: {e}") from None
    return items


def _folder_items(folder: str) -> List[Item]:
    files = []
    for root, _dirs, names in os.walk(folder, followlinks=True, onerror=_raise_listing(folder)):
        for name in names:
            path = os.path.join(root, name)
            if (_extension(name) in IMAGE_EXTENSIONS or _is_tar(name)) and os.path.isfile(path):
                files.append(path)
    # std::filesystem::path's order (component by component), as `vit embed` sorts a folder.
    files.sort(key=lambda p: p.split(os.sep))
    items: List[Item] = []
    for path in files:
        items.extend(_tar_items(path) if _is_tar(path) else [Item(path, os.path.abspath(path))])
    return items


def _raise_listing(folder: str):
    def raise_error(error: OSError) -> None:
        raise _vit.VitIOError(f"{folder}: cannot list folder: {error.strerror or error}")
    return raise_error


def _list_file_items(list_path: str, depth: int) -> List[Item]:
    try:
        with open(list_path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise _vit.NotFoundError(f"@{list_path}: no such list file") from None
    except OSError as e:
        raise _vit.VitIOError(f"@{list_path}: cannot read: {e.strerror}") from None
    return expand_inputs([line for line in lines if line.strip()], depth + 1)


def expand_inputs(inputs: Iterable[Union[str, "os.PathLike[str]"]], depth: int = 0) -> List[Item]:
    """The items of `inputs`, in order: each file as is, each folder recursed and sorted, each `@list.txt`
    as the inputs it names (one per line, blank lines ignored; relative paths from the current folder),
    each .tar as its image members. A missing input raises vit.NotFoundError naming it."""
    if depth > 8:
        raise _vit.InvalidArgumentError("@lists nest more than 8 deep (does a list name itself?)")
    items: List[Item] = []
    for raw in inputs:
        text = os.fspath(raw)
        if text.startswith("@"):
            items.extend(_list_file_items(text[1:], depth))
        elif os.path.isdir(text):
            items.extend(_folder_items(text))
        elif os.path.isfile(text):
            if text.lower().endswith(COMPRESSED_TAR_EXTENSIONS):
                raise _vit.InvalidArgumentError(
                    f"{text}: a compressed tar; members are read by offset, so give an uncompressed .tar")
            items.extend(_tar_items(text) if _is_tar(text) else [Item(text, os.path.abspath(text))])
        else:
            raise _vit.NotFoundError(f"{text}: no such file or folder")
    return items
