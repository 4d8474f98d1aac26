#!/usr/bin/python3
"""`vit serve` on each member of the ViT family (CLIP with its projection, SigLIP, DINOv2 with registers,
DeiT with its teacher head), on random-weight checkpoints in the hub's layouts: the served vectors equal
`vit embed`'s bit for bit, the default pooling is the family's (image_embeds for CLIP), what a model lacks is
refused naming it, and CLIP's served image_embeds are the float64 PyTorch reference's within 2x PyTorch
float32's error (tests/parity/family_reference.py, written from transformers' modeling_clip.py)."""
import base64
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "parity"))
sys.path.insert(0, HERE)
import family_reference  # noqa: E402
import make_checkpoint  # noqa: E402
from harness import compare  # noqa: E402
from test_family_parity import at_its_size  # noqa: E402
from test_serve import IMAGES, VIT, Server, f32, read, vit_embed  # noqa: E402

# (checkpoint, kind, the default pooled output, the poolings it refuses)
FAMILIES = [
    ("clip-vision-tiny", "clip-vision", "image_embeds", []),
    ("siglip-tiny", "siglip", "pooler_output", ["cls", "image_embeds"]),
    ("dinov2-registers-tiny", "dinov2-registers", "pooler_output", ["image_embeds"]),
    ("deit-teacher-tiny", "deit-teacher", "cls", ["pooler", "image_embeds"]),
]
POOLED = {"pooler_output": "pooler", "image_embeds": "image_embeds", "cls": "cls", "mean": "mean"}


def b64(path):
    return base64.b64encode(read(path)).decode()


class ServeFamilies(unittest.TestCase):
    def serve(self, name, kind, *flags):
        model = at_its_size(name, kind)
        server = Server(model, "--max-batch-size", "4", "--max-wait-ms", "5", *flags)
        self.addCleanup(server.kill)
        return model, server

    def test_every_family_serves_what_vit_embed_writes(self):
        images = IMAGES[:3]
        for name, kind, default, refused in FAMILIES:
            with self.subTest(kind):
                model, server = self.serve(name, kind)
                outputs = [o for o in POOLED if POOLED[o] not in refused]
                classifier = kind == "deit-teacher"
                ref = vit_embed(model, images, outputs + ["last_hidden_state"] + (["logits"] if classifier else []))
                inputs = [b64(p) for p in images]
                got = server.json("POST", "/embed", {"inputs": inputs, "normalize": False})
                self.assertTrue(np.array_equal(f32(got), ref[default]), f"{kind}: the default is {default}")
                for output in outputs:
                    got = server.json("POST", "/embed", {"inputs": inputs, "normalize": False,
                                                         "pooling": POOLED[output]})
                    self.assertTrue(np.array_equal(f32(got), ref[output]), f"{kind} /embed pooling={output}")
                for pooling in refused:
                    status, _, data = server.request("POST", "/embed", {"inputs": inputs[:1], "pooling": pooling})
                    self.assertEqual(status, 422, f"{kind} pooling={pooling}: {data[:200]!r}")
                    self.assertIn("[CLS]" if pooling == "cls" else pooling, json.loads(data)["error"])
                info = server.json("GET", "/info")
                if classifier:  # DeiT's logits: the mean of its two heads, the top label first
                    predicted = server.json("POST", "/predict", {"inputs": inputs})
                    top = [p[0]["label"] for p in predicted]
                    labels = info["model_type"]["classifier"]["id2label"]
                    self.assertEqual(top, [labels[str(i)] for i in ref["logits"].argmax(1)], kind)
                else:
                    self.assertEqual(info["model_type"]["embedding"]["pooling"], POOLED[default])
                self.assertEqual(info["has_image_embeds"], kind == "clip-vision")
                self.assertEqual(info["max_input_length"], ref["last_hidden_state"].shape[1])
                # KServe: the metadata's shapes are the outputs' shapes; the default output is the default pooling's
                # tensor when it is one of transformers' outputs.
                meta = server.json("GET", f"/v2/models/{os.path.basename(model)}")
                shapes = {o["name"]: o["shape"][1:] for o in meta["outputs"]}
                self.assertEqual(shapes["last_hidden_state"], list(ref["last_hidden_state"].shape[1:]), kind)
                for output in ("image_embeds", "pooler_output"):
                    if output in shapes:
                        self.assertEqual(shapes[output], list(ref[output].shape[1:]), f"{kind} {output}")
                got = server.json("POST", f"/v2/models/{os.path.basename(model)}/infer", {
                    "inputs": [{"name": "images", "datatype": "BYTES", "shape": [2], "data": inputs[:2]}]})
                out = got["outputs"][0]
                expected = default if default != "cls" else "last_hidden_state"
                self.assertEqual(out["name"], expected, kind)
                self.assertTrue(np.array_equal(f32(out["data"]).reshape(out["shape"]), ref[expected][:2]), kind)

    def test_clip_served_image_embeds_are_the_pytorch_references(self):
        model, server = self.serve("clip-vision-tiny", "clip-vision")
        ref = vit_embed(model, IMAGES, ["pixel_values", "image_embeds"])
        served = {"image_embeds": f32(server.json("POST", "/embed", {"inputs": [b64(p) for p in IMAGES],
                                                                     "normalize": False}))}
        self.assertTrue(np.array_equal(served["image_embeds"], ref["image_embeds"]))
        _, failures = compare("served clip image_embeds", served, model, ref["pixel_values"],
                              reference=family_reference.forward)
        self.assertEqual(failures, [])
        # The normalized default of /embed and OpenAI's /v1/embeddings are the reference's unit vectors.
        cfg, sd = make_checkpoint.load_checkpoint(model)
        exact = family_reference.forward(sd, cfg, torch.from_numpy(ref["pixel_values"]), torch.float64)["image_embeds"]
        unit = exact / np.linalg.norm(exact, axis=1, keepdims=True)
        got = f32(server.json("POST", "/embed", {"inputs": [b64(p) for p in IMAGES[:2]]}))
        np.testing.assert_allclose(got, unit[:2], rtol=0, atol=1e-5)
        body = server.json("POST", "/v1/embeddings", {"input": [b64(p) for p in IMAGES[:2]],
                                                      "model": os.path.basename(model)})
        got = f32([d["embedding"] for d in body["data"]])
        np.testing.assert_allclose(got, unit[:2], rtol=0, atol=1e-5)

    def test_clip_search_index_of_image_embeds(self):
        # `vit index build` on CLIP records image_embeds; the served /search embeds queries the same way.
        with tempfile.TemporaryDirectory() as tmp:
            model = at_its_size("clip-vision-tiny", "clip-vision")
            index = os.path.join(tmp, "index")
            r = subprocess.run([VIT, "index", "build", "--model", model, "--out", index, "--no-cache", *IMAGES],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(index, "index.json")) as f:
                self.assertEqual(json.load(f)["features"], "image_embeds")
            _, server = self.serve("clip-vision-tiny", "clip-vision", "--index", index)
            hits = server.json("POST", "/search", {"inputs": [b64(p) for p in IMAGES], "k": 2})
            self.assertEqual([h[0]["path"] for h in hits], IMAGES)
            self.assertTrue(all(abs(h[0]["score"] - 1) < 1e-5 for h in hits), hits)
            self.assertEqual(server.json("GET", "/info")["index"]["features"], "image_embeds")


if __name__ == "__main__":
    unittest.main(verbosity=2)
