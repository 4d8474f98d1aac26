"""PyTorch references of the ViT family's other members, written from transformers' modeling files
(modeling_deit.py, modeling_dinov2.py, modeling_dinov2_with_registers.py, modeling_clip.py,
modeling_siglip.py; transformers 4.56), as plain functions over a Hugging Face state dict so that they run
in float32 (what users get from PyTorch) and float64 (the truth both are measured against). Each step names
the statement it mirrors. Debian's python3-torch; no transformers needed."""
import math

import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "gelu": lambda x: F.gelu(x),                                   # ACT2FN["gelu"]: exact erf GELU
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),          # QuickGELUActivation
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),  # PytorchGELUTanh
}

# Keys of the vision tower, relative to the backbone, per model_type; and where each checkpoint puts them.
PREFIXES = {"deit": "deit.", "dinov2": "dinov2.", "dinov2_with_registers": "dinov2_with_registers.", "clip": "vision_model.",
            "clip_vision_model": "vision_model.", "siglip": "vision_model.", "siglip_vision_model": "vision_model."}


def vision_config(cfg):
    """CLIPConfig / SiglipConfig keep the vision tower's fields in vision_config."""
    return cfg["vision_config"] if cfg["model_type"] in ("clip", "siglip") else cfg


def backbone(sd, model_type):
    prefix = PREFIXES[model_type]
    if any(k.startswith(prefix) for k in sd):
        return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
    return dict(sd)


def linear(sd, name, x):
    return F.linear(x, sd[name + ".weight"], sd.get(name + ".bias"))


def layer_norm(sd, name, x, eps):
    return F.layer_norm(x, (x.shape[-1],), sd[name + ".weight"], sd[name + ".bias"], eps)


def bicubic(patch_pos_embed, new_height, new_width, dim, float32=False, antialias=False):
    """interpolate_pos_encoding's resize: [N, D] grid -> [new_h * new_w, D] (bicubic, align_corners=False,
    size=); DINOv2 does it in float32 whatever the model's dtype, DINOv2 with registers with antialias=True."""
    side = int(math.sqrt(patch_pos_embed.shape[0]))
    grid = patch_pos_embed.reshape(1, side, side, dim).permute(0, 3, 1, 2)
    dtype = grid.dtype
    if float32:
        grid = grid.to(torch.float32)
    grid = F.interpolate(grid, size=(new_height, new_width), mode="bicubic", align_corners=False,
                         antialias=antialias).to(dtype)
    return grid.permute(0, 2, 3, 1).reshape(-1, dim)


def attention(q, k, v, heads):
    """eager_attention_forward: softmax(q k^T * head_dim^-0.5) v, heads concatenated."""
    b, t, d = q.shape
    hd = d // heads

    def split(y):
        return y.view(b, -1, heads, hd).transpose(1, 2)

    scores = torch.matmul(split(q), split(k).transpose(-1, -2)) * hd ** -0.5
    probs = torch.softmax(scores, dim=-1)
    return torch.matmul(probs, split(v)).transpose(1, 2).reshape(b, -1, d), probs


