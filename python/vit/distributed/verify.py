"""Checks of a finished shard against its record and the plan: every file present with the SHA-256 the
record holds, its rows and keys exactly the plan's inputs of its range less the errors listed."""
import json
import os
from typing import Any, Dict, List, Optional

import numpy as np

from .files import decode_keys, sha256_of
from .inputs import Item
from .plan import SHARDS, ShardError, read_json, shard_files, shard_name, shard_range


def load_record(out_dir: str, plan: Dict[str, Any], index: int) -> Optional[Dict[str, Any]]:
    """The shard's record, or None when the shard has none (it never finished)."""
    path = os.path.join(out_dir, SHARDS, shard_name(plan, index) + ".json")
    record = read_json(path, "shard record")
    if record is None:
        return None
    if not isinstance(record, dict) or record.get("plan") != plan["hash"] or record.get("shard") != index:
        raise ShardError(f"{path}: the record of another plan or shard")
    return record


def verify_shard(out_dir: str, plan: Dict[str, Any], index: int, record: Dict[str, Any],
                 items: Optional[List[Item]] = None, output: Optional[str] = None) -> Dict[str, Any]:
    """Raises ShardError naming the shard's file that is missing, damaged or inconsistent; returns
    {"keys": [...], "errors": [...]} read from it. `items`: the plan's inputs, to check the keys against;
    `output`: hash only that output's file (and the keys and errors), not the others'."""
    folder = os.path.join(out_dir, SHARDS)
    name = shard_name(plan, index)
    files = record.get("files", {})
    expected = shard_files(plan, index, with_errors=record.get("skipped", 0) > 0)
    if sorted(files) != sorted(expected):
        raise ShardError(f"{os.path.join(folder, name + '.json')}: lists files {sorted(files)}, expected {expected}")
    for file_name in expected:
        if output is not None and file_name.endswith(".npy") and file_name != f"{name}.{output}.npy":
            continue
        path = os.path.join(folder, file_name)
        try:
            digest = sha256_of(path)
        except FileNotFoundError:
            raise ShardError(f"{path}: missing (shard {name} is partial)") from None
        except OSError as e:
            raise ShardError(f"{path}: unreadable: {e.strerror}") from None
        if digest != files[file_name]:
            raise ShardError(f"{path}: damaged: its SHA-256 differs from the one recorded when shard {name} was written")
    with open(os.path.join(folder, f"{name}.keys.txt"), "rb") as f:
        keys = decode_keys(f.read())
    errors = []
    if record["skipped"]:
        with open(os.path.join(folder, f"{name}.errors.jsonl"), encoding="utf-8", errors="surrogateescape") as f:
            errors = [json.loads(line) for line in f if line.strip()]
    span = shard_range(plan, index)
    if len(keys) != record["rows"] or len(errors) != record["skipped"] or record["rows"] + record["skipped"] != len(span):
        raise ShardError(f"{os.path.join(folder, name + '.keys.txt')}: {len(keys)} rows and {len(errors)} errors, "
                         f"expected {len(span)} inputs in all (shard {name} is partial)")
    if items is not None:
        skipped = {e["input"] for e in errors}
        wanted = [items[i].key for i in span if i not in skipped]
        if wanted != keys:
            raise ShardError(f"{os.path.join(folder, name + '.keys.txt')}: the keys are not the plan's inputs "
                             f"{span.start}..{span.stop - 1}")
    return {"keys": keys, "errors": errors}


def load_rows(out_dir: str, plan: Dict[str, Any], index: int, output: str, rows: int) -> np.ndarray:
    path = os.path.join(out_dir, SHARDS, f"{shard_name(plan, index)}.{output}.npy")
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ShardError(f"{path}: unreadable: {e}") from None
    if array.dtype != np.float32 or array.ndim < 2 or array.shape[0] != rows:
        raise ShardError(f"{path}: holds {array.dtype} {array.shape}, expected {rows} float32 rows")
    return array
