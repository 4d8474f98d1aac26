"""Files in formats the image layer already decodes, in the corners it used to refuse or misread: APNG
image data in fdAT chunks; DDS in BC6H and BC7; PSD in Lab colour; CIELab TIFF in separate planes; JPEG
whose JFIF or EXIF makes Image.open raise, and their neighbours that it opens.

tests/make_format_corpus.py calls make_good(p) and make_bad(p), p(name) giving the path to write.
"""
import io
import struct
import zlib

import numpy as np
from PIL import Image
from corpus_files import noise as _noise, write as _write


# --- APNG ---------------------------------------------------------------------------------------------

def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_head(w, h, depth=8, colour=2):
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 0))


def _rows(a):
    return zlib.compress(b"".join(b"\0" + r.tobytes() for r in a), 9)


def _adam7_rows(a):
    """The zlib-compressed rows (filter 0) of `a` in Adam7's seven passes."""
    rows = b""
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                           (0, 1, 1, 2)):
        sub = a[y0::dy, x0::dx]
        if sub.shape[0] and sub.shape[1]:
            rows += b"".join(b"\0" + r.tobytes() for r in sub)
    return zlib.compress(rows, 9)


def _actl(frames):
    return _chunk(b"acTL", struct.pack(">II", frames, 0))


def _fctl(seq, w, h, x=0, y=0, dispose=0, blend=0):
    return _chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, w, h, x, y, 1, 10, dispose, blend))


def _fdat(seq, data):
    return _chunk(b"fdAT", struct.pack(">I", seq) + data)


IEND = _chunk(b"IEND", b"")


def _apng_good(p):
    # Image.open's walk stops at the first IDAT or fdAT; an fdAT is chunk_IDAT for the bytes after its
    # sequence number, and load_read takes the data on through IDAT, DDAT and fdAT chunks. Frame 0 is
    # never disposed or blended: it fills its fcTL box of a zeroed picture.
    w, h = 17, 13
    head = _png_head(w, h)
    z = _rows(_noise(h, w, 3, 301))
    z2 = _rows(_noise(h, w, 3, 302))
    _write(p("apng_fdat_first_frame.png"), head + _actl(2) + _fctl(0, w, h) + _fdat(1, z) + _fctl(2, w, h) +
           _fdat(3, z2) + IEND)
    _write(p("apng_fdat_first_frame_split.png"), head + _actl(1) + _fctl(0, w, h) + _fdat(1, z[:25]) +
           _fdat(2, z[25:50]) + _fdat(3, z[50:]) + IEND)
    zsub = _rows(_noise(5, 7, 3, 303))
    _write(p("apng_fdat_first_frame_box.png"), head + _actl(2) + _fctl(0, 7, 5, 3, 2, dispose=2, blend=1) +
           _fdat(1, zsub) + _fctl(2, w, h) + _fdat(3, z2) + IEND)
    _write(p("apng_idat_goes_on_in_fdat.png"), head + _actl(2) + _fctl(0, w, h) + _chunk(b"IDAT", z[:40]) +
           _fdat(1, z[40:]) + _fctl(2, w, h) + _fdat(3, z2) + IEND)
    _write(p("apng_idat_goes_on_in_ddat.png"), head + _chunk(b"IDAT", z[:40]) + _chunk(b"DDAT", z[40:]) + IEND)
    # A palette picture: outside frame 0's box the zeroed picture is palette entry 0.
    pal = bytes(_noise(1, 16, 3, 304).reshape(-1))
    idx = np.random.default_rng(305).integers(0, 16, (4, 6), dtype=np.uint8)
    _write(p("apng_fdat_first_frame_palette_box.png"), _png_head(w, h, 8, 3) + _chunk(b"PLTE", pal) + _actl(1) +
           _fctl(0, 6, 4, 10, 8) + _fdat(1, _rows(idx)) + IEND)
    # Interlaced, the frame's rows land at the top-left corner whatever its fcTL offset (Pillow's ZIP
    # decoder leaves the tile's offset out of its interlaced path).
    ihead = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1))
    sub = _noise(5, 6, 3, 307)
    _write(p("apng_interlaced_first_frame_box.png"), ihead + _actl(2) + _fctl(0, 6, 5, 2, 3) +
           _chunk(b"IDAT", _adam7_rows(sub)) + _fctl(1, w, h) + _fdat(2, _adam7_rows(_noise(h, w, 3, 308))) + IEND)
    _write(p("apng_interlaced_fdat_first_frame_box.png"), ihead + _actl(1) + _fctl(0, 6, 5, 9, 7) +
           _fdat(1, _adam7_rows(sub)) + IEND)
    # As Pillow writes them: the first frame in IDAT, or a default image before the frames.
    frames = [Image.fromarray(_noise(h, w, 3, 306 + i)) for i in range(3)]
    for default_image in (False, True):
        buf = io.BytesIO()
        frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:], default_image=default_image,
                       disposal=[1, 2, 0], blend=[0, 1, 1])
        _write(p(f"apng_pillow_default_image_{int(default_image)}.png"), buf.getvalue())


