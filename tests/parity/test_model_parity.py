#!/usr/bin/python3
"""vit embed against the float64 reference, next to PyTorch float32: ours must be at most 2x PyTorch's
error on every output. Checkpoints are random-weight, in the exact Hugging Face layout."""
import os
import unittest

import numpy as np

from harness import checkpoint, compare, embed, photos

ALL = ["last_hidden_state", "pooler_output", "hidden_states"]


class ModelParity(unittest.TestCase):
    def check(self, case, model_dir, pixel_values, outputs, extra=(), interpolate=False):
        ours = embed(model_dir, pixel_values, outputs, extra)
        _, failures = compare(case, ours, model_dir, pixel_values, interpolate)
        self.assertEqual(failures, [], case)

    def test_tiny_every_output(self):
        model = checkpoint("tiny", "tiny")
        x = photos(3, 32, 32)
        ours = embed(model, x, ["last_hidden_state", "pooler_output", "hidden_states", "attentions", "cls", "mean"])
        _, failures = compare("tiny", ours, model, x)
        self.assertEqual(failures, [])
        np.testing.assert_array_equal(ours["cls"], ours["last_hidden_state"][:, 0])

    def test_large_batch4(self):
        model = checkpoint("large", "large")
        self.check("vit-large b4", model, photos(4, 224, 224), ALL)

    def test_large_interpolate_384(self):
        model = checkpoint("large", "large")
        self.check("vit-large 384x384", model, photos(1, 384, 384), ALL, ["--interpolate-pos-encoding"], True)

    def test_large_interpolate_240x320(self):
        model = checkpoint("large", "large")
        self.check("vit-large 240x320", model, photos(2, 240, 320), ALL, ["--interpolate-pos-encoding"], True)

    def test_classification_logits(self):
        model = checkpoint("base-cls1000", "base", classifier=1000)
        self.check("vit-base classifier", model, photos(4, 224, 224), ["logits", "last_hidden_state"])

    def test_head24_no_qkv_bias_eps1e6(self):
        model = checkpoint("h24-nobias", "base", hidden_size=384, num_attention_heads=16, intermediate_size=1536,
                           num_hidden_layers=6, qkv_bias=False, layer_norm_eps=1e-6)
        self.check("head24 no-qkv-bias eps1e-6", model, photos(4, 224, 224), ALL)

    def test_huge_patch14_two_layers(self):
        model = checkpoint("huge-2layers", "huge", num_hidden_layers=2)
        self.check("vit-huge/14 (2 layers)", model, photos(2, 224, 224), ALL)

    def test_half_precision_checkpoints(self):
        # Weights stored as F16 / BF16 are widened exactly; the reference reads the same rounded values.
        for dtype in ("f16", "bf16"):
            model = checkpoint(f"tiny-{dtype}", "tiny", dtype=dtype)
            self.check(f"tiny {dtype} weights", model, photos(2, 32, 32), ALL)

    def test_rows_do_not_depend_on_the_batch(self):
        # The server batches requests from many clients: a row must be bit-identical whatever shares its batch.
        model = checkpoint("h24-nobias", "base", hidden_size=384, num_attention_heads=16, intermediate_size=1536,
                           num_hidden_layers=6, qkv_bias=False, layer_norm_eps=1e-6)
        x = photos(5, 224, 224)
        outputs = ["last_hidden_state", "pooler_output"]
        for precision in ("f32", "bf16", "int8"):
            try:
                whole = embed(model, x, outputs, ["--batch-size", "5", "--precision", precision])
            except AssertionError as e:
                if "needs a CPU with" in str(e) or "this CPU has no oneDNN kernel" in str(e):
                    continue  # this precision is not available on this CPU
                raise
            for size in ("1", "2", "3"):
                part = embed(model, x, outputs, ["--batch-size", size, "--precision", precision])
                for k in outputs:
                    np.testing.assert_array_equal(whole[k], part[k], err_msg=f"{precision} {k} at batch size {size}")

    def test_size_mismatch_is_an_error(self):
        model = checkpoint("tiny", "tiny")
        with self.assertRaises(AssertionError) as e:
            embed(model, photos(1, 48, 48), ["last_hidden_state"])
        self.assertIn("doesn't match model (32*32)", str(e.exception))


if __name__ == "__main__":
    unittest.main(verbosity=2)
