"""Builds the compiled module vit._vit with the project's CMake (target _vit, -DVIT_BUILD_PYTHON=ON) and
puts it in the package; everything else is in pyproject.toml.

VIT_CMAKE_BUILD_DIR names an existing build folder to build the module in (e.g. build/), instead of a
fresh one under setuptools' build_temp.
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("VIT_CMAKE_BUILD_DIR") or os.path.join(os.path.abspath(self.build_temp), "cmake")
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            generator = ["-G", "Ninja"] if shutil.which("ninja") else []
            subprocess.run(["cmake", "-S", ROOT, "-B", build_dir, *generator, "-DCMAKE_BUILD_TYPE=Release",
                            "-DVIT_BUILD_PYTHON=ON", "-DVIT_BUILD_TESTS=OFF", "-DVIT_BUILD_BENCH=OFF",
                            f"-DPython_EXECUTABLE={sys.executable}"], check=True)
        subprocess.run(["cmake", "--build", build_dir, "--target", "_vit", "-j", str(os.cpu_count() or 1)], check=True)
        built = glob.glob(os.path.join(build_dir, "python", "vit", "_vit*.so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one compiled module in {build_dir}/python/vit, found {built}")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)


# build-python/, apart from the project's own build/ folder.
setup(ext_modules=[Extension("vit._vit", sources=[])], cmdclass={"build_ext": CMakeBuild},
      options={"build": {"build_base": "build-python"}})
