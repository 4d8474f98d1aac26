#!/usr/bin/python3
"""Load benchmark of `vit serve`: wrk with 16 connections, each request one image to POST /embed,
against the offline throughput of `vit embed` on the same image with the same batch size.
Target: served throughput >= 90% of offline, with 0 errors. Loopback only; every run is bounded.

  bench/serve/load.py --preset base                # random-weight ViT-B/16 (make_checkpoint.py)
  bench/serve/load.py --model DIR --duration 60    # any checkpoint folder or hub id
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

from common import ROOT, VIT, Server, checkpoint, log


def offline_rate(model, image, batch, images, threads):
    """Images per second of `vit embed` on `image` repeated: the difference of two runs, so that model
    loading and process start cancel out."""
    def run(n):
        out = tempfile.mkdtemp(prefix="vit-load-offline-")
        try:
            cmd = [VIT, "embed", "--model", model, "--out", out, "--batch-size", str(batch), "--outputs",
                   "pooler_output"] + (["--threads", str(threads)] if threads else []) + [image] * n
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, timeout=3600)
            return time.perf_counter() - start
        finally:
            shutil.rmtree(out, ignore_errors=True)
    small, large = batch, batch + images
    run(small)  # warm the page cache
    t_small, t_large = run(small), run(large)
    return images / (t_large - t_small), t_small, t_large


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="checkpoint folder or hub id (default: --preset's random checkpoint)")
    ap.add_argument("--preset", default="base", help="make_checkpoint.py preset when --model is not given")
    ap.add_argument("--image", default=os.path.join(ROOT, "examples", "cat.jpg"))
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--duration", type=int, default=30, help="seconds of wrk load")
    ap.add_argument("--max-batch-size", type=int, default=8)
    ap.add_argument("--max-wait-ms", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="model threads (default: every core)")
    ap.add_argument("--offline-images", type=int, default=64)
    ap.add_argument("--wrk-threads", type=int, default=1)
    args = ap.parse_args()

    model = args.model or checkpoint(args.preset)

    def measure_offline(when):
        rate, t_small, t_large = offline_rate(model, args.image, args.max_batch_size, args.offline_images, args.threads)
        log(f"offline {when}: vit embed --batch-size {args.max_batch_size}: {rate:.2f} images/s "
            f"({t_small:.2f} s for {args.max_batch_size}, {t_large:.2f} s for {args.max_batch_size + args.offline_images})")
        return rate

    # Offline is measured before and after the served run, so that a drift in the machine's load shows.
    offline_before = measure_offline("before")

    work = tempfile.mkdtemp(prefix="vit-load-")
    server = None
    try:
        body_path = os.path.join(work, "body.json")
        with open(args.image, "rb") as f:
            body = json.dumps({"inputs": base64.b64encode(f.read()).decode(), "normalize": False}).encode()
        with open(body_path, "wb") as f:
            f.write(body)
        flags = ["--max-batch-size", str(args.max_batch_size), "--max-wait-ms", str(args.max_wait_ms)]
        if args.threads:
            flags += ["--threads", str(args.threads)]
        server = Server(model, *flags)
        for _ in range(3):  # warm-up: first runs allocate the workspaces
            status, answer = server.request("POST", "/embed", body, {"Content-Type": "application/json"})
            assert status == 200, answer[:300]
        before = server.metrics()
        cmd = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{args.duration}s",
               "--timeout", "60s", "-s", os.path.join(os.path.dirname(os.path.abspath(__file__)), "embed.lua"),
               server.url, "--", body_path]
        log("load: " + " ".join(cmd))
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 180)
        result = json.loads([line for line in r.stdout.splitlines() if line.startswith("{")][-1])
        after = server.metrics()
        exit_code = server.stop()
        server = None
    finally:
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    offline_after = measure_offline("after")
    offline = (offline_before + offline_after) / 2

    errors = sum(v for k, v in result.items() if k.startswith("errors_")) + result["malformed_answers"]
    served = result["requests"] / result["seconds"]
    batches = after["vit_batches_total"] - before["vit_batches_total"]
    images = after["vit_images_total"] - before["vit_images_total"]
    report = {
        "model": model, "connections": args.connections, "max_batch_size": args.max_batch_size,
        "max_wait_ms": args.max_wait_ms, "duration_s": result["seconds"], "requests": result["requests"],
        "errors": errors, "served_images_per_s": round(served, 3), "offline_images_per_s": round(offline, 3),
        "offline_before": round(offline_before, 3), "offline_after": round(offline_after, 3),
        "server_images_per_s": round(images / result["seconds"], 3), "ratio": round(served / offline, 4),
        "p50_ms": result["p50_ms"], "p90_ms": result["p90_ms"],
        "p99_ms": result["p99_ms"], "max_ms": result["max_ms"],
        "mean_batch_size": round(images / batches, 2) if batches else 0, "server_exit_code": exit_code,
    }
    print(json.dumps(report))
    ok = errors == 0 and served >= 0.9 * offline and exit_code == 0
    log(f"served {served:.2f} images/s = {100 * served / offline:.1f}% of offline {offline:.2f}; "
        f"p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms; {errors} errors; "
        f"mean batch {report['mean_batch_size']}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
