#!/usr/bin/python3
"""Writes the image corpus the preprocessing parity test runs on.

Every format, pixel mode and odd size vit's decoders claim, generated with Pillow 9.4, numpy and
tifffile from Debian plus small writers of our own for what Pillow cannot write (2/4/16-bit and
interlaced PNG, short palettes, GIF frames smaller than the screen, RLE and bit-field BMP, YCCK JPEG),
and a few real photographs from scikit-image's data folder. Bad inputs (truncated, corrupt, empty,
over the decompression-bomb limit) go to a separate folder.

    /usr/bin/python3 tests/make_image_corpus.py OUTDIR [--small]

OUTDIR/good/* are images Pillow opens; OUTDIR/bad/* are files Pillow refuses. --small leaves out
the 4000x3000 pictures (quick runs).
"""
import io
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

import make_format_corpus

SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"


# ---------------------------------------------------------------------------------------------
# Pixel sources


def photo(name):
    return Image.open(os.path.join(SKIMAGE_DATA, name))


def noise(h, w, c, seed):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def ramp(h, w):
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // max(w - 1, 1)).astype(np.uint8)
    g = (y * 255 // max(h - 1, 1)).astype(np.uint8)
    b = ((x + y) % 256).astype(np.uint8)
    return np.dstack([r, g, b])


def checker(h, w):
    y, x = np.mgrid[0:h, 0:w]
    v = (((x + y) % 2) * 255).astype(np.uint8)
    return np.dstack([v, 255 - v, v])


def astronaut(w, h):
    return np.array(photo("astronaut.png").convert("RGB").resize((w, h), Image.BICUBIC))


# ---------------------------------------------------------------------------------------------
# PNG writer for every colour type, bit depth and interlace (Pillow writes only some of them)

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_rows(a, depth):
    rows = []
    for y in range(a.shape[0]):
        r = a[y].reshape(-1)
        if depth == 16:
            rows.append(r.astype(">u2").tobytes())
        elif depth == 8:
            rows.append(r.astype(np.uint8).tobytes())
        else:
            bits = np.unpackbits(r.astype(np.uint8)[:, None], axis=1)[:, 8 - depth:].reshape(-1)
            rows.append(np.packbits(bits).tobytes())
    return rows


def png_bytes(a, color_type, depth, palette=None, trns=None, interlace=False, extra_chunks=b"", filter_type=0):
    if a.ndim == 2:
        a = a[:, :, None]
    h, w = a.shape[:2]
    raw = b""
    parts = [(0, 0, 1, 1)] if not interlace else ADAM7
    for x0, y0, dx, dy in parts:
        sub = a[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for r in _png_rows(sub, depth):
            raw += bytes([filter_type]) + (r if filter_type == 0 else _png_filter_sub(r, a.shape[2], depth))
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0))
    out += extra_chunks
    if palette is not None:
        out += png_chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    out += png_chunk(b"IDAT", zlib.compress(raw, 6)) + png_chunk(b"IEND", b"")
    return out


def _png_filter_sub(row, channels, depth):
    bpp = max(1, channels * depth // 8)
    r = np.frombuffer(row, np.uint8).astype(np.int32)
    out = r.copy()
    out[bpp:] = (r[bpp:] - r[:-bpp]) % 256
    return out.astype(np.uint8).tobytes()


# ---------------------------------------------------------------------------------------------
# GIF writer: LZW with a clear code often enough that codes never grow ("uncompressed" GIF), which
# lets us place frames anywhere on the screen and pick palettes freely.


def _gif_lzw(indices, min_code_size):
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    size = min_code_size + 1
    codes = [clear]
    run = 0
    for v in indices:
        codes.append(int(v))
        run += 1
        if run == (1 << min_code_size) - 2:
            codes.append(clear)
            run = 0
    codes.append(end)
    bits = 0
    nbits = 0
    out = bytearray()
    for c in codes:
        bits |= c << nbits
        nbits += size
        while nbits >= 8:
            out.append(bits & 255)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 255)
    blocks = b""
    for i in range(0, len(out), 255):
        chunk = bytes(out[i : i + 255])
        blocks += bytes([len(chunk)]) + chunk
    return bytes([min_code_size]) + blocks + b"\x00"


