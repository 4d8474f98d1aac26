#!/usr/bin/python3
"""`vit serve`'s POST /attention and POST /predict against the tool (`vit attention`, `vit embed
--outputs logits`) on the same images, and the page at GET / in a real browser: Debian's chromium,
headless, driven by tests/browser/page_test.js (puppeteer-core, installed by scripts/setup from
tests/browser/package-lock.json). The page must show what the API answers for the same image, with no
console errors, and fit a phone's width; its screenshots are kept in the build folder
(test-artifacts/page*.png)."""
import base64
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
from harness import BUILD, checkpoint, run_vit  # noqa: E402
from test_serve import IMAGES, Server, data_url  # noqa: E402

BROWSER = os.path.join(ROOT, "tests", "browser")
ARTIFACTS = os.path.join(BUILD, "test-artifacts")


def png_size(data):
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.size


def data_url_png(url):
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix), url[:40]
    return base64.b64decode(url[len(prefix):])


class AttentionRoute(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = checkpoint("tiny-cls5", "tiny", classifier=5)
        cls.server = Server(cls.model)

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def tool_maps(self, images, *flags):
        with tempfile.TemporaryDirectory() as tmp:
            r = run_vit(["attention", "--model", self.model, "--out", tmp, "--no-pictures", *flags, "--", *images],
                        check=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            return np.load(os.path.join(tmp, "attention_maps.npy"))

    def test_maps_equal_the_tool(self):
        images = IMAGES[:3]
        for options, flags in (({}, ()),
                               ({"method": "last", "head_fusion": "max", "layer": 0}, ("--method", "last",
                                                                                        "--head-fusion", "max",
                                                                                        "--layer", "0")),
                               ({"discard_ratio": 0.5, "head_fusion": "min"}, ("--discard-ratio", "0.5",
                                                                                "--head-fusion", "min"))):
            answer = self.server.json("POST", "/attention", {"inputs": [data_url(p) for p in images], **options})
            expected = self.tool_maps(images, *flags)
            self.assertEqual(len(answer), len(images))
            for got, want in zip(answer, expected):
                self.assertEqual((got["grid_height"], got["grid_width"]), want.shape)
                self.assertNotIn("overlay", got)
                np.testing.assert_array_equal(np.array(got["map"], dtype=np.float32), want, str(options))

    def test_png_and_pictures(self):
        with open(IMAGES[0], "rb") as f:
            raw = f.read()
        status, headers, body = self.server.request("POST", "/attention?format=png&method=last", raw,
                                                    {"Content-Type": "image/png"})
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(headers["content-type"], "image/png")
        self.assertEqual(png_size(body), ("PNG", (32, 32)))
        answer = self.server.json("POST", "/attention", {"inputs": data_url(IMAGES[0]), "pictures": True})[0]
        self.assertEqual(png_size(data_url_png(answer["overlay"])), ("PNG", (32, 32)))
        # The image as the model saw it: pixel_values with the normalisation undone.
        with tempfile.TemporaryDirectory() as tmp:
            r = run_vit(["embed", "--model", self.model, "--out", tmp, "--outputs", "pixel_values", IMAGES[0]],
                        check=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            pixels = np.load(os.path.join(tmp, "pixel_values.npy"))[0]
        expected = np.clip(np.rint((pixels * 0.5 + 0.5) * 255), 0, 255).astype(np.uint8).transpose(1, 2, 0)
        with Image.open(io.BytesIO(data_url_png(answer["image"]))) as image:
            np.testing.assert_array_equal(np.asarray(image.convert("RGB")), expected)

    def test_bad_requests(self):
        image = data_url(IMAGES[0])
        for body, needle in (({"inputs": image, "method": "gradcam"}, "rollout or last"),
                             ({"inputs": image, "layer": 2}, "\"layer\""),
                             ({"inputs": image, "discard_ratio": 1}, "discard_ratio"),
                             ({"inputs": [image, image], "format": "png"}, "one image"),
                             ({"inputs": image, "alpha": "high"}, "alpha")):
            status, _, data = self.server.request("POST", "/attention", body)
            self.assertEqual(status, 400, data)
            self.assertIn(needle, json.loads(data)["error"])

    def test_predict_is_the_softmax_of_the_logits(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = run_vit(["embed", "--model", self.model, "--out", tmp, "--outputs", "logits", *IMAGES[:2]],
                        check=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            logits = np.load(os.path.join(tmp, "logits.npy")).astype(np.float64)
        answer = self.server.json("POST", "/predict", {"inputs": [data_url(p) for p in IMAGES[:2]], "top_k": 3})
        for got, row in zip(answer, logits):
            scores = np.exp(row - row.max())
            scores /= scores.sum()
            order = np.argsort(-scores, kind="stable")[:3]
            self.assertEqual([g["id"] for g in got], order.tolist())
            self.assertEqual([g["label"] for g in got], [f"label_{i}" for i in order])
            np.testing.assert_allclose([g["score"] for g in got], scores[order], rtol=1e-6)


@unittest.skipIf(os.environ.get("VIT_SKIP_BROWSER") == "1", "VIT_SKIP_BROWSER=1")
class Page(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for need, hint in ((shutil.which("node"), "node (nodejs)"), (os.path.exists("/usr/bin/chromium"), "chromium"),
                           (os.path.isdir(os.path.join(BROWSER, "node_modules", "puppeteer-core")),
                            "tests/browser/node_modules (npm ci)")):
            if not need:
                raise AssertionError(f"the browser test needs {hint}: run scripts/setup")
        os.makedirs(ARTIFACTS, exist_ok=True)

    def open_page(self, server, image, screenshot, width, height):
        r = subprocess.run(["node", os.path.join(BROWSER, "page_test.js"), f"http://127.0.0.1:{server.port}/", image,
                            screenshot, str(width), str(height)], capture_output=True, text=True, timeout=240)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        return json.loads(r.stdout.strip().splitlines()[-1])

    def check_shown(self, server, shown, image, pooling):
        self.assertEqual(shown["problems"], [])
        self.assertEqual(shown["status_class"], "", shown["status"])
        vector = np.array(server.json("POST", "/embed", {"inputs": data_url(image), "normalize": False,
                                                          "pooling": pooling})[0], dtype=np.float64)
        self.assertEqual(shown["pooling"], pooling)
        self.assertEqual(int(shown["dimension"]), vector.size)
        norm = float(np.sqrt((vector ** 2).sum()))
        self.assertAlmostEqual(float(shown["norm"]), norm, delta=1e-5 * norm)  # shown to 6 digits
        first = [float(v) for v in shown["first_values"].split(":")[1].split(",")]
        np.testing.assert_allclose(first, vector[:8], rtol=1e-3)  # shown to 4 digits
        attention = server.json("POST", "/attention", {"inputs": data_url(image)})[0]
        self.assertIn(f"patch grid {attention['grid_height']} \u00d7 {attention['grid_width']}", shown["attention"])
        size = {"width": 32, "height": 32}
        self.assertEqual(shown["preprocessed"], size)
        self.assertEqual(shown["overlay"], size)
        return attention

    def test_page_shows_what_the_api_answers(self):
        model = checkpoint("tiny-cls5", "tiny", classifier=5)
        server = Server(model)
        try:
            shown = self.open_page(server, IMAGES[0], os.path.join(ARTIFACTS, "page.png"), 1100, 900)
            self.check_shown(server, shown, IMAGES[0], "cls")  # no pooler in a classifier checkpoint
            self.assertFalse(shown["labels_hidden"])
            predictions = server.json("POST", "/predict", {"inputs": data_url(IMAGES[0]), "top_k": 5})[0]
            self.assertEqual([row["label"] for row in shown["labels"]], [p["label"] for p in predictions])
            for row, p in zip(shown["labels"], predictions):
                self.assertAlmostEqual(float(row["score"]), p["score"], delta=5.1e-5)
            # A phone-sized screen: nothing wider than the viewport.
            phone = self.open_page(server, IMAGES[1], os.path.join(ARTIFACTS, "page-phone.png"), 390, 844)
            self.check_shown(server, phone, IMAGES[1], "cls")
            self.assertLessEqual(phone["page_width"], phone["viewport_width"])
        finally:
            server.kill()

    def test_page_without_a_classifier(self):
        server = Server(checkpoint("tiny", "tiny"))
        try:
            shown = self.open_page(server, IMAGES[2], os.path.join(ARTIFACTS, "page-embeddings.png"), 1100, 900)
            self.check_shown(server, shown, IMAGES[2], "pooler")
            self.assertTrue(shown["labels_hidden"])
            self.assertTrue(shown["neighbours_hidden"])  # no index
        finally:
            server.kill()

    def test_page_with_an_index(self):
        model = checkpoint("tiny", "tiny")
        with tempfile.TemporaryDirectory() as tmp:
            index = os.path.join(tmp, "index")
            r = run_vit(["index", "build", "--model", model, "--out", index, "--no-cache", *IMAGES], check=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run_vit(["index", "search", index, "--k", "5", "--no-cache", IMAGES[0]], check=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            expected = json.loads(r.stdout.strip().splitlines()[0])["neighbors"]
            for files in (False, True):
                server = Server(model, "--index", index, *(["--serve-indexed-files"] if files else []))
                try:
                    answer = server.json("POST", "/search", {"inputs": data_url(IMAGES[0]), "k": 5})[0]
                    self.assertEqual([(n["id"], n["path"]) for n in answer], [(n["id"], n["path"]) for n in expected])
                    np.testing.assert_allclose([n["score"] for n in answer], [n["score"] for n in expected], atol=1e-6)
                    status, headers, body = server.request("GET", f"/indexed/{answer[0]['id']}")
                    if files:
                        self.assertEqual((status, headers["content-type"]), (200, "image/png"))
                        with open(answer[0]["path"], "rb") as f:
                            self.assertEqual(body, f.read())
                    else:
                        self.assertEqual(status, 404, body)
                    self.assertEqual(server.request("GET", "/indexed/99")[0], 404)
                    name = "page-index-files.png" if files else "page-index.png"
                    shown = self.open_page(server, IMAGES[0], os.path.join(ARTIFACTS, name), 1100, 1000)
                    self.check_shown(server, shown, IMAGES[0], "pooler")
                    self.assertFalse(shown["neighbours_hidden"])
                    self.assertEqual([n["path"] for n in shown["neighbours"]], [n["path"] for n in answer])
                    for row, n in zip(shown["neighbours"], answer):
                        self.assertAlmostEqual(float(row["score"]), n["score"], delta=5.1e-5)
                        if files:
                            self.assertGreater(row["thumbnail"], 0)
                        else:
                            self.assertIsNone(row["thumbnail"])
                finally:
                    server.kill()


if __name__ == "__main__":
    unittest.main()
