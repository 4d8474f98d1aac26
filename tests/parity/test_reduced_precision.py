#!/usr/bin/python3
"""bf16 and int8 inference on the full ViT-L/16 config with real photos, against float64: the cosine of
pooler_output and of every last_hidden_state row must be >= 0.999 (bf16) and >= 0.995 (int8). A CPU without
the needed instructions (bf16: AVX512_BF16 or AMX; int8: VNNI or AMX) is reported as a skip, never a pass."""
import os
import tempfile
import unittest

import numpy as np
import torch

import make_checkpoint
import vit_reference
from harness import checkpoint, photos, run_vit

BOUNDS = {"bf16": 0.999, "int8": 0.995}


def cosines(a, b):
    a = a.reshape(-1, a.shape[-1]).astype(np.float64)
    b = b.reshape(-1, b.shape[-1]).astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


class ReducedPrecision(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = checkpoint("large", "large")
        cls.x = photos(4, 224, 224)
        cfg, sd = make_checkpoint.load_checkpoint(cls.model)
        cls.ref = vit_reference.forward(sd, cfg, torch.from_numpy(cls.x), torch.float64)

    def check(self, precision):
        with tempfile.TemporaryDirectory() as tmp:
            np.save(os.path.join(tmp, "x.npy"), self.x)
            r = run_vit(["embed", "--model", self.model, "--precision", precision, "--out", tmp, "--outputs",
                         "last_hidden_state,pooler_output", os.path.join(tmp, "x.npy")], check=False)
            if r.returncode != 0 and ("needs a CPU with" in r.stderr or "this CPU has no oneDNN kernel" in r.stderr):
                self.skipTest(f"{precision} is not available on this CPU: {r.stderr.strip()}")
            self.assertEqual(r.returncode, 0, r.stderr)
            ours = {k: np.load(os.path.join(tmp, k + ".npy")) for k in ("last_hidden_state", "pooler_output")}
        for name, value in ours.items():
            c = cosines(value, self.ref[name])
            err = np.abs(value - self.ref[name]).max()
            print(f"  {precision} {name:18s} min cosine {c.min():.6f}  max |error| {err:.3e}")
            self.assertGreaterEqual(c.min(), BOUNDS[precision], f"{precision} {name}")

    def test_bf16(self):
        self.check("bf16")

    def test_int8(self):
        self.check("int8")


if __name__ == "__main__":
    unittest.main(verbosity=2)
