"""Regenerates the seed corpus (corpus/<parser>/) from torch- and numpy-written files.

Usage: /usr/bin/python3 tests/fuzz/make_seeds.py   (needs Debian's python3-torch and python3-numpy)
"""
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
corpus = os.path.join(here, "corpus")

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, os.path.join(root, "src/io/testdata/make_torch_fixtures.py"), tmp],
                   check=True, stdout=subprocess.DEVNULL)

    def put(parser, name, data):
        os.makedirs(os.path.join(corpus, parser), exist_ok=True)
        with open(os.path.join(corpus, parser, name), "wb") as f:
            f.write(data)

    def read(name):
        with open(os.path.join(tmp, name), "rb") as f:
            return f.read()

    for name in ("views.safetensors", "plain_dict.safetensors", "vit_bf16.safetensors"):
        put("safetensors", name, read(name))
    for name in ("views.bin", "plain_dict.bin", "evil_system.bin", "unknown_global.bin", "legacy.bin"):
        put("torch_zip", name, read(name))
        if zipfile.is_zipfile(os.path.join(tmp, name)):
            with zipfile.ZipFile(os.path.join(tmp, name)) as z:
                pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
                put("pickle", name.replace(".bin", ".pkl"), z.read(pkl))

    def npy(name, array, version=None):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            np.lib.format.write_array(f, array, version=version)
        put("npy", name, read(name))

    npy("f4_2d.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    npy("f8_scalar.npy", np.array(0.5))
    npy("f4_v2.npy", np.ones((1, 2, 2), np.float32), version=(2, 0))
    npy("f4_v3.npy", np.zeros((0, 3), np.float32), version=(3, 0))
    npy("fortran.npy", np.asfortranarray(np.ones((2, 3), np.float32)))
    npy("int.npy", np.arange(3, dtype=np.int64))

    sys.path.insert(0, os.path.join(root, "tests"))
    import make_format_corpus  # noqa: E402

    for name, data in make_format_corpus.seeds().items():
        put("image", name, data)

    sys.path.insert(0, here)
    import make_decoder_seeds  # noqa: E402

    for name, data in make_decoder_seeds.image_seeds().items():
        put("image", name, data)
    for name, data in make_decoder_seeds.json_seeds().items():
        put("json", name, data)
print("seeds written to", corpus)
