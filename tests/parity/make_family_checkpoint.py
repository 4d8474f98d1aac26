#!/usr/bin/python3
"""Writes a random-weight checkpoint of a ViT-family member in its exact Hugging Face hub layout:
config.json as the hub's repos have it, model.safetensors (and pytorch_model.bin with --pytorch-bin), with
every tensor a vision-only engine must skip (a full CLIPModel's or SiglipModel's text tower, position_ids,
DINOv2's mask_token). Weights are scaled like a trained model's: normal(0, 0.02), LayerNorm gains near 1.

  make_family_checkpoint.py --kind clip --preset tiny --out DIR
  kinds: deit-teacher (DeiTForImageClassificationWithTeacher), deit (DeiTModel), dinov2 (Dinov2Model),
         dinov2-registers, clip (CLIPModel), clip-vision (CLIPVisionModelWithProjection), siglip (SiglipModel),
         siglip-vision (SiglipVisionModel), dinov2-swiglu (Dinov2Model with use_swiglu_ffn, as dinov2-giant),
         dinov2-cls (Dinov2ForImageClassification), dinov2-registers-cls (Dinov2WithRegistersForImageClassification)
"""
import argparse
import json
import os

import torch

import make_checkpoint

# Vision towers: tiny for every family; full-size ones as the hub's configs give them.
PRESETS = {
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, image_size=32,
                 patch_size=8),
    "deit-base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                      image_size=224, patch_size=16),
    "dinov2-large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, image_size=518,
                         patch_size=14),
    "dinov2-giant": dict(hidden_size=1536, num_hidden_layers=40, num_attention_heads=24, image_size=518,
                         patch_size=14),  # with --kind dinov2-swiglu: facebook/dinov2-giant
    "clip-large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                       image_size=224, patch_size=14),
    "siglip-base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                        image_size=224, patch_size=16),
}
MODEL_TYPES = {"deit-teacher": "deit", "deit": "deit", "dinov2": "dinov2", "dinov2-swiglu": "dinov2", "dinov2-registers": "dinov2_with_registers",
               "clip": "clip", "clip-vision": "clip_vision_model", "siglip": "siglip",
               "siglip-vision": "siglip_vision_model", "dinov2-cls": "dinov2", "dinov2-registers-cls": "dinov2_with_registers"}
ARCHITECTURES = {"deit-teacher": "DeiTForImageClassificationWithTeacher", "deit": "DeiTModel",
                 "dinov2": "Dinov2Model", "dinov2-swiglu": "Dinov2Model", "dinov2-registers": "Dinov2WithRegistersModel", "clip": "CLIPModel",
                 "clip-vision": "CLIPVisionModelWithProjection", "siglip": "SiglipModel",
                 "siglip-vision": "SiglipVisionModel", "dinov2-cls": "Dinov2ForImageClassification",
                 "dinov2-registers-cls": "Dinov2WithRegistersForImageClassification"}
# Classification models: their backbone under a prefix (self.deit, self.dinov2, self.dinov2_with_registers).
CLASSIFIERS = {"deit-teacher": "deit.", "dinov2-cls": "dinov2.", "dinov2-registers-cls": "dinov2_with_registers."}


def vision_config(kind, preset, overrides):
    t = MODEL_TYPES[kind]
    v = dict(PRESETS[preset])
    if t == "deit":
        v.update(hidden_act="gelu", layer_norm_eps=1e-12, qkv_bias=True, encoder_stride=16, num_channels=3,
                 hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.02)
    elif t.startswith("dinov2"):
        v.pop("intermediate_size", None)
        v.update(hidden_act="gelu", layer_norm_eps=1e-6, mlp_ratio=4, layerscale_value=1.0, use_swiglu_ffn=False,
                 qkv_bias=True, drop_path_rate=0.0, num_channels=3, hidden_dropout_prob=0.0,
                 attention_probs_dropout_prob=0.0, initializer_range=0.02)
        if t == "dinov2_with_registers":
            v["num_register_tokens"] = 4
        if kind == "dinov2-swiglu":
            v["use_swiglu_ffn"] = True
    elif t.startswith("clip"):
        v.update(hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=32 if preset == "tiny" else 768,
                 model_type="clip_vision_model", attention_dropout=0.0, initializer_factor=1.0, num_channels=3)
    else:
        v.update(hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6, model_type="siglip_vision_model",
                 attention_dropout=0.0, num_channels=3)
    v.update(overrides)
    return v


