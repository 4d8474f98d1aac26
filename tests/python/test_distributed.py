"""vit.distributed on Dask: a LocalCluster of 2 processes x 1 thread and a dask-scheduler with two dask-workers
on loopback; outputs equal to `vit embed` bit for bit, each input exactly once after a worker is killed or the
client or the scheduler is killed and the job rerun, tar and @list inputs, the errors list and exit code 3, damaged shards."""
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time

import numpy as np
import pytest

from conftest import cli_embed

distributed = pytest.importorskip("distributed")

import vit  # noqa: E402
import vit.distributed as vd  # noqa: E402

OUTPUTS = ["pooler_output", "cls", "mean", "last_hidden_state"]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """24 small images (PNG and JPEG, odd sizes) in a folder with a subfolder, sorted as `vit embed` sorts."""
    from PIL import Image
    folder = tmp_path_factory.mktemp("distributed-images")
    rng = np.random.default_rng(7)
    paths = []
    for i in range(24):
        sub = folder / ("a" if i % 4 == 0 else "")
        sub.mkdir(exist_ok=True)
        pixels = rng.integers(0, 256, (20 + 3 * i, 31 + 2 * i, 3), dtype=np.uint8)
        path = sub / f"img{i:02d}.{'png' if i % 2 else 'jpg'}"
        Image.fromarray(pixels).save(path)
        paths.append(str(path))
    return str(folder), sorted(paths, key=lambda p: p.split(os.sep))


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes x 1 thread, shared by the tests of this file."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       local_directory=os.environ.get("TMPDIR", "/tmp"))
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def expected(model_dir, paths, outputs=OUTPUTS, extra=()):
    return cli_embed(model_dir, paths, outputs, extra)


def check_equal(out_dir, keys, reference, outputs=OUTPUTS):
    for name in outputs:
        got_keys, values = vd.read(out_dir, name)
        assert got_keys == keys
        assert values.dtype == np.float32 and values.shape == reference[name].shape
        assert np.array_equal(values, reference[name]), name  # bit for bit


def shard_records(out_dir):
    folder = os.path.join(out_dir, "shards")
    return sorted(n for n in os.listdir(folder) if n.endswith(".json")) if os.path.isdir(folder) else []


def test_local_cluster_equals_vit_embed_with_tar_and_list(tiny224, images, client, tmp_path):
    folder, paths = images
    # A webdataset-style tar of 5 images (each with a .json beside it, which is not an input) and a list of 3.
    tar_path = tmp_path / "data-000000.tar"
    with tarfile.open(tar_path, "w") as archive:
        for i, path in enumerate(paths[:5]):
            stem = f"sample{i:06d}"
            archive.add(path, arcname=f"{stem}{os.path.splitext(path)[1]}")
            meta = json.dumps({"i": i}).encode()
            info = tarfile.TarInfo(f"{stem}.json")
            info.size = len(meta)
            archive.addfile(info, io.BytesIO(meta))
    listed = [paths[20], paths[3], paths[11]]
    (tmp_path / "list.txt").write_text("\n".join(listed) + "\n\n")
    out = str(tmp_path / "out")
    result = vd.embed([folder, f"@{tmp_path / 'list.txt'}", str(tar_path)], out, model=tiny224, client=client,
                      outputs=OUTPUTS, shard_size=5, batch_size=3)
    assert (result.rows, result.skipped, result.shards, result.computed) == (32, [], 7, 7)
    tar_keys = [f"sample{i:06d}{os.path.splitext(p)[1]}" for i, p in enumerate(paths[:5])]
    reference = expected(tiny224, paths + listed + paths[:5])
    check_equal(out, paths + listed + tar_keys, reference)
    # Rerunning the finished job computes nothing; another plan in the folder is refused, clearly.
    again = vd.embed([folder, f"@{tmp_path / 'list.txt'}", str(tar_path)], out, model=tiny224, client=client,
                     outputs=OUTPUTS, shard_size=5)
    assert (again.computed, again.reused) == (0, 7)
    with pytest.raises(vd.PlanMismatchError, match="shard_size 5 there, 4 now"):
        vd.embed([folder], out, model=tiny224, client=client, outputs=OUTPUTS, shard_size=4)