def embeddings(sd, cfg, model_type, pixel_values, interpolate):
    """DeiTEmbeddings / Dinov2Embeddings / CLIPVisionEmbeddings / SiglipVisionEmbeddings."""
    b, _, height, width = pixel_values.shape
    p, d = cfg["patch_size"], cfg["hidden_size"]
    clip_like = model_type.startswith(("clip", "siglip"))
    if clip_like:
        x = F.conv2d(pixel_values, sd["embeddings.patch_embedding.weight"], sd.get("embeddings.patch_embedding.bias"),
                     stride=p)
        pos = sd["embeddings.position_embedding.weight"]
        leading = [sd["embeddings.class_embedding"].view(1, 1, d)] if model_type.startswith("clip") else []
    else:
        x = F.conv2d(pixel_values, sd["embeddings.patch_embeddings.projection.weight"],
                     sd["embeddings.patch_embeddings.projection.bias"], stride=p)
        pos = sd["embeddings.position_embeddings"][0]
        leading = [sd["embeddings.cls_token"]]
        if model_type == "deit":
            leading.append(sd["embeddings.distillation_token"])
    x = x.flatten(2).transpose(1, 2)
    n_lead = len(leading)
    x = torch.cat([t.expand(b, -1, -1) for t in leading] + [x], dim=1)
    new_h, new_w = height // p, width // p
    dinov2 = model_type.startswith("dinov2")
    native = new_h * new_w == pos.shape[0] - n_lead and height == width
    if (interpolate or dinov2) and not native:
        pos = torch.cat((pos[:n_lead], bicubic(pos[n_lead:], new_h, new_w, d, float32=dinov2,
                                                       antialias=model_type == "dinov2_with_registers")), dim=0)
    x = x + pos.unsqueeze(0)
    if model_type == "dinov2_with_registers":  # registers after [CLS], no position embedding
        x = torch.cat((x[:, :1], sd["embeddings.register_tokens"].expand(b, -1, -1), x[:, 1:]), dim=1)
    return x


def encoder_layer(sd, cfg, model_type, i, x):
    eps, heads, act = cfg["layer_norm_eps"], cfg["num_attention_heads"], ACTIVATIONS[cfg["hidden_act"]]
    if model_type.startswith(("clip", "siglip")):  # CLIPEncoderLayer / SiglipEncoderLayer
        L = f"encoder.layers.{i}."
        h = layer_norm(sd, L + "layer_norm1", x, eps)
        a, probs = attention(linear(sd, L + "self_attn.q_proj", h), linear(sd, L + "self_attn.k_proj", h),
                             linear(sd, L + "self_attn.v_proj", h), heads)
        x = x + linear(sd, L + "self_attn.out_proj", a)
        h = layer_norm(sd, L + "layer_norm2", x, eps)
        return x + linear(sd, L + "mlp.fc2", act(linear(sd, L + "mlp.fc1", h))), probs
    L = f"encoder.layer.{i}."
    dinov2 = model_type.startswith("dinov2")
    h = layer_norm(sd, L + ("norm1" if dinov2 else "layernorm_before"), x, eps)
    a, probs = attention(linear(sd, L + "attention.attention.query", h), linear(sd, L + "attention.attention.key", h),
                         linear(sd, L + "attention.attention.value", h), heads)
    a = linear(sd, L + "attention.output.dense", a)
    if dinov2:  # Dinov2Layer: layer_scale1, residual; norm2, mlp, layer_scale2, residual
        x = a * sd[L + "layer_scale1.lambda1"] + x
        h = layer_norm(sd, L + "norm2", x, eps)
        if cfg.get("use_swiglu_ffn"):  # Dinov2SwiGLUFFN: x1, x2 = weights_in(h).chunk(2); weights_out(silu(x1) * x2)
            x1, x2 = linear(sd, L + "mlp.weights_in", h).chunk(2, dim=-1)
            h = linear(sd, L + "mlp.weights_out", F.silu(x1) * x2)
        else:  # Dinov2MLP
            h = linear(sd, L + "mlp.fc2", act(linear(sd, L + "mlp.fc1", h)))
        return h * sd[L + "layer_scale2.lambda1"] + x, probs
    x = a + x  # DeiTLayer, as ViTLayer
    h = layer_norm(sd, L + "layernorm_after", x, eps)
    return linear(sd, L + "output.dense", act(linear(sd, L + "intermediate.dense", h))) + x, probs


def siglip_head(sd, cfg, x):
    """SiglipMultiheadAttentionPoolingHead: nn.MultiheadAttention(probe, x, x), then residual + mlp(layernorm)."""
    d, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    w, bias = sd["head.attention.in_proj_weight"], sd["head.attention.in_proj_bias"]
    probe = sd["head.probe"].expand(x.shape[0], -1, -1)
    q = F.linear(probe, w[:d], bias[:d])
    k = F.linear(x, w[d:2 * d], bias[d:2 * d])
    v = F.linear(x, w[2 * d:], bias[2 * d:])
    a, _ = attention(q, k, v, heads)
    h = linear(sd, "head.attention.out_proj", a)
    residual = h
    h = layer_norm(sd, "head.layernorm", h, cfg["layer_norm_eps"])
    h = residual + linear(sd, "head.mlp.fc2", ACTIVATIONS[cfg["hidden_act"]](linear(sd, "head.mlp.fc1", h)))
    return h[:, 0]