def make_config(kind, preset, overrides, num_labels):
    t = MODEL_TYPES[kind]
    v = vision_config(kind, preset, overrides)
    common = {"architectures": [ARCHITECTURES[kind]], "torch_dtype": "float32", "transformers_version": "4.56.0"}
    if kind == "clip":
        text = dict(hidden_size=32, intermediate_size=64, num_attention_heads=2, num_hidden_layers=1, vocab_size=100,
                    max_position_embeddings=16, hidden_act="quick_gelu", model_type="clip_text_model")
        return dict(common, model_type="clip", projection_dim=v["projection_dim"], logit_scale_init_value=2.6592,
                    text_config=text, vision_config=v)
    if kind == "siglip":
        text = dict(hidden_size=32, intermediate_size=64, num_attention_heads=2, num_hidden_layers=1, vocab_size=100,
                    max_position_embeddings=16, model_type="siglip_text_model")
        return dict(common, model_type="siglip", text_config=text, vision_config=v)
    cfg = dict(common, model_type=t, **{k: val for k, val in v.items() if k != "model_type"})
    if num_labels:
        cfg["id2label"] = {str(i): f"label_{i}" for i in range(num_labels)}
        cfg["label2id"] = {f"label_{i}": i for i in range(num_labels)}
    return cfg


class Random:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def normal(self, *shape, std=0.02):
        return torch.randn(*shape, generator=self.g) * std

    def gain(self, size):
        return 1.0 + self.normal(size, std=0.05)

    def linear(self, sd, name, out, inp, bias=True):
        sd[name + ".weight"] = self.normal(out, inp)
        if bias:
            sd[name + ".bias"] = self.normal(out, std=0.01)

    def norm(self, sd, name, size):
        sd[name + ".weight"] = self.gain(size)
        sd[name + ".bias"] = self.normal(size, std=0.01)


def clip_like_layers(r, sd, prefix, d, inter, layers):
    for i in range(layers):
        L = f"{prefix}encoder.layers.{i}."
        for name in ("k_proj", "v_proj", "q_proj", "out_proj"):
            r.linear(sd, L + "self_attn." + name, d, d)
        r.norm(sd, L + "layer_norm1", d)
        r.linear(sd, L + "mlp.fc1", inter, d)
        r.linear(sd, L + "mlp.fc2", d, inter)
        r.norm(sd, L + "layer_norm2", d)


