"""The README's install command into a venv made with --system-site-packages: `pip install
--no-build-isolation .` builds the module with the project's CMake (here in the test's build folder, named by
VIT_CMAKE_BUILD_DIR, so that nothing is compiled twice) and the installed package runs a model."""
import os
import subprocess
import sys

import numpy as np

from conftest import ROOT

BUILD = os.environ.get("VIT_BUILD_DIR", os.path.join(ROOT, "build"))


def test_pip_install_into_a_venv(tmp_path, tiny):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    env = dict(os.environ, VIT_CMAKE_BUILD_DIR=BUILD, PIP_NO_INDEX="1")
    env.pop("PYTHONPATH", None)
    r = subprocess.run([python, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "-q", ROOT], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    script = ("import sys, numpy as np, vit, vit.distributed; "
              "m = vit.ViTModel.from_pretrained(sys.argv[1]); "
              "print(vit.__file__); np.save(sys.argv[2], m.embed([sys.argv[3]]))")
    photo = os.path.join(ROOT, "examples", "cat.jpg")
    out = tmp_path / "embedding.npy"
    r = subprocess.run([python, "-c", script, tiny, str(out), photo], env=env, capture_output=True, text=True,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith(str(venv)), r.stdout
    assert np.load(out).shape == (1, 64)
    for stub in ("py.typed", "_vit.pyi"):
        assert os.path.exists(os.path.join(os.path.dirname(r.stdout.strip()), stub))
