"""Writes the torch.save fixtures of src/io/torch_checkpoint_test.cc into a folder.

Each good checkpoint X.bin comes with X.safetensors holding the same tensors (contiguous), written
here by hand from the safetensors spec, so the test can compare the two readers value for value.
Usage: /usr/bin/python3 make_torch_fixtures.py OUT_DIR
"""
import collections
import json
import os
import struct
import sys

import torch

out = sys.argv[1]
torch.manual_seed(0)

SAFETENSORS_DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL",
}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        # Raw bytes of any dtype (numpy has no bfloat16): view the storage as bytes.
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class ViTLayer(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.attention = torch.nn.Module()
        self.attention.attention = torch.nn.Module()
        for n in ("query", "key", "value"):
            setattr(self.attention.attention, n, torch.nn.Linear(d, d))
        self.attention.output = torch.nn.Module()
        self.attention.output.dense = torch.nn.Linear(d, d)
        self.intermediate = torch.nn.Module()
        self.intermediate.dense = torch.nn.Linear(d, 4 * d)
        self.output = torch.nn.Module()
        self.output.dense = torch.nn.Linear(4 * d, d)
        self.layernorm_before = torch.nn.LayerNorm(d)
        self.layernorm_after = torch.nn.LayerNorm(d)


class ViTModel(torch.nn.Module):
    """The module tree (and so the state_dict keys and its _metadata) of transformers' ViTModel."""

    def __init__(self, d=8, layers=2, patch=4, image=8):
        super().__init__()
        self.embeddings = torch.nn.Module()
        self.embeddings.cls_token = torch.nn.Parameter(torch.randn(1, 1, d))
        self.embeddings.position_embeddings = torch.nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, d))
        self.embeddings.patch_embeddings = torch.nn.Module()
        self.embeddings.patch_embeddings.projection = torch.nn.Conv2d(3, d, patch, patch)
        self.encoder = torch.nn.Module()
        self.encoder.layer = torch.nn.ModuleList([ViTLayer(d) for _ in range(layers)])
        self.layernorm = torch.nn.LayerNorm(d)
        self.pooler = torch.nn.Module()
        self.pooler.dense = torch.nn.Linear(d, d)


def save_pair(stem, state_dict):
    torch.save(state_dict, os.path.join(out, stem + ".bin"))
    write_safetensors(os.path.join(out, stem + ".safetensors"), state_dict)


model = ViTModel()
with torch.no_grad():
    for p in model.parameters():
        p.normal_()
for dtype, tag in ((torch.float32, "f32"), (torch.float16, "f16"), (torch.bfloat16, "bf16")):
    sd = model.to(dtype).state_dict()  # an OrderedDict with _metadata, as save_pretrained writes it
    save_pair("vit_" + tag, sd)

# Views: shared storage at an offset, a transposed (strided) view, a scalar, ints, a Parameter, empty.
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = collections.OrderedDict()
views["base"] = base
views["row2"] = base[2]
views["transposed"] = base.t()
views["column_slice"] = base[:, 1:3]
views["scalar"] = torch.tensor(2.5, dtype=torch.float64)
views["position_ids"] = torch.arange(5).unsqueeze(0)
views["param"] = torch.nn.Parameter(torch.ones(3))
views["empty"] = torch.zeros(0, 4)
views["half_t"] = torch.arange(6, dtype=torch.float16).reshape(2, 3).t()
torch.save(views, os.path.join(out, "views.bin"))
write_safetensors(os.path.join(out, "views.safetensors"), views)

# A plain dict (not OrderedDict) is also a state_dict.
plain = {"w": torch.tensor([1.0, -1.0])}
save_pair("plain_dict", plain)

# Sharded: two .bin shards and their index.
sd = model.to(torch.float32).state_dict()
names = list(sd.keys())
half = len(names) // 2
shards = {"pytorch_model-00001-of-00002.bin": names[:half], "pytorch_model-00002-of-00002.bin": names[half:]}
weight_map = {}
os.makedirs(os.path.join(out, "sharded"), exist_ok=True)
for shard, keys in shards.items():
    torch.save(collections.OrderedDict((k, sd[k]) for k in keys), os.path.join(out, "sharded", shard))
    weight_map.update({k: shard for k in keys})
with open(os.path.join(out, "sharded", "pytorch_model.bin.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f)
write_safetensors(os.path.join(out, "sharded_reference.safetensors"), sd)


class RunsCommand:
    """Unpickling this runs a shell command: what a hostile pytorch_model.bin does."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


evil_marker = os.path.join(out, "evil_ran")
torch.save({"x": torch.ones(1), "y": RunsCommand("touch " + evil_marker)}, os.path.join(out, "evil_system.bin"))
# The same payload with another marker, loaded here by torch to prove the payload is live.
proof_marker = os.path.join(out, "python_ran")
torch.save({"y": RunsCommand("touch " + proof_marker)}, os.path.join(out, "evil_proof.bin"))
torch.load(os.path.join(out, "evil_proof.bin"))
assert os.path.exists(proof_marker), "the os.system payload did not run under torch.load"

torch.save({"x": collections.Counter()}, os.path.join(out, "unknown_global.bin"))
torch.save({"x": torch.ones(2, dtype=torch.complex64)}, os.path.join(out, "complex_storage.bin"))
torch.save({"x": 1}, os.path.join(out, "not_a_tensor.bin"))
torch.save([torch.ones(1)], os.path.join(out, "not_a_dict.bin"))
torch.save({"x": torch.ones(2)}, os.path.join(out, "legacy.bin"), _use_new_zipfile_serialization=False)
print("ok")
