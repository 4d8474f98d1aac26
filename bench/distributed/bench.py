#!/usr/bin/python3
"""vit.distributed on this machine, in one run:

1. throughput: `vit embed` against vit.distributed on a LocalCluster of 1 worker x 2 threads and of
   2 workers x 1 thread, ViT-B/16 and ViT-L/16 (random weights, full size, f32), over JPEGs of
   640x480; rounds interleaved, medians. Each figure is marginal (images/s between a job of --images and
   one of --base-images), so that process start, model load and cluster start, paid once per job, cancel.
2. scaling: the tiny model (2 layers, 32x32) on 1 to 16 single-thread worker processes, shards of 4 small
   images: what a task costs outside the model (the scheduler and the client, and the shard writer:
   .npy, keys, record, each fsynced and renamed), and what an empty task costs the scheduler;
3. the client's manifest: the time to rewrite it at 1,000 to 50,000 shards.

  PYTHONPATH=build/python /usr/bin/python3 bench/distributed/bench.py --build build [--json FILE]
Checkpoints are written once under BUILD/bench-checkpoints; bench/RESULTS.md has the figures.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def ensure_checkpoint(build, preset, **overrides):
    name = f"vit-{preset}-random" + "".join(f"-{k}{v}" for k, v in sorted(overrides.items()))
    folder = os.path.join(build, "bench-checkpoints", name)
    if not os.path.exists(os.path.join(folder, "model.safetensors")):
        cmd = [sys.executable, os.path.join(ROOT, "tests", "parity", "make_checkpoint.py"), "--preset", preset,
               "--out", folder]
        for k, v in overrides.items():
            cmd += ["--set", f"{k}={json.dumps(v)}"]
        subprocess.run(cmd, check=True)
    return folder


def make_images(folder, count, width, height, seed=0):
    """count JPEGs (quality 90): smooth gradients with noise, each a little different in size."""
    from PIL import Image
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    files = []
    for i in range(count):
        h, w = height + i % 5, width + i % 7
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([(x * (i + 1)) % 256, (y * 3 + i * 17) % 256, ((x + y) * 2) % 256], axis=-1)
        pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        path = os.path.join(folder, f"{i:05d}.{'jpg' if width > 100 else 'png'}")
        Image.fromarray(pixels).save(path, quality=90)
        files.append(path)
    return files


def time_vit_embed(vit_bin, model, files, out, batch_size):
    start = time.perf_counter()
    subprocess.run([vit_bin, "embed", "--model", model, "--out", out, "-b", str(batch_size), "-t", "2", "-q"] + files,
                   check=True)
    return time.perf_counter() - start


def time_distributed(client, model, files, out, threads, shard_size, batch_size=8):
    import shutil
    import vit.distributed as vd
    shutil.rmtree(out, ignore_errors=True)  # a job from scratch, never one finishing an earlier one
    start = time.perf_counter()
    vd.embed(files, out, model=model, client=client, threads_per_worker=threads, batch_size=batch_size,
             shard_size=shard_size, progress=False)
    return time.perf_counter() - start


def local_cluster(workers):
    import logging
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                           local_directory=tempfile.gettempdir(), silence_logs=logging.ERROR)
    return Client(cluster), cluster


def throughput(args, tmp):
    files = make_images(os.path.join(tmp, "jpegs"), args.images, 640, 480)
    base = files[:args.base_images]
    configs = [("vit embed -t 2", None, None), ("1 worker x 2 threads", 1, 2), ("2 workers x 1 thread", 2, 1)]
    results = {}
    for preset in args.models:
        model = ensure_checkpoint(args.build, preset)
        clients = {}
        for name, workers, threads in configs:
            if workers:
                clients[name] = local_cluster(workers)
                # Every worker loads the model before timing (a shard per worker).
                time_distributed(clients[name][0], model, files[:workers * 2], os.path.join(tmp, "warm"), threads, 2)
        samples = {name: [] for name, _, _ in configs}
        walls = {name: [] for name, _, _ in configs}
        for round_ in range(args.runs):
            for name, workers, threads in configs:
                out = os.path.join(tmp, "out")
                if workers is None:
                    t_all = time_vit_embed(args.vit, model, files, out, args.batch_size)
                    t_base = time_vit_embed(args.vit, model, base, out, args.batch_size)
                else:
                    # Shards of whole batches, spread evenly over 1 or 2 workers.
                    t_all = time_distributed(clients[name][0], model, files, out, threads, args.shard_size,
                                             args.batch_size)
                    t_base = time_distributed(clients[name][0], model, base, out, threads, args.shard_size,
                                              args.batch_size)
                rate = (len(files) - len(base)) / (t_all - t_base)
                samples[name].append(rate)
                walls[name].append(t_all)
                print(f"{preset} round {round_}: {name}: {rate:.3f} images/s marginal, {t_all:.1f} s for "
                      f"{len(files)} images", flush=True)
        for client, cluster in clients.values():
            client.close()
            cluster.close()
        reference = statistics.median(samples[configs[0][0]])
        results[preset] = {name: {"images_per_s_median": statistics.median(samples[name]),
                                  "images_per_s": samples[name], "wall_s_median": statistics.median(walls[name]),
                                  "vs_vit_embed": statistics.median(samples[name]) / reference}
                           for name, _, _ in configs}
    return results


def scaling(args, tmp):
    import vit.distributed as vd
    model = ensure_checkpoint(args.build, "tiny")
    files = make_images(os.path.join(tmp, "small"), args.scaling_tasks * 4, 48, 40, seed=1)
    results = {}
    for workers in args.workers:
        client, cluster = local_cluster(workers)
        try:
            time_distributed(client, model, files[:workers * 8], os.path.join(tmp, "warm"), 1, 4)
            out = os.path.join(tmp, f"scale-{workers}")
            start = time.perf_counter()
            result = vd.embed(files, out, model=model, client=client, shard_size=4, progress=False)
            wall = time.perf_counter() - start
            tasks = len(result.timings)
            busy = sum(t["seconds"] for t in result.timings)
            # Empty tasks: the scheduler's and the client's own cost of a task, nothing else.
            start = time.perf_counter()
            client.gather(client.map(_nothing, range(args.scaling_tasks * 4), pure=False))
            empty = (time.perf_counter() - start) / (args.scaling_tasks * 4)
        finally:
            client.close()
            cluster.close()
        results[workers] = {
            "tasks": tasks, "wall_s": wall, "tasks_per_s": tasks / wall,
            "task_s_mean": busy / tasks,
            "model_ms_mean": 1e3 * statistics.mean(t["compute_seconds"] for t in result.timings),
            "writer_ms_mean": 1e3 * statistics.mean(t["write_seconds"] for t in result.timings),
            "outside_task_ms": 1e3 * (workers * wall - busy) / tasks,
            "empty_task_ms": 1e3 * empty}
        r = results[workers]
        print(f"scaling {workers:2d} workers: {r['tasks_per_s']:.1f} tasks/s, model {r['model_ms_mean']:.2f} ms, "
              f"writer {r['writer_ms_mean']:.2f} ms, slot time outside tasks {r['outside_task_ms']:.2f} ms per task, "
              f"empty task {r['empty_task_ms']:.3f} ms", flush=True)
    return results


def _nothing(_):
    return None


def manifest_cost(tmp):
    from vit.distributed.plan import write_manifest
    results = {}
    for shards in (1000, 10000, 50000):
        entry = {"rows": 1000, "skipped": 0, "files": {f"{i:06d}.pooler_output.npy": "0" * 64 for i in range(1)}}
        entry["files"]["000000.keys.txt"] = "0" * 64
        manifest = {"format": "vit-distributed/1", "plan": {}, "shards": {str(i): entry for i in range(shards)}}
        times = []
        for _ in range(3):
            start = time.perf_counter()
            write_manifest(tmp, manifest)
            times.append(time.perf_counter() - start)
        results[shards] = {"ms": 1e3 * statistics.median(times),
                           "bytes": os.path.getsize(os.path.join(tmp, "vit-distributed.json"))}
        print(f"manifest of {shards} shards: {results[shards]['ms']:.1f} ms, {results[shards]['bytes']} bytes",
              flush=True)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--vit", help="the vit binary (default BUILD/vit)")
    ap.add_argument("--models", default="base,large", help="presets, comma-separated ('' skips part 1)")
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--base-images", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shard-size", type=int, default=8, help="part 1's shards (a multiple of the batch size)")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--workers", default="1,2,4,8,16", help="worker counts of part 2 ('' skips it)")
    ap.add_argument("--scaling-tasks", type=int, default=96)
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    args.vit = args.vit or os.path.join(args.build, "vit")
    args.models = [m for m in args.models.split(",") if m]
    args.workers = [int(w) for w in args.workers.split(",") if w]
    print(f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    figures = {"load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="vit-distributed-bench-") as tmp:
        if args.models:
            figures["throughput"] = throughput(args, tmp)
        if args.workers:
            figures["scaling"] = scaling(args, tmp)
        figures["manifest"] = manifest_cost(tmp)
    figures["load_average_end"] = os.getloadavg()
    print(json.dumps(figures, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)


if __name__ == "__main__":
    main()
