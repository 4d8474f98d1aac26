#!/usr/bin/python3
"""Writes a random-weight ViT checkpoint in the exact Hugging Face layout (config.json,
preprocessor_config.json, model.safetensors and optionally pytorch_model.bin), scaled like a trained
model: normal(0, 0.02) weights, LayerNorm gains near 1, small biases.

  make_checkpoint.py --preset large --out DIR            # google/vit-large-patch16-224-in21k's config
  make_checkpoint.py --preset tiny --classifier 5 --out DIR
"""
import argparse
import json
import os
import struct

import torch

PRESETS = {
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                 image_size=32, patch_size=8),
    "base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                 image_size=224, patch_size=16),
    "large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                  image_size=224, patch_size=16),
    "huge": dict(hidden_size=1280, num_hidden_layers=32, num_attention_heads=16, intermediate_size=5120,
                 image_size=224, patch_size=14),
}

SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def make_config(preset, overrides, num_labels):
    cfg = {
        "architectures": ["ViTForImageClassification" if num_labels else "ViTModel"],
        "attention_probs_dropout_prob": 0.0,
        "encoder_stride": 16,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "hidden_size": 768,
        "image_size": 224,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "layer_norm_eps": 1e-12,
        "model_type": "vit",
        "num_attention_heads": 12,
        "num_channels": 3,
        "num_hidden_layers": 12,
        "patch_size": 16,
        "qkv_bias": True,
        "torch_dtype": "float32",
        "transformers_version": "4.46.0",
    }
    cfg.update(PRESETS[preset])
    cfg.update(overrides)
    if num_labels:
        cfg["id2label"] = {str(i): f"label_{i}" for i in range(num_labels)}
        cfg["label2id"] = {f"label_{i}": i for i in range(num_labels)}
    return cfg


def random_state_dict(cfg, num_labels, seed):
    g = torch.Generator().manual_seed(seed)
    d, inter, c, p = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_channels"], cfg["patch_size"]
    n = (cfg["image_size"] // p) ** 2

    def normal(*shape, std=0.02):
        return torch.randn(*shape, generator=g) * std

    def gain(size):
        return 1.0 + normal(size, std=0.05)

    prefix = "vit." if num_labels else ""
    sd = {
        prefix + "embeddings.cls_token": normal(1, 1, d),
        prefix + "embeddings.position_embeddings": normal(1, n + 1, d),
        prefix + "embeddings.patch_embeddings.projection.weight": normal(d, c, p, p),
        prefix + "embeddings.patch_embeddings.projection.bias": normal(d, std=0.01),
    }
    for i in range(cfg["num_hidden_layers"]):
        L = f"{prefix}encoder.layer.{i}."
        for name in ("query", "key", "value"):
            sd[L + f"attention.attention.{name}.weight"] = normal(d, d)
            if cfg.get("qkv_bias", True):
                sd[L + f"attention.attention.{name}.bias"] = normal(d, std=0.01)
        sd[L + "attention.output.dense.weight"] = normal(d, d)
        sd[L + "attention.output.dense.bias"] = normal(d, std=0.01)
        sd[L + "intermediate.dense.weight"] = normal(inter, d)
        sd[L + "intermediate.dense.bias"] = normal(inter, std=0.01)
        sd[L + "output.dense.weight"] = normal(d, inter)
        sd[L + "output.dense.bias"] = normal(d, std=0.01)
        sd[L + "layernorm_before.weight"] = gain(d)
        sd[L + "layernorm_before.bias"] = normal(d, std=0.01)
        sd[L + "layernorm_after.weight"] = gain(d)
        sd[L + "layernorm_after.bias"] = normal(d, std=0.01)
    sd[prefix + "layernorm.weight"] = gain(d)
    sd[prefix + "layernorm.bias"] = normal(d, std=0.01)
    if num_labels:
        sd["classifier.weight"] = normal(num_labels, d)
        sd["classifier.bias"] = normal(num_labels, std=0.01)
    else:
        sd["pooler.dense.weight"] = normal(cfg.get("pooler_output_size", d), d)
        sd["pooler.dense.bias"] = normal(cfg.get("pooler_output_size", d), std=0.01)
    return sd


def write_safetensors(path, state_dict, dtype=torch.float32):
    """The safetensors format: u64 header length, JSON header (space-padded to 8 bytes), raw data."""
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, tensor in state_dict.items():
        t = tensor.to(dtype).contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    import numpy as np
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = data[b:e]
        if info["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.int16).copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(raw, dtype={"F32": np.float32, "F16": np.float16}[info["dtype"]]).copy())
        out[name] = t.reshape(info["shape"]).to(torch.float32)
    return out


def load_checkpoint(folder):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    return cfg, read_safetensors(os.path.join(folder, "model.safetensors"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    ap.add_argument("--out", required=True)
    ap.add_argument("--classifier", type=int, default=0, help="number of labels (ViTForImageClassification)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="override a config field")
    ap.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pytorch-bin", action="store_true", help="also write pytorch_model.bin (torch.save)")
    ap.add_argument("--no-safetensors", action="store_true")
    args = ap.parse_args()

    overrides = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    cfg = make_config(args.preset, overrides, args.classifier)
    sd = random_state_dict(cfg, args.classifier, args.seed)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(args.out, "preprocessor_config.json"), "w") as f:
        json.dump({"do_normalize": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
                   "image_std": [0.5, 0.5, 0.5], "resample": 2, "size": cfg["image_size"],
                   "feature_extractor_type": "ViTFeatureExtractor"}, f, indent=2)
    dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[args.dtype]
    if not args.no_safetensors:
        write_safetensors(os.path.join(args.out, "model.safetensors"), sd, dtype)
    if args.pytorch_bin:
        torch.save({k: v.to(dtype) for k, v in sd.items()}, os.path.join(args.out, "pytorch_model.bin"))


if __name__ == "__main__":
    main()
