#!/usr/bin/python3
"""vit against PyTorch and ONNX Runtime on one machine, in one run: a benchmark, not a test.

  bench/e2e/compare.py --build build-kernels            # ViT-L/16 random weights, batch 1 and 8
  bench/e2e/compare.py --build build-kernels --engines vit,torch --precisions f32 --batches 1 --runs 5
  bench/e2e/compare.py --family clip-l14 --engines vit,torch --precisions f32 --batches 1   # CLIP ViT-L/14

--family picks the model: vit (ViTModel, tests/parity/make_checkpoint.py --preset), or a full-size random-weight
DINOv2-L/14, CLIP ViT-L/14 vision tower or SigLIP-B/16 vision tower from tests/parity/make_family_checkpoint.py
(--preset tiny: that script's tiny preset of the family, for a quick check). The PyTorch side of a family is
tests/parity/family_reference.py in float32 as an nn.Module (bench/e2e/torch_family.py), the ONNX model its
export; GFLOP/image is vit bench's count for the checkpoint (the family's own token count).

Steps: writes the random-weight checkpoint with tests/parity/make_checkpoint.py (once, under
BUILD/e2e/), runs `vit bench --json` per precision and batch, PyTorch (Debian's python3-torch:
fp32, bf16 autocast, the model cast to bfloat16; torch.set_num_threads, inference_mode) and ONNX
Runtime (torch.onnx.export, then onnxruntime-node from npm installed under BUILD/e2e/ort-node, the
given number of intra-op threads). Every figure is the median of --runs timed runs after 2 warm-ups.
PyTorch runs in its best environment: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for its
processes only. Prints ms/image, images/s, GFLOP/s, % of the measured peak of the precision, and the
ratio of each engine's time to vit's at the same precision (> 1: vit is faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3"

TORCH_MODES = {"f32": "fp32", "bf16-autocast": "bf16", "bf16-cast": "bf16"}
# --family: (make_family_checkpoint.py --kind, its full-size preset); vit uses make_checkpoint.py.
FAMILIES = {"vit": None, "dinov2-l14": ("dinov2", "dinov2-large"), "clip-l14": ("clip-vision", "clip-large"),
            "siglip-b16": ("siglip-vision", "siglip-base")}


def flops_per_image(cfg):
    """Same count as vit bench (ForwardFlopsPerImage): multiply-adds x 2."""
    d, inner = cfg["hidden_size"], cfg["intermediate_size"]
    patches = (cfg["image_size"] // cfg["patch_size"]) ** 2
    t = patches + 1
    per_layer = 2 * t * d * 3 * d + 4 * t * t * d + 2 * t * d * d + 4 * t * d * inner
    flops = 2 * patches * cfg["num_channels"] * cfg["patch_size"] ** 2 * d + cfg["num_hidden_layers"] * per_layer
    return flops + 2 * d * d  # the pooler (make_checkpoint writes one)


def run_json(cmd, env=None, timeout=3600):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, timeout=timeout)
    return json.loads(out.stdout.strip().splitlines()[-1])


def torch_env():
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


# ---------------------------------------------------------------------------------------------- workers
def load_torch_model(args):
    """(nn.Module, vision config) of the checkpoint: torch_vit for ViT, the family reference otherwise."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "parity"))
    sys.path.insert(0, HERE)
    if args.family != "vit":
        import torch_family
        if args.worker == "export":
            torch_family.traceable()
        return torch_family.from_checkpoint(args.model)
    from make_checkpoint import load_checkpoint
    import torch_vit
    cfg, sd = load_checkpoint(args.model)
    return torch_vit.from_state_dict(cfg, sd), cfg


def torch_worker(args):
    import torch

    torch.set_num_threads(args.threads)
    model, cfg = load_torch_model(args)
    pixels = torch.randn(args.batch, cfg["num_channels"], cfg["image_size"], cfg["image_size"],
                         generator=torch.Generator().manual_seed(1))
    if args.mode == "bf16-cast":
        model, pixels = model.to(torch.bfloat16), pixels.to(torch.bfloat16)

    def once():
        if args.mode == "bf16-autocast":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return model(pixels)
        return model(pixels)

    seconds = []
    with torch.inference_mode():
        for _ in range(2):
            once()
        for _ in range(args.runs):
            start = time.perf_counter()
            once()
            seconds.append(time.perf_counter() - start)
    print(json.dumps({"seconds": seconds, "torch": torch.__version__}))