def test_worker_killed_mid_run_every_input_exactly_once(tiny224, images, client, tmp_path, monkeypatch):
    folder, paths = images
    # A window of 2 shards in the scheduler at a time, so that each finished shard lets in the next.
    monkeypatch.setattr("vit.distributed.job.SUBMIT_WINDOW_MIN", 2)
    monkeypatch.setattr("vit.distributed.job.SUBMIT_WINDOW_PER_THREAD", 1)
    out = str(tmp_path / "out")
    pids = set(client.run(os.getpid).values())
    outcome = {}

    def job():
        try:
            outcome["result"] = vd.embed(folder, out, model=tiny224, client=client, outputs=["cls"], shard_size=2,
                                         shard_delay=0.4)
        except BaseException as e:  # reported by the test below
            outcome["error"] = e

    thread = threading.Thread(target=job)
    thread.start()
    deadline = time.monotonic() + 60
    while not shard_records(out) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert shard_records(out), "no shard finished"
    victim = sorted(pids)[0]
    os.kill(victim, signal.SIGKILL)  # mid-shard: every task sleeps 0.4 s before writing
    thread.join(120)
    assert not thread.is_alive()
    assert "error" not in outcome, repr(outcome.get("error"))
    assert len(shard_records(out)) == 12 < len(paths)
    now, deadline = set(), time.monotonic() + 60
    while len(now) != 2 and time.monotonic() < deadline:  # the nanny starts a new worker
        try:
            now = set(client.run(os.getpid).values())
        except Exception:  # a worker still starting
            now = set()
        time.sleep(0.1)
    assert len(now) == 2 and victim not in now
    check_equal(out, paths, expected(tiny224, paths, ["cls"]), ["cls"])


def test_client_killed_rerun_finishes_only_missing_shards(tiny224, images, client, tmp_path):
    folder, paths = images
    out = str(tmp_path / "out")
    script = (f"import vit.distributed as vd; vd.embed({folder!r}, {out!r}, model={tiny224!r}, local_workers=2, "
              f"outputs=['pooler_output'], shard_size=2, shard_delay=0.3, progress=False)")
    job = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while len(shard_records(out)) < 3 and time.monotonic() < deadline and job.poll() is None:
            time.sleep(0.02)
    finally:
        os.killpg(job.pid, signal.SIGKILL)  # the client and its LocalCluster, mid-job
        job.wait()
    time.sleep(0.5)  # a worker orphaned mid-write is gone before we look
    finished = {name: os.stat(os.path.join(out, "shards", name)).st_mtime_ns for name in shard_records(out)}
    assert 3 <= len(finished) < 12
    result = vd.embed(folder, out, model=tiny224, client=client, outputs=["pooler_output"], shard_size=2)
    assert (result.reused, result.computed, result.rows) == (len(finished), 12 - len(finished), 24)
    for name, mtime in finished.items():  # finished shards were not recomputed
        assert os.stat(os.path.join(out, "shards", name)).st_mtime_ns == mtime
    check_equal(out, paths, expected(tiny224, paths, ["pooler_output"]), ["pooler_output"])
    manifest = json.load(open(os.path.join(out, "vit-distributed.json")))
    assert manifest["complete"] and len(manifest["shards"]) == 12