def gif_bytes(screen, frames, global_palette=None, background=0):
    """frames: list of (x, y, indices HxW, local_palette or None, transparent index or None, interlace)."""
    w, h = screen
    flags = 0
    gct = b""
    if global_palette is not None:
        n = len(global_palette)
        bits = max(1, (n - 1).bit_length())
        flags = 0x80 | (bits - 1)
        pal = np.zeros((1 << bits, 3), np.uint8)
        pal[:n] = global_palette
        gct = pal.tobytes()
    out = b"GIF89a" + struct.pack("<HHBBB", w, h, flags, background, 0) + gct
    for x, y, idx, local, transparent, interlace in frames:
        if transparent is not None:
            out += b"\x21\xf9\x04" + struct.pack("<BHB", 1, 10, transparent) + b"\x00"
        fh, fw = idx.shape
        lflags = 0x40 if interlace else 0
        lct = b""
        if local is not None:
            n = len(local)
            bits = max(1, (n - 1).bit_length())
            lflags |= 0x80 | (bits - 1)
            pal = np.zeros((1 << bits, 3), np.uint8)
            pal[:n] = local
            lct = pal.tobytes()
        rows = idx
        if interlace:
            order = list(range(0, fh, 8)) + list(range(4, fh, 8)) + list(range(2, fh, 4)) + list(range(1, fh, 2))
            rows = idx[order]
        out += b"\x2c" + struct.pack("<HHHHB", x, y, fw, fh, lflags) + lct
        out += _gif_lzw(rows.reshape(-1), 8)
    return out + b"\x3b"


# ---------------------------------------------------------------------------------------------
# BMP writer for layouts Pillow does not save (bit fields, 16/32-bit, RLE, top-down, OS/2)


def bmp_bytes(rows_bottom_up, width, height, bits, palette=None, compression=0, masks=None, header=40, top_down=False,
              colors_used=None):
    pixel_data = b"".join(rows_bottom_up)
    pal = b""
    if palette is not None:
        entry = 4 if header != 12 else 3
        for r, g, b in palette:
            pal += bytes([b, g, r]) + (b"\x00" if entry == 4 else b"")
    if header == 12:
        info = struct.pack("<IHHHH", 12, width, height, 1, bits)
        extra = b""
    else:
        h = -height if top_down else height
        ncolors = colors_used if colors_used is not None else (len(palette) if palette is not None else 0)
        info = struct.pack("<IiiHHIIiiII", header, width, h, 1, bits, compression, len(pixel_data), 2835, 2835,
                           ncolors, 0)
        extra = b""
        if header > 40:
            m = list(masks or (0, 0, 0, 0)) + [0] * 4
            info += struct.pack("<IIII", *m[:4]) + b"\x00" * (header - 56)
        elif masks is not None:
            extra = struct.pack("<III", *masks[:3])
    offset = 14 + len(info) + len(extra) + len(pal)
    return b"BM" + struct.pack("<IHHI", offset + len(pixel_data), 0, 0, offset) + info + extra + pal + pixel_data


def bmp_rows(a, bits, width):
    """Pack rows (top-down array) as a bottom-up BMP pixel array of the given bit depth."""
    stride = ((width * bits + 31) >> 3) & ~3
    rows = []
    for y in range(a.shape[0] - 1, -1, -1):
        r = a[y]
        if bits == 24:
            b = r[:, ::-1].astype(np.uint8).tobytes()
        elif bits == 32:
            b = np.dstack([r[None, :, 2], r[None, :, 1], r[None, :, 0], np.full((1, width), 77, np.uint8)])[0].tobytes()
        elif bits == 16:
            b = r.astype("<u2").tobytes()
        elif bits == 8:
            b = r.astype(np.uint8).tobytes()
        else:
            vals = r.astype(np.uint8)
            pbits = np.unpackbits(vals[:, None], axis=1)[:, 8 - bits:].reshape(-1)
            b = np.packbits(pbits).tobytes()
        rows.append(b + b"\x00" * (stride - len(b)))
    return rows


def rle8_rows(idx):
    """RLE8 encoding (runs + absolute runs + end-of-line), bottom-up."""
    out = []
    h, w = idx.shape
    for y in range(h - 1, -1, -1):
        row = idx[y].tolist()
        x = 0
        data = b""
        while x < w:
            run = 1
            while x + run < w and run < 255 and row[x + run] == row[x]:
                run += 1
            if run >= 3 or w - x < 3:
                data += bytes([run, row[x]])
                x += run
            else:
                n = min(255, w - x)
                n = max(3, min(n, 20))
                chunk = row[x : x + n]
                data += bytes([0, n]) + bytes(chunk) + (b"\x00" if n % 2 else b"")
                x += n
        out.append(data + b"\x00\x00")
    out[-1] = out[-1][:-2] + b"\x00\x01"
    return out


