"""JPEG 2000 files for the image corpus: J2K codestreams and JP2 files written by Pillow 9.4 (OpenJPEG)
in every mode it reads (L, LA, RGB, RGBA, I;16), lossless and lossy, tiled, with image and tile
offsets, odd sizes; files from OpenJPEG's opj_compress (12-bit, signed, subsampled); JP2 headers edited by hand for the colour spaces and header/codestream
disagreements Pillow's decoder treats specially; truncated and hostile files.

tests/make_format_corpus.py calls make_good(p) and make_bad(p), p(name) giving the path to write.
"""
import io
import os
import shutil
import struct
import subprocess
import tempfile

import numpy as np
from PIL import Image
from corpus_files import noise as _noise, write as _write


def _smooth(h, w, seed):
    """A picture with gradients and a little noise: lossy coding leaves it recognisable."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // max(w + h - 2, 1)], -1)
    return np.clip(base + _noise(h, w, 3, seed) // 8, 0, 255).astype(np.uint8)


def _save(im, fmt_ext, **options):
    buf = io.BytesIO()
    im.save(buf, "JPEG2000", no_jp2=fmt_ext == "j2k", **options)
    return buf.getvalue()


def _set_colr(jp2, enumcs=None, method=None):
    """The JP2 header's colour specification box with its method or enumerated colour space replaced."""
    at = jp2.index(b"colr") + 4
    out = bytearray(jp2)
    if method is not None:
        out[at] = method
    if enumcs is not None:
        out[at + 3:at + 7] = struct.pack(">I", enumcs)
    return bytes(out)


def _set_ihdr(jp2, components=None, bpc=None, height=None):
    at = jp2.index(b"ihdr") + 4
    out = bytearray(jp2)
    if height is not None:
        out[at:at + 4] = struct.pack(">I", height)
    if components is not None:
        out[at + 8:at + 10] = struct.pack(">H", components)
    if bpc is not None:
        out[at + 10] = bpc
    return bytes(out)


def make_good(p):
    rgb = Image.fromarray(_noise(37, 53, 3, 301))
    for mode in ("L", "LA", "RGB", "RGBA"):
        im = rgb.convert(mode) if mode != "RGBA" else Image.fromarray(_noise(37, 53, 4, 302), "RGBA")
        for ext in ("j2k", "jp2"):
            _write(p(f"jpeg2000_{mode.lower()}.{ext}"), _save(im, ext))
    smooth = Image.fromarray(_smooth(61, 90, 303))
    _write(p("jpeg2000_rgb_lossy_irreversible.jp2"), _save(smooth, "jp2", irreversible=True,
                                                          quality_mode="rates", quality_layers=[30]))
    _write(p("jpeg2000_rgb_lossy_layers.j2k"), _save(smooth, "j2k", quality_mode="dB", quality_layers=[28, 36, 44]))
    _write(p("jpeg2000_l_lossy_irreversible.j2k"), _save(smooth.convert("L"), "j2k", irreversible=True,
                                                         quality_layers=[20]))
    _write(p("jpeg2000_rgb_tiles_offsets.jp2"), _save(smooth, "jp2", tile_size=(32, 24), offset=(5, 3),
                                                      tile_offset=(2, 1)))
    _write(p("jpeg2000_rgba_tiles.j2k"), _save(Image.fromarray(_noise(45, 70, 4, 304), "RGBA"), "j2k",
                                               tile_size=(16, 16), progression="RPCL", num_resolutions=3,
                                               codeblock_size=(16, 16)))
    _write(p("jpeg2000_rgb_1x1.jp2"), _save(Image.new("RGB", (1, 1), (200, 30, 99)), "jp2"))
    _write(p("jpeg2000_l_1x97.j2k"), _save(rgb.convert("L").resize((1, 97)), "j2k"))
    # 16-bit grey: mode I;16, whose samples convert("RGB") clips at 255 (so mostly white).
    g16 = (np.arange(29 * 41).reshape(29, 41) * 37 % 65536).astype(np.uint16)
    g16[0, :6] = [0, 1, 255, 256, 4095, 65535]
    for ext in ("j2k", "jp2"):
        _write(p(f"jpeg2000_i16.{ext}"), _save(Image.fromarray(g16), ext))
    # The same 16-bit samples declared 9-bit in the JP2 header: Pillow reads mode L, narrowing each
    # sample to 8 bits with rounding (and wrapping at the top).
    _write(p("jpeg2000_i16_header_says_9bit.jp2"), _set_ihdr(_save(Image.fromarray(g16), "jp2"), bpc=8))
    # sYCC in the colr box: Pillow converts the samples with its YCbCr tables.
    for mode, name in (("RGB", "rgb"), ("RGBA", "rgba")):
        im = smooth if mode == "RGB" else smooth.convert("RGBA")
        _write(p(f"jpeg2000_{name}_sycc.jp2"), _set_colr(_save(im, "jp2"), enumcs=18))
    # A greyscale colr on three components in an RGB header: the first component, replicated.
    _write(p("jpeg2000_rgb_colr_grey.jp2"), _set_colr(_save(smooth, "jp2"), enumcs=17))
    # A colour space OpenJPEG does not know, and an ICC method without a profile: read as unspecified.
    _write(p("jpeg2000_colr_unknown_space.jp2"), _set_colr(_save(smooth, "jp2"), enumcs=99))
    _write(p("jpeg2000_colr_icc_method.jp2"), _set_colr(_save(smooth, "jp2"), method=2))
    _opj_good(p)