def test_read_names_a_damaged_or_missing_shard(tiny224, images, client, tmp_path):
    folder, paths = images
    out = str(tmp_path / "out")
    vd.embed(paths[:8], out, model=tiny224, client=client, outputs=["cls", "mean"], shard_size=3)
    shard = os.path.join(out, "shards", "000001.mean.npy")
    data = bytearray(open(shard, "rb").read())
    data[-5] ^= 1
    open(shard, "wb").write(bytes(data))
    assert vd.read(out, "cls")[1].shape == (8, 64)  # other outputs stay readable
    with pytest.raises(vd.ShardError, match=r"000001\.mean\.npy: damaged"):
        vd.read(out, "mean")
    r = subprocess.run([sys.executable, "-m", "vit.distributed", "verify", out], capture_output=True, text=True)
    assert r.returncode == 1 and "000001.mean.npy: damaged" in r.stderr
    os.unlink(os.path.join(out, "shards", "000002.keys.txt"))
    with pytest.raises(vd.ShardError, match=r"000002\.keys\.txt: missing \(shard 000002 is partial\)"):
        vd.read(out, "cls")
    os.unlink(os.path.join(out, "shards", "000002.json"))
    with pytest.raises(vd.ShardError, match=r"000002\.json: missing: shard 000002 never finished"):
        vd.read(out, "cls")
    # The same command again redoes exactly the shards that are not intact.
    result = vd.embed(paths[:8], out, model=tiny224, client=client, outputs=["cls", "mean"], shard_size=3)
    assert result.computed == 1 and vd.read(out, "cls")[0] == paths[:8]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskProcesses:
    """A dask-scheduler and two dask-workers (1 thread each) on loopback, as a user starts them."""

    def __init__(self, tmp_path, port):
        self.address = f"tcp://127.0.0.1:{port}"
        logs = open(tmp_path / "dask.log", "a")
        self.scheduler = subprocess.Popen([shutil.which("dask-scheduler") or "dask-scheduler", "--host", "127.0.0.1",
                                           "--port", str(port), "--no-dashboard"], stdout=logs, stderr=logs)
        self.workers = [subprocess.Popen([shutil.which("dask-worker") or "dask-worker", self.address, "--nthreads", "1",
                                          "--no-dashboard", "--local-directory", str(tmp_path)],
                                         stdout=logs, stderr=logs) for _ in range(2)]
        try:
            with distributed.Client(self.address, timeout=60) as c:
                c.wait_for_workers(2, timeout=60)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for p in self.workers + [self.scheduler]:
            if p.poll() is None:
                p.terminate()
        for p in self.workers + [self.scheduler]:
            p.wait(30)


def test_scheduler_and_two_workers_cli_errors_and_exit_code(tiny224, images, tmp_path):
    folder, paths = images
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    missing = tmp_path / "gone.jpg"
    inputs = [paths[0], str(bad), paths[1], str(missing), paths[2]]
    (tmp_path / "list.txt").write_text("\n".join(inputs) + "\n")
    missing.write_bytes(b"")  # listed, then emptied: unreadable
    cluster = DaskProcesses(tmp_path, free_port())
    try:
        out = str(tmp_path / "out")
        r = subprocess.run([sys.executable, "-m", "vit.distributed", "embed", "--model", tiny224, "--out", out,
                            "--scheduler", cluster.address, "--shard-size", "2", "--outputs", "pooler_output,mean",
                            f"@{tmp_path / 'list.txt'}"], capture_output=True, text=True, timeout=120)
    finally:
        cluster.stop()
    assert r.returncode == 3, r.stderr
    assert f"skipped {bad}:" in r.stderr and "3 row(s) in 3 shard(s)" in r.stderr
    errors = vd.errors(out)
    assert [(e["input"], e["key"]) for e in errors] == [(1, str(bad)), (3, str(missing))]
    assert all(e["error"].startswith(e["key"] + ": ") for e in errors)
    good = [paths[0], paths[1], paths[2]]
    check_equal(out, good, expected(tiny224, good, ["pooler_output", "mean"]), ["pooler_output", "mean"])


def test_scheduler_killed_rerun_finishes_the_job(tiny224, images, tmp_path):
    folder, paths = images
    out = str(tmp_path / "out")
    port = free_port()
    cluster = DaskProcesses(tmp_path, port)
    outcome = {}

    def job():
        try:
            vd.embed(folder, out, model=tiny224, scheduler=cluster.address, outputs=["cls"], shard_size=2,
                     shard_delay=0.3)
        except BaseException as e:
            outcome["error"] = e

    thread = threading.Thread(target=job)
    try:
        thread.start()
        deadline = time.monotonic() + 60
        while len(shard_records(out)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        cluster.scheduler.kill()  # SIGKILL, mid-job
        thread.join(120)
    finally:
        cluster.stop()
    assert isinstance(outcome.get("error"), vit.VitError) and "rerun the same command" in str(outcome["error"])
    finished = {name: os.stat(os.path.join(out, "shards", name)).st_mtime_ns for name in shard_records(out)}
    assert 2 <= len(finished) < 12
    cluster = DaskProcesses(tmp_path, port)  # a new scheduler at the same address, new workers
    try:
        result = vd.embed(folder, out, model=tiny224, scheduler=cluster.address, outputs=["cls"], shard_size=2)
    finally:
        cluster.stop()
    assert (result.reused, result.computed) == (len(finished), 12 - len(finished))
    assert all(os.stat(os.path.join(out, "shards", n)).st_mtime_ns == m for n, m in finished.items())
    check_equal(out, paths, expected(tiny224, paths, ["cls"]), ["cls"])
