#!/usr/bin/python3
"""`vit bench`: the figures it reports hold together, and --stages accounts for the run stage by stage."""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
from harness import checkpoint, run_vit  # noqa: E402

STAGES = ["embeddings", "layernorm", "attention.attention.query_key_value", "attention.attention.softmax(qk)v",
          "attention.output.dense", "intermediate.dense+gelu", "output.dense", "pooler/classifier", "other"]


def bench(model, *extra):
    return run_vit(["bench", "--model", model, "-n", "3", "--warmup", "1", *extra])


class Bench(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = checkpoint("tiny", "tiny")

    def test_json_figures_agree_with_each_other(self):
        j = json.loads(bench(self.model, "--json", "--no-peak").stdout)
        self.assertLessEqual(j["ms_per_image_min"], j["ms_per_image_median"])
        self.assertLessEqual(j["ms_per_image_median"], j["ms_per_image_max"])
        self.assertAlmostEqual(j["images_per_second"] * j["ms_per_image_median"], 1000.0, delta=1e-6 * 1000)
        self.assertAlmostEqual(j["gflops"], j["gflop_per_image"] * j["images_per_second"],
                               delta=1e-9 + 1e-6 * j["gflops"])
        self.assertIsNone(j["percent_of_peak"])  # --no-peak
        self.assertNotIn("stages", j)  # only with --stages

    def test_stages_cover_the_run(self):
        j = json.loads(bench(self.model, "--json", "--stages", "-b", "2").stdout)
        rows = {r["name"]: r for r in j["stages"]}
        self.assertEqual([r["name"] for r in j["stages"]], STAGES)
        for name in STAGES[:-1]:
            self.assertGreater(rows[name]["ms_per_image_median"], 0, name)
        # Medians of parts need not add up to the median of the whole exactly, but nearly: every stage
        # ends with its threads joined, and "other" holds the rest.
        total = sum(r["ms_per_image_median"] for r in j["stages"])
        self.assertGreater(total, 0.5 * j["ms_per_image_median"])
        self.assertLess(total, 1.5 * j["ms_per_image_median"])
        shares = sum(r["share_of_run"] for r in j["stages"])
        self.assertGreater(shares, 0.5)
        self.assertLess(shares, 1.5)
        # LayerNorm and "other" count no FLOPs; the dense layers do, against the measured peak.
        self.assertIsNone(rows["layernorm"]["gflops"])
        self.assertIsNone(rows["other"]["percent_of_peak"])
        dense = rows["intermediate.dense+gelu"]
        self.assertGreater(dense["gflops"], 0)
        if j["peak_gflops"] is not None:
            self.assertAlmostEqual(dense["percent_of_peak"], 100 * dense["gflops"] / j["peak_gflops"], places=6)

    def test_stage_table_is_printed(self):
        out = bench(self.model, "--stages", "--no-peak").stdout
        self.assertIn("medians of the 3 timed runs", out)
        lines = [line for line in out.splitlines() if line.startswith("layernorm ")]
        self.assertEqual(len(lines), 1, out)
        self.assertTrue(lines[0].rstrip().endswith("-"), lines[0])  # no FLOPs, no rate


if __name__ == "__main__":
    unittest.main()
