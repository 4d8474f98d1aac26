"""What every image-corpus module (tests/make_*_corpus.py) writes its files with."""
import numpy as np


def noise(h, w, c, seed):
    """h x w x c random bytes, the same for the same seed."""
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
