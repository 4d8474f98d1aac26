"""The shard plan of a job and the layout of its output folder.

DIR/vit-distributed.json   the manifest: the plan (options, input count, shard count, plan hash) and the
                           finished shards with their files' SHA-256, rewritten atomically by the client
DIR/inputs.jsonl           the plan's inputs in row order: one JSON array [key, path, offset, size] a line
DIR/shards/NNNNNN.json     a finished shard's record (rows, skipped, SHA-256 of each file), written last
DIR/shards/NNNNNN.<output>.npy, NNNNNN.keys.txt, NNNNNN.errors.jsonl   the shard's rows, keys and errors

Shard i holds inputs [i * shard_size, (i + 1) * shard_size) less the ones that could not be read; its files
are named by its index, so a shard computed twice (a worker lost after it finished) is replaced by the same
bytes. The plan hash covers every input and every option that changes a row, so a rerun over other inputs
or options is refused (or, asked to, starts a new plan) instead of mixing two jobs.
"""
import hashlib
import json
import os
from typing import Any, Dict, List, Optional, Sequence

from .. import _vit
from .files import write_atomically, write_json_atomically
from .inputs import Item

MANIFEST = "vit-distributed.json"
INPUTS = "inputs.jsonl"
SHARDS = "shards"
FORMAT = "vit-distributed/1"
# The options that change what a row holds; batch size and threads do not (rows are bit-identical
# whatever batch they run in).
PLAN_OPTIONS = ("model", "precision", "outputs", "normalize", "exif_transpose", "shard_size")


class PlanMismatchError(_vit.InvalidArgumentError):
    """The output folder holds a job with other inputs or options."""


class ShardError(_vit.VitIOError):
    """A shard of an output folder is missing, partial or damaged; the message names it."""


def encode_inputs(items: Sequence[Item]) -> bytes:
    return "".join(json.dumps(list(item), ensure_ascii=False) + "\n" for item in items).encode("utf-8",
                                                                                               "surrogateescape")


def decode_inputs(data: bytes) -> List[Item]:
    return [Item(*json.loads(line)) for line in data.decode("utf-8", "surrogateescape").splitlines() if line]


def make_plan(items: Sequence[Item], options: Dict[str, Any]) -> Dict[str, Any]:
    """The plan's description: options, counts, and the hash of both with the inputs."""
    inputs_hash = hashlib.sha256(encode_inputs(items)).hexdigest()
    fields = {name: options[name] for name in PLAN_OPTIONS}
    fields.update(inputs=len(items), inputs_sha256=inputs_hash,
                  shards=(len(items) + options["shard_size"] - 1) // options["shard_size"])
    fields["hash"] = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    return fields


def shard_name(plan: Dict[str, Any], index: int) -> str:
    return f"{index:0{max(6, len(str(plan['shards'] - 1)))}d}"


def shard_range(plan: Dict[str, Any], index: int) -> range:
    size = plan["shard_size"]
    return range(index * size, min((index + 1) * size, plan["inputs"]))


def shard_files(plan: Dict[str, Any], index: int, with_errors: bool) -> List[str]:
    name = shard_name(plan, index)
    files = [f"{name}.{output}.npy" for output in plan["outputs"]] + [f"{name}.keys.txt"]
    return files + [f"{name}.errors.jsonl"] if with_errors else files


def read_json(path: str, what: str) -> Optional[Any]:
    """The JSON in `path`, or None when there is no such file; ShardError naming `what` when unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise ShardError(f"{path}: unreadable {what}: {e}") from None
    if value is None:  # a file holding null is damaged, not absent
        raise ShardError(f"{path}: unreadable {what}: null")
    return value


def load_manifest(out_dir: str) -> Optional[Dict[str, Any]]:
    path = os.path.join(out_dir, MANIFEST)
    manifest = read_json(path, "manifest")
    if manifest is None:
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "plan" not in manifest:
        raise ShardError(f"{path}: not a {FORMAT} manifest")
    return manifest


def write_manifest(out_dir: str, manifest: Dict[str, Any]) -> None:
    write_json_atomically(os.path.join(out_dir, MANIFEST), manifest, compact=len(manifest.get("shards", {})) > 1000)


def write_inputs(out_dir: str, items: Sequence[Item]) -> None:
    data = encode_inputs(items)
    write_atomically(os.path.join(out_dir, INPUTS), lambda f: f.write(data))


def read_inputs(out_dir: str, plan: Dict[str, Any]) -> List[Item]:
    path = os.path.join(out_dir, INPUTS)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise ShardError(f"{path}: missing (the plan's inputs)") from None
    if hashlib.sha256(data).hexdigest() != plan["inputs_sha256"]:
        raise ShardError(f"{path}: does not match the manifest's plan (damaged or replaced)")
    return decode_inputs(data)


def describe_difference(old: Dict[str, Any], new: Dict[str, Any]) -> str:
    changed = [name for name in PLAN_OPTIONS + ("inputs", "inputs_sha256") if old.get(name) != new.get(name)]
    parts = []
    for name in changed:
        if name == "inputs_sha256":
            if "inputs" not in changed:
                parts.append("the inputs differ")
        elif name == "inputs":
            parts.append(f"{old.get('inputs')} inputs there, {new.get('inputs')} now")
        else:
            parts.append(f"{name} {old.get(name)!r} there, {new.get(name)!r} now")
    return "; ".join(parts) or "the plan differs"
