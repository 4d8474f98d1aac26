"""The client side of a job: plan the shards, reuse the finished ones, run the others on a Dask cluster,
record them in the manifest as they finish; and read a finished job back."""
import fcntl
import importlib.util
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _vit
from .files import TEMP_PREFIX
from .inputs import Item, expand_inputs
from .plan import (FORMAT, MANIFEST, SHARDS, PlanMismatchError, ShardError, describe_difference,
                   load_manifest, make_plan, read_inputs, shard_name, shard_range, write_inputs, write_manifest)
from .progress import ProgressBar
from .verify import load_record, load_rows, verify_shard
from .worker import run_shard

OUTPUTS = ("pooler_output", "image_embeds", "cls", "mean", "last_hidden_state", "logits")
LOCK = ".vit-distributed.lock"
# The client rewrites the manifest at most once a second, and spends at most a tenth of its time on it
# (a manifest of 50,000 shards is megabytes): shard records on disk are the commit, the manifest their index.
MANIFEST_INTERVAL_S = 1.0
MANIFEST_SHARE = 0.1
SUBMIT_WINDOW_MIN = 64
SUBMIT_WINDOW_PER_THREAD = 4


@dataclass
class EmbedResult:
    """What a job did: rows written, inputs skipped (each {"input", "key", "error"}), shards computed by this
    run and reused from an earlier one."""
    out_dir: str
    rows: int = 0
    skipped: List[Dict[str, Any]] = field(default_factory=list)
    shards: int = 0
    computed: int = 0
    reused: int = 0
    seconds: float = 0.0
    # Each shard computed by this run: its seconds in the task, in the model, in writing (bench/distributed).
    timings: List[Dict[str, float]] = field(default_factory=list)


