#!/usr/bin/python3
"""vit's image layer against transformers' ViTImageProcessor on Pillow, side by side, per image:
file -> decode -> convert("RGB") -> resize(224x224, BILINEAR) -> rescale -> normalize -> [3, 224, 224].
The Python side runs tests/parity/preprocess_reference.py, which follows ViTImageProcessor statement for
statement (to_numpy_array, to_pil_image, PIL resize, numpy rescale and normalize), copies included.

    /usr/bin/python3 bench/e2e/preprocess_bench.py [--build build-image] [--rounds 5] [--repeat 9] [IMAGE...]

Without images it writes two JPEGs (quality 90, 4:2:0) from scikit-image's astronaut: 1000x750 and
4000x3000. Python runs in this process on one thread (Pillow's decode and resize are single-threaded);
vit runs through build/preprocess_bench, on one thread and then on every core of the OpenMP pool
(several images at once, as `vit embed` does). One-thread figures are CPU time of the thread (Python's
time.thread_time, CLOCK_THREAD_CPUTIME_ID), which other work on a shared machine does not inflate; the
pooled figure is wall time per image. The two sides alternate for several rounds and each reports its
best round's median.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "parity"))
import preprocess_reference as ref  # noqa: E402

CONFIG = {"do_normalize": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
          "resample": 2, "size": 224}


def python_ms(path, repeat):
    processor = ref.ViTImageProcessorReference(**CONFIG)
    times = []
    for _ in range(repeat + 1):
        t0 = time.thread_time()
        processor.preprocess([ref.load_image(path)])
        times.append((time.thread_time() - t0) * 1e3)
    return float(np.median(times[1:]))


def vit_ms(bench, path, repeat, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([bench, "--repeat", str(repeat), path], env=env, check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.splitlines()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("images", nargs="*")
    args = ap.parse_args()
    bench = os.path.join(args.build, "preprocess_bench")
    if not os.path.exists(bench):
        print(f"{bench} is missing: build the preprocess_bench target")
        return 1
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        images = args.images
        if not images:
            astronaut = Image.open("/usr/lib/python3/dist-packages/skimage/data/astronaut.png").convert("RGB")
            for w, h in [(1000, 750), (4000, 3000)]:
                path = os.path.join(tmp, f"astronaut_{w}x{h}.jpg")
                astronaut.resize((w, h), Image.BICUBIC).save(path, quality=90)
                images.append(path)
        print(f"{'image':<28} {'transformers':>13} {'vit 1 thread':>13} {'speedup':>8} "
              f"{'vit ' + str(cores) + ' threads':>15} {'speedup':>8}   (ms per image; 1 thread: CPU time, pool: wall time)")
        for path in images:
            best_py = best_one = best_pool = float("inf")
            decode = preprocess = 0.0
            for _ in range(args.rounds):
                best_py = min(best_py, python_ms(path, args.repeat))
                one = vit_ms(bench, path, args.repeat, 1)
                if one["one_thread_ms"] < best_one:
                    best_one = one["one_thread_ms"]
                    decode, preprocess = one["load_image_ms"], one["preprocess_into_ms"]
                best_pool = min(best_pool, vit_ms(bench, path, args.repeat, cores)["pooled_ms_per_image"])
            name = os.path.basename(path)
            print(f"{name:<28} {best_py:>13.2f} {best_one:>13.2f} {best_py / best_one:>7.2f}x "
                  f"{best_pool:>15.2f} {best_py / best_pool:>7.2f}x   (two-step path: LoadImage {decode:.2f} + "
                  f"PreprocessInto {preprocess:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
