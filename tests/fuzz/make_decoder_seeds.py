"""Seeds for image_fuzz (one small picture per format Pillow writes, and the hostile files whose
bounds the decoders enforce) and for json_fuzz. make_seeds.py runs this too.

Usage: /usr/bin/python3 tests/fuzz/make_decoder_seeds.py
"""
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "corpus")


def put(parser, name, data):
    os.makedirs(os.path.join(corpus, parser), exist_ok=True)
    with open(os.path.join(corpus, parser, name), "wb") as f:
        f.write(data)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width, height, depth, colour, interlace):
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0,
                                                                  interlace))


def saved(image, fmt, **options):
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg_scans(jpeg):
    """(start, end) of each SOS segment with its entropy-coded data."""
    scans, at = [], 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF and jpeg[at + 1] != 0xD9:
        end = at + 2 + (jpeg[at + 2] << 8 | jpeg[at + 3])
        if jpeg[at + 1] == 0xDA:
            while end + 1 < len(jpeg) and not (jpeg[end] == 0xFF and jpeg[end + 1] != 0 and
                                                not 0xD0 <= jpeg[end + 1] <= 0xD7):
                end += 1
            scans.append((at, end))
        at = end
    return scans


def image_seeds():
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (9, 7, 3), dtype=np.uint8))
    seeds = {
        "good_png_rgb.png": saved(rgb, "PNG"),
        "good_jpeg.jpg": saved(rgb, "JPEG", quality=80),
        "good_jpeg_progressive.jpg": saved(rgb, "JPEG", quality=80, progressive=True),
        "good_gif.gif": saved(rgb.convert("P"), "GIF"),
        "good_bmp.bmp": saved(rgb, "BMP"),
        "good_tiff.tif": saved(rgb, "TIFF"),
        "good_tiff_deflate.tif": saved(rgb, "TIFF", compression="tiff_adobe_deflate"),
        "good_webp_lossless.webp": saved(rgb, "WEBP", lossless=True),
    }
    # A header claiming 178,956,970 x 1 pixels of 16-bit RGBA over a few bytes of data.
    seeds["bad_png_wide_16bit_rgba.png"] = (png_header(178956970, 1, 16, 6, 0) +
                                            png_chunk(b"IDAT", zlib.compress(bytes(4))) + png_chunk(b"IEND", b""))
    # Interlaced 13000 x 13000 without image data.
    seeds["bad_png_interlaced_no_data.png"] = (png_header(13000, 13000, 8, 2, 1) + png_chunk(b"IDAT", b"") +
                                               png_chunk(b"IEND", b""))
    # A compressed text over Pillow's 1 MB limit, and ten under it.
    png = seeds["good_png_rgb.png"]
    big_text = png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * (2 << 20), 9))
    seeds["bad_png_ztxt_2mb.png"] = png[:33] + big_text + png[33:]
    small_text = png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * 100000, 9))
    seeds["good_png_ztxt_10x100k.png"] = png[:33] + small_text * 10 + png[33:]
    # A progressive JPEG whose last scan repeats 600 times (the limit is 500 scans).
    jpeg = seeds["good_jpeg_progressive.jpg"]
    start, end = jpeg_scans(jpeg)[-1]
    seeds["bad_jpeg_600_scans.jpg"] = jpeg[:end] + jpeg[start:end] * 600 + b"\xff\xd9"
    # A 16 x 16 grey TIFF whose one tile is 32768 x 65536 pixels.
    entries = [(256, 4, 16), (257, 4, 16), (258, 3, 8), (259, 3, 1), (262, 3, 1), (277, 3, 1), (322, 4, 32768),
               (323, 4, 65536), (324, 4, 8), (325, 4, 256)]
    tiff = b"II*\0" + struct.pack("<I", 8 + 256) + b"\x80" * 256 + struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        tiff += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3 else
                                                      struct.pack("<I", value))
    seeds["bad_tiff_huge_tile.tif"] = tiff + b"\0\0\0\0"
    return seeds


def json_seeds():
    return {
        "config.json": b'{"model_type": "vit", "hidden_size": 8, "id2label": {"0": "cat", "1": "dog"},'
                       b' "image_size": [32, 32], "layer_norm_eps": 1e-12, "qkv_bias": true, "x": null}',
        "duplicate_key.json": b'{"a": 1, "b": {"c": 2, "c": 3}}',
        "deep_3000.json": b'{"unused": ' + b"[" * 3000 + b"]" * 3000 + b"}",
        "wide_object.json": b"{" + b",".join(b'"%d": %d' % (i, i) for i in range(1000)) + b"}",
        "escapes.json": b'["\\u00e9\\ud83d\\ude00", "\\n\\t", 1.5e308, -0, 18446744073709551615]',
        "trailing.json": b"{} {}",
        "bad_utf8.json": b'{"caf\xe9": 1}',
    }


if __name__ == "__main__":
    for name, data in image_seeds().items():
        put("image", name, data)
    for name, data in json_seeds().items():
        put("json", name, data)
    print("decoder and JSON seeds written to", corpus)