def random_state_dict(kind, cfg, num_labels, seed):
    r = Random(seed)
    t = MODEL_TYPES[kind]
    v = cfg.get("vision_config", cfg)
    d, c, p = v["hidden_size"], v.get("num_channels", 3), v["patch_size"]
    n = (v["image_size"] // p) ** 2
    sd = {}
    if t in ("deit",) or t.startswith("dinov2"):
        dinov2 = t.startswith("dinov2")
        inter = int(d * v["mlp_ratio"]) if dinov2 else v["intermediate_size"]
        prefix = CLASSIFIERS.get(kind, "")
        E = prefix + "embeddings."
        sd[E + "cls_token"] = r.normal(1, 1, d)
        leading = 1
        if t == "deit":
            sd[E + "distillation_token"] = r.normal(1, 1, d)
            leading = 2
        else:
            sd[E + "mask_token"] = torch.zeros(1, d)
            if t == "dinov2_with_registers":
                sd[E + "register_tokens"] = r.normal(1, v["num_register_tokens"], d)
        sd[E + "position_embeddings"] = r.normal(1, n + leading, d)
        r.linear(sd, E + "patch_embeddings.projection", d, c * p * p)
        sd[E + "patch_embeddings.projection.weight"] = sd[E + "patch_embeddings.projection.weight"].reshape(d, c, p, p)
        for i in range(v["num_hidden_layers"]):
            L = f"{prefix}encoder.layer.{i}."
            for name in ("query", "key", "value"):
                r.linear(sd, L + "attention.attention." + name, d, d)
            r.linear(sd, L + "attention.output.dense", d, d)
            if dinov2:
                r.norm(sd, L + "norm1", d)
                sd[L + "layer_scale1.lambda1"] = 0.1 + r.normal(d, std=0.05)
                r.norm(sd, L + "norm2", d)
                if v.get("use_swiglu_ffn"):  # Dinov2SwiGLUFFN
                    h = (int(inter * 2 / 3) + 7) // 8 * 8
                    r.linear(sd, L + "mlp.weights_in", 2 * h, d)
                    r.linear(sd, L + "mlp.weights_out", d, h)
                else:
                    r.linear(sd, L + "mlp.fc1", inter, d)
                    r.linear(sd, L + "mlp.fc2", d, inter)
                sd[L + "layer_scale2.lambda1"] = 0.1 + r.normal(d, std=0.05)
            else:
                r.norm(sd, L + "layernorm_before", d)
                r.linear(sd, L + "intermediate.dense", inter, d)
                r.linear(sd, L + "output.dense", d, inter)
                r.norm(sd, L + "layernorm_after", d)
        r.norm(sd, prefix + "layernorm", d)
        if kind == "deit":
            r.linear(sd, "pooler.dense", d, d)
        if kind == "deit-teacher":
            r.linear(sd, "cls_classifier", num_labels, d)
            r.linear(sd, "distillation_classifier", num_labels, d)
        if kind in ("dinov2-cls", "dinov2-registers-cls"):  # nn.Linear(config.hidden_size * 2, config.num_labels)
            r.linear(sd, "classifier", num_labels, 2 * d)
        return sd
    # CLIP and SigLIP: the vision tower under vision_model.
    clip = t.startswith("clip")
    V = "vision_model."
    inter = v["intermediate_size"]
    if clip:
        sd[V + "embeddings.class_embedding"] = r.normal(d)
        sd[V + "embeddings.patch_embedding.weight"] = r.normal(d, c, p, p)
        sd[V + "embeddings.position_embedding.weight"] = r.normal(n + 1, d)
        r.norm(sd, V + "pre_layrnorm", d)
    else:
        sd[V + "embeddings.patch_embedding.weight"] = r.normal(d, c, p, p)
        sd[V + "embeddings.patch_embedding.bias"] = r.normal(d, std=0.01)
        sd[V + "embeddings.position_embedding.weight"] = r.normal(n, d)
    clip_like_layers(r, sd, V, d, inter, v["num_hidden_layers"])
    r.norm(sd, V + "post_layernorm", d)
    if not clip:
        H = V + "head."
        sd[H + "probe"] = r.normal(1, 1, d, std=1.0)
        sd[H + "attention.in_proj_weight"] = r.normal(3 * d, d)
        sd[H + "attention.in_proj_bias"] = r.normal(3 * d, std=0.01)
        r.linear(sd, H + "attention.out_proj", d, d)
        r.norm(sd, H + "layernorm", d)
        r.linear(sd, H + "mlp.fc1", inter, d)
        r.linear(sd, H + "mlp.fc2", d, inter)
    if clip:
        sd["visual_projection.weight"] = r.normal(v["projection_dim"], d)
    if kind in ("clip", "siglip"):  # the text tower a vision-only engine skips
        tc = cfg["text_config"]
        td, ti = tc["hidden_size"], tc["intermediate_size"]
        T = "text_model."
        sd[T + "embeddings.token_embedding.weight"] = r.normal(tc["vocab_size"], td)
        sd[T + "embeddings.position_embedding.weight"] = r.normal(tc["max_position_embeddings"], td)
        clip_like_layers(r, sd, T, td, ti, tc["num_hidden_layers"])
        r.norm(sd, T + "final_layer_norm", td)
        if clip:
            sd["text_projection.weight"] = r.normal(v["projection_dim"], td)
            sd["logit_scale"] = torch.tensor(2.6592)
        else:
            r.linear(sd, T + "head", td, td)
            sd["logit_scale"] = torch.tensor([2.3])
            sd["logit_bias"] = torch.tensor([-10.0])
    return sd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=sorted(MODEL_TYPES), required=True)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", type=int, default=5, help="classification kinds: number of labels")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="override a vision config field")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pytorch-bin", action="store_true", help="also write pytorch_model.bin (torch.save)")
    args = ap.parse_args()
    overrides = {k: json.loads(val) for k, val in (s.split("=", 1) for s in args.set)}
    labels = args.labels if args.kind in CLASSIFIERS else 0
    cfg = make_config(args.kind, args.preset, overrides, labels)
    sd = random_state_dict(args.kind, cfg, labels, args.seed)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    make_checkpoint.write_safetensors(os.path.join(args.out, "model.safetensors"), sd)
    if args.pytorch_bin:
        # The older CLIP repos' pytorch_model.bin also holds the position_ids buffers (int64).
        if MODEL_TYPES[args.kind].startswith("clip"):
            v = cfg.get("vision_config", cfg)
            sd["vision_model.embeddings.position_ids"] = torch.arange((v["image_size"] // v["patch_size"]) ** 2 + 1)[None]
            if args.kind == "clip":
                sd["text_model.embeddings.position_ids"] = torch.arange(cfg["text_config"]["max_position_embeddings"])[None]
        torch.save(sd, os.path.join(args.out, "pytorch_model.bin"))


if __name__ == "__main__":
    main()