def _lock(out_dir: str) -> int:
    fd = os.open(os.path.join(out_dir, LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise _vit.VitIOError(f"{out_dir}: another vit.distributed job is writing this folder") from None
    return fd


def _check_options(outputs: Sequence[str], shard_size: int, batch_size: int, threads_per_worker: int,
                   precision: str) -> List[str]:
    names = []
    for name in outputs:
        name = "pooler_output" if name == "pooler" else name
        if name not in OUTPUTS:
            raise _vit.InvalidArgumentError(f"outputs: unknown output '{name}'; expected some of {', '.join(OUTPUTS)}")
        if name not in names:
            names.append(name)
    if not names:
        raise _vit.InvalidArgumentError("outputs: expected at least one output")
    for label, value in (("shard_size", shard_size), ("batch_size", batch_size),
                         ("threads_per_worker", threads_per_worker)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _vit.InvalidArgumentError(f"{label}: expected a positive integer, got {value!r}")
    if precision not in ("f32", "bf16", "int8"):
        raise _vit.InvalidArgumentError(f"precision: expected f32, bf16 or int8, got {precision!r}")
    return names


def _remove_temporaries(folder: str) -> None:
    """Files a killed writer left under their temporary names."""
    for name in os.listdir(folder):
        if name.startswith(TEMP_PREFIX):
            try:
                os.unlink(os.path.join(folder, name))
            except FileNotFoundError:
                pass


def _start_plan(out_dir: str, items: List[Item], plan: Dict[str, Any], new_plan: bool) -> Dict[str, Any]:
    """The manifest in force for `plan`: the folder's own when it holds the same plan, a fresh one when it
    holds none (or another, with new_plan). Another plan without new_plan raises PlanMismatchError."""
    manifest = load_manifest(out_dir)
    if manifest is not None and manifest["plan"].get("hash") != plan["hash"]:
        if not new_plan:
            raise PlanMismatchError(
                f"{out_dir}: holds a job of another plan ({describe_difference(manifest['plan'], plan)}); rerun "
                f"with the same inputs and options to finish it, pass --new-plan (new_plan=True) to discard it "
                f"and start this one, or choose another output folder")
        manifest = None
    if manifest is None:
        shutil.rmtree(os.path.join(out_dir, SHARDS), ignore_errors=True)
        os.makedirs(os.path.join(out_dir, SHARDS))
        write_inputs(out_dir, items)
        manifest = {"format": FORMAT, "plan": plan, "shards": {}, "complete": False}
        write_manifest(out_dir, manifest)
    return manifest


def _finished_shards(out_dir: str, plan: Dict[str, Any], manifest: Dict[str, Any], items: List[Item]) -> Dict[int, Any]:
    """The shards an earlier run finished: those of the manifest whose records still match it, and those
    whose record a worker wrote after the client recorded its last manifest (verified in full)."""
    done: Dict[int, Any] = {}
    recorded = manifest.get("shards", {})
    for index in range(plan["shards"]):
        try:
            record = load_record(out_dir, plan, index)
        except ShardError:
            record = None  # another plan's leftover, or damaged: computed again
        if record is None:
            continue
        entry = recorded.get(str(index))
        if entry is not None and entry.get("files") == record["files"] and all(
                os.path.exists(os.path.join(out_dir, SHARDS, name)) for name in record["files"]):
            done[index] = entry
            continue
        try:
            verify_shard(out_dir, plan, index, record, items)
        except ShardError:
            continue
        done[index] = _entry(record)
    return done


def _entry(record: Dict[str, Any]) -> Dict[str, Any]:
    return {name: record[name] for name in ("rows", "skipped", "files")}


def _make_client(scheduler: Optional[str], local_workers: Optional[int], threads_per_worker: int):
    from distributed import Client, LocalCluster
    if scheduler:
        return Client(scheduler), None
    workers = local_workers or max(1, (os.cpu_count() or 1) // threads_per_worker)
    # Dask's dashboard needs bokeh; without it the scheduler still serves HTTP, on any free port.
    dashboard = ":8787" if importlib.util.find_spec("bokeh") is not None else ":0"
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=dashboard,
                           local_directory=tempfile.gettempdir(), silence_logs=logging.ERROR)
    return Client(cluster), cluster


def _skipped(out_dir: str, plan: Dict[str, Any], done: Dict[int, Any]) -> List[Dict[str, Any]]:
    import json
    skipped = []
    for index in sorted(done):
        if done[index]["skipped"]:
            path = os.path.join(out_dir, SHARDS, f"{shard_name(plan, index)}.errors.jsonl")
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                skipped.extend(json.loads(line) for line in f if line.strip())
    return skipped


def embed(inputs: Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]], out_dir: Union[str, "os.PathLike[str]"],
          model: str, *, client: Any = None, scheduler: Optional[str] = None, local_workers: Optional[int] = None,
          threads_per_worker: int = 1, batch_size: int = 8, outputs: Sequence[str] = ("pooler_output",),
          shard_size: int = 1000, precision: str = "f32", normalize: bool = False, exif_transpose: bool = False,
          new_plan: bool = False, progress: Optional[bool] = None, shard_delay: float = 0.0) -> EmbedResult:
    """Embeds `inputs` on a Dask cluster into out_dir, one shard of shard_size inputs per task.

    inputs: image files, folders (recursed, sorted), "@list.txt" (one input a line), uncompressed tar
    archives (each image member an input, keyed by its member name). client: a distributed.Client to use;
    else scheduler ("tcp://host:8786"); else a LocalCluster of local_workers processes here. Each worker
    loads the model once and runs it on threads_per_worker threads (start dask-worker with --nthreads 1).
    outputs: among pooler_output, image_embeds, cls, mean, last_hidden_state, logits, each float32 as `vit embed` writes.
    Rerunning the same call finishes only the shards not yet written; another plan in out_dir raises
    PlanMismatchError unless new_plan. Inputs that cannot be read are listed in result.skipped (and in the
    shards' errors files). progress: a bar on stderr (default: when stderr is a terminal). shard_delay:
    seconds each task waits before writing (tests use it to interrupt a job mid-way).
    """
    started = time.monotonic()
    names = _check_options(list(outputs), shard_size, batch_size, threads_per_worker, precision)
    items = expand_inputs([inputs] if isinstance(inputs, (str, os.PathLike)) else inputs)
    if not items:
        raise _vit.InvalidArgumentError("no inputs: the folders, lists and archives given hold no image")
    out_dir = os.path.abspath(os.fspath(out_dir))
    os.makedirs(out_dir, exist_ok=True)
    lock = _lock(out_dir)
    own_client = own_cluster = None
    try:
        plan = make_plan(items, {"model": os.fspath(model), "precision": precision, "outputs": names,
                                 "normalize": bool(normalize), "exif_transpose": bool(exif_transpose),
                                 "shard_size": shard_size})
        manifest = _start_plan(out_dir, items, plan, new_plan)
        _remove_temporaries(out_dir)
        _remove_temporaries(os.path.join(out_dir, SHARDS))
        done = _finished_shards(out_dir, plan, manifest, items)
        manifest["shards"] = {str(i): done[i] for i in sorted(done)}
        result = EmbedResult(out_dir=out_dir, shards=plan["shards"], reused=len(done))
        todo = [i for i in range(plan["shards"]) if i not in done]
        bar = ProgressBar(plan["shards"], plan["inputs"], len(done), sum(len(shard_range(plan, i)) for i in done),
                          enabled=progress if progress is not None else True)
        if progress is None:
            bar.enabled = bar.terminal
        if todo:
            write_manifest(out_dir, manifest)
            if client is None:
                own_client, own_cluster = _make_client(scheduler, local_workers, threads_per_worker)
            _run(client or own_client, out_dir, plan, items, todo, manifest, done, bar, result.timings, {
                "model": os.fspath(model), "precision": precision, "threads": threads_per_worker,
                "batch_size": batch_size, "outputs": names, "normalize": bool(normalize),
                "exif_transpose": bool(exif_transpose), "plan": plan, "delay": shard_delay})
        bar.close()
        result.computed = len(todo)
        result.rows = sum(entry["rows"] for entry in done.values())
        result.skipped = _skipped(out_dir, plan, done)
        manifest.update(complete=True, rows=result.rows, skipped=len(result.skipped))
        write_manifest(out_dir, manifest)
        result.seconds = time.monotonic() - started
        return result
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
        os.close(lock)


def _run(client: Any, out_dir: str, plan: Dict[str, Any], items: List[Item], todo: List[int],
         manifest: Dict[str, Any], done: Dict[int, Any], bar: ProgressBar, timings: List[Dict[str, float]],
         spec: Dict[str, Any]) -> None:
    from distributed import as_completed
    futures: Dict[Any, int] = {}
    queue = iter(todo)

    def submit_next() -> Optional[Any]:
        index = next(queue, None)
        if index is None:
            return None
        span = shard_range(plan, index)
        future = client.submit(run_shard, spec, index, span.start, [tuple(items[i]) for i in span], out_dir,
                               key=f"vit-shard-{plan['hash'][:16]}-{shard_name(plan, index)}", pure=False)
        futures[future] = index
        return future

    # Only a window of shards is in the scheduler at a time (its memory holds their inputs' paths), a few
    # per worker thread so that none waits; each finished shard lets the next one in.
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values())
    window = max(SUBMIT_WINDOW_MIN, SUBMIT_WINDOW_PER_THREAD * threads)
    running = as_completed([f for f in (submit_next() for _ in range(window)) if f is not None])
    last_write, interval = time.monotonic(), MANIFEST_INTERVAL_S
    try:
        for future in running:
            index = futures.pop(future)  # a future let go lets Dask forget its result
            following = submit_next()
            if following is not None:
                running.add(following)
            if future.status != "finished":
                span = shard_range(plan, index)
                what = f"shard {shard_name(plan, index)} (inputs {span.start}..{span.stop - 1})"
                if future.status == "cancelled":  # the scheduler went away, or the client closed
                    raise _vit.VitError(f"{what} was cancelled (is the scheduler gone?); the finished shards are "
                                        f"kept: rerun the same command to finish the job")
                error = future.exception()
                raise _vit.VitError(f"{what} failed: {type(error).__name__}: {error}")
            try:
                record = future.result()
            except OSError as e:  # the connection to the scheduler (CommClosedError is an OSError)
                raise _vit.VitError(f"lost the scheduler ({type(e).__name__}: {e}); the {len(done)} finished shards "
                                    f"are kept: rerun the same command to finish the job") from None
            timings.append({name: record[name] for name in ("seconds", "compute_seconds", "write_seconds")})
            done[index] = _entry(record)
            manifest["shards"][str(index)] = done[index]
            bar.update(record["inputs"])
            if time.monotonic() - last_write >= interval:
                begin = time.monotonic()
                write_manifest(out_dir, manifest)
                last_write = time.monotonic()
                interval = max(MANIFEST_INTERVAL_S, (last_write - begin) / MANIFEST_SHARE)
    finally:
        # Whatever stopped the loop (the end, a failed shard, Ctrl-C), the manifest keeps what finished.
        manifest["shards"] = {str(i): done[i] for i in sorted(done)}
        write_manifest(out_dir, manifest)
        pending = [f for f in futures if not f.done()]
        futures.clear()
        if pending:
            client.cancel(pending)