@torch.inference_mode()
def forward(state_dict, full_cfg, pixel_values, dtype=torch.float64, interpolate=False):
    """Returns a dict of numpy arrays named as transformers names them."""
    model_type = full_cfg["model_type"]
    cfg = vision_config(full_cfg)
    full = {k: v.to(dtype) for k, v in state_dict.items()}
    sd = backbone(full, model_type)
    eps = cfg["layer_norm_eps"]
    x = embeddings(sd, cfg, model_type, pixel_values.to(dtype), interpolate)
    if model_type.startswith("clip"):  # hidden_states = self.pre_layrnorm(hidden_states)
        x = layer_norm(sd, "pre_layrnorm", x, eps)
    hidden_states, attentions = [x], []
    for i in range(cfg["num_hidden_layers"]):
        x, probs = encoder_layer(sd, cfg, model_type, i, x)
        hidden_states.append(x)
        attentions.append(probs)
    out = {"hidden_states": torch.stack(hidden_states), "attentions": torch.stack(attentions)}
    if model_type.startswith("clip"):
        # last_hidden_state = encoder_outputs[0]; pooled_output = self.post_layernorm(last_hidden_state[:, 0, :])
        last = x
        out["pooler_output"] = layer_norm(sd, "post_layernorm", x[:, 0], eps)
        if "visual_projection.weight" in full:  # image_embeds = self.visual_projection(pooled_output)
            out["image_embeds"] = linear(full, "visual_projection", out["pooler_output"])
    elif model_type.startswith("siglip"):
        last = layer_norm(sd, "post_layernorm", x, eps)
        if "head.probe" in sd:
            out["pooler_output"] = siglip_head(sd, cfg, last)
    else:
        last = layer_norm(sd, "layernorm", x, eps)
        if model_type.startswith("dinov2"):  # pooled_output = sequence_output[:, 0, :]
            out["pooler_output"] = last[:, 0]
        elif "pooler.dense.weight" in sd:  # DeiTPooler: tanh(dense(first token))
            out["pooler_output"] = torch.tanh(linear(sd, "pooler.dense", last[:, 0]))
        if "cls_classifier.weight" in full:  # DeiTForImageClassificationWithTeacher
            out["logits"] = (linear(full, "cls_classifier", last[:, 0]) +
                             linear(full, "distillation_classifier", last[:, 1])) / 2
        elif "classifier.weight" in full and model_type.startswith("dinov2"):
            # Dinov2(WithRegisters)ForImageClassification: cls_token = sequence_output[:, 0];
            # patch_tokens = sequence_output[:, 1 + num_register_tokens:];
            # linear_input = torch.cat([cls_token, patch_tokens.mean(dim=1)], dim=1)
            patch_tokens = last[:, 1 + cfg.get("num_register_tokens", 0):]
            out["logits"] = linear(full, "classifier", torch.cat([last[:, 0], patch_tokens.mean(dim=1)], dim=1))
        elif "classifier.weight" in full:
            out["logits"] = linear(full, "classifier", last[:, 0])
    out["last_hidden_state"] = last
    # vit embed's "cls" and "mean" (vit/pooling.h): [CLS], and the mean of the patch tokens, after the tokens
    # that precede them ([CLS], DeiT's distillation token, DINOv2's registers; SigLIP has none).
    leading = (0 if model_type.startswith("siglip") else 1) + (1 if model_type == "deit" else 0) + \
        cfg.get("num_register_tokens", 0)
    if leading:
        out["cls"] = last[:, 0]
    out["mean"] = last[:, leading:].mean(dim=1)
    return {k: v.detach().to(torch.float64).numpy() for k, v in out.items()}