def rle4_rows(idx):
    out = []
    h, w = idx.shape
    for y in range(h - 1, -1, -1):
        row = idx[y].tolist()
        data = b""
        x = 0
        while x < w:
            n = min(254, w - x)
            a = row[x]
            b = row[x + 1] if x + 1 < w else 0
            # encoded runs of an alternating pair
            n = min(n, 6)
            data += bytes([n, (a << 4) | b])
            x += n
        out.append(data + b"\x00\x00")
    out[-1] = out[-1][:-2] + b"\x00\x01"
    return out


# ---------------------------------------------------------------------------------------------


def libtiff_write(path, pixels, photometric, compression, subsampling=None, jpeg_rgb_input=False):
    """Writes a TIFF through libtiff itself (ctypes), for layouts neither Pillow nor tifffile writes here:
    YCbCr with JPEG (libtiff converting RGB input) or LZW compression."""
    import ctypes

    lib = ctypes.CDLL("libtiff.so.6")
    lib.TIFFOpen.restype = ctypes.c_void_p
    lib.TIFFOpen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.TIFFWriteScanline.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint16]
    lib.TIFFClose.argtypes = [ctypes.c_void_p]

    def field(tif, tag, *values):
        if lib.TIFFSetField(ctypes.c_void_p(tif), ctypes.c_uint32(tag), *[ctypes.c_int(v) for v in values]) != 1:
            raise RuntimeError(f"TIFFSetField {tag}")

    h, w, c = pixels.shape
    tif = lib.TIFFOpen(path.encode(), b"w")
    for tag, value in [(256, w), (257, h), (258, 8), (277, c), (284, 1), (259, compression), (262, photometric),
                       (278, 16 if compression == 7 else h)]:
        field(tif, tag, value)
    if subsampling:
        field(tif, 530, *subsampling)
    if jpeg_rgb_input:
        field(tif, 65537, 90)  # JPEGQUALITY
        field(tif, 65538, 1)  # JPEGCOLORMODE_RGB
    rows = np.ascontiguousarray(pixels)
    for y in range(h):
        if lib.TIFFWriteScanline(tif, rows[y].ctypes.data, y, 0) != 1:
            raise RuntimeError("TIFFWriteScanline")
    lib.TIFFClose(tif)


def save(im, path, **kw):
    im.save(path, **kw)


