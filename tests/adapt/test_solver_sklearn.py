#!/usr/bin/python3
"""`vit probe fit` (own L-BFGS softmax regression) against scikit-learn's
LogisticRegression(multi_class="multinomial", solver="lbfgs") on the same standardised features and
the same C: validation accuracy within 1 percentage point and near-identical probabilities."""
import os
import tempfile
import unittest

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from adapt_harness import read_json, read_safetensors, run_vit


def overlapping_blobs(n, d, k, seed, spread=0.35):
    """k classes of Gaussian blobs that overlap (accuracy well below 100%), with a large common offset
    and uneven feature scales, like raw ViT features."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, (k, d))
    scales = rng.uniform(0.1, 5.0, d)
    y = np.arange(n) % k
    x = (centres[y] + rng.normal(0, 1, (n, d))) * scales + 30.0
    return x.astype(np.float32), y


def write_split(folder, name, x, y, classes):
    np.save(os.path.join(folder, name + ".npy"), x)
    with open(os.path.join(folder, name + ".txt"), "w") as f:
        f.write("".join(classes[i] + "\n" for i in y))


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class SolverAgainstSklearn(unittest.TestCase):
    def fit_and_compare(self, n_train, n_val, d, k, seed, cs=None, spread=0.35):
        classes = [f"class_{i:02d}" for i in range(k)]
        x, y = overlapping_blobs(n_train + n_val, d, k, seed, spread)
        xt, yt, xv, yv = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
        with tempfile.TemporaryDirectory() as tmp:
            write_split(tmp, "train", xt, yt, classes)
            write_split(tmp, "val", xv, yv, classes)
            head = os.path.join(tmp, "head")
            args = ["probe", "fit", "--train-npy", os.path.join(tmp, "train.npy"),
                    "--train-labels", os.path.join(tmp, "train.txt"), "--val-npy", os.path.join(tmp, "val.npy"),
                    "--val-labels", os.path.join(tmp, "val.txt"), "--out", head, "--tol", "1e-8"]
            if cs:
                args += ["--C"] + [str(c) for c in cs]
            run_vit(args)
            report = read_json(os.path.join(head, "report.json"))
            weights = read_safetensors(os.path.join(head, "head.safetensors"))
            config = read_json(os.path.join(head, "head_config.json"))
        self.assertEqual([config["id2label"][str(i)] for i in range(k)], classes)
        self.assertTrue(report["converged"])
        C = report["C"]
        w = weights["classifier.weight"].numpy().astype(np.float64)
        b = weights["classifier.bias"].numpy().astype(np.float64)
        ours = softmax(xv.astype(np.float64) @ w.T + b)

        scaler = StandardScaler().fit(xt.astype(np.float64))
        ref = LogisticRegression(C=C, multi_class="multinomial", solver="lbfgs", tol=1e-10, max_iter=20000)
        ref.fit(scaler.transform(xt.astype(np.float64)), yt)
        theirs = ref.predict_proba(scaler.transform(xv.astype(np.float64)))

        acc_ours = float((ours.argmax(1) == yv).mean())
        acc_theirs = float((theirs.argmax(1) == yv).mean())
        max_diff = float(np.abs(ours - theirs).max())
        print(f"  n={n_train} d={d} k={k} C={C:.6g}: val accuracy ours {acc_ours:.4f} sklearn {acc_theirs:.4f}, "
              f"max |p_ours - p_sklearn| = {max_diff:.2e}, reported {report['validation']['accuracy']:.4f}")
        self.assertAlmostEqual(report["validation"]["accuracy"], acc_ours, places=6)
        self.assertLessEqual(abs(acc_ours - acc_theirs), 0.01)
        self.assertLess(max_diff, 5e-4)
        self.assertLess(acc_ours, 0.99, "the data must not be trivially separable for this test to mean something")
        return report

    def test_fixed_c(self):
        self.fit_and_compare(600, 400, 32, 5, seed=1, cs=[0.05])

    def test_weak_regularisation(self):
        self.fit_and_compare(600, 400, 32, 5, seed=2, cs=[10.0])

    def test_cross_validated_c_on_1024_features(self):
        report = self.fit_and_compare(800, 200, 1024, 10, seed=3, spread=0.12)
        self.assertEqual(len(report["cross_validation"]), 10)
        best = max(r["accuracy"] for r in report["cross_validation"])
        chosen = [r for r in report["cross_validation"] if r["C"] == report["C"]][0]
        self.assertEqual(chosen["accuracy"], best)


if __name__ == "__main__":
    unittest.main(verbosity=2)
