"""transformers' ViTModel (eager attention, as modeling_vit.py) as a torch.nn.Module built from a Hugging
Face state dict: the PyTorch side of bench/e2e/compare.py, without needing transformers installed."""
import math

import torch
from torch import nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, d, heads, qkv_bias):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.query = nn.Linear(d, d, bias=qkv_bias)
        self.key = nn.Linear(d, d, bias=qkv_bias)
        self.value = nn.Linear(d, d, bias=qkv_bias)

    def forward(self, x):
        b, t, d = x.shape

        def split(y):  # transpose_for_scores
            return y.view(b, t, self.heads, self.head_dim).permute(0, 2, 1, 3)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores, dim=-1)
        return torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, t, d)


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
        self.layernorm_before = nn.LayerNorm(d, eps=eps)
        self.attention = SelfAttention(d, cfg["num_attention_heads"], cfg.get("qkv_bias", True))
        self.attention_output = nn.Linear(d, d)
        self.layernorm_after = nn.LayerNorm(d, eps=eps)
        self.intermediate = nn.Linear(d, cfg["intermediate_size"])
        self.output = nn.Linear(cfg["intermediate_size"], d)

    def forward(self, x):
        x = self.attention_output(self.attention(self.layernorm_before(x))) + x
        return self.output(F.gelu(self.intermediate(self.layernorm_after(x)))) + x


class ViTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, p = cfg["hidden_size"], cfg["patch_size"]
        n = (cfg["image_size"] // p) ** 2
        self.projection = nn.Conv2d(cfg["num_channels"], d, kernel_size=p, stride=p)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.position_embeddings = nn.Parameter(torch.zeros(1, n + 1, d))
        self.layers = nn.ModuleList(Layer(cfg) for _ in range(cfg["num_hidden_layers"]))
        self.layernorm = nn.LayerNorm(d, eps=cfg["layer_norm_eps"])
        self.pooler = nn.Linear(d, d)

    def forward(self, pixel_values):
        x = self.projection(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.position_embeddings
        for layer in self.layers:
            x = layer(x)
        x = self.layernorm(x)
        return x, torch.tanh(self.pooler(x[:, 0]))


def from_state_dict(cfg, sd):
    """Maps Hugging Face keys (with or without the "vit." prefix) onto ViTModel."""
    sd = {(k[4:] if k.startswith("vit.") else k): v for k, v in sd.items()}
    model = ViTModel(cfg)
    mine = {
        "projection.weight": "embeddings.patch_embeddings.projection.weight",
        "projection.bias": "embeddings.patch_embeddings.projection.bias",
        "cls_token": "embeddings.cls_token",
        "position_embeddings": "embeddings.position_embeddings",
        "layernorm.weight": "layernorm.weight",
        "layernorm.bias": "layernorm.bias",
        "pooler.weight": "pooler.dense.weight",
        "pooler.bias": "pooler.dense.bias",
    }
    for i in range(cfg["num_hidden_layers"]):
        hf, me = f"encoder.layer.{i}.", f"layers.{i}."
        for a, b in [("layernorm_before", "layernorm_before"), ("layernorm_after", "layernorm_after"),
                     ("attention.query", "attention.attention.query"), ("attention.key", "attention.attention.key"),
                     ("attention.value", "attention.attention.value"), ("attention_output", "attention.output.dense"),
                     ("intermediate", "intermediate.dense"), ("output", "output.dense")]:
            for w in ("weight", "bias"):
                mine[me + a + "." + w] = hf + b + "." + w
    state = {m: sd[h] for m, h in mine.items() if h in sd}
    missing = set(model.state_dict()) - set(state)
    if missing - {"pooler.weight", "pooler.bias"}:
        raise KeyError(f"checkpoint lacks {sorted(missing)[:5]}")
    model.load_state_dict(state, strict=False)
    return model.eval()
