"""A PyTorch reference of transformers' ViTModel / ViTForImageClassification (modeling_vit.py), written
as plain functions over a Hugging Face state dict so that it runs in float32 (what users get from PyTorch)
and float64 (the truth both are measured against). Each step names the modeling_vit.py statement it
mirrors. Debian's python3-torch; no transformers needed."""
import math

import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "gelu": lambda x: F.gelu(x),  # ACT2FN["gelu"] is the exact erf GELU
    "tanh": torch.tanh,
}


def strip_prefix(state_dict):
    """ViTModel checkpoints have bare keys; ViTForImageClassification ones put the backbone under 'vit.'."""
    return {(k[4:] if k.startswith("vit.") else k): v for k, v in state_dict.items()}


def interpolate_pos_encoding(position_embeddings, height, width, patch_size):
    # ViTEmbeddings.interpolate_pos_encoding (current transformers: size=, bicubic, align_corners=False)
    num_positions = position_embeddings.shape[1] - 1
    new_height, new_width = height // patch_size, width // patch_size
    if new_height * new_width == num_positions and height == width:
        return position_embeddings
    class_pos_embed = position_embeddings[:, :1]
    patch_pos_embed = position_embeddings[:, 1:]
    dim = position_embeddings.shape[-1]
    side = int(math.sqrt(num_positions))
    patch_pos_embed = patch_pos_embed.reshape(1, side, side, dim).permute(0, 3, 1, 2)
    patch_pos_embed = F.interpolate(patch_pos_embed, size=(new_height, new_width), mode="bicubic",
                                    align_corners=False)
    patch_pos_embed = patch_pos_embed.permute(0, 2, 3, 1).reshape(1, -1, dim)
    return torch.cat((class_pos_embed, patch_pos_embed), dim=1)


def embeddings(sd, cfg, pixel_values, interpolate):
    batch, channels, height, width = pixel_values.shape
    p = cfg["patch_size"]
    size = cfg["image_size"]
    if not interpolate and (height != size or width != size):
        raise ValueError(f"Input image size ({height}*{width}) doesn't match model ({size}*{size}).")
    # ViTPatchEmbeddings: projection(pixel_values).flatten(2).transpose(1, 2)
    x = F.conv2d(pixel_values, sd["embeddings.patch_embeddings.projection.weight"],
                 sd["embeddings.patch_embeddings.projection.bias"], stride=p)
    x = x.flatten(2).transpose(1, 2)
    # embeddings = torch.cat((cls_tokens, embeddings), dim=1)
    x = torch.cat((sd["embeddings.cls_token"].expand(batch, -1, -1), x), dim=1)
    pos = sd["embeddings.position_embeddings"]
    if interpolate:
        pos = interpolate_pos_encoding(pos, height, width, p)
    return x + pos


def linear(sd, name, x):
    return F.linear(x, sd[name + ".weight"], sd.get(name + ".bias"))


def self_attention(sd, cfg, prefix, x):
    b, t, d = x.shape
    heads = cfg["num_attention_heads"]
    hd = d // heads

    def split(y):  # transpose_for_scores
        return y.view(b, t, heads, hd).permute(0, 2, 1, 3)

    q = split(linear(sd, prefix + ".attention.attention.query", x))
    k = split(linear(sd, prefix + ".attention.attention.key", x))
    v = split(linear(sd, prefix + ".attention.attention.value", x))
    # attention_scores = query @ key^T / sqrt(head_size); softmax; probs @ value
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd)
    probs = torch.softmax(scores, dim=-1)
    context = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, t, d)
    # ViTSelfOutput.dense
    return linear(sd, prefix + ".attention.output.dense", context), probs


def layer(sd, cfg, i, x):
    prefix = f"encoder.layer.{i}"
    eps = cfg["layer_norm_eps"]
    d = x.shape[-1]
    # attention_output = self.attention(self.layernorm_before(hidden_states)); hidden_states = attention_output + hidden_states
    h = F.layer_norm(x, (d,), sd[prefix + ".layernorm_before.weight"], sd[prefix + ".layernorm_before.bias"], eps)
    attn, probs = self_attention(sd, cfg, prefix, h)
    x = attn + x
    # layer_output = self.layernorm_after(hidden_states); intermediate (dense + act); output (dense + residual)
    h = F.layer_norm(x, (d,), sd[prefix + ".layernorm_after.weight"], sd[prefix + ".layernorm_after.bias"], eps)
    h = ACTIVATIONS[cfg["hidden_act"]](linear(sd, prefix + ".intermediate.dense", h))
    return linear(sd, prefix + ".output.dense", h) + x, probs


@torch.inference_mode()
def forward(state_dict, cfg, pixel_values, dtype=torch.float64, interpolate=False):
    """Returns a dict of numpy arrays named as transformers names them."""
    sd = {k: v.to(dtype) for k, v in strip_prefix(state_dict).items()}
    x = embeddings(sd, cfg, pixel_values.to(dtype), interpolate)
    hidden_states, attentions = [x], []
    for i in range(cfg["num_hidden_layers"]):
        x, probs = layer(sd, cfg, i, x)
        hidden_states.append(x)
        attentions.append(probs)
    d = x.shape[-1]
    last = F.layer_norm(x, (d,), sd["layernorm.weight"], sd["layernorm.bias"], cfg["layer_norm_eps"])
    out = {
        "last_hidden_state": last,
        "hidden_states": torch.stack(hidden_states),
        "attentions": torch.stack(attentions),
        "cls": last[:, 0],
        "mean": last[:, 1:].mean(dim=1),
    }
    if "pooler.dense.weight" in sd:
        act = ACTIVATIONS[cfg.get("pooler_act", "tanh")]
        out["pooler_output"] = act(linear(sd, "pooler.dense", last[:, 0]))
    if "classifier.weight" in sd:
        out["logits"] = linear(sd, "classifier", last[:, 0])
    return {k: v.detach().to(torch.float64).numpy() for k, v in out.items()}
