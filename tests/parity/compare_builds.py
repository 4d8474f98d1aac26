#!/usr/bin/python3
"""Checks that two builds of `vit` give the same bits: every output of `vit embed` on the test checkpoints,
at each precision (f32, bf16, int8), batch 1 and 4, with the kernel table as detected and with oneDNN forced
for the GEMMs. For changes meant to move no number (a refactor, a new dispatch), run before landing:

  tests/parity/compare_builds.py --before build-base/vit --after build/vit

Checkpoints are made (and cached) as the parity tests make them (harness.checkpoint); the inputs are real
photos. Exits 1 when any output differs, printing each difference and where it starts."""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import checkpoint, photos  # noqa: E402

PRECISIONS = ("f32", "bf16", "int8")
BATCHES = (1, 4)
# The table as this CPU fills it, then every GEMM on oneDNN (the fallback of CPUs without AVX-512).
ENVIRONMENTS = {"detected": {}, "onednn": {"VIT_F32_GEMM": "onednn", "VIT_INT8_GEMM": "onednn"}}


def models():
    """(name, folder, outputs, image size) of each checkpoint compared."""
    both = ["last_hidden_state", "hidden_states", "attentions"]
    return [
        ("tiny", checkpoint("tiny", "tiny"), both + ["pooler_output"], 32),
        ("tiny-cls5", checkpoint("tiny-cls5", "tiny", classifier=5), both + ["logits"], 32),
        ("base", checkpoint("base", "base"), both + ["pooler_output"], 224),
    ]


def run(binary, model, inputs, outputs, precision, batch, env, out):
    cmd = [binary, "embed", "--model", model, "--precision", precision, "-b", str(batch), "--out", out,
           "--outputs", ",".join(outputs), inputs]
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
    if r.returncode != 0:
        return None, r.stderr.strip()
    return {name: np.load(os.path.join(out, name + ".npy")) for name in outputs}, ""


def first_difference(a, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"shape/dtype {a.shape} {a.dtype} against {b.shape} {b.dtype}"
    differs = a.view(np.uint8).reshape(-1) != b.view(np.uint8).reshape(-1)
    index = np.unravel_index(int(np.argmax(differs)) // a.itemsize, a.shape)
    return f"{int(differs.sum())} bytes differ, the first at {tuple(int(i) for i in index)}: {a[index]} against {b[index]}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the reference vit binary")
    parser.add_argument("--after", required=True, help="the vit binary under test")
    parser.add_argument("--models", default="tiny,tiny-cls5,base", help="comma-separated checkpoint names")
    args = parser.parse_args()
    wanted = set(args.models.split(","))
    compared = failures = unavailable = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, model, outputs, size in models():
            if name not in wanted:
                continue
            inputs = os.path.join(tmp, f"{name}-pixel_values.npy")
            np.save(inputs, photos(4, size, size))
            for env_name, env in ENVIRONMENTS.items():
                for precision in PRECISIONS:
                    for batch in BATCHES:
                        case = f"{name} {env_name} {precision} b{batch}"
                        before, why_before = run(args.before, model, inputs, outputs, precision, batch, env,
                                                 os.path.join(tmp, "before"))
                        after, why_after = run(args.after, model, inputs, outputs, precision, batch, env,
                                               os.path.join(tmp, "after"))
                        if before is None or after is None:
                            if before is None and after is None:
                                unavailable += 1  # the same refusal from both (a CPU without int8 kernels)
                                print(f"  {case}: both refuse: {why_after.splitlines()[-1]}")
                                continue
                            failures += 1
                            print(f"  {case}: FAIL before: {why_before or 'ran'}; after: {why_after or 'ran'}")
                            continue
                        for output in outputs:
                            compared += 1
                            a, b = before[output], after[output]
                            if a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes():
                                continue
                            failures += 1
                            print(f"  {case} {output}: FAIL {first_difference(a, b)}")
                        print(f"  {case}: {len(outputs)} outputs compared", flush=True)
    print(f"{compared} outputs compared, {failures} differ, {unavailable} cases refused by both builds")
    return 1 if failures or compared == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
