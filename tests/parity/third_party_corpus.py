#!/usr/bin/python3
"""vit's image layer against Pillow 9.4 over the image files other people's tools installed on this machine.

Collects every regular file under the given folders whose extension Pillow registers
(PIL.Image.registered_extensions()) or whose first 16 bytes one of Pillow's plugins accepts (the bytes
Image.open sniffs), de-duplicates them by content, and runs each through both sides, twice: plainly and
with EXIF orientation applied (ImageOps.exif_transpose / --exif-transpose).

- Pillow: tests/parity/preprocess_reference.py, the reference of tests/parity/test_preprocess.py
  (Image.open, optionally exif_transpose, convert("RGB"), then ViTImageProcessor with its default config).
- vit: vit_preprocess_dump, the tool test_preprocess.py drives: its pixel_values come from
  ImageProcessor::PreprocessFile (the path `vit embed` takes, JPEG rows streamed into the resize), its
  decoded RGB from LoadImage.

Where both decode, the decoded RGB and the pixel_values must be bit-identical; otherwise both must refuse.
The report gives the file counts, the both-decode and bit-identical counts, the accept/refuse agreement
in %, and every difference grouped by cause. --cuts K adds copies of every file cut short at K points (a
download cut short is the commonest damage a real file has), counted apart. This is a check run by hand, not a CI test: what it finds
depends on what the machine has installed. Each class of difference it finds and we fix gets a file in
the parity corpus (tests/make_*_corpus.py), which CI runs.

Example (the default folders, one worker per CPU, a Markdown table for bench/RESULTS.md):

    VIT_BUILD_DIR=build /usr/bin/python3 tests/parity/third_party_corpus.py --markdown out.md
    VIT_BUILD_DIR=build /usr/bin/python3 tests/parity/third_party_corpus.py /usr/share/icons --limit 200
    VIT_BUILD_DIR=build /usr/bin/python3 tests/parity/third_party_corpus.py --cuts 2   # and cut-short copies
"""
import argparse
import collections
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import preprocess_reference as ref  # noqa: E402
from test_preprocess import same_bits  # noqa: E402

BUILD = os.environ.get("VIT_BUILD_DIR", os.path.join(ROOT, "build"))
DUMP = os.path.join(BUILD, "vit_preprocess_dump")
HOME = os.path.expanduser("~")
# System data (python packages' test and sample data, icon themes, docs) and the language toolchains
# installed under the home folder (their standard libraries' test data); never the home folder's caches.
DEFAULT_FOLDERS = ["/usr/share", "/usr/lib", "/usr/local", "/opt",
                   os.path.join(HOME, ".pyenv"), os.path.join(HOME, ".rustup")]
CONFIG = {"image_processor_type": "ViTImageProcessor"}  # its defaults: 224x224, BILINEAR, mean/std 0.5
BATCH_TIMEOUT_S = 300


def pillow_sniffers():
    from PIL import Image
    Image.init()
    return [(fid, Image.OPEN[fid][1]) for fid in Image.ID if Image.OPEN[fid][1] is not None]