def export_worker(args):
    import torch

    model, cfg = load_torch_model(args)
    dummy = torch.zeros(1, cfg["num_channels"], cfg["image_size"], cfg["image_size"])
    with torch.no_grad():
        torch.onnx.export(model, dummy, args.onnx, input_names=["pixel_values"],
                          output_names=["last_hidden_state", "pooler_output"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "last_hidden_state": {0: "batch"},
                                        "pooler_output": {0: "batch"}},
                          opset_version=14, do_constant_folding=True)
    print(json.dumps({"onnx": args.onnx}))


# ---------------------------------------------------------------------------------------------- driver
def ensure_checkpoint(work, family, preset):
    if family == "vit":
        folder = os.path.join(work, f"vit-{preset}-random")
        cmd = [PYTHON, os.path.join(ROOT, "tests", "parity", "make_checkpoint.py"), "--preset", preset]
    else:
        kind, full = FAMILIES[family]
        preset = "tiny" if preset == "tiny" else full
        folder = os.path.join(work, f"{family}-{preset}-random")
        cmd = [PYTHON, os.path.join(ROOT, "tests", "parity", "make_family_checkpoint.py"), "--kind", kind,
               "--preset", preset]
    if not os.path.exists(os.path.join(folder, "model.safetensors")):
        print(f"writing the random {family} {preset} checkpoint to {folder} ...", file=sys.stderr)
        subprocess.run(cmd + ["--out", folder], check=True)
    return folder


def ensure_ort(work):
    """onnxruntime-node from npm into work/ort-node (its install script, which fetches GPU extras, is skipped)."""
    folder = os.path.join(work, "ort-node")
    if not os.path.isdir(os.path.join(folder, "node_modules", "onnxruntime-node")):
        os.makedirs(folder, exist_ok=True)
        subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", folder,
                        "onnxruntime-node"], check=True)
    return folder


