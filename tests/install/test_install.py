#!/usr/bin/python3
"""The library as a user gets it: `cmake --install` into a prefix inside the build folder, then two
consumer programs (tests/install/consumer) built against that prefix, once with find_package(vit) and
once with pkg-config, run on a tiny random checkpoint. The embedding-only program must write the
pooler_output `vit embed` writes, bit for bit, and load no FAISS or BLAS; the adapt program must group
an image with its copy.

Run by ctest after the whole build (scripts/test builds it): VIT_BUILD_DIR is the build folder,
VIT_BIN the tool.
"""
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("VIT_BUILD_DIR", os.path.join(ROOT, "build"))
VIT = os.environ.get("VIT_BIN", os.path.join(BUILD, "vit"))
WORK = os.path.join(BUILD, "install-test")
PREFIX = os.path.join(WORK, "prefix")
IMAGE = os.path.join(ROOT, "examples", "cat.jpg")
OTHER_IMAGE = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
# What only adaptation may bring in: FAISS (linked into libvit_adapt) and the BLAS/LAPACK it runs on.
ADAPT_ONLY = ("vit_adapt", "faiss", "blas", "lapack")
# Debian's packages of the C and C++ standard headers, the only ones a public header may include.
STANDARD_LIBRARY_PACKAGES = ("libc6-dev", "linux-libc-dev", "libgcc-", "libstdc++-")


def run(cmd, **kwargs):
    r = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def checkpoint():
    folder = os.path.join(BUILD, "test-checkpoints", "install-tiny")
    if not os.path.exists(os.path.join(folder, "config.json")):
        run([sys.executable, os.path.join(ROOT, "tests", "parity", "make_checkpoint.py"), "--preset", "tiny",
             "--seed", "3", "--out", folder + ".tmp"])
        os.replace(folder + ".tmp", folder)
    return folder


def libdir():
    for d in ("lib", "lib64"):
        if os.path.exists(os.path.join(PREFIX, d, "pkgconfig", "vit.pc")):
            return os.path.join(PREFIX, d)
    found = [r for r, _, files in os.walk(PREFIX) if "vit.pc" in files]
    assert found, f"no vit.pc under {PREFIX}"
    return os.path.dirname(found[0])


def build_with_cmake():
    out = os.path.join(WORK, "cmake-consumer")
    run(["cmake", "-S", os.path.join(HERE, "consumer"), "-B", out, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
         f"-DCMAKE_PREFIX_PATH={PREFIX}"])
    run(["cmake", "--build", out])
    return {name: os.path.join(out, name) for name in ("embed_image", "near_duplicates")}


def build_with_pkg_config():
    out = os.path.join(WORK, "pkg-config-consumer")
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(libdir(), "pkgconfig"))
    programs = {}
    for name, package in (("embed_image", "vit"), ("near_duplicates", "vit-adapt")):
        flags = run(["pkg-config", "--cflags", "--libs", package], env=env).split()
        rpath = run(["pkg-config", "--variable=libdir", package], env=env).strip()
        programs[name] = os.path.join(out, name)
        run(["c++", "-std=c++20", "-O2", "-Wall", "-Wextra", "-Werror", os.path.join(HERE, "consumer", name + ".cc"),
             "-o", programs[name], *flags, f"-Wl,-rpath,{rpath}"])
    return programs


def header_failures():
    """Each installed header compiles on its own against the prefix and needs nothing beyond it but
    the C and C++ standard libraries: no header of src/ or of a dependency (oneDNN, nlohmann, ...)."""
    include = os.path.join(PREFIX, "include")
    failures, needed = [], set()
    for header in sorted(os.listdir(os.path.join(include, "vit"))):
        r = subprocess.run(["c++", "-std=c++20", "-M", f"-I{include}", "-x", "c++", "-"],
                           input=f"#include <vit/{header}>\n", capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(f"include/vit/{header} does not compile on its own:\n{r.stderr}")
            continue
        for dep in r.stdout.replace("\\\n", " ").split()[1:]:
            path = os.path.realpath(dep)
            if not path.startswith(include + os.sep):
                needed.add((header, path))
    owners = {}
    if needed:
        listed = subprocess.run(["dpkg", "-S", *sorted({path for _, path in needed})], capture_output=True, text=True)
        for line in listed.stdout.splitlines():
            packages, _, path = line.partition(": ")
            owners[path] = packages.split(",")[0].split(":")[0].strip()
    for header, path in sorted(needed):
        owner = owners.get(path, "no package")
        if not owner.startswith(STANDARD_LIBRARY_PACKAGES):
            failures.append(f"include/vit/{header} needs {path} ({owner}), outside the C/C++ standard library")
    return failures


def loaded_libraries(program):
    return run(["ldd", program])


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    run(["cmake", "--install", BUILD, "--prefix", PREFIX])
    model = checkpoint()

    expected_dir = os.path.join(WORK, "vit-embed")
    run([VIT, "embed", "--model", model, "--out", expected_dir, "--outputs", "pooler_output", IMAGE])
    expected = np.load(os.path.join(expected_dir, "pooler_output.npy"))

    failures = header_failures()
    exported = run(["nm", "-D", "--defined-only", "-C", os.path.join(libdir(), "libvit.so")])
    if "faiss" in exported.lower():
        failures.append("libvit.so exports FAISS symbols")
    for how, programs in (("find_package", build_with_cmake()), ("pkg-config", build_with_pkg_config())):
        out = os.path.join(WORK, f"{how}.npy")
        run([programs["embed_image"], model, IMAGE, out])
        got = np.load(out)
        if got.shape != expected.shape or not np.array_equal(got, expected):
            failures.append(f"{how}: embed_image's pooler_output {got.shape} differs from vit embed's "
                            f"{expected.shape} (max |diff| "
                            f"{np.abs(got - expected).max() if got.shape == expected.shape else 'n/a'})")
        libs = loaded_libraries(programs["embed_image"])
        if "libvit.so" not in libs:
            failures.append(f"{how}: embed_image does not load libvit.so:\n{libs}")
        pulled = [line.strip() for line in libs.splitlines() if any(k in line.lower() for k in ADAPT_ONLY)]
        if pulled:
            failures.append(f"{how}: embed_image loads what only adaptation needs: {pulled}")
        # The same check sees them in the adapt program, so it would see them above.
        adapt_libs = loaded_libraries(programs["near_duplicates"])
        if not all(k in adapt_libs for k in ("vit_adapt", "blas")):
            failures.append(f"{how}: near_duplicates does not load libvit_adapt and BLAS:\n{adapt_libs}")
        groups = run([programs["near_duplicates"], model, IMAGE, OTHER_IMAGE, IMAGE]).split("\n")
        if groups[0] != "0 2":
            failures.append(f"{how}: near_duplicates printed {groups!r}, expected the image and its copy, '0 2'")
        print(f"{how}: embed_image equal to vit embed, near_duplicates {groups[0]!r}")

    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("installed library: both consumers built and ran")


if __name__ == "__main__":
    main()
