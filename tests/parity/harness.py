"""Shared plumbing of the parity tests: checkpoints cached in the build folder, real photos as inputs,
running build/vit, and the error report against float64."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import make_checkpoint  # noqa: E402
import vit_reference  # noqa: E402

BUILD = os.environ.get("VIT_BUILD_DIR", os.path.join(ROOT, "build"))
VIT = os.environ.get("VIT_BIN", os.path.join(BUILD, "vit"))
CACHE = os.path.join(BUILD, "test-checkpoints")
PHOTOS = "/usr/lib/python3/dist-packages/skimage/data"
REPORT = os.path.join(BUILD, "parity-report.jsonl")

torch.set_num_threads(os.cpu_count() or 1)


def checkpoint(name, preset, classifier=0, dtype="f32", seed=0, pytorch_bin=False, **overrides):
    """A random-weight checkpoint folder, generated once and cached by its name."""
    folder = os.path.join(CACHE, name)
    if not os.path.exists(os.path.join(folder, "config.json")):
        cmd = [sys.executable, os.path.join(HERE, "make_checkpoint.py"), "--preset", preset, "--out", folder + ".tmp",
               "--dtype", dtype, "--seed", str(seed)]
        if classifier:
            cmd += ["--classifier", str(classifier)]
        if pytorch_bin:
            cmd += ["--pytorch-bin"]
        for k, v in overrides.items():
            cmd += ["--set", f"{k}={json.dumps(v)}"]
        subprocess.run(cmd, check=True)
        os.replace(folder + ".tmp", folder)
    return folder


def photos(count, height, width):
    """Real photographs (scikit-image's data), resized with PIL bilinear and normalised as ViT expects."""
    from PIL import Image
    names = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "hubble_deep_field.jpg"]
    out = []
    for i in range(count):
        img = Image.open(os.path.join(PHOTOS, names[i % len(names)])).convert("RGB").resize((width, height),
                                                                                               Image.BILINEAR)
        x = np.asarray(img, dtype=np.float32) / 255.0
        out.append(((x - 0.5) / 0.5).transpose(2, 0, 1))
    return np.ascontiguousarray(np.stack(out).astype(np.float32))


def run_vit(args, check=True):
    return subprocess.run([VIT] + args, check=check, capture_output=True, text=True)


def embed(model_dir, pixel_values, outputs, extra=()):
    """Runs `vit embed` on a pixel_values .npy and returns {output: array}."""
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "pixel_values.npy")
        np.save(inp, pixel_values)
        out = os.path.join(tmp, "out")
        r = run_vit(["embed", "--model", model_dir, "--out", out, "--outputs", ",".join(outputs), *extra, inp],
                    check=False)
        if r.returncode != 0:
            raise AssertionError(f"vit embed failed ({r.returncode}): {r.stderr}")
        return {name: np.load(os.path.join(out, name + ".npy")) for name in outputs}


def compare(case, ours, model_dir, pixel_values, interpolate=False, factor=2.0, max_factor=3.0, reference=None):
    """Errors against float64 of ours and of PyTorch float32; returns rows of the report and failures.

    Each output passes when our RMS error is within `factor` of PyTorch's and our max |error| within
    `max_factor` of PyTorch's: the RMS is the typical error, while the max over thousands of values is one
    outlier's, which moves with the accumulation order of the GEMMs (oneDNN blocks differently per CPU: on
    AMD Zen 5 the ViT-B classifier's logits came out at 2.25x PyTorch's max error with 1.51x its RMS error).
    """
    cfg, sd = make_checkpoint.load_checkpoint(model_dir)
    x = torch.from_numpy(pixel_values)
    forward = reference or vit_reference.forward  # family_reference.forward for the other members
    ref = forward(sd, cfg, x, torch.float64, interpolate)
    pt = forward(sd, cfg, x, torch.float32, interpolate)
    rows, failures = [], []
    for name, value in ours.items():
        if name == "hidden_states":
            parts = [(f"hidden_states[{i}]", value[i], ref[name][i], pt[name][i]) for i in range(value.shape[0])]
        else:
            parts = [(name, value, ref[name], pt[name])]
        for label, v, r, p in parts:
            if v.shape != r.shape:
                failures.append(f"{label}: shape {v.shape}, expected {r.shape}")
                continue
            ours_diff = v.astype(np.float64) - r
            torch_diff = p.astype(np.float64) - r
            ours_err, torch_err = float(np.abs(ours_diff).max()), float(np.abs(torch_diff).max())
            ours_rms, torch_rms = float(np.sqrt((ours_diff ** 2).mean())), float(np.sqrt((torch_diff ** 2).mean()))
            ok = ours_rms <= factor * torch_rms and ours_err <= max_factor * torch_err
            rows.append({"case": case, "output": label, "ours": ours_err, "pytorch_f32": torch_err,
                         "ours_rms": ours_rms, "pytorch_f32_rms": torch_rms, "ok": ok})
            if ours_rms > factor * torch_rms:
                failures.append(f"{label}: RMS error ours {ours_rms:.3e} > {factor} x PyTorch's {torch_rms:.3e}")
            if ours_err > max_factor * torch_err:
                failures.append(f"{label}: max error ours {ours_err:.3e} > {max_factor} x PyTorch's {torch_err:.3e}")
    with open(REPORT, "a") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    for row in rows:
        if not row["output"].startswith("hidden_states[") or row["output"] in ("hidden_states[0]",) or not row["ok"]:
            print(f"  {case:28s} {row['output']:18s} max ours {row['ours']:.3e}  pytorch f32 {row['pytorch_f32']:.3e}"
                  f"  rms ours {row['ours_rms']:.3e}  pytorch f32 {row['pytorch_f32_rms']:.3e}"
                  f"  {'ok' if row['ok'] else 'FAIL'}")
    worst = max((r["ours"] / max(r["pytorch_f32"], 1e-30) for r in rows), default=0)
    print(f"  {case:28s} worst ratio ours/pytorch over {len(rows)} outputs: {worst:.2f}")
    return rows, failures
