"""What runs on a Dask worker: the model, loaded once per process and kept, and one shard's task (read its
inputs, embed them in batches, write its files durably, record it)."""
import json
import os
import re
import threading
import time
from typing import Any, Dict, List, Tuple

import numpy as np

from .files import encode_keys, fsync_folder, write_atomically, write_json_atomically
from .inputs import Item
from .plan import SHARDS, shard_files, shard_name

_models: Dict[Tuple[str, str, int], Any] = {}
_models_lock = threading.Lock()


def cached_model(model: str, precision: str, threads: int) -> Any:
    """The process's model for (model, precision, threads), loaded on first use and kept: a worker loads
    each model once, whatever number of shards it runs."""
    key = (model, precision, threads)
    with _models_lock:
        if key not in _models:
            from ..modeling import ViTModel
            _models[key] = ViTModel.from_pretrained(model, precision=precision, threads=threads, progress=False)
        return _models[key]


def _read_member(archives: Dict[str, Any], item: Item) -> bytes:
    f = archives.get(item.path)
    if f is None:
        f = archives[item.path] = open(item.path, "rb")
    f.seek(item.offset)
    data = f.read(item.size)
    if len(data) != item.size:
        raise OSError(f"{item.path}: truncated archive: member {item.key} ends past the end of the file")
    return data


def _images(items: List[Item]) -> Tuple[List[Any], List[int], List[Tuple[int, str]]]:
    """What the model's extraction takes for each readable item (a path, or a tar member's bytes), the item
    index of each, and the (item index, error) of those that could not be read."""
    images, where, errors = [], [], []
    archives: Dict[str, Any] = {}
    try:
        for i, item in enumerate(items):
            if item.offset < 0:
                images.append(item.path)
                where.append(i)
                continue
            try:
                images.append(_read_member(archives, item))
                where.append(i)
            except OSError as e:
                errors.append((i, f"{item.key}: cannot read from {item.path}: {e.strerror or e}"))
    finally:
        for f in archives.values():
            f.close()
    return images, where, errors


def _named(reason: str, position: int, item: Item) -> str:
    """The extraction names an image in memory images[i], a file by its absolute path: name the key."""
    reason = re.sub(rf"^images\[{position}\]", lambda _: item.key, reason)
    if item.offset < 0 and reason.startswith(item.path) and item.path != item.key:
        reason = item.key + reason[len(item.path):]
    return reason


def run_shard(spec: Dict[str, Any], index: int, first: int, items: List[Item], out_dir: str) -> Dict[str, Any]:
    """Embeds shard `index` (items, the first being input `first` of the plan) and writes its files into
    out_dir/shards, the record last. Returns the record. Unreadable images go to the errors file."""
    started = time.monotonic()
    model = cached_model(spec["model"], spec["precision"], spec["threads"])
    items = [Item(*item) for item in items]
    images, where, errors = _images(items)
    arrays, kept, skipped = model._model.extract(images, list(spec["outputs"]), batch_size=spec["batch_size"],
                                                 normalize=spec["normalize"], skip_invalid=True,
                                                 exif_transpose=spec["exif_transpose"])
    for position, reason in skipped:
        errors.append((where[position], _named(reason, position, items[where[position]])))
    errors.sort()
    rows = [where[k] for k in kept.tolist()]
    computed = time.monotonic()
    if spec.get("delay"):
        time.sleep(spec["delay"])

    plan = spec["plan"]
    folder = os.path.join(out_dir, SHARDS)
    names = shard_files(plan, index, with_errors=bool(errors))
    checksums: Dict[str, str] = {}
    for output, name in zip(plan["outputs"], names):
        array = np.ascontiguousarray(arrays[output], dtype=np.float32)
        checksums[name] = write_atomically(os.path.join(folder, name), lambda f, a=array: np.save(f, a),
                                           sync_folder=False)
    keys = encode_keys([items[i].key for i in rows])
    checksums[names[len(plan["outputs"])]] = write_atomically(os.path.join(folder, names[len(plan["outputs"])]),
                                                              lambda f: f.write(keys), sync_folder=False)
    if errors:
        lines = "".join(json.dumps({"input": first + i, "key": items[i].key, "error": reason}, ensure_ascii=False) + "\n"
                        for i, reason in errors).encode("utf-8", "surrogateescape")
        checksums[names[-1]] = write_atomically(os.path.join(folder, names[-1]), lambda f: f.write(lines),
                                                sync_folder=False)
    record = {"shard": index, "plan": plan["hash"], "first_input": first, "inputs": len(items), "rows": len(rows),
              "skipped": len(errors), "files": checksums}
    # The record is the shard's commit point: written after its files (and their names) are durable.
    fsync_folder(folder)
    write_json_atomically(os.path.join(folder, shard_name(plan, index) + ".json"), record)
    # Not in the shard's file: what bench/distributed measures (the model's share, the writer's share).
    finished = time.monotonic()
    record.update(seconds=finished - started, compute_seconds=computed - started, write_seconds=finished - computed,
                  worker_pid=os.getpid())
    return record
