#!/usr/bin/python3
"""The Python package against the tool and against transformers-style PyTorch, in one run:

1. binding overhead: ViTModel(pixel_values) from Python against `vit bench` (the same model, threads,
   batch and random pixel_values), ms/image medians, rounds interleaved;
2. model.embed over a folder of JPEGs against transformers-style PyTorch code: Pillow decoding and
   ViTImageProcessor's steps (tests/parity/preprocess_reference.py) then bench/e2e/torch_vit.py's
   ViTModel, batch by batch, in a separate process.

  PYTHONPATH=build/python /usr/bin/python3 bench/python/bench.py --build build
Random-weight checkpoints are written once under BUILD/bench-checkpoints (ViT-L by default).
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
PHOTOS = "/usr/lib/python3/dist-packages/skimage/data"
PHOTO_NAMES = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
               "hubble_deep_field.jpg"]


def ensure_checkpoint(build, preset):
    folder = os.path.join(build, "bench-checkpoints", f"vit-{preset}-random")
    if not os.path.exists(os.path.join(folder, "model.safetensors")):
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "parity", "make_checkpoint.py"), "--preset", preset,
                        "--out", folder], check=True)
    return folder


def make_jpegs(folder, count, width, height):
    """count JPEGs of width x height (quality 90) cut from scikit-image's photographs."""
    from PIL import Image
    os.makedirs(folder, exist_ok=True)
    files = []
    for i in range(count):
        image = Image.open(os.path.join(PHOTOS, PHOTO_NAMES[i % len(PHOTO_NAMES)])).convert("RGB")
        path = os.path.join(folder, f"{i:04d}.jpg")
        image.resize((width + i % 7, height + i % 5), Image.BICUBIC).save(path, quality=90)
        files.append(path)
    return files


