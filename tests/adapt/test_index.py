#!/usr/bin/python3
"""`vit index` and `vit dedup` against numpy on the same embeddings (`vit embed --outputs cls`):
exact search returns the brute-force cosine neighbours with their scores; `index add` extends the
index; approximate indexes keep recall@10 >= 0.95; dedup finds planted near-duplicates."""
import os
import shutil
import tempfile
import unittest

import numpy as np
from PIL import Image

from adapt_harness import checkpoint, json_lines, make_image_folder, run_vit


def cosine_neighbours(base, queries, k):
    b = base / np.linalg.norm(base, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    s = q.astype(np.float64) @ b.T.astype(np.float64)
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(s, order, axis=1)


class Index(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = checkpoint("tiny", "tiny")
        cls.data = make_image_folder(os.path.join(cls.tmp.name, "data"), per_class=30, seed=5)
        cls.queries = make_image_folder(os.path.join(cls.tmp.name, "queries"), per_class=3, seed=6)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def embed(self, folder):
        out = os.path.join(self.tmp.name, "emb-" + os.path.basename(folder))
        run_vit(["embed", "--model", self.model, "--outputs", "cls", "--out", out, folder])
        with open(os.path.join(out, "inputs.txt")) as f:
            names = [os.path.abspath(line.rstrip("\n")) for line in f]
        return np.load(os.path.join(out, "cls.npy")), names

    def search(self, index, k, *extra):
        r = run_vit(["index", "search", index, "--k", str(k), "--no-cache", *extra, self.queries])
        return json_lines(r.stdout)

    def test_exact_search_is_brute_force(self):
        base, names = self.embed(self.data)
        queries, qnames = self.embed(self.queries)
        index = os.path.join(self.tmp.name, "flat")
        run_vit(["index", "build", "--model", self.model, "--pooling", "cls", "--out", index, "--no-cache", self.data])
        results = self.search(index, 10)
        order, scores = cosine_neighbours(base, queries, 10)
        self.assertEqual([r["query"] for r in results], qnames)
        for i, r in enumerate(results):
            self.assertEqual([n["path"] for n in r["neighbors"]], [names[j] for j in order[i]])
            np.testing.assert_allclose([n["score"] for n in r["neighbors"]], scores[i], atol=1e-5)

    def test_add_extends_the_index(self):
        index = os.path.join(self.tmp.name, "grown")
        first = os.path.join(self.data, "blue_disc_smooth")
        rest = [os.path.join(self.data, c) for c in sorted(os.listdir(self.data)) if c != "blue_disc_smooth"]
        run_vit(["index", "build", "--model", self.model, "--pooling", "cls", "--out", index, "--no-cache", first])
        run_vit(["index", "add", index, "--no-cache", *rest])
        results = self.search(index, 5)
        base, names = self.embed(self.data)
        queries, _ = self.embed(self.queries)
        order, _ = cosine_neighbours(base, queries, 5)
        for i, r in enumerate(results):
            self.assertEqual(sorted(n["path"] for n in r["neighbors"]), sorted(names[j] for j in order[i]))

    def test_approximate_indexes_recall_on_10000_vectors(self):
        # Embeddings computed elsewhere (--npy): 10,000 vectors in 100 clusters, queries from the same.
        rng = np.random.default_rng(7)
        centres = rng.normal(0, 1, (100, 64))
        base = (centres[rng.integers(0, 100, 10000)] + rng.normal(0, 1, (10000, 64))).astype(np.float32)
        queries = (centres[rng.integers(0, 100, 200)] + rng.normal(0, 1, (200, 64))).astype(np.float32)
        base_npy, query_npy = os.path.join(self.tmp.name, "base.npy"), os.path.join(self.tmp.name, "q.npy")
        np.save(base_npy, base)
        np.save(query_npy, queries)
        order, scores = cosine_neighbours(base, queries, 10)
        for kind in ("flat", "hnsw", "ivf"):
            index = os.path.join(self.tmp.name, "vectors-" + kind)
            run_vit(["index", "build", "--npy", base_npy, "--out", index, "--index-type", kind])
            r = run_vit(["index", "search", index, "--npy", query_npy, "--k", "10"])
            results = json_lines(r.stdout)
            self.assertEqual(len(results), 200)
            self.assertEqual(results[0]["neighbors"][0]["path"], f"{base_npy}#{results[0]['neighbors'][0]['id']}")
            hits = sum(len({n["id"] for n in r["neighbors"]} & set(order[i])) for i, r in enumerate(results))
            recall = hits / (10 * len(results))
            print(f"  {kind}: recall@10 {recall:.4f} on 10,000 vectors, 200 queries")
            if kind == "flat":
                self.assertEqual([[n["id"] for n in r["neighbors"]] for r in results], order.tolist())
                np.testing.assert_allclose([[n["score"] for n in r["neighbors"]] for r in results], scores, atol=1e-5)
            self.assertGreaterEqual(recall, 0.95)

    def test_dedup_finds_planted_copies(self):
        folder = os.path.join(self.tmp.name, "dups")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        src = os.path.join(self.data, "red_checker_triangle")
        originals = sorted(os.listdir(src))[:6]
        for name in originals:
            shutil.copy(os.path.join(src, name), os.path.join(folder, name))
        # An exact copy of the first and a lightly noised copy of the second.
        shutil.copy(os.path.join(src, originals[0]), os.path.join(folder, "copy_of_0.png"))
        img = np.asarray(Image.open(os.path.join(src, originals[1])), dtype=np.int16)
        noisy = np.clip(img + np.random.default_rng(0).integers(-2, 3, img.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(os.path.join(folder, "noisy_of_1.png"))
        r = run_vit(["dedup", "--model", self.model, "--pooling", "cls", "--threshold", "0.999", "--no-cache", folder])
        import json
        out = json.loads(r.stdout)
        groups = [sorted(os.path.basename(f) for f in g["files"]) for g in out["groups"]]
        self.assertIn(sorted([originals[0], "copy_of_0.png"]), groups)
        self.assertIn(sorted([originals[1], "noisy_of_1.png"]), groups)
        self.assertEqual(out["images"], 8)
        # Numpy agrees on which pairs are above the threshold.
        emb_out = os.path.join(self.tmp.name, "emb-dups")
        run_vit(["embed", "--model", self.model, "--outputs", "cls", "--out", emb_out, folder])
        e = np.load(os.path.join(emb_out, "cls.npy")).astype(np.float64)
        e /= np.linalg.norm(e, axis=1, keepdims=True)
        s = e @ e.T
        pairs = int(((s >= 0.999).sum() - len(e)) // 2)
        self.assertEqual(pairs, sum(len(g) * (len(g) - 1) // 2 for g in groups),
                         "groups here are cliques; their pairs must be exactly numpy's")


if __name__ == "__main__":
    unittest.main(verbosity=2)