def collect(folders):
    """Candidate files: a registered extension, or leading bytes a plugin's _accept takes."""
    from PIL import Image
    Image.init()
    extensions = set(Image.registered_extensions())
    sniffers = pillow_sniffers()
    found = []
    for folder in folders:
        if not os.path.isdir(folder):
            continue
        for directory, subdirs, files in os.walk(folder):
            subdirs.sort()
            for name in sorted(files):
                path = os.path.join(directory, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                if os.path.splitext(name)[1].lower() in extensions:
                    found.append(path)
                    continue
                try:
                    with open(path, "rb") as f:
                        prefix = f.read(16)
                except OSError:
                    continue
                for _, accept in sniffers:
                    try:
                        if accept(prefix):
                            found.append(path)
                            break
                    except Exception:  # noqa: BLE001 - a plugin's _accept may raise on short input
                        pass
    return found


def dedupe(paths):
    seen = {}
    for path in paths:
        try:
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            continue
        seen.setdefault(digest, path)
    return sorted(seen.values())


def describe_exception(e, path):
    text = f"{type(e).__name__}: {e}".replace(path, "FILE")
    return text[:300]


def pillow_side(path, exif_transpose, processor):
    """('ok', rgb uint8 [H,W,3], pixel_values) or ('refused', message, None)."""
    try:
        image = ref.load_image(path, exif_transpose)
        rgb = np.asarray(image)
        values = processor.preprocess([image])[0]
        return "ok", rgb, values
    except Exception as e:  # noqa: BLE001 - any refusal counts, as transformers would raise
        return "refused", describe_exception(e, path), None


def run_dump(paths, exif_transpose, workdir):
    """vit's outcome per path: ('ok', decoded float32 [H,W,3], pixel_values) or ('refused', message)."""
    config = os.path.join(workdir, "preprocessor_config.json")
    with open(config, "w") as f:
        json.dump(CONFIG, f)
    decoded = os.path.join(workdir, "decoded")
    shutil.rmtree(decoded, ignore_errors=True)
    os.makedirs(decoded)
    out = os.path.join(workdir, "pixel_values.npy")
    cmd = [DUMP, "--config", config, "--out", out, "--path", "file", "--decoded", decoded]
    if exif_transpose:
        cmd.append("--exif-transpose")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    try:
        result = subprocess.run(cmd + paths, capture_output=True, text=True, env=env, timeout=BATCH_TIMEOUT_S,
                                errors="replace")
    except subprocess.TimeoutExpired:
        result = None
    if result is None or result.returncode != 0 or len(result.stdout.splitlines()) != len(paths):
        if len(paths) == 1:
            what = "timed out" if result is None else f"exit {result.returncode}: {result.stderr.strip()[-200:]}"
            return [("crashed", what)]
        half = len(paths) // 2  # find the file that crashed or hung the batch
        return run_dump(paths[:half], exif_transpose, workdir) + run_dump(paths[half:], exif_transpose, workdir)
    values = np.load(out)
    outcomes, row = [], 0
    for i, (path, line) in enumerate(zip(paths, result.stdout.splitlines())):
        if line.startswith("ok "):
            outcomes.append(("ok", np.load(os.path.join(decoded, f"{i}.npy")), values[row]))
            row += 1
        else:
            outcomes.append(("refused", line.removeprefix("error ").replace(path, "FILE")[:300]))
    return outcomes


def compare_batch(args):
    paths, exif_transpose = args
    warnings.simplefilter("ignore")  # Pillow's warnings about odd files: the outcome is what counts
    processor = ref.make_processor(CONFIG)
    with tempfile.TemporaryDirectory(prefix="vit-third-party-") as work:
        vit = run_dump(paths, exif_transpose, work)
    records = []
    for path, theirs in zip(paths, vit):
        ours = pillow_side(path, exif_transpose, processor)
        record = {"path": path, "exif": exif_transpose, "pillow": ours[0], "vit": theirs[0]}
        if ours[0] != "ok":
            record["pillow_msg"] = ours[1]
        if theirs[0] != "ok":
            record["vit_msg"] = theirs[1]
        if ours[0] == "ok" and theirs[0] == "ok":
            rgb = ours[1].astype(np.float32)
            record["decoded_same"] = theirs[1].shape == rgb.shape and np.array_equal(theirs[1], rgb)
            record["values_same"] = same_bits(theirs[2], ours[2])
            if not record["decoded_same"]:
                if theirs[1].shape != rgb.shape:
                    record["detail"] = f"size {theirs[1].shape[1]}x{theirs[1].shape[0]} vs {rgb.shape[1]}x{rgb.shape[0]}"
                else:
                    d = np.abs(theirs[1] - rgb)
                    record["detail"] = f"{int((d > 0).sum())} of {d.size} values differ, max {d.max():.0f}"
        records.append(record)
    return records


def cause(record):
    """The group a difference belongs to: what happened on each side, without file names or numbers."""
    def norm(text):
        return re.sub(r"\d+", "N", text or "")
    if record["pillow"] == "ok" and record["vit"] == "ok":
        return "both decode, pixels differ"
    if record["pillow"] == "ok":
        return f"vit refuses: {norm(record['vit_msg'])[:160]}"
    return f"Pillow refuses ({norm(record['pillow_msg'])[:120]}), vit {record['vit']}"


def summarise(records):
    """A line of counts per file set and pass, and the differences grouped by cause."""
    lines = []
    differences = []
    for kind in sorted({r["set"] for r in records}, reverse=True):
        for exif in (False, True):
            rows = [r for r in records if r["exif"] == exif and r["set"] == kind]
            both = [r for r in rows if r["pillow"] == "ok" and r["vit"] == "ok"]
            identical = [r for r in both if r["decoded_same"] and r["values_same"]]
            both_refuse = [r for r in rows if r["pillow"] != "ok" and r["vit"] != "ok"]
            pillow_only = sum(r["pillow"] == "ok" and r["vit"] != "ok" for r in rows)
            vit_only = sum(r["pillow"] != "ok" and r["vit"] == "ok" for r in rows)
            pct = 100.0 * (len(both) + len(both_refuse)) / len(rows) if rows else 0.0
            label = f"{kind}, {'--exif-transpose' if exif else 'plain'}"
            lines.append(f"{label}: {len(rows)} files; both decode {len(both)}, bit-identical {len(identical)}; "
                         f"both refuse {len(both_refuse)}; Pillow only {pillow_only}, vit only {vit_only}; "
                         f"same outcome {pct:.2f}%")
            agreed = {id(r) for r in identical + both_refuse}
            differences += [r for r in rows if id(r) not in agreed]
    groups = collections.defaultdict(list)
    for r in differences:
        groups[cause(r)].append(r)
    return lines, groups


def outcome_text(r, side):
    if r[side] == "ok":
        if side == "vit" and r["pillow"] == "ok" and not (r["decoded_same"] and r["values_same"]):
            return "decodes: " + r.get("detail", "pixel_values differ")
        return "decodes"
    return r[f"{side}_msg"] if side == "pillow" else f"{r['vit']}: {r['vit_msg']}"


def print_report(lines, groups, elapsed, markdown):
    print(f"done in {elapsed:.0f} s")
    for line in lines:
        print("  " + line)
    for key, rows in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"\n[{len(rows)}] {key}")
        for r in rows:
            print(f"  {'exif ' if r['exif'] else ''}{r['name']}\n      Pillow: {outcome_text(r, 'pillow')}"
                  f"\n      vit:    {outcome_text(r, 'vit')}")
    if markdown:
        with open(markdown, "w") as f:
            for line in lines:
                f.write(f"- {line}\n")
            f.write("\n| cause | file | pass | Pillow | vit |\n|---|---|---|---|---|\n")
            for key, rows in sorted(groups.items(), key=lambda kv: -len(kv[1])):
                for r in rows:
                    cells = [key, r["name"], "exif" if r["exif"] else "plain", outcome_text(r, "pillow"),
                             outcome_text(r, "vit")]
                    f.write("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n")


