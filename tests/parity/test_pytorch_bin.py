#!/usr/bin/python3
"""pytorch_model.bin (torch.save's zip format, read without executing pickle code) gives exactly the
outputs of the same weights in model.safetensors, for the tiny and the full ViT-L/16 configs."""
import os
import shutil
import subprocess
import sys
import unittest

import numpy as np

from harness import CACHE, HERE, checkpoint, embed, photos


def bin_only_copy(name, preset, **kw):
    """The same random weights (same seed) saved by torch.save alone."""
    folder = os.path.join(CACHE, name + "-bin")
    if not os.path.exists(os.path.join(folder, "pytorch_model.bin")):
        shutil.rmtree(folder + ".tmp", ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(HERE, "make_checkpoint.py"), "--preset", preset, "--out",
                        folder + ".tmp", "--pytorch-bin", "--no-safetensors", *kw.get("extra", [])], check=True)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(folder + ".tmp", folder)
    return folder


class PytorchBin(unittest.TestCase):
    def same_outputs(self, name, preset, size, outputs, **kw):
        st = checkpoint(name, preset, **kw.get("ckpt", {}))
        pb = bin_only_copy(name, preset, **kw)
        self.assertFalse(os.path.exists(os.path.join(pb, "model.safetensors")))
        x = photos(2, size, size)
        a = embed(st, x, outputs)
        b = embed(pb, x, outputs)
        for k in outputs:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)

    def test_tiny(self):
        self.same_outputs("tiny", "tiny", 32, ["last_hidden_state", "pooler_output"])

    def test_tiny_classifier(self):
        self.same_outputs("tiny-cls5", "tiny", 32, ["logits"], ckpt={"classifier": 5}, extra=["--classifier", "5"])

    def test_large(self):
        self.same_outputs("large", "large", 224, ["last_hidden_state", "pooler_output"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
