#!/usr/bin/python3
"""pixel_values from vit's image layer against transformers' ViTImageProcessor on its PIL path,
bit for bit, over a generated corpus of every format, pixel mode and odd size (tests/make_image_corpus.py)
and every resampling filter; decoded RGB against Pillow 9.4's Image.open(...).convert("RGB"); bad
files refused by both, with vit's message naming the file.

Run by ctest (VIT_BUILD_DIR points at the build folder holding vit_preprocess_dump; VIT_BIN at vit,
used for a `vit embed --outputs pixel_values` pass when a tiny checkpoint can be made), or by hand:

    VIT_BUILD_DIR=build-image /usr/bin/python3 tests/parity/test_preprocess.py [--small]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
import make_image_corpus  # noqa: E402
import preprocess_reference as ref  # noqa: E402

BUILD = os.environ.get("VIT_BUILD_DIR", os.path.join(ROOT, "build"))
DUMP = os.path.join(BUILD, "vit_preprocess_dump")
VIT = os.environ.get("VIT_BIN", os.path.join(BUILD, "vit"))

LEGACY = {"do_normalize": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
          "resample": 2, "size": 224, "feature_extractor_type": "ViTFeatureExtractor"}
CONFIGS = [("legacy-224-BILINEAR", LEGACY)] + [
    (f"224-{name}", {"size": {"height": 224, "width": 224}, "resample": f, "image_processor_type": "ViTImageProcessor"})
    for f, name in [(0, "NEAREST"), (1, "LANCZOS"), (3, "BICUBIC"), (4, "BOX"), (5, "HAMMING")]
] + [
    ("160x288-BICUBIC-imagenet", {"size": {"height": 160, "width": 288}, "resample": 3,
                                  "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}),
    ("64-no-rescale", {"size": 64, "resample": 2, "do_rescale": False}),
    ("100x50-no-normalize-LANCZOS", {"size": [100, 50], "resample": 1, "do_normalize": False}),
    ("97-odd-factor-scalar-stats-HAMMING", {"size": 97, "resample": 5, "rescale_factor": 0.00392,
                                            "image_mean": 0.45, "image_std": 0.27}),
    ("3x700-BOX", {"size": {"height": 3, "width": 700}, "resample": 4}),
]

# The hub's preprocessor_config.json of each family's reference checkpoint, as those repos hold them.
HUB_CONFIGS = [
    ("facebook/dinov2-large", {
        "crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.485, 0.456, 0.406],
        "image_processor_type": "BitImageProcessor", "image_std": [0.229, 0.224, 0.225], "resample": 3,
        "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 256}}),
    ("openai/clip-vit-large-patch14", {
        "crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224}),
    ("google/siglip-base-patch16-224", {
        "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
        "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5],
        "processor_class": "SiglipProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
        "size": {"height": 224, "width": 224}}),
    ("facebook/deit-base-distilled-patch16-224", {
        "crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "DeiTFeatureExtractor", "image_mean": [0.485, 0.456, 0.406],
        "image_std": [0.229, 0.224, 0.225], "resample": 3, "size": 256}),
]
# The same classes where the arithmetic is at its edges: a crop larger than the resized picture on one side
# (zero padding, odd differences), no resize before a crop, odd sizes and other filters.
FAMILY_CONFIGS = HUB_CONFIGS + [
    ("Bit-shortest-7-crop-9x5-BILINEAR", {"image_processor_type": "BitImageProcessor", "size": {"shortest_edge": 7},
                                          "crop_size": {"height": 9, "width": 5}, "resample": 2}),
    ("CLIP-no-resize-crop-40x31", {"image_processor_type": "CLIPImageProcessor", "do_resize": False,
                                   "crop_size": [40, 31]}),
    ("CLIP-shortest-33-crop-33-LANCZOS", {"image_processor_type": "CLIPImageProcessor", "size": 33, "crop_size": 33,
                                          "resample": 1}),
    ("Siglip-384x97", {"image_processor_type": "SiglipImageProcessor", "size": {"height": 384, "width": 97}}),
    ("DeiT-17x300-crop-64x250", {"image_processor_type": "DeiTImageProcessor", "size": {"height": 17, "width": 300},
                                 "crop_size": {"height": 64, "width": 250}}),
]


def same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def run_dump(config, paths, workdir, exif_transpose=False, decoded_dir=None, path="file"):
    cfg = os.path.join(workdir, "preprocessor_config.json")
    with open(cfg, "w") as f:
        json.dump(config, f)
    out = os.path.join(workdir, "pixel_values.npy")
    cmd = [DUMP, "--config", cfg, "--out", out, "--path", path]
    if exif_transpose:
        cmd.append("--exif-transpose")
    if decoded_dir:
        cmd += ["--decoded", decoded_dir]
    result = subprocess.run(cmd + paths, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:5])}... failed: {result.stderr.strip()}")
    lines = result.stdout.splitlines()
    return lines, np.load(out)


class Tally:
    def __init__(self):
        self.identical = 0
        self.total = 0
        self.failures = []
        self.by_config = {}

    def check(self, what, ok, detail=""):
        self.total += 1
        if ok:
            self.identical += 1
        else:
            self.failures.append(f"{what}: {detail}")


def describe(a, b):
    if a.shape != b.shape:
        return f"shape {a.shape} vs reference {b.shape}"
    d = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return f"{int((d > 0).sum())} values differ, max |diff| {d.max():.3g}"


def check_pixel_values(tally, good, workdir):
    # Every config through ImageProcessor::PreprocessFile (JPEG streamed into the resize), and two of them
    # through LoadImage + Preprocess as well.
    runs = [(name, config, "file") for name, config in CONFIGS] + [(name, config, "image") for name, config in CONFIGS[:2]]
    for name, config, path in runs:
        lines, got = run_dump(config, good, workdir, path=path)
        refused = [line for line in lines if not line.startswith("ok ")]
        if refused:
            tally.check(f"{name} ({path}): decode", False, "; ".join(refused[:3]))
            continue
        for i, image in enumerate(good):
            expected = ref.pixel_values([image], config)[0]
            tally.check(f"{name} ({path}): {os.path.basename(image)}", same_bits(got[i], expected),
                        describe(got[i], expected))


def pillow_opens(path, exif_transpose):
    try:
        ref.load_image(path, exif_transpose)
        return True
    except Exception:  # noqa: BLE001 - any refusal counts
        return False


def check_decoded(tally, good, workdir, exif_transpose):
    decoded = os.path.join(workdir, "decoded")
    shutil.rmtree(decoded, ignore_errors=True)
    os.makedirs(decoded)
    lines, _ = run_dump(LEGACY, good, workdir, exif_transpose=exif_transpose, decoded_dir=decoded)
    label = "decoded+exif_transpose" if exif_transpose else "decoded"
    for i, (path, line) in enumerate(zip(good, lines)):
        what = f"{label}: {os.path.basename(path)}"
        if exif_transpose and not pillow_opens(path, True):
            # Image.getexif() raises on EXIF that is not a TIFF block: the file must be refused.
            tally.check(what + " (Pillow's exif_transpose raises)", line.startswith("error ") and path in line, line)
            continue
        if not line.startswith("ok "):
            tally.check(what, False, line)
            continue
        got = np.load(os.path.join(decoded, f"{i}.npy"))
        expected = np.asarray(ref.load_image(path, exif_transpose), dtype=np.float32)
        tally.check(what, got.shape == expected.shape and np.array_equal(got, expected), describe(got, expected))


def check_families(tally, good, workdir, exif_transpose):
    """Each family's processor through PreprocessFile (JPEGs streamed into the resize) over the corpus,
    and DINOv2's through LoadImage + Preprocess as well. The exif_transpose pass takes the files
    that carry an orientation (the others are the plain pass again)."""
    if exif_transpose:
        good = [p for p in good if ("exif" in os.path.basename(p) or os.path.basename(p).startswith("tiff_"))
                and pillow_opens(p, True)]
    loaded = {image: ref.load_image(image, exif_transpose) for image in good}
    runs = [(name, config, "file") for name, config in FAMILY_CONFIGS] + [HUB_CONFIGS[0] + ("image",)]
    label = " exif_transpose" if exif_transpose else ""
    for k, (name, config, path) in enumerate(runs):
        # The 1x700 strips resize to 256x179200 under a shortest edge of 256: once is enough.
        images = good if k == 0 else [p for p in good if not any(s in p for s in ("_1x700.", "_700x1."))]
        lines, got = run_dump(config, images, workdir, exif_transpose=exif_transpose, path=path)
        refused = [line for line in lines if not line.startswith("ok ")]
        if refused:
            tally.check(f"{name}{label} ({path}): decode", False, "; ".join(refused[:3]))
            continue
        processor = ref.make_processor(config)
        for i, image in enumerate(images):
            expected = processor.preprocess([loaded[image]])[0]
            ok = same_bits(got[i], expected)
            counts = tally.by_config.setdefault(f"{name} ({path})", [0, 0])
            counts[0] += ok
            counts[1] += 1
            tally.check(f"{name}{label} ({path}): {os.path.basename(image)}", ok, describe(got[i], expected))


def check_exif_pixel_values(tally, good, workdir):
    paths = [p for p in good if ("exif" in os.path.basename(p) or os.path.basename(p).startswith("tiff_"))
             and pillow_opens(p, True)]
    config = CONFIGS[3][1]  # BICUBIC
    for path_kind in ("file", "image"):
        lines, got = run_dump(config, paths, workdir, exif_transpose=True, path=path_kind)
        for i, path in enumerate(paths):
            expected = ref.pixel_values([path], config, exif_transpose=True)[0]
            tally.check(f"exif_transpose 224-BICUBIC ({path_kind}): {os.path.basename(path)}",
                        same_bits(got[i], expected), describe(got[i], expected))


def check_no_resize(tally, good, workdir):
    config = {"do_resize": False, "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}
    for path in good:
        from PIL import Image
        with Image.open(path) as im:
            if im.size[0] * im.size[1] > 300 * 300:
                continue
        _, got = run_dump(config, [path], workdir)
        expected = ref.pixel_values([path], config)
        tally.check(f"do_resize=false: {os.path.basename(path)}", same_bits(got, expected), describe(got, expected))


def check_bad(tally, bad, workdir):
    from PIL import Image
    lines, got = run_dump(LEGACY, bad, workdir)
    if got.shape[0] != 0:
        tally.check("bad inputs: rows written", False, f"{got.shape[0]} rows for files that must be refused")
    for path, line in zip(bad, lines):
        try:
            ref.load_image(path)
            pillow_refuses = False
        except Exception:  # noqa: BLE001 - any refusal counts
            pillow_refuses = True
        what = f"refused: {os.path.basename(path)}"
        if not pillow_refuses:
            tally.check(what, False, "Pillow opens it: the corpus is wrong")
        elif not line.startswith("error "):
            tally.check(what, False, "vit accepted it")
        else:
            kind = line.split(" ", 2)[1]
            tally.check(what, path in line and kind in ("invalid_input", "unsupported"), line)


def check_vit_embed(tally, good, workdir):
    """The same pixel_values through the public tool: `vit embed --outputs pixel_values`."""
    if not os.path.exists(VIT):
        print(f"vit embed pass skipped: {VIT} not built")
        return
    try:
        import harness  # noqa: PLC0415 - needs torch, only for this pass
        model = harness.checkpoint("preprocess-tiny-224", "tiny", image_size=224, patch_size=16)
    except Exception as e:  # noqa: BLE001
        print(f"vit embed pass skipped: no checkpoint ({e})")
        return
    folder = os.path.join(workdir, "model")
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(model, folder)
    # A ViT config and a family's: the tool takes the processor preprocessor_config.json names.
    for name, config in [("224-BICUBIC", dict(LEGACY, resample=3)), HUB_CONFIGS[0]]:
        with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
            json.dump(config, f)
        out = os.path.join(workdir, "embed")
        shutil.rmtree(out, ignore_errors=True)
        result = subprocess.run([VIT, "embed", "--model", folder, "--outputs", "pixel_values", "-o", out,
                                 "--batch-size", "32"] + good, capture_output=True, text=True)
        if result.returncode != 0:
            tally.check(f"vit embed {name} --outputs pixel_values", False, result.stderr.strip()[-500:])
            continue
        got = np.load(os.path.join(out, "pixel_values.npy"))
        processor = ref.make_processor(config)
        for i, path in enumerate(good):
            expected = processor.preprocess([ref.load_image(path)])[0]
            tally.check(f"vit embed {name}: {os.path.basename(path)}", same_bits(got[i], expected),
                        describe(got[i], expected))


def main():
    if not os.path.exists(DUMP):
        print(f"{DUMP} is missing: build the vit_preprocess_dump target")
        return 1
    small = "--small" in sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="vit-image-corpus-", dir=BUILD if os.path.isdir(BUILD) else None) as tmp:
        corpus = os.path.join(tmp, "corpus")
        make_image_corpus.make_good(os.path.join(corpus, "good"), small)
        make_image_corpus.make_bad(os.path.join(corpus, "bad"))
        good = sorted(os.path.join(corpus, "good", f) for f in os.listdir(os.path.join(corpus, "good")))
        bad = sorted(os.path.join(corpus, "bad", f) for f in os.listdir(os.path.join(corpus, "bad")))
        work = os.path.join(tmp, "work")
        os.makedirs(work)

        sections = [
            ("decoded RGB vs Pillow convert('RGB')", lambda t: check_decoded(t, good, work, False)),
            ("decoded RGB with exif_transpose", lambda t: check_decoded(t, good, work, True)),
            ("pixel_values, every filter and config", lambda t: check_pixel_values(t, good, work)),
            ("pixel_values with exif_transpose", lambda t: check_exif_pixel_values(t, good, work)),
            ("pixel_values, each family's processor", lambda t: check_families(t, good, work, False)),
            ("pixel_values, each family's processor, exif_transpose", lambda t: check_families(t, good, work, True)),
            ("pixel_values without resize", lambda t: check_no_resize(t, good, work)),
            ("bad inputs refused by both", lambda t: check_bad(t, bad, work)),
            ("vit embed --outputs pixel_values", lambda t: check_vit_embed(t, good, work)),
        ]
        grand = Tally()
        for title, run in sections:
            tally = Tally()
            started = time.monotonic()
            run(tally)
            print(f"{title}: {tally.identical}/{tally.total} identical ({time.monotonic() - started:.0f} s)")
            for key, (same, total) in tally.by_config.items():
                print(f"  {key}: {same}/{total}")
            for failure in tally.failures[:25]:
                print("  MISMATCH " + failure)
            if len(tally.failures) > 25:
                print(f"  ... and {len(tally.failures) - 25} more")
            grand.identical += tally.identical
            grand.total += tally.total
        print(f"TOTAL: {grand.identical}/{grand.total} identical "
              f"({len(good)} images, {len(bad)} bad files, {len(CONFIGS) + len(FAMILY_CONFIGS)} processor configs)")
        return 0 if grand.identical == grand.total and grand.total > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
