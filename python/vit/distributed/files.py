"""Durable files: each written under a temporary name in its folder, fsynced, hashed (SHA-256) while it is
written, then renamed into place, and the folder fsynced; a reader finds the old file or the new one, never
a part. Also the key lines of keys files (`vit embed`'s inputs.txt convention)."""
import hashlib
import json
import os
import uuid
from typing import Any, Callable, List

TEMP_PREFIX = ".tmp-"


class _HashingWriter:
    """A file object that hashes what goes through it (np.save writes to any object with write())."""

    def __init__(self, f: Any) -> None:
        self.f, self.hash = f, hashlib.sha256()

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.hash.update(view)
        return self.f.write(view)


def fsync_folder(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: str, write: Callable[[Any], None], sync_folder: bool = True) -> str:
    """Calls write(file) on a temporary file beside `path`, fsyncs it, renames it to `path`; returns the
    SHA-256 (hex) of what was written. On failure the temporary file is removed and `path` is untouched."""
    folder, name = os.path.split(path)
    temp = os.path.join(folder, f"{TEMP_PREFIX}{name}.{uuid.uuid4().hex}")
    try:
        with open(temp, "wb") as f:
            writer = _HashingWriter(f)
            write(writer)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    if sync_folder:
        fsync_folder(folder or ".")
    return writer.hash.hexdigest()


def write_json_atomically(path: str, value: Any, compact: bool = False) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":")) if compact else json.dumps(value, indent=1, sort_keys=True)
    data = (text + "\n").encode()
    return write_atomically(path, lambda f: f.write(data))


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def key_line(key: str) -> str:
    """A key as one line: as is, or a JSON string literal when it holds a control character or starts with
    a double quote (as `vit embed` writes inputs.txt)."""
    if key.startswith('"') or any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        return json.dumps(key, ensure_ascii=False)
    return key


def parse_key_lines(text: str) -> List[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [json.loads(line) if line.startswith('"') else line for line in lines]


def encode_keys(keys: List[str]) -> bytes:
    return "".join(key_line(k) + "\n" for k in keys).encode("utf-8", "surrogateescape")


def decode_keys(data: bytes) -> List[str]:
    return parse_key_lines(data.decode("utf-8", "surrogateescape"))