def _opj_good(p):
    """Files written by OpenJPEG's own encoder (opj_compress, Debian's libopenjp2-tools): precisions,
    signed samples and image subsampling that Pillow cannot write."""
    opj = shutil.which("opj_compress")
    if opj is None:
        return
    h, w = 23, 35
    y, x = np.mgrid[0:h, 0:w]
    rgb12 = np.stack([x * 4095 // (w - 1), y * 4095 // (h - 1), (x * y * 37) % 4096], -1).astype(">u2")
    rng = np.random.default_rng(306)
    inputs = {
        "rgb12.ppm": b"P6\n%d %d\n4095\n" % (w, h) + rgb12.tobytes(),
        "grey12.pgm": b"P5\n%d %d\n4095\n" % (w, h) + rgb12[..., 2].tobytes(),
        "signed8.raw": rng.integers(-128, 128, (h, w)).astype(np.int8).tobytes(),
        "signed12.rawl": rng.integers(-2048, 2048, (3, h, w)).astype("<i2").tobytes(),
    }
    runs = [
        ("jpeg2000_opj_rgb_12bit.jp2", "rgb12.ppm", []),
        ("jpeg2000_opj_grey_12bit.j2k", "grey12.pgm", []),
        ("jpeg2000_opj_signed_8bit.j2k", "signed8.raw", ["-F", f"{w},{h},1,8,s@1x1"]),
        ("jpeg2000_opj_signed_12bit.jp2", "signed12.rawl", ["-F", f"{w},{h},3,12,s@1x1:1x1:1x1"]),
        ("jpeg2000_opj_lossy_mct.j2k", "rgb12.ppm", ["-r", "20", "-I", "-mct", "1"]),
        ("jpeg2000_opj_precincts_cprl_tiles.jp2", "rgb12.ppm",
         ["-c", "[16,16],[16,16]", "-p", "CPRL", "-t", "16,16", "-TP", "R"]),
        ("jpeg2000_opj_subsampled_2x2.j2k", "rgb12.ppm", ["-s", "2,2"]),
        ("jpeg2000_opj_subsampled_3x2.j2k", "rgb12.ppm", ["-s", "3,2"]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in inputs.items():
            _write(os.path.join(tmp, name), data)
        for out, source, options in runs:
            target = os.path.join(tmp, out)
            subprocess.run([opj, "-i", os.path.join(tmp, source), "-o", target, "-n", "2", *options],
                           check=True, capture_output=True)
            with open(target, "rb") as f:
                _write(p(out), f.read())


def make_bad(p):
    smooth = Image.fromarray(_smooth(61, 90, 305))
    jp2 = _save(smooth, "jp2")
    j2k = _save(smooth, "j2k")
    _write(p("jpeg2000_truncated.jp2"), jp2[: len(jp2) // 2])
    _write(p("jpeg2000_truncated.j2k"), j2k[: len(j2k) * 2 // 3])
    _write(p("jpeg2000_siz_cut.j2k"), j2k[:30])
    _write(p("jpeg2000_header_only.jp2"), jp2[: jp2.index(b"jp2c")])
    _write(p("jpeg2000_five_components.jp2"), _set_ihdr(jp2, components=5))
    _write(p("jpeg2000_ihdr_says_grey.jp2"), _set_ihdr(jp2, components=1))
    _write(p("jpeg2000_ihdr_shorter.jp2"), _set_ihdr(jp2, height=20))
    _write(p("jpeg2000_ihdr_taller.jp2"), _set_ihdr(jp2, height=70))
    bomb = bytearray(j2k)
    bomb[8:16] = struct.pack(">II", 30000, 30000)  # Xsiz, Ysiz
    _write(p("jpeg2000_bomb_30000x30000.j2k"), bytes(bomb))
    box = bytearray(jp2)
    at = jp2.index(b"jp2h") - 4
    box[at:at + 4] = struct.pack(">I", 3)  # a box length shorter than its own header
    _write(p("jpeg2000_bad_box_length.jp2"), bytes(box))
    # A box larger than OpenJPEG's 1 MB read buffer, before the header or the codestream: Pillow's skip
    # callback returns the new position where OpenJPEG expects the count skipped, so OpenJPEG loses its
    # place and Pillow raises; vit's stream callbacks behave the same.
    at = jp2.index(b"jp2c") - 4
    xml = b"<x>" + b"a" * 1100000 + b"</x>"
    _write(p("jpeg2000_big_xml_box.jp2"), jp2[:at] + struct.pack(">I", len(xml) + 8) + b"xml " + xml + jp2[at:])
    uuid = struct.pack(">I", 8 + 16 + 1100000) + b"uuid" + b"\x11" * 16 + bytes(1100000)
    _write(p("jpeg2000_big_uuid_box_first.jp2"), jp2[:32] + uuid + jp2[32:])