def _plan_of(out_dir: str) -> Dict[str, Any]:
    manifest = load_manifest(out_dir)
    if manifest is None:
        raise ShardError(f"{out_dir}: no {MANIFEST} (not the output folder of vit.distributed.embed)")
    return manifest["plan"]


def read(out_dir: Union[str, "os.PathLike[str]"], output: Optional[str] = None,
         verify: bool = True) -> Tuple[List[str], np.ndarray]:
    """(keys, values) of a finished job: the rows of `output` (default: the job's first) in input order,
    values float32 [rows, ...], keys[i] the input of row i. Every shard's files are checked against the
    SHA-256 recorded when it was written, and its keys against the plan (verify=False skips the hashes);
    a missing, partial or damaged shard raises ShardError naming its file."""
    out_dir = os.fspath(out_dir)
    plan = _plan_of(out_dir)
    output = output or plan["outputs"][0]
    output = "pooler_output" if output == "pooler" else output
    if output not in plan["outputs"]:
        raise _vit.InvalidArgumentError(f"output: {output!r} is not among this job's outputs {plan['outputs']}")
    items = read_inputs(out_dir, plan)
    keys: List[str] = []
    blocks = []
    for index in range(plan["shards"]):
        record = load_record(out_dir, plan, index)
        if record is None:
            raise ShardError(f"{os.path.join(out_dir, SHARDS, shard_name(plan, index))}.json: missing: shard "
                             f"{shard_name(plan, index)} never finished (rerun the same embed to finish the job)")
        if verify:
            shard = verify_shard(out_dir, plan, index, record, items, output)
        else:
            from .files import decode_keys
            with open(os.path.join(out_dir, SHARDS, f"{shard_name(plan, index)}.keys.txt"), "rb") as f:
                shard = {"keys": decode_keys(f.read())}
        keys.extend(shard["keys"])
        blocks.append(load_rows(out_dir, plan, index, output, record["rows"]))
    values = np.concatenate(blocks) if blocks else np.zeros((0, 0), dtype=np.float32)
    return keys, values


