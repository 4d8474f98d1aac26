#!/usr/bin/python3
"""--packed-cache: the first load writes the packed layers, later loads map them, and the outputs are
bit-identical to a load without the cache in every precision; a damaged cache file is replaced, never
trusted."""
import glob
import json
import os
import tempfile
import unittest

import numpy as np

from harness import checkpoint, embed, photos, run_vit

OUTPUTS = ["last_hidden_state", "pooler_output"]


def bench_cache_state(model, cache, precision):
    r = run_vit(["bench", "--model", model, "--packed-cache", cache, "-p", precision, "-n", "1", "--warmup", "0",
                 "--no-peak", "--json"])
    return json.loads(r.stdout)["packed_cache"]


class PackedCache(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # head_dim 16: the bf16 and int8 runs also take the bf16 attention path where the CPU has it
        cls.model = checkpoint("tiny", "tiny")
        cls.x = photos(3, 32, 32)

    def test_outputs_identical_with_and_without_cache(self):
        for precision in ["f32", "bf16", "int8"]:
            with self.subTest(precision=precision), tempfile.TemporaryDirectory() as cache:
                plain = embed(self.model, self.x, OUTPUTS, ["-p", precision])
                first = embed(self.model, self.x, OUTPUTS, ["-p", precision, "--packed-cache", cache])
                files = glob.glob(os.path.join(cache, "*.safetensors"))
                self.assertEqual(len(files), 1, files)
                self.assertTrue(bench_cache_state(self.model, cache, precision).startswith("used "))
                second = embed(self.model, self.x, OUTPUTS, ["-p", precision, "--packed-cache", cache])
                for name in OUTPUTS:
                    np.testing.assert_array_equal(first[name], plain[name], err_msg=f"{precision} {name} first")
                    np.testing.assert_array_equal(second[name], plain[name], err_msg=f"{precision} {name} mapped")

    def test_damaged_cache_is_replaced(self):
        with tempfile.TemporaryDirectory() as cache:
            self.assertTrue(bench_cache_state(self.model, cache, "f32").startswith("wrote "))
            (path,) = glob.glob(os.path.join(cache, "*.safetensors"))
            size = os.path.getsize(path)
            with open(path, "r+b") as f:  # garbage over the header: not a safetensors file any more
                f.write(b"\xff" * 64)
            state = bench_cache_state(self.model, cache, "f32")
            self.assertTrue(state.startswith("wrote ") and "replacing a file not used" in state, state)
            self.assertEqual(os.path.getsize(path), size)
            self.assertTrue(bench_cache_state(self.model, cache, "f32").startswith("used "))
            plain = embed(self.model, self.x, OUTPUTS)
            cached = embed(self.model, self.x, OUTPUTS, ["--packed-cache", cache])
            for name in OUTPUTS:
                np.testing.assert_array_equal(cached[name], plain[name], err_msg=name)

    def test_environment_variable_turns_it_on(self):
        with tempfile.TemporaryDirectory() as cache:
            os.environ["VIT_PACKED_CACHE"] = cache
            try:
                run_vit(["bench", "--model", self.model, "-n", "1", "--warmup", "0", "--no-peak"])
            finally:
                del os.environ["VIT_PACKED_CACHE"]
            self.assertEqual(len(glob.glob(os.path.join(cache, "*.safetensors"))), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