def cut_points(size, count):
    """Where the copies of a file end: a download cut a few bytes short, then inside the data."""
    points = [size - 1, size // 2, size - 4, size - 12, size * 3 // 4, size // 4, size - 2, 13]
    return sorted({p for p in points[:count] if 0 < p < size})


def write_cuts(files, count, folder):
    """Copies of each file cut short at `count` points, as {copy: 'original[:size]'}."""
    names, seen = {}, set()
    for i, path in enumerate(files):
        with open(path, "rb") as f:
            data = f.read()
        for size in cut_points(len(data), count):
            digest = hashlib.sha256(data[:size]).digest()
            if digest in seen:
                continue
            seen.add(digest)
            copy = os.path.join(folder, f"{i:05d}_{size}{os.path.splitext(path)[1]}")
            with open(copy, "wb") as f:
                f.write(data[:size])
            names[copy] = f"{path}[:{size}]"
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__[__doc__.index("Example"):],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", help="folders to search (default: %(default)s)",
                        default=DEFAULT_FOLDERS)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--batch", type=int, default=64, help="files per vit_preprocess_dump run")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files (after de-duplication)")
    parser.add_argument("--cuts", type=int, default=0, metavar="K",
                        help="also compare copies of every file cut short at K points (1-8: the last byte "
                             "missing, half of it, the last 4, the last 12, ...); each point adds about one "
                             "run's time")
    parser.add_argument("--markdown", help="also write the counts and the difference table here")
    parser.add_argument("--json", help="also write every file's record here (JSON lines)")
    args = parser.parse_args()
    if not os.path.exists(DUMP):
        print(f"{DUMP} is missing: build the vit_preprocess_dump target (VIT_BUILD_DIR names the build folder)")
        return 2
    started = time.monotonic()
    files = dedupe(collect(args.folders))
    if args.limit:
        files = files[:args.limit]
    print(f"collected {len(files)} files in {time.monotonic() - started:.0f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="vit-third-party-cuts-") as cuts:
        names = {path: path for path in files}
        sets = {path: "installed" for path in files}
        if args.cuts:
            cut = write_cuts(files, args.cuts, cuts)
            print(f"wrote {len(cut)} cut copies", flush=True)
            names.update(cut)
            sets.update({path: "cut short" for path in cut})
        paths = list(names)
        batches = [(paths[i:i + args.batch], exif) for exif in (False, True) for i in range(0, len(paths), args.batch)]
        records = []
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for batch in pool.map(compare_batch, batches):
                for r in batch:
                    r["name"], r["set"] = names[r["path"]], sets[r["path"]]
                records += batch
    lines, groups = summarise(records)
    print_report(lines, groups, time.monotonic() - started, args.markdown)
    if args.json:
        with open(args.json, "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