def median_ms_per_image(seconds, batch):
    return statistics.median(seconds) * 1e3 / batch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="build folder holding the vit binary")
    ap.add_argument("--vit", help="the vit binary (default: BUILD/vit)")
    ap.add_argument("--model", help="model folder (default: a random-weight checkpoint of --preset)")
    ap.add_argument("--family", default="vit", choices=sorted(FAMILIES))
    ap.add_argument("--preset", default="large", choices=["tiny", "base", "large", "huge"],
                    help="ViT size; for a --family other than vit, tiny or (any other) the full size")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--engines", default="vit,torch,ort")
    ap.add_argument("--precisions", default="f32,bf16,int8", help="vit precisions")
    ap.add_argument("--torch-modes", default="f32,bf16-autocast,bf16-cast")
    ap.add_argument("--json", help="also write every row to this file")
    # internal: one measurement in a fresh process
    ap.add_argument("--worker", choices=["torch", "export"], help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--onnx", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker == "torch":
        return torch_worker(args)
    if args.worker == "export":
        return export_worker(args)

    work = os.path.join(os.path.abspath(args.build), "e2e")
    os.makedirs(work, exist_ok=True)
    model = args.model or ensure_checkpoint(work, args.family, args.preset)
    with open(os.path.join(model, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type") in ("clip", "siglip"):
        cfg = cfg["vision_config"]
    # ViT: the count below; a family's token count (registers, no [CLS], heads) is vit bench's (when it runs).
    gflop = flops_per_image(cfg) * 1e-9 if args.family == "vit" else None
    torch_modes = args.torch_modes.split(",")
    if args.family != "vit" and torch_modes != ["f32"]:
        print("the family references run in float32 only: --torch-modes f32", file=sys.stderr)
        torch_modes = ["f32"]
    batches = [int(b) for b in args.batches.split(",")]
    engines = args.engines.split(",")
    vit_bin = args.vit or os.path.join(os.path.abspath(args.build), "vit")
    rows, peaks, vector_peaks = [], {}, {}

    def add(engine, precision, batch, ms, family, extra=None):
        rows.append(dict(engine=engine, precision=precision, batch=batch, ms_per_image=ms, family=family,
                         **(extra or {})))
        print(f"  {engine:6s} {precision:14s} batch {batch}: {ms:9.2f} ms/image", file=sys.stderr)

    if "vit" in engines:
        for precision in args.precisions.split(","):
            for b in batches:
                r = run_json([vit_bin, "bench", "--model", model, "--precision", precision, "--batch-size", str(b),
                              "--threads", str(args.threads), "--iterations", str(args.runs), "--warmup", "2",
                              "--json"])
                gflop = r.get("gflop_per_image") or gflop
                if r.get("peak_gflops"):
                    peaks[precision] = r["peak_gflops"]
                if r.get("vector_peak_gflops"):
                    vector_peaks[precision] = (r["vector_peak_gflops"], r["vector_peak_isa"])
                add("vit", precision, b, r["ms_per_image_median"], precision,
                    {"load_seconds": r["load_seconds"], "peak_rss_mib": r["peak_rss_mib"]})

    if "torch" in engines:
        for mode in torch_modes:
            for b in batches:
                r = run_json([PYTHON, os.path.abspath(__file__), "--worker", "torch", "--mode", mode, "--batch", str(b),
                              "--runs", str(args.runs), "--threads", str(args.threads), "--model", model,
                              "--family", args.family],
                             env=torch_env())
                add("torch", mode, b, median_ms_per_image(r["seconds"], b), "f32" if mode == "f32" else "bf16")

    if "ort" in engines:
        onnx = os.path.join(work, f"{os.path.basename(os.path.normpath(model))}.onnx")
        if not os.path.exists(onnx):
            run_json([PYTHON, os.path.abspath(__file__), "--worker", "export", "--model", model, "--onnx", onnx,
                      "--family", args.family],
                     env=torch_env())
        ort_dir = ensure_ort(work)
        env = dict(os.environ, ORT_NODE_DIR=ort_dir)
        for b in batches:
            r = run_json(["node", os.path.join(HERE, "ort_bench.js"), onnx, str(b), str(cfg["num_channels"]),
                          str(cfg["image_size"]), str(args.runs), str(args.threads)], env=env)
            add("ort", "f32", b, median_ms_per_image(r["seconds"], b), "f32")

    # The table: vit at the same precision family and batch is the yardstick of each ratio.
    reference = {(r["family"], r["batch"]): r["ms_per_image"] for r in rows if r["engine"] == "vit"}
    print(f"\n{model}: {f'{gflop:.1f}' if gflop else 'n/a'} GFLOP/image, {args.threads} threads, "
          f"median of {args.runs} runs")
    print("measured peaks: " + ", ".join(f"{p} {g:.0f} GFLOP/s" for p, g in sorted(peaks.items())))
    if vector_peaks:  # AMX machines: % peak is of the tile unit; the vector dot products for reference
        print("vector dot-product peaks: " +
              ", ".join(f"{p} {g:.0f} GFLOP/s ({isa})" for p, (g, isa) in sorted(vector_peaks.items())))
    header = f"{'engine':7s}{'precision':15s}{'batch':>6s}{'ms/image':>11s}{'img/s':>8s}{'GFLOP/s':>9s}" \
             f"{'% peak':>8s}{'time / vit':>12s}"
    print(header)
    print("-" * len(header))
    for r in rows:
        gflops = gflop / (r["ms_per_image"] * 1e-3) if gflop else 0.0
        peak = peaks.get(r["family"])
        pct = f"{100 * gflops / peak:7.1f}%" if peak and gflop else f"{'n/a':>8s}"
        ref = reference.get((r["family"], r["batch"]))
        ratio = f"{r['ms_per_image'] / ref:11.2f}x" if ref else f"{'':>12s}"
        print(f"{r['engine']:7s}{r['precision']:15s}{r['batch']:6d}{r['ms_per_image']:11.2f}"
              f"{1e3 / r['ms_per_image']:8.2f}{gflops:9.1f}{pct}{ratio}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"gflop_per_image": gflop, "peaks": peaks, "vector_peaks": vector_peaks, "rows": rows}, f,
                      indent=1)


if __name__ == "__main__":
    main()
