"""The family references of tests/parity/family_reference.py (DINOv2, CLIP, SigLIP, DeiT vision towers) as one
torch.nn.Module in float32: what the benchmark times and what torch.onnx.export traces. Same statements as
family_reference.forward, without the per-layer hidden states and attention maps it keeps for the parity tests
(a user of PyTorch asks only for last_hidden_state and the pooled output)."""
import torch
import torch.nn.functional as F

import family_reference as ref


def traceable():
    """For torch.onnx.export: the reference's layer_norm takes its normalized shape from x.shape, which the
    tracer records as a tensor that ONNX cannot take; the gain's shape is the same number and a constant."""
    ref.layer_norm = lambda sd, name, x, eps: F.layer_norm(x, tuple(sd[name + ".weight"].shape),
                                                           sd[name + ".weight"], sd[name + ".bias"], eps)


class FamilyVision(torch.nn.Module):
    def __init__(self, state_dict, full_cfg, dtype=torch.float32):
        super().__init__()
        self.model_type = full_cfg["model_type"]
        self.cfg = ref.vision_config(full_cfg)
        self.full = {k: v.to(dtype) for k, v in state_dict.items() if v.is_floating_point()}
        self.sd = ref.backbone(self.full, self.model_type)

    def forward(self, pixel_values):
        sd, cfg, model_type = self.sd, self.cfg, self.model_type
        eps = cfg["layer_norm_eps"]
        x = ref.embeddings(sd, cfg, model_type, pixel_values, False)
        if model_type.startswith("clip"):
            x = ref.layer_norm(sd, "pre_layrnorm", x, eps)
        for i in range(cfg["num_hidden_layers"]):
            x, _ = ref.encoder_layer(sd, cfg, model_type, i, x)
        if model_type.startswith("clip"):
            pooled = ref.layer_norm(sd, "post_layernorm", x[:, 0], eps)
            if "visual_projection.weight" in self.full:
                pooled = ref.linear(self.full, "visual_projection", pooled)
            return x, pooled
        if model_type.startswith("siglip"):
            last = ref.layer_norm(sd, "post_layernorm", x, eps)
            return last, (ref.siglip_head(sd, cfg, last) if "head.probe" in sd else last[:, 0])
        last = ref.layer_norm(sd, "layernorm", x, eps)
        if "pooler.dense.weight" in sd:
            return last, torch.tanh(ref.linear(sd, "pooler.dense", last[:, 0]))
        return last, last[:, 0]


def from_checkpoint(folder):
    """(module, vision config) of a Hugging Face checkpoint folder (config.json + model.safetensors)."""
    import json
    import os
    import make_checkpoint
    with open(os.path.join(folder, "config.json")) as f:
        full_cfg = json.load(f)
    sd = make_checkpoint.read_safetensors(os.path.join(folder, "model.safetensors"))
    return FamilyVision(sd, full_cfg).eval(), ref.vision_config(full_cfg)