def verify(out_dir: Union[str, "os.PathLike[str]"]) -> int:
    """Checks every file of every shard of a job (all outputs, keys, errors) against its SHA-256 and the
    plan; returns the number of rows, or raises ShardError naming the first shard file that is missing,
    partial or damaged. (A rerun of embed trusts the shards its manifest lists whose files exist: remove a
    damaged shard's NNNNNN.json and rerun to compute it again.)"""
    out_dir = os.fspath(out_dir)
    plan = _plan_of(out_dir)
    items = read_inputs(out_dir, plan)
    rows = 0
    for index in range(plan["shards"]):
        record = load_record(out_dir, plan, index)
        if record is None:
            raise ShardError(f"{os.path.join(out_dir, SHARDS, shard_name(plan, index))}.json: missing: shard "
                             f"{shard_name(plan, index)} never finished (rerun the same embed to finish the job)")
        verify_shard(out_dir, plan, index, record, items)
        for output in plan["outputs"]:
            load_rows(out_dir, plan, index, output, record["rows"])
        rows += record["rows"]
    return rows


def errors(out_dir: Union[str, "os.PathLike[str]"]) -> List[Dict[str, Any]]:
    """The inputs a job skipped: [{"input": index, "key", "error"}], in input order."""
    out_dir = os.fspath(out_dir)
    plan = _plan_of(out_dir)
    done = {}
    for index in range(plan["shards"]):
        record = load_record(out_dir, plan, index)
        if record is not None:
            done[index] = record
    return _skipped(out_dir, plan, done)