def _apng_bad(p):
    w, h = 17, 13
    head = _png_head(w, h)
    z = _rows(_noise(h, w, 3, 311))
    # An fdAT before any fcTL, or out of sequence: frame sequence errors.
    _write(p("apng_fdat_first_without_fctl.png"), head + _actl(1) + _fdat(0, z) + IEND)
    _write(p("apng_fdat_first_sequence_error.png"), head + _actl(1) + _fctl(0, w, h) + _fdat(4, z) + IEND)
    _write(p("apng_idat_goes_on_in_fdat_sequence_error.png"), head + _actl(1) + _fctl(0, w, h) +
           _chunk(b"IDAT", z[:40]) + _fdat(7, z[40:]) + IEND)
    # Too short for a sequence number, or cut inside it, or cut before the last row.
    _write(p("apng_fdat_first_short.png"), head + _actl(1) + _fctl(0, w, h) + _chunk(b"fdAT", b"\0\0") + IEND)
    _write(p("apng_fdat_first_cut_in_sequence.png"), head + _actl(1) + _fctl(0, w, h) +
           struct.pack(">I", len(z) + 4) + b"fdAT\0\0")
    _write(p("apng_fdat_first_cut.png"), head + _actl(1) + _fctl(0, w, h) + _fdat(1, z)[: 8 + 4 + len(z) // 2])
    _write(p("apng_idat_goes_on_in_short_fdat.png"), head + _actl(1) + _fctl(0, w, h) + _chunk(b"IDAT", z[:40]) +
           _chunk(b"fdAT", b"\0") + IEND)
    # A default image (IDAT before any fcTL) does not go on past the fcTL of the first frame.
    _write(p("apng_default_image_stops_at_fctl.png"), head + _actl(1) + _chunk(b"IDAT", z[:30]) +
           _fctl(0, w, h) + _fdat(1, z[30:]) + IEND)


# --- DDS in BC6H and BC7 --------------------------------------------------------------------------------

def _dds_dx10(w, h, dxgi, data):
    import make_format_corpus  # noqa: PLC0415 (it imports this module)

    return make_format_corpus._dds(w, h, 4, b"DX10", data=data, dx10=dxgi)


def _bptc_blocks(n, bc7, seed):
    """`n` random 16-byte blocks whose mode bits go through every mode in turn (BC7: the lowest set bit
    of the first byte, none at all once in 9; BC6H: the 5-bit codes, the four reserved ones included)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    bc6_codes = [0, 1] + [2 + 4 * i for i in range(8)] + [3 + 4 * i for i in range(8)]
    for i in range(n):
        if bc7:
            mode = i % 9
            blocks[i, 0] = 0 if mode == 8 else ((int(blocks[i, 0]) << (mode + 1)) | (1 << mode)) & 0xFF
        else:
            code = bc6_codes[i % len(bc6_codes)]
            bits = 2 if code < 2 else 5
            blocks[i, 0] = (int(blocks[i, 0]) & ~((1 << bits) - 1) & 0xFF) | code
    return blocks.tobytes()


def _dds_good(p):
    for w, h in ((16, 16), (13, 10), (3, 2)):
        n = ((w + 3) // 4) * ((h + 3) // 4)
        for dxgi, name in ((95, "bc6h"), (96, "bc6h_signed"), (98, "bc7")):
            _write(p(f"dds_{name}_{w}x{h}.dds"), _dds_dx10(w, h, dxgi, _bptc_blocks(n, dxgi > 96, 400 + dxgi + w)))
    # BC7 typeless and sRGB read as unorm; a second surface (mipmap) is not looked at.
    _write(p("dds_bc7_typeless.dds"), _dds_dx10(8, 8, 97, _bptc_blocks(4, True, 410)))
    _write(p("dds_bc7_srgb_mipmap.dds"), _dds_dx10(8, 8, 99, _bptc_blocks(5, True, 411)))
    # Flat colours as an encoder writes them: BC7 mode 6 with both endpoints equal, BC6H mode 11
    # (10-bit endpoints, no deltas) at 0, the largest value and in between.
    flat7 = bytes([0x40]) + bytes(15)
    _write(p("dds_bc7_flat.dds"), _dds_dx10(4, 4, 98, flat7))
    for value, name in ((0, "zero"), (0x3FF, "max"), (0x155, "mid")):
        bits = 0x3 | (value << 5) | (value << 15) | (value << 25) | (value << 35) | (value << 45) | (value << 55)
        _write(p(f"dds_bc6h_flat_{name}.dds"), _dds_dx10(4, 4, 95, bits.to_bytes(16, "little")))


def _dds_bad(p):
    _write(p("dds_bc7_truncated.dds"), _dds_dx10(13, 10, 98, _bptc_blocks(12, True, 420)[:-3]))
    _write(p("dds_bc6h_truncated.dds"), _dds_dx10(8, 8, 96, _bptc_blocks(3, False, 421)))
    _write(p("dds_bc7_bomb.dds"), _dds_dx10(1 << 17, 1 << 17, 98, bytes(64)))


# --- PSD in Lab colour ----------------------------------------------------------------------------------

def _psd_lab(a, rle=False, channels=None):
    import make_format_corpus as f  # noqa: PLC0415 (it imports this module)

    return f._psd(a.shape[1], a.shape[0], 9, 8, f._psd_planes(a), rle, channels=channels)


def _psd_good(p):
    # Pillow opens Photoshop's Lab (mode 9) as "LAB", each channel's bytes straight into a band, and
    # converts to RGB through LittleCMS (Lab D50 to sRGB).
    lab = _noise(11, 15, 3, 501)
    lab[:, 4:10] = lab[0, 0]  # runs for PackBits
    _write(p("psd_lab_raw.psd"), _psd_lab(lab))
    _write(p("psd_lab_rle.psd"), _psd_lab(lab, rle=True))
    # A fourth channel (alpha) and more are ignored.
    _write(p("psd_lab_alpha.psd"), _psd_lab(_noise(6, 9, 4, 502)))
    _write(p("psd_lab_five_channels.psd"), _psd_lab(_noise(6, 9, 5, 503)))
    # Every corner of the Lab cube, and grey (a = b = 128) from black to white.
    corners = np.array([[[l, a, b] for l in (0, 255) for a in (0, 255) for b in (0, 255)]], dtype=np.uint8)
    _write(p("psd_lab_corners.psd"), _psd_lab(corners))
    grey = np.stack([np.arange(256, dtype=np.uint8), np.full(256, 128, np.uint8), np.full(256, 128, np.uint8)], -1)
    _write(p("psd_lab_grey_ramp.psd"), _psd_lab(grey.reshape(1, 256, 3)))


def _psd_bad(p):
    # PackBits row lengths are read for the three channels Pillow decodes: those of five are misread.
    _write(p("psd_lab_five_channels_rle.psd"), _psd_lab(_noise(6, 9, 5, 503), rle=True))
    _write(p("psd_lab_two_channels.psd"), _psd_lab(_noise(4, 5, 2, 511)))
    _write(p("psd_lab_truncated.psd"), _psd_lab(_noise(8, 9, 3, 512))[:-20])
    _write(p("psd_lab_rle_truncated.psd"), _psd_lab(_noise(8, 9, 3, 513), rle=True)[:-20])


# --- CIELab TIFF in separate planes ---------------------------------------------------------------------

def _tiff_good(p):
    # Pillow reads each plane straight into its band (raw "L", "A", "B" for its own decoder; libtiff's
    # planes copied band by band), without the a/b sign flip of contiguous "LAB".
    import tifffile  # noqa: PLC0415 - Debian's python3-tifffile, as tests/make_image_corpus.py

    planes = np.random.default_rng(601).integers(0, 256, (3, 9, 11), dtype=np.uint8)
    for name, options in (("raw", {}), ("deflate", {"compression": "zlib"}), ("strips", {"rowsperstrip": 2}),
                          ("big_endian", {"byteorder": ">", "compression": "zlib"}),
                          ("tiled", {"tile": (16, 16), "compression": "zlib"})):
        tifffile.imwrite(p(f"tiff_cielab_planar_{name}.tif"), planes, photometric="cielab", planarconfig="separate",
                         **options)


# --- JPEG: JFIF and EXIF that Image.open reads ------------------------------------------------------------

def _jpeg_with(segments):
    """A small JPEG written by Pillow, its JFIF APP0 replaced by `segments` (marker, payload) pairs."""
    buf = io.BytesIO()
    Image.fromarray(_noise(8, 10, 3, 701)).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    assert data[2:4] == b"\xff\xe0"
    rest = data[4 + struct.unpack(">H", data[4:6])[0]:]
    return b"\xff\xd8" + b"".join(struct.pack(">BBH", 0xFF, m, len(d) + 2) + d for m, d in segments) + rest


def _exif(entries):
    """An "Exif" APP1 payload: a little-endian TIFF header and IFD0 with `entries` (tag, type,
    count, value bytes), values over 4 bytes placed after the IFD."""
    at = 8 + 2 + 12 * len(entries) + 4
    ifd, extra = b"", b""
    for tag, typ, count, value in entries:
        if len(value) > 4:
            ifd += struct.pack("<HHII", tag, typ, count, at + len(extra))
            extra += value
        else:
            ifd += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\0")
    return b"Exif\0\0II*\0" + struct.pack("<IH", 8, len(entries)) + ifd + b"\0\0\0\0" + extra


UNIT_INCH = (0x0128, 3, 1, struct.pack("<H", 2))
UNIT_CM = (0x0128, 3, 1, struct.pack("<H", 3))


def _xres(typ, count, value):
    return (0x011A, typ, count, value)


def _xres_files(p, unit, cases):
    """One JPEG per case: EXIF with ResolutionUnit `unit` and the case's XResolution entry."""
    for name, x in cases.items():
        _write(p(f"jpeg_exif_xres_{name}.jpg"), _jpeg_with([(0xE1, _exif([unit, x]))]))


def _jpeg_good(p):
    # JpegImagePlugin.APP reads the JFIF version from 7 bytes; unit and density only when there are 12.
    _write(p("jpeg_jfif_seven_bytes.jpg"), _jpeg_with([(0xE0, b"JFIF\0\1\2")]))
    _write(p("jpeg_jfif_nine_bytes.jpg"), _jpeg_with([(0xE0, b"JFIF\0\1\2\1\0")]))
    _write(p("jpeg_app0_short_not_jfif.jpg"), _jpeg_with([(0xE0, b"JFX")]))
    # Without a JFIF dpi, Image.open looks for one in EXIF: float(x[0]) / x[1] on XResolution, where
    # TypeError, ValueError and ZeroDivisionError are caught.
    _xres_files(p, UNIT_CM, {
        "rational": _xres(5, 1, struct.pack("<II", 300, 1)),
        "rational_zero": _xres(5, 1, struct.pack("<II", 300, 0)),
        "short": _xres(3, 1, struct.pack("<H", 72)),
        "float": _xres(11, 1, struct.pack("<f", float("nan"))),
        "ascii_two_digits": _xres(2, 3, b"72\0"),
        "ascii_letter": _xres(2, 2, b"a\0"),
        "bytes_two": _xres(1, 2, b"\x48\x01"),
        "undefined_zero_divisor": _xres(7, 2, b"\x48\0"),
        "bytes_none": _xres(1, 0, b""),
    })
    odd = _xres(1, 1, b"\x48")
    # Without a ResolutionUnit the lookup stops at KeyError; after a JFIF dpi it is not made.
    _write(p("jpeg_exif_xres_byte_no_unit.jpg"), _jpeg_with([(0xE1, _exif([odd]))]))
    _write(p("jpeg_exif_xres_byte_after_jfif_dpi.jpg"),
           _jpeg_with([(0xE0, b"JFIF\0\1\1\1\0\x48\0\x48\0\0"), (0xE1, _exif([UNIT_INCH, odd]))]))
    # The last of a repeated tag counts.
    _write(p("jpeg_exif_xres_repeated_last_fine.jpg"),
           _jpeg_with([(0xE1, _exif([UNIT_INCH, odd, _xres(3, 1, struct.pack("<H", 72))]))]))


def _jpeg_bad(p):
    # struct.error from the JFIF version, IndexError from the dpi lookup: Image.open tries the other
    # plugins, then "cannot identify image file".
    _write(p("jpeg_jfif_five_bytes.jpg"), _jpeg_with([(0xE0, b"JFIF\0")]))
    _write(p("jpeg_jfif_six_bytes.jpg"), _jpeg_with([(0xE0, b"JFIF\0\1")]))
    _xres_files(p, UNIT_INCH, {
        "byte": _xres(1, 1, b"\x48"),
        "undefined": _xres(7, 1, b"\x48"),
        "ascii_digit": _xres(2, 2, b"7\0"),
        "ascii_digit_no_nul": _xres(2, 1, b"7"),
        "ascii_empty": _xres(2, 1, b"\0"),
    })
    _write(p("jpeg_exif_xres_repeated_last_odd.jpg"),
           _jpeg_with([(0xE1, _exif([UNIT_INCH, _xres(3, 1, struct.pack("<H", 72)), _xres(2, 1, b"\0")]))]))


def make_good(p):
    _apng_good(p)
    _dds_good(p)
    _psd_good(p)
    _tiff_good(p)
    _jpeg_good(p)


def make_bad(p):
    _apng_bad(p)
    _dds_bad(p)
    _psd_bad(p)
    _jpeg_bad(p)