def exif_with_orientation(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def make_good(out, small):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)

    # Real photographs.
    for name in ["astronaut.png", "chelsea.png", "coffee.png", "camera.png", "logo.png", "green_palette.png",
                 "foo3x5x4indexed.png", "hubble_deep_field.jpg", "motorcycle_left.png", "chessboard_GRAY_U16.tif",
                 "chessboard_GRAY_U16B.tif", "brick.png", "moon.png"]:
        src = os.path.join(SKIMAGE_DATA, name)
        if os.path.exists(src):
            with open(src, "rb") as f:
                write(p("photo_" + name), f.read())

    coffee = photo("coffee.png").convert("RGB")
    chelsea = photo("chelsea.png").convert("RGB")

    # Sizes: tiny, odd, around 224, long and thin, and large.
    sizes = [(1, 1), (2, 2), (15, 15), (223, 223), (224, 224), (225, 225), (448, 448), (1, 700), (700, 1),
             (3000, 20), (500, 3), (3, 500), (224, 100), (640, 427)]
    for w, h in sizes:
        Image.fromarray(noise(h, w, 3, w * 7 + h)).save(p(f"noise_{w}x{h}.png"))
        Image.fromarray(ramp(h, w)).save(p(f"ramp_{w}x{h}.png"))
        Image.fromarray(checker(h, w)).save(p(f"checker_{w}x{h}.png"))
    for w, h in [(224, 224), (225, 225), (1000, 750), (333, 500)]:
        Image.fromarray(astronaut(w, h)).save(p(f"astronaut_{w}x{h}.jpg"), quality=90)
    if not small:
        big = np.array(photo("astronaut.png").convert("RGB").resize((4000, 3000), Image.BICUBIC))
        Image.fromarray(big).save(p("astronaut_4000x3000.jpg"), quality=90)
        Image.fromarray(noise(3000, 4000, 3, 4)).save(p("noise_4000x3000.png"), compress_level=1)

    # JPEG: subsampling, progressive, grey, CMYK (Adobe-inverted), YCCK, optimised tables, restarts.
    base = chelsea.resize((301, 199), Image.BICUBIC)
    save(base, p("jpeg_420.jpg"), quality=85, subsampling=2)
    save(base, p("jpeg_422.jpg"), quality=85, subsampling=1)
    save(base, p("jpeg_444.jpg"), quality=95, subsampling=0)
    save(base, p("jpeg_progressive.jpg"), quality=80, progressive=True)
    save(base, p("jpeg_progressive_444.jpg"), quality=80, progressive=True, subsampling=0)
    save(base, p("jpeg_optimized.jpg"), quality=70, optimize=True)
    save(base.convert("L"), p("jpeg_gray.jpg"), quality=90)
    save(base.convert("L"), p("jpeg_gray_progressive.jpg"), quality=90, progressive=True)
    save(base.convert("CMYK"), p("jpeg_cmyk.jpg"), quality=90)
    save(Image.fromarray(noise(57, 43, 4, 5), "CMYK"), p("jpeg_cmyk_noise.jpg"), quality=90)
    cmyk = io.BytesIO()
    base.convert("CMYK").save(cmyk, "JPEG", quality=90)
    data = bytearray(cmyk.getvalue())
    at = data.find(b"Adobe")
    if at > 0:
        data[at + 11] = 2  # Adobe transform flag: YCCK
        write(p("jpeg_ycck.jpg"), bytes(data))
    save(Image.fromarray(noise(16, 16, 3, 6)), p("jpeg_16x16.jpg"), quality=50)
    save(Image.fromarray(noise(1, 1, 3, 7)), p("jpeg_1x1.jpg"))
    save(Image.fromarray(noise(700, 1, 3, 8)), p("jpeg_1x700.jpg"))
    save(Image.fromarray(noise(3, 500, 3, 9)), p("jpeg_500x3.jpg"), subsampling=2)
    save(Image.fromarray(checker(97, 131)), p("jpeg_checker_131x97.jpg"), quality=75)
    # A JPEG with bytes after its EOI (Pillow ignores them) and one whose scan data is damaged but
    # still decodable (libjpeg warns, Pillow decodes the damage).
    with open(p("jpeg_420.jpg"), "rb") as f:
        j = f.read()
    write(p("jpeg_trailing_garbage.jpg"), j + b"\x00garbage after the end")
    damaged = bytearray(j)
    mid = len(damaged) * 2 // 3
    for k in range(mid, mid + 40, 7):
        damaged[k] = (damaged[k] + 0x35) & 0xFF if damaged[k] != 0xFF else 0x12
    write(p("jpeg_damaged_scan.jpg"), bytes(damaged))
    # Without its EOI a JPEG is usually refused (libjpeg's bit reader looks past the last byte and the
    # suspending source Pillow uses has nothing more), but not always: this one decodes in Pillow.
    lucky = io.BytesIO()
    Image.fromarray(noise(40, 50, 3, 21)).save(lucky, "JPEG", quality=90)
    write(p("jpeg_no_eoi_still_decodable.jpg"), lucky.getvalue()[:-2])

    # EXIF orientation 1..8 in JPEG, PNG, WebP and TIFF (ignored unless exif_transpose).
    small_photo = coffee.resize((61, 37), Image.BICUBIC)
    for o in range(1, 9):
        small_photo.save(p(f"exif_orientation_{o}.jpg"), quality=90, exif=exif_with_orientation(o))
    for o in (3, 6, 8):
        small_photo.save(p(f"exif_orientation_{o}.png"), exif=exif_with_orientation(o))
        small_photo.save(p(f"exif_orientation_{o}.webp"), exif=exif_with_orientation(o), lossless=True)
        small_photo.save(p(f"exif_orientation_{o}.tif"), tiffinfo={274: o})

    # PNG: every colour type and depth, palettes short and with tRNS, 16-bit, interlaced.
    rng = np.random.default_rng(10)
    h, w = 37, 29
    gray16 = rng.integers(0, 65536, (h, w)).astype(np.uint16)
    gray16[:4, :] = rng.integers(0, 300, (4, w))
    cases = {
        "g1": (rng.integers(0, 2, (h, w)), 0, 1, {}),
        "g2": (rng.integers(0, 4, (h, w)), 0, 2, {}),
        "g4": (rng.integers(0, 16, (h, w)), 0, 4, {}),
        "g8": (rng.integers(0, 256, (h, w)), 0, 8, {}),
        "g16": (gray16, 0, 16, {}),
        "g8_trns": (rng.integers(0, 256, (h, w)), 0, 8, {"trns": b"\x00\x07"}),
        "g16_trns": (gray16, 0, 16, {"trns": b"\x01\x07"}),
        "rgb8": (rng.integers(0, 256, (h, w, 3)), 2, 8, {}),
        "rgb16": (rng.integers(0, 65536, (h, w, 3)), 2, 16, {}),
        "rgb8_trns": (rng.integers(0, 256, (h, w, 3)), 2, 8, {"trns": b"\x00\x01\x00\x02\x00\x03"}),
        "ga8": (rng.integers(0, 256, (h, w, 2)), 4, 8, {}),
        "ga16": (rng.integers(0, 65536, (h, w, 2)), 4, 16, {}),
        "rgba8": (rng.integers(0, 256, (h, w, 4)), 6, 8, {}),
        "rgba16": (rng.integers(0, 65536, (h, w, 4)), 6, 16, {}),
        "p1": (rng.integers(0, 2, (h, w)), 3, 1, {"palette": rng.integers(0, 256, (2, 3))}),
        "p2": (rng.integers(0, 4, (h, w)), 3, 2, {"palette": rng.integers(0, 256, (4, 3))}),
        "p4": (rng.integers(0, 16, (h, w)), 3, 4, {"palette": rng.integers(0, 256, (16, 3))}),
        "p8": (rng.integers(0, 256, (h, w)), 3, 8, {"palette": rng.integers(0, 256, (256, 3))}),
        "p8_short_palette": (rng.integers(0, 256, (h, w)), 3, 8, {"palette": rng.integers(0, 256, (5, 3))}),
        "p8_trns": (rng.integers(0, 256, (h, w)), 3, 8, {"palette": rng.integers(0, 256, (256, 3)),
                                                         "trns": bytes(range(0, 256, 2))}),
        "p4_trns_one": (rng.integers(0, 16, (h, w)), 3, 4, {"palette": rng.integers(0, 256, (16, 3)),
                                                            "trns": b"\x00"}),
    }
    for name, (a, ct, depth, kw) in cases.items():
        write(p(f"png_{name}.png"), png_bytes(a, ct, depth, **kw))
        write(p(f"png_{name}_interlaced.png"), png_bytes(a, ct, depth, interlace=True, **kw))
    write(p("png_rgb8_sub_filter.png"), png_bytes(rng.integers(0, 256, (9, 13, 3)), 2, 8, filter_type=1))
    for w2, h2 in [(1, 1), (1, 9), (9, 1), (3, 3), (8, 8)]:
        write(p(f"png_rgb8_interlaced_{w2}x{h2}.png"), png_bytes(rng.integers(0, 256, (h2, w2, 3)), 2, 8, interlace=True))
    Image.fromarray(np.array(coffee.resize((80, 60)))).convert("P", palette=Image.ADAPTIVE, colors=37).save(p("png_adaptive_palette.png"))
    # a PNG with no IEND (Pillow does not need it)
    write(p("png_no_iend.png"), png_bytes(rng.integers(0, 256, (7, 5, 3)), 2, 8)[:-12])
    # eXIf after IDAT and XMP orientation in iTXt
    body = png_bytes(rng.integers(0, 256, (11, 7, 3)), 2, 8)
    exif_chunk = png_chunk(b"eXIf", exif_with_orientation(6)[6:])
    write(p("png_exif_after_idat.png"), body[:-12] + exif_chunk + body[-12:])
    xmp = b'<x:xmpmeta><rdf:Description tiff:Orientation="8"/></x:xmpmeta>'
    write(p("png_xmp_orientation.png"),
          png_bytes(rng.integers(0, 256, (11, 7, 3)), 2, 8, extra_chunks=png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp)))

    # WebP: lossy, lossless, alpha, animated.
    wp = chelsea.resize((150, 100), Image.BICUBIC)
    wp.save(p("webp_lossy.webp"), quality=80)
    wp.save(p("webp_lossless.webp"), lossless=True)
    rgba = wp.convert("RGBA")
    alpha = Image.fromarray(ramp(100, 150)[:, :, 0])
    rgba.putalpha(alpha)
    rgba.save(p("webp_lossy_alpha.webp"), quality=80)
    rgba.save(p("webp_lossless_alpha.webp"), lossless=True)
    Image.fromarray(noise(1, 1, 3, 11)).save(p("webp_1x1.webp"), lossless=True)
    Image.fromarray(noise(3, 301, 3, 12)).save(p("webp_301x3.webp"), quality=70)
    frames = [wp, wp.transpose(Image.FLIP_LEFT_RIGHT), wp.rotate(90)]
    frames[0].save(p("webp_animated.webp"), save_all=True, append_images=frames[1:], duration=100, loop=0)

    # GIF: Pillow's own, interlaced, a frame smaller than the screen with and without transparency,
    # local colour tables, short tables, animation (first frame counts).
    gp = coffee.resize((97, 71), Image.BICUBIC)
    gp.convert("P", palette=Image.ADAPTIVE, colors=200).save(p("gif_pillow.gif"))
    gp.convert("P", palette=Image.ADAPTIVE, colors=16).save(p("gif_pillow_interlaced.gif"), interlace=True)
    gp.convert("L").save(p("gif_gray.gif"))
    anim = [gp.convert("P", palette=Image.ADAPTIVE, colors=64), gp.rotate(180).convert("P", palette=Image.ADAPTIVE, colors=64)]
    anim[0].save(p("gif_animated.gif"), save_all=True, append_images=anim[1:], duration=50, loop=0)
    pal = rng.integers(0, 256, (256, 3)).astype(np.uint8)
    idx = rng.integers(0, 256, (40, 30)).astype(np.uint8)
    write(p("gif_full_frame.gif"), gif_bytes((30, 40), [(0, 0, idx, None, None, False)], pal))
    write(p("gif_interlaced_hand.gif"), gif_bytes((30, 40), [(0, 0, idx, None, None, True)], pal))
    write(p("gif_small_frame.gif"), gif_bytes((50, 60), [(7, 5, idx, None, None, False)], pal))
    write(p("gif_small_frame_transparent.gif"), gif_bytes((50, 60), [(7, 5, idx, None, 33, False)], pal))
    write(p("gif_local_palette.gif"), gif_bytes((30, 40), [(0, 0, idx, pal[::-1], None, False)], pal[:4]))
    small_idx = rng.integers(0, 256, (9, 8)).astype(np.uint8)
    write(p("gif_short_palette.gif"), gif_bytes((8, 9), [(0, 0, small_idx, None, None, False)], pal[:4]))
    write(p("gif_no_palette.gif"), gif_bytes((8, 9), [(0, 0, small_idx, None, None, False)], None))
    write(p("gif_frame_outside_screen.gif"), gif_bytes((10, 10), [(4, 6, idx, None, None, False)], pal))
    write(p("gif_interlaced_3rows.gif"), gif_bytes((8, 3), [(0, 0, idx[:3, :8], None, None, True)], pal))

    # BMP: Pillow's (1, 8-bit palette, grey, 24-bit) and hand-made layouts.
    bm = chelsea.resize((67, 45), Image.BICUBIC)
    bm.save(p("bmp_24.bmp"))
    bm.convert("L").save(p("bmp_gray8.bmp"))
    bm.convert("P", palette=Image.ADAPTIVE, colors=100).save(p("bmp_p8.bmp"))
    bm.convert("1").save(p("bmp_1.bmp"))
    a = np.array(bm)
    W, H = a.shape[1], a.shape[0]
    write(p("bmp_32.bmp"), bmp_bytes(bmp_rows(a, 32, W), W, H, 32))
    write(p("bmp_32_bitfields_bgra.bmp"), bmp_bytes(bmp_rows(a, 32, W), W, H, 32, compression=3,
                                                      masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000), header=124))
    write(p("bmp_24_top_down.bmp"), bmp_bytes(bmp_rows(a, 24, W)[::-1], W, H, 24, top_down=True))
    v555 = ((a[..., 0].astype(np.uint16) >> 3) << 10) | ((a[..., 1].astype(np.uint16) >> 3) << 5) | (a[..., 2] >> 3)
    write(p("bmp_16_555.bmp"), bmp_bytes(bmp_rows(v555, 16, W), W, H, 16))
    v565 = ((a[..., 0].astype(np.uint16) >> 3) << 11) | ((a[..., 1].astype(np.uint16) >> 2) << 5) | (a[..., 2] >> 3)
    write(p("bmp_16_565.bmp"), bmp_bytes(bmp_rows(v565, 16, W), W, H, 16, compression=3, masks=(0xF800, 0x7E0, 0x1F)))
    pal16 = rng.integers(0, 256, (16, 3))
    idx4 = rng.integers(0, 16, (H, W))
    write(p("bmp_4.bmp"), bmp_bytes(bmp_rows(idx4, 4, W), W, H, 4, palette=pal16))
    pal256 = rng.integers(0, 256, (256, 3))
    idx8 = rng.integers(0, 256, (H, W))
    write(p("bmp_8_os2.bmp"), bmp_bytes(bmp_rows(idx8, 8, W), W, H, 8, palette=pal256, header=12))
    write(p("bmp_8_short_palette.bmp"), bmp_bytes(bmp_rows(idx8, 8, W), W, H, 8, palette=pal256[:10]))
    runs = np.repeat(rng.integers(0, 256, (H, (W + 4) // 5)), 5, axis=1)[:, :W]
    write(p("bmp_rle8.bmp"), bmp_bytes(rle8_rows(runs), W, H, 8, palette=pal256, compression=1))
    write(p("bmp_rle4.bmp"), bmp_bytes(rle4_rows(idx4), W, H, 4, palette=pal16, compression=2))
    write(p("bmp_1x1.bmp"), bmp_bytes(bmp_rows(a[:1, :1], 24, 1), 1, 1, 24))

    # TIFF: compressions, strips and tiles, planar, depths, modes.
    import tifffile

    tp = coffee.resize((83, 61), Image.BICUBIC)
    t = np.array(tp)
    for comp in [None, "tiff_lzw", "tiff_deflate", "packbits", "jpeg", "tiff_adobe_deflate"]:
        tp.save(p(f"tiff_rgb_{comp or 'raw'}.tif"), compression=comp)
    tp.convert("L").save(p("tiff_gray_lzw.tif"), compression="tiff_lzw")
    tp.convert("1").save(p("tiff_bilevel_group4.tif"), compression="group4")
    tp.convert("1").save(p("tiff_bilevel_raw.tif"))
    tp.convert("P", palette=Image.ADAPTIVE, colors=50).save(p("tiff_palette.tif"))
    tp.convert("CMYK").save(p("tiff_cmyk.tif"))
    tp.convert("RGBA").save(p("tiff_rgba.tif"), compression="tiff_deflate")
    tifffile.imwrite(p("tiff_planar.tif"), t.transpose(2, 0, 1), photometric="rgb", planarconfig="separate")
    tifffile.imwrite(p("tiff_tiled.tif"), t, photometric="rgb", tile=(16, 16), compression="zlib")
    tifffile.imwrite(p("tiff_rgb16.tif"), t.astype(np.uint16) * 257 + 5, photometric="rgb")
    tifffile.imwrite(p("tiff_rgb16_be.tif"), t.astype(np.uint16) * 257 + 5, photometric="rgb", byteorder=">")
    g16 = (np.arange(61 * 83).reshape(61, 83) * 3 % 1000).astype(np.uint16)
    tifffile.imwrite(p("tiff_gray16.tif"), g16, photometric="minisblack")
    tifffile.imwrite(p("tiff_gray16_be.tif"), g16, photometric="minisblack", byteorder=">")
    tifffile.imwrite(p("tiff_gray16_signed.tif"), g16.astype(np.int16) - 300, photometric="minisblack")
    tifffile.imwrite(p("tiff_miniswhite.tif"), t[..., 0], photometric="miniswhite")
    rgba = np.dstack([t, (np.arange(61 * 83).reshape(61, 83) % 256).astype(np.uint8)])
    tifffile.imwrite(p("tiff_rgba_premultiplied.tif"), rgba, photometric="rgb", extrasamples=["assocalpha"])
    tifffile.imwrite(p("tiff_rgba_planar.tif"), rgba.transpose(2, 0, 1), photometric="rgb", planarconfig="separate",
                     extrasamples=["unassalpha"], compression="zlib")
    tifffile.imwrite(p("tiff_cmyk_tifffile.tif"), noise(61, 83, 4, 13), photometric="separated")
    tifffile.imwrite(p("tiff_gray_alpha.tif"), rgba[..., [0, 3]], photometric="minisblack", extrasamples=["unassalpha"])
    cmap = rng.integers(0, 65536, (3, 256)).astype(np.uint16)
    tifffile.imwrite(p("tiff_palette_tifffile.tif"), t[..., 1], photometric="palette", colormap=cmap)
    tifffile.imwrite(p("tiff_strips.tif"), t, photometric="rgb", rowsperstrip=7)
    Image.fromarray(noise(1, 1, 3, 14)).save(p("tiff_1x1.tif"))
    libtiff_write(p("tiff_ycbcr_jpeg_420.tif"), t, 6, 7, (2, 2), jpeg_rgb_input=True)
    libtiff_write(p("tiff_ycbcr_jpeg_422.tif"), t, 6, 7, (2, 1), jpeg_rgb_input=True)
    libtiff_write(p("tiff_ycbcr_lzw.tif"), noise(21, 17, 3, 15), 6, 5, (1, 1))

    make_format_corpus.make_good(out)


def make_bad(out):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)
    rng = np.random.default_rng(20)
    img = Image.fromarray(noise(40, 50, 3, 21))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    jpeg = buf.getvalue()
    prog = io.BytesIO()
    img.save(prog, "JPEG", quality=90, progressive=True)
    prog = prog.getvalue()
    buf = io.BytesIO()
    img.save(buf, "PNG")
    png = buf.getvalue()
    buf = io.BytesIO()
    img.convert("P").save(buf, "GIF")
    gif = buf.getvalue()
    buf = io.BytesIO()
    img.save(buf, "BMP")
    bmp = buf.getvalue()
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=80)
    webp = buf.getvalue()
    buf = io.BytesIO()
    img.save(buf, "TIFF", compression="tiff_lzw")
    tiff = buf.getvalue()

    write(p("empty.jpg"), b"")
    write(p("text.png"), b"this is not an image at all\n" * 3)
    write(p("jpeg_truncated_half.jpg"), jpeg[: len(jpeg) // 2])
    photo_jpeg = io.BytesIO()
    Image.fromarray(astronaut(301, 199)).save(photo_jpeg, "JPEG", quality=85)
    write(p("jpeg_no_eoi.jpg"), photo_jpeg.getvalue()[:-2])
    write(p("jpeg_progressive_no_eoi.jpg"), prog[:-2])
    write(p("jpeg_header_only.jpg"), jpeg[:300])
    write(p("jpeg_soi_only.jpg"), b"\xff\xd8\xff")
    write(p("png_truncated_idat.png"), png[: len(png) * 2 // 3])
    write(p("png_signature_only.png"), png[:8])
    bad_crc = bytearray(png)
    bad_crc[29] ^= 0xFF  # IHDR CRC
    write(p("png_bad_ihdr_crc.png"), bytes(bad_crc))
    write(p("png_zero_width.png"), png_bytes(np.zeros((0, 3), np.uint8), 0, 8)[:33] + png_chunk(b"IEND", b""))
    bomb = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0))
    bomb += png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + png_chunk(b"IEND", b"")
    write(p("png_bomb_20000x20000.png"), bomb)
    corrupt = bytearray(png)
    idat = corrupt.find(b"IDAT")
    for k in range(idat + 8, min(len(corrupt) - 12, idat + 200)):
        corrupt[k] ^= 0x5A
    write(p("png_corrupt_zlib.png"), bytes(corrupt))
    write(p("gif_truncated.gif"), gif[: len(gif) // 2])
    write(p("gif_header_only.gif"), gif[:13])
    write(p("bmp_truncated.bmp"), bmp[: len(bmp) // 2])
    write(p("bmp_header_only.bmp"), bmp[:20])
    write(p("webp_truncated.webp"), webp[: len(webp) // 2])
    write(p("tiff_truncated.tif"), tiff[: len(tiff) // 2])
    write(p("tiff_header_only.tif"), tiff[:8])
    bomb_gif = b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0, 0, 0) + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
    write(p("gif_bomb_65535x65535.gif"), bomb_gif + _gif_lzw(np.zeros(1, np.uint8), 8) + b"\x3b")
    bomb_bmp = bmp_bytes([b"\x00" * 4], 30000, 30000, 24)
    write(p("bmp_bomb_30000x30000.bmp"), bomb_bmp)
    write(p("random_bytes.jpg"), bytes(rng.integers(0, 256, 4096, dtype=np.uint8)))
    # Uncompressed YCbCr: Pillow's raw decoder reads it as 4-byte pixels and runs out of data.
    libtiff_write(p("tiff_ycbcr_uncompressed.tif"), noise(40, 50, 3, 22), 6, 1, (1, 1))
    make_format_corpus.make_bad(out)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    out = sys.argv[1]
    small = "--small" in sys.argv[2:]
    make_good(os.path.join(out, "good"), small)
    make_bad(os.path.join(out, "bad"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