def vit_bench(vit_bin, model, batch, threads, iterations, warmup):
    out = subprocess.run([vit_bin, "bench", "--model", model, "-b", str(batch), "-t", str(threads), "-n", str(iterations),
                          "--warmup", str(warmup), "--json", "--no-peak"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["ms_per_image_median"]


def python_bench(model, batch, iterations, warmup):
    """ms/image medians of the whole call model(pixel_values=x) and of Model::Run inside it, and the median
    of each call's difference (what the binding adds: checks, the input copy, wrapping the outputs)."""
    cfg = model.config
    x = np.random.default_rng(1).standard_normal((batch, cfg.num_channels, cfg.image_size, cfg.image_size),
                                                 dtype=np.float32)
    for _ in range(warmup):
        model(pixel_values=x)
    calls, runs = [], []
    for _ in range(iterations):
        start = time.perf_counter()
        model(pixel_values=x)
        calls.append(time.perf_counter() - start)
        runs.append(model._model.last_run_seconds)
    overhead = [c - r for c, r in zip(calls, runs)]
    return (statistics.median(calls) * 1e3 / batch, statistics.median(runs) * 1e3 / batch,
            statistics.median(overhead) * 1e3, statistics.median(o / r for o, r in zip(overhead, runs)))


def torch_worker(args):
    """transformers-style: PIL.Image.open + convert("RGB"), ViTImageProcessor's steps, the model, per batch."""
    import torch
    sys.path.insert(0, os.path.join(ROOT, "tests", "parity"))
    sys.path.insert(0, os.path.join(ROOT, "bench", "e2e"))
    from make_checkpoint import load_checkpoint
    import preprocess_reference
    import torch_vit

    torch.set_num_threads(args.threads)
    cfg, sd = load_checkpoint(args.model)
    model = torch_vit.from_state_dict(cfg, sd).eval()
    with open(os.path.join(args.model, "preprocessor_config.json")) as f:
        processor = preprocess_reference.ViTImageProcessorReference(**{
            k: v for k, v in json.load(f).items() if k in ("do_resize", "size", "resample", "do_rescale",
                                                           "rescale_factor", "do_normalize", "image_mean", "image_std")})
    files = sorted(os.path.join(args.images_dir, f) for f in os.listdir(args.images_dir))

    def once():
        pooled = []
        with torch.inference_mode():
            for i in range(0, len(files), args.batch):
                images = [preprocess_reference.load_image(f) for f in files[i:i + args.batch]]
                pixel_values = torch.from_numpy(processor.preprocess(images))
                pooled.append(model(pixel_values)[1])
        return torch.cat(pooled)

    once()
    seconds = []
    for _ in range(args.runs):
        start = time.perf_counter()
        once()
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"seconds": seconds, "torch": torch.__version__}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--preset", default="large")
    ap.add_argument("--model", help="model folder (default: a random-weight checkpoint of --preset)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--iterations", type=int, default=3, help="timed runs per measurement")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds of vit bench and Python")
    ap.add_argument("--images", type=int, default=8, help="JPEGs embedded in part 2 (0: skip it)")
    ap.add_argument("--image-size", default="640x480")
    ap.add_argument("--embed-runs", type=int, default=2)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=8, help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--images-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return torch_worker(args)

    import vit
    model_dir = args.model or ensure_checkpoint(args.build, args.preset)
    vit_bin = os.path.join(args.build, "vit")
    model = vit.ViTModel.from_pretrained(model_dir, threads=args.threads)
    print(f"model {model_dir}: {model.info['num_parameters'] / 1e6:.0f}M parameters, {model.info['gemm_kernel']}, "
          f"{args.threads} threads")

    print("1. binding overhead: ms/image medians of", args.iterations, "runs, rounds interleaved")
    for batch in (int(b) for b in args.batches.split(",")):
        cli, py = [], []
        for _ in range(args.rounds):
            cli.append(vit_bench(vit_bin, model_dir, batch, args.threads, args.iterations, 1))
            py.append(python_bench(model, batch, args.iterations, 1))
        ratios = [p[0] / c for p, c in zip(py, cli)]
        print(f"  batch {batch}: vit bench {' / '.join(f'{v:.1f}' for v in cli)} ms/image; Python call "
              f"{' / '.join(f'{p[0]:.1f}' for p in py)}, of which Model::Run {' / '.join(f'{p[1]:.1f}' for p in py)}; "
              f"Python / vit bench {' / '.join(f'{r:.3f}' for r in ratios)}")
        print(f"    in-call overhead (call - Model::Run, same call): {' / '.join(f'{p[2]:.2f}' for p in py)} ms per "
              f"call = {' / '.join(f'{100 * p[3]:.3f}%' for p in py)} of Model::Run")

    if args.images > 0:
        width, height = (int(v) for v in args.image_size.split("x"))
        with tempfile.TemporaryDirectory() as tmp:
            files = make_jpegs(tmp, args.images, width, height)
            print(f"2. embed {len(files)} JPEGs of about {width}x{height}, batch 8, pooler_output: medians of "
                  f"{args.embed_runs} runs after one warm-up")
            model.embed(files, batch_size=8)
            seconds = []
            for _ in range(args.embed_runs):
                start = time.perf_counter()
                model.embed(files, batch_size=8)
                seconds.append(time.perf_counter() - start)
            ours = statistics.median(seconds) * 1e3 / len(files)
            out = subprocess.run([sys.executable, __file__, "--worker", "--model", model_dir, "--threads",
                                  str(args.threads), "--batch", "8", "--runs", str(args.embed_runs), "--images-dir", tmp],
                                 check=True, capture_output=True, text=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            theirs = statistics.median(result["seconds"]) * 1e3 / len(files)
            print(f"  vit model.embed {ours:.1f} ms/image ({1e3 / ours:.2f} images/s); PyTorch {result['torch']} with "
                  f"Pillow preprocessing {theirs:.1f} ms/image ({1e3 / theirs:.2f} images/s); speed-up {theirs / ours:.2f}x")


if __name__ == "__main__":
    main()
