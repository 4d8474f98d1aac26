"""Rarer raster formats for the image corpus, written by Pillow 9.4 where it can (BLP's palette modes) and
byte by byte otherwise: FLI/FLC first frames with every chunk the first frame may use; BLP1 (JPEG,
palette) and BLP2 (palette, DXT1/3/5, with and without alpha, sizes off the block grid); truncated and
hostile files.

tests/make_format_corpus.py calls make_good(p) and make_bad(p), p(name) giving the path to write.
"""
import io
import struct

import numpy as np
from PIL import Image
from corpus_files import write as _write


def _noise(n, seed, high=256):
    return bytes(np.random.default_rng(seed).integers(0, high, n, dtype=np.uint8))


# FLI/FLC: a 128-byte header, then frames of subchunks.

def _fli_chunk(kind, data):
    return struct.pack("<IH", 6 + len(data), kind) + data


def _fli_frame(chunks, size_delta=0):
    body = b"".join(chunks)
    return struct.pack("<IHH8x", 16 + len(body) + size_delta, 0xF1FA, len(chunks)) + body


def _fli(width, height, frames, magic=0xAF12, flags=3):
    body = b"".join(frames)
    header = struct.pack("<IHHHHHHI", 128 + len(body), magic, len(frames), width, height, 8, flags, 5)
    return header.ljust(128, b"\0") + body


def _fli_palette(packets, shift_bits=8):
    """COLOR256 (shift_bits 8) or COLOR (6) data: packets of (skip, colours)."""
    out = struct.pack("<H", len(packets))
    for skip, colours in packets:
        out += bytes([skip, len(colours) // 3 % 256]) + bytes(colours)
    return out


def _fli_palette_chunk(packets, kind=4):
    return _fli_chunk(kind, _fli_palette(packets))


def _brun(width, height, seed):
    """BRUN lines mixing runs and literal copies."""
    rng = np.random.default_rng(seed)
    out = b""
    for _ in range(height):
        line, x = b"", 0
        while x < width:
            n = int(rng.integers(1, min(width - x, 20) + 1))
            if rng.integers(0, 2):
                line += bytes([n, int(rng.integers(0, 256))])
            else:
                line += bytes([256 - n]) + bytes(rng.integers(0, 256, n, dtype=np.uint8))
            x += n
        out += b"\0" + line
    return out


def _lc(first, lines, width, seed):
    rng = np.random.default_rng(seed)
    out = struct.pack("<HH", first, len(lines))
    for packets in lines:
        out += bytes([len(packets)])
        for skip, kind, n in packets:
            if kind == "run":
                out += bytes([skip, 256 - n, int(rng.integers(0, 256))])
            else:
                out += bytes([skip, n]) + bytes(rng.integers(0, 256, n, dtype=np.uint8))
    return out


def _ss2(lines, seed):
    """lines: (flag words, packets); packets of (skip, 'run'|'copy', word count)."""
    rng = np.random.default_rng(seed)
    out = struct.pack("<H", len(lines))
    for flags, packets in lines:
        for word in flags:
            out += struct.pack("<H", word)
        out += struct.pack("<H", len(packets))
        for skip, kind, n in packets:
            if kind == "run":
                out += bytes([skip, 256 - n]) + bytes(rng.integers(0, 256, 2, dtype=np.uint8))
            else:
                out += bytes([skip, n]) + bytes(rng.integers(0, 256, 2 * n, dtype=np.uint8))
    return out


def _colours(n, seed, high=256):
    return list(_noise(3 * n, seed, high))


def _fli_good(p):
    w, h = 37, 23
    palette = _fli_palette_chunk([(0, _colours(256, 1))])
    _write(p("fli_brun.flc"), _fli(w, h, [_fli_frame([palette, _fli_chunk(15, _brun(w, h, 2))])]))
    # FLI's 6-bit COLOR chunk, shifted left by 2 (values over 63 lose their high bits), and skips.
    colour = _fli_palette_chunk([(3, _colours(40, 3, 64)), (10, _colours(20, 4, 256))], kind=11)
    lc = _lc(2, [[(1, "copy", 5), (2, "run", 7)], [], [(0, "run", 6), (1, "copy", 13)]], 20, 5)
    _write(p("fli_colour_lc.fli"), _fli(20, 9, [_fli_frame([colour, _fli_chunk(12, lc)])], magic=0xAF11, flags=0))
    ss2 = _ss2([((0xFFFE,), [(0, "copy", 3), (1, "run", 4)]),  # skip 2 lines first
                ((0x8000 | 0x5A,), [(2, "run", 2)]),  # odd width: the last pixel from the flag word
                ((), [(0, "copy", 9)])], 6)
    _write(p("fli_black_ss2.flc"), _fli(19, 8, [_fli_frame([palette, _fli_chunk(13, b""), _fli_chunk(7, ss2)])]))
    copy = _fli_chunk(16, _noise(w * h, 7))
    _write(p("fli_copy_two_frames.flc"),
           _fli(w, h, [_fli_frame([palette, _fli_chunk(18, b"stamp"), copy]), _fli_frame([_fli_chunk(13, b"")])]))
    # A palette of 256 colours written as count 0, then one packet past a gap: unset entries stay grey.
    _write(p("fli_palette_count_zero.flc"),
           _fli(8, 4, [_fli_frame([_fli_palette_chunk([(0, _colours(256, 8))]), _fli_chunk(16, _noise(32, 9))])]))
    _write(p("fli_partial_palette.flc"),
           _fli(8, 4, [_fli_frame([_fli_palette_chunk([(100, _colours(10, 10))]), _fli_chunk(16, _noise(32, 11))])]))
    _write(p("fli_no_palette.flc"), _fli(8, 4, [_fli_frame([_fli_chunk(16, _noise(32, 12))])]))
    # The palette after another chunk, and a frame with no chunks at all (palette entry 0 everywhere).
    _write(p("fli_palette_second.flc"),
           _fli(8, 4, [_fli_frame([_fli_chunk(16, _noise(32, 13)), _fli_palette_chunk([(0, _colours(256, 14))])])]))
    _write(p("fli_no_chunks.flc"), _fli(5, 3, [_fli_frame([])]))


def _fli_bad(p):
    palette = _fli_palette_chunk([(0, _colours(256, 1))])
    copy = _fli_chunk(16, _noise(32, 2))
    # The frame says it is longer than the file: the decoder waits for the rest.
    _write(p("fli_frame_size_past_end.flc"), _fli(8, 4, [_fli_frame([palette, copy], size_delta=1000)]))
    stuck = bytearray(_fli(8, 4, [_fli_frame([palette, copy])]))
    stuck[128 + 16:128 + 20] = b"\0\0\0\0"
    _write(p("fli_chunk_size_zero.flc"), bytes(stuck))
    # An LC chunk whose lines outnumber its data: the frame ends right after the first line's count.
    _write(p("fli_lc_lines_past_data.flc"),
           _fli(8, 4, [_fli_frame([palette, _fli_chunk(12, struct.pack("<HH", 0, 3) + b"\0")])]))
    _write(p("fli_unknown_chunk.flc"), _fli(8, 4, [_fli_frame([palette, _fli_chunk(99, b"xx")])]))
    # Cut inside frame 1's header, after its type: Pillow's _open cannot read the subchunk count.
    _write(p("fli_cut_in_frame_header.flc"), _fli(8, 4, [_fli_frame([palette, copy])])[:134])
    _write(p("fli_brun_short_line.flc"), _fli(8, 4, [_fli_frame([palette, _fli_chunk(15, b"\0\x05\x01" * 4)])]))
    _write(p("fli_brun_cut.flc"), _fli(8, 4, [_fli_frame([palette, _fli_chunk(15, _brun(8, 4, 3)[:-3])])]))
    lc = _lc(2, [[(1, "copy", 5)], [(0, "run", 30)]], 8, 4)
    _write(p("fli_lc_overruns_width.flc"), _fli(8, 4, [_fli_frame([palette, _fli_chunk(12, lc)])]))
    _write(p("fli_lc_past_height.flc"), _fli(8, 4, [_fli_frame([palette, _fli_chunk(12, _lc(3, [[], []], 8, 5))])]))
    ss2 = _ss2([((0xFFF0,), [(0, "copy", 1)])], 6)
    _write(p("fli_ss2_skip_past_height.flc"), _fli(8, 4, [_fli_frame([palette, _fli_chunk(7, ss2)])]))
    _write(p("fli_ss2_too_many_lines.flc"),
           _fli(8, 2, [_fli_frame([palette, _fli_chunk(7, _ss2([((), [])] * 3, 7))])]))
    _write(p("fli_copy_short.flc"), _fli(8, 4, [_fli_frame([palette, _fli_chunk(16, _noise(20, 8))])]))
    _write(p("fli_prefix_chunk.flc"),
           _fli(8, 4, [struct.pack("<IH10x", 16, 0xF100), _fli_frame([palette, copy])]))
    _write(p("fli_palette_past_255.flc"), _fli(8, 4, [_fli_frame([_fli_palette_chunk([(250, _colours(10, 9))]), copy])]))
    cut = _fli(8, 4, [_fli_frame([_fli_palette_chunk([(0, _colours(256, 10))]), copy])])
    _write(p("fli_palette_cut_mid_colour.flc"), cut[:128 + 16 + 6 + 2 + 2 + 100])
    _write(p("fli_header_only.flc"), cut[:128])
    _write(p("fli_frame_header_cut.flc"), cut[:134])
    _write(p("fli_bomb.flc"), _fli(65535, 65535, [_fli_frame([_fli_chunk(13, b"")])]))
    zero = bytearray(_fli(8, 4, [_fli_frame([palette, copy])]))
    zero[128:132] = b"\0\0\0\0"
    _write(p("fli_frame_size_zero.flc"), bytes(zero))
    big = bytearray(_fli(8, 4, [_fli_frame([palette, copy])]))
    big[128 + 16:128 + 20] = struct.pack("<I", 0x7FFFFFF0)
    _write(p("fli_chunk_size_past_frame.flc"), bytes(big))


# BLP: a 20-byte header (BLP1: 28), 16 mipmap offsets and 16 lengths, a 256-entry BGRA palette.

def _blp(version, compression, encoding, alpha_depth, alpha_encoding, width, height, payload, palette=None,
         blp1_encoding=5, offset=None, length=None, jpeg_header=None):
    head = b"BLP" + version + struct.pack("<iBBBBII", compression, encoding, alpha_depth, alpha_encoding, 0, width,
                                          height)
    if version == b"1":
        head += struct.pack("<ii", blp1_encoding, 0)
    table = len(head) + 128
    if jpeg_header is not None:
        start = table + 4 + len(jpeg_header)
        body = struct.pack("<I", len(jpeg_header)) + jpeg_header
    else:
        pal = palette if palette is not None else _noise(1024, width * 7 + height)
        start = table + len(pal)
        body = pal
    offsets = struct.pack("<16I", start if offset is None else offset, *([0] * 15))
    lengths = struct.pack("<16I", len(payload) if length is None else length, *([0] * 15))
    return head + offsets + lengths + body + payload


def _blp_saved(im, version):
    out = io.BytesIO()
    im.save(out, "BLP", blp_version=version)
    return out.getvalue()


def _blp_good(p):
    rgb = Image.fromarray(np.random.default_rng(20).integers(0, 256, (19, 23, 3), dtype=np.uint8))
    paletted = rgb.quantize(64)
    _write(p("blp2_palette.blp"), _blp_saved(paletted, "BLP2"))
    _write(p("blp1_palette.blp"), _blp_saved(paletted, "BLP1"))
    rgba = Image.fromarray(np.random.default_rng(21).integers(0, 256, (9, 13, 4), dtype=np.uint8), "RGBA")
    _write(p("blp2_palette_rgba.blp"), _blp_saved(rgba.quantize(32, method=Image.Quantize.FASTOCTREE), "BLP2"))
    for w, h in ((16, 8), (13, 7)):
        blocks = lambda size: _noise(((w + 3) // 4) * ((h + 3) // 4) * size, w * h + size)  # noqa: E731
        _write(p(f"blp2_dxt1_{w}x{h}.blp"), _blp(b"2", 1, 2, 0, 0, w, h, blocks(8)))
        _write(p(f"blp2_dxt1_alpha_{w}x{h}.blp"), _blp(b"2", 1, 2, 1, 0, w, h, blocks(8)))
        _write(p(f"blp2_dxt3_{w}x{h}.blp"), _blp(b"2", 1, 2, 8, 1, w, h, blocks(16)))
        _write(p(f"blp2_dxt5_{w}x{h}.blp"), _blp(b"2", 1, 2, 8, 7, w, h, blocks(16)))
        # No alpha depth: Pillow reads the four-byte DXT3/DXT5 pixels as RGB, askew.
        _write(p(f"blp2_dxt3_no_alpha_{w}x{h}.blp"), _blp(b"2", 1, 2, 0, 1, w, h, blocks(16)))
        _write(p(f"blp2_dxt5_no_alpha_{w}x{h}.blp"), _blp(b"2", 1, 2, 0, 7, w, h, blocks(16)))
    # BLP1 JPEG: a shared header (the JPEG up to its scan) and the mipmap's own bytes; Pillow swaps red
    # and blue. A smaller header size is allowed: the rest goes with the mipmap.
    buf = io.BytesIO()
    rgb.save(buf, "JPEG", quality=85)
    jpeg = buf.getvalue()
    sos = jpeg.index(b"\xff\xda")
    _write(p("blp1_jpeg.blp"), _blp(b"1", 0, 0, 0, 0, 23, 19, jpeg[sos:], jpeg_header=jpeg[:sos]))
    _write(p("blp1_jpeg_gap.blp"), _blp_jpeg_gap(jpeg, sos))
    # The JPEG is larger than the header's size: its bytes fill the smaller image row after row.
    _write(p("blp1_jpeg_smaller_header_size.blp"), _blp(b"1", 0, 0, 0, 0, 10, 7, jpeg[sos:], jpeg_header=jpeg[:sos]))
    grey = io.BytesIO()
    rgb.convert("L").save(grey, "JPEG", quality=90)
    g = grey.getvalue()
    gs = g.index(b"\xff\xda")
    _write(p("blp1_jpeg_grey.blp"), _blp(b"1", 0, 0, 0, 0, 23, 19, g[gs:], jpeg_header=g[:gs]))
    # A CMYK JPEG: Pillow passes its decoder "CMYK" as the JPEG colour space, which reads as usual.
    cmyk = io.BytesIO()
    Image.fromarray(np.random.default_rng(23).integers(0, 256, (9, 11, 4), dtype=np.uint8), "CMYK").save(
        cmyk, "JPEG", quality=90)
    c = cmyk.getvalue()
    cs = c.index(b"\xff\xda")
    _write(p("blp1_jpeg_cmyk.blp"), _blp(b"1", 0, 0, 0, 0, 11, 9, c[cs:], jpeg_header=c[:cs]))
    # More palette indices than pixels: the rest is ignored.
    _write(p("blp2_palette_long.blp"), _blp(b"2", 1, 1, 0, 0, 5, 3, _noise(40, 22)))


def _blp_jpeg_gap(jpeg, sos):
    """BLP1 JPEG whose mipmap starts 4 bytes after the header: Pillow skips the gap."""
    blob = _blp(b"1", 0, 0, 0, 0, 23, 19, b"gap!" + jpeg[sos:], jpeg_header=jpeg[:sos])
    start = 28 + 128 + 4 + sos
    out = bytearray(blob)
    out[28:32] = struct.pack("<I", start + 4)
    out[92:96] = struct.pack("<I", len(jpeg) - sos)
    return bytes(out)


def _blp_bad(p):
    w, h = 16, 8
    dxt1 = _noise(4 * 2 * 8, 30)
    _write(p("blp2_dxt1_cut.blp"), _blp(b"2", 1, 2, 0, 0, w, h, dxt1)[:-5])
    _write(p("blp2_dxt_unknown_alpha_encoding.blp"), _blp(b"2", 1, 2, 0, 3, w, h, dxt1))
    _write(p("blp2_raw_bgra.blp"), _blp(b"2", 1, 3, 0, 0, w, h, _noise(w * h * 4, 31)))
    _write(p("blp2_jpeg.blp"), _blp(b"2", 0, 0, 0, 0, w, h, dxt1))
    _write(p("blp2_palette_short.blp"), _blp(b"2", 1, 1, 0, 0, w, h, _noise(w * h - 1, 32)))
    _write(p("blp2_palette_length_past_end.blp"), _blp(b"2", 1, 1, 0, 0, w, h, _noise(w * h, 33), length=1 << 30))
    _write(p("blp2_offset_past_end.blp"), _blp(b"2", 1, 1, 0, 0, w, h, _noise(w * h, 34), offset=1 << 30))
    _write(p("blp2_palette_cut.blp"), _blp(b"2", 1, 1, 0, 0, w, h, b"")[:148 + 500])
    _write(p("blp1_unknown_encoding.blp"), _blp(b"1", 1, 0, 0, 0, w, h, _noise(w * h, 35), blp1_encoding=3))
    _write(p("blp1_unknown_compression.blp"), _blp(b"1", 2, 0, 0, 0, w, h, _noise(w * h, 36)))
    _write(p("blp1_jpeg_not_jpeg.blp"), _blp(b"1", 0, 0, 0, 0, w, h, _noise(300, 37), jpeg_header=b"\xff\xd8"))
    # Alpha depth set on a JPEG BLP1: RGBA rows need more bytes than the JPEG's RGB holds.
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (10, 200, 30)).save(buf, "JPEG")
    jpeg = buf.getvalue()
    _write(p("blp1_jpeg_alpha.blp"), _blp(b"1", 0, 0, 8, 0, w, h, jpeg[2:], jpeg_header=jpeg[:2]))
    _write(p("blp1_jpeg_larger_than_picture.blp"), _blp(b"1", 0, 0, 0, 0, w, h + 1, jpeg[2:], jpeg_header=jpeg[:2]))
    _write(p("blp_header_only.blp"), b"BLP2" + bytes(12))
    _write(p("blp_bomb.blp"), _blp(b"2", 1, 2, 0, 0, 1 << 20, 1 << 20, dxt1))


# FTEX: magic, version, size, mipmap and format counts, then (format, offset) and at the offset the mipmap's
# size and bytes.

def _ftex(width, height, fmt, data, size=None, formats=1, where=None, gap=b""):
    where = 32 + len(gap) if where is None else where
    head = b"FTEX" + struct.pack("<7i", 1, width, height, 1, formats, fmt, where)
    return head + gap + struct.pack("<i", len(data) if size is None else size) + data


def _ftex_good(p):
    for w, h in ((16, 12), (13, 6)):
        blocks = _noise(((w + 3) // 4) * ((h + 3) // 4) * 8, 40 + w)
        _write(p(f"ftex_dxt1_{w}x{h}.ftc"), _ftex(w, h, 0, blocks))
        _write(p(f"ftex_raw_{w}x{h}.ftu"), _ftex(w, h, 1, _noise(w * h * 3, 41 + w), gap=b"pad!"))
    # A size of -1 reads to the end; a longer one is cut to what the picture needs.
    _write(p("ftex_raw_negative_size.ftu"), _ftex(5, 4, 1, _noise(60, 42), size=-1))
    _write(p("ftex_raw_long_size.ftu"), _ftex(5, 4, 1, _noise(70, 43), size=1 << 30))


def _ftex_bad(p):
    _write(p("ftex_raw_size_minus_two.ftu"), _ftex(5, 4, 1, _noise(60, 52), size=-2))
    _write(p("ftex_raw_cut.ftu"), _ftex(5, 4, 1, _noise(59, 44)))
    _write(p("ftex_dxt1_cut.ftc"), _ftex(8, 8, 0, _noise(31, 45)))
    _write(p("ftex_size_short.ftu"), _ftex(5, 4, 1, _noise(60, 46), size=30))
    _write(p("ftex_two_formats.ftu"), _ftex(5, 4, 1, _noise(60, 47), formats=2))
    _write(p("ftex_unknown_format.ftu"), _ftex(5, 4, 7, _noise(60, 48)))
    _write(p("ftex_offset_past_end.ftu"), _ftex(5, 4, 1, _noise(60, 49), where=1 << 20))
    _write(p("ftex_offset_negative.ftu"), _ftex(5, 4, 1, _noise(60, 50), where=-8))
    _write(p("ftex_header_cut.ftu"), _ftex(5, 4, 1, b"")[:20])
    _write(p("ftex_bomb.ftc"), _ftex(1 << 16, 1 << 16, 0, _noise(64, 51)))


# GIMP brush: big-endian header size, version, width, height, depth ("GIMP" and spacing in version 2),
# a NUL-terminated name, then the pixels.

def _gbr(version, width, height, depth, pixels, name=b"brush\0", header_size=None):
    fixed = 20 if version == 1 else 28
    size = fixed + len(name) if header_size is None else header_size
    head = struct.pack(">5I", size, version, width, height, depth)
    if version == 2:
        head += b"GIMP" + struct.pack(">I", 25)
    return head + name + pixels


def _gbr_good(p):
    _write(p("gbr_v1_l.gbr"), _gbr(1, 11, 7, 1, _noise(77, 60)))
    _write(p("gbr_v2_l.gbr"), _gbr(2, 9, 13, 1, _noise(117, 61)))
    _write(p("gbr_v2_rgba.gbr"), _gbr(2, 10, 6, 4, _noise(240, 62)))
    _write(p("gbr_v2_no_name.gbr"), _gbr(2, 3, 2, 4, _noise(24, 63), name=b""))
    _write(p("gbr_v1_trailing.gbr"), _gbr(1, 4, 4, 1, _noise(40, 64)))


def _gbr_bad(p):
    _write(p("gbr_v2_cut.gbr"), _gbr(2, 10, 6, 4, _noise(239, 65)))
    _write(p("gbr_v2_short_header.gbr"), _gbr(2, 3, 2, 1, _noise(6, 66), header_size=24))
    _write(p("gbr_header_past_end.gbr"), _gbr(1, 3, 2, 1, _noise(6, 67), header_size=1000))
    _write(p("gbr_bomb.gbr"), _gbr(2, 1 << 16, 1 << 16, 4, _noise(16, 68)))
    # Not a brush at all, as Pillow's checks go: depth 3, zero width, a version 2 without "GIMP".
    _write(p("gbr_depth_3.gbr"), _gbr(1, 3, 2, 3, _noise(18, 69)))
    _write(p("gbr_zero_width.gbr"), _gbr(1, 0, 2, 1, _noise(18, 70)))
    _write(p("gbr_v2_no_magic.gbr"), _gbr(1, 3, 2, 1, _noise(18, 71))[:4] + struct.pack(">I", 2) +
           _gbr(1, 3, 2, 1, _noise(18, 71))[8:])


# SPIDER: a header of float fields (1-based: 2 rows, 5 iform, 12 columns, 13 header records, 22 header
# bytes, 23 record bytes, 24 stack flag, 27 image number), then float pixels.

def _spider(width, height, pixels, big=True, iform=1, istack=0, imgnumber=0, record=None, fields=None):
    lenbyt = record or max(width * 4, 108)
    labrec = -(-1024 // lenbyt)
    h = [0.0] * (labrec * lenbyt // 4 + 1)
    h[1], h[2], h[5], h[12], h[13], h[22], h[23] = 1, height, iform, width, labrec, labrec * lenbyt, lenbyt
    h[24], h[27] = istack, imgnumber
    for k, v in (fields or {}).items():
        h[k] = v
    order = ">" if big else "<"
    header = struct.pack(f"{order}{len(h) - 1}f", *h[1:])
    return header + np.asarray(pixels, dtype=f"{order}f4").tobytes()


def _spider_pixels(n, seed):
    return np.random.default_rng(seed).uniform(-40, 300, n).astype(np.float32)


def _spider_good(p):
    im = Image.fromarray(_spider_pixels(7 * 13, 80).reshape(7, 13), "F")
    im.save(p("spider_pillow.spi"), "SPIDER")
    _write(p("spider_big_endian.spi"), _spider(11, 6, _spider_pixels(66, 81)))
    _write(p("spider_little_endian.spi"), _spider(9, 5, _spider_pixels(45, 82), big=False))
    special = _spider_pixels(12, 83)
    special[:6] = [np.nan, np.inf, -np.inf, 0.999, 254.999, 255.0]
    _write(p("spider_nan_inf.spi"), _spider(4, 3, special))
    # A stack: the stack's header, then the first image's own header and pixels.
    one = _spider(5, 4, _spider_pixels(20, 84), istack=2)
    header = len(one) - 80
    _write(p("spider_stack.spi"), one[:header] + one[:header] + one[header:])


def _spider_bad(p):
    _write(p("spider_cut.spi"), _spider(11, 6, _spider_pixels(65, 85)))
    _write(p("spider_image_in_stack.spi"), _spider(4, 3, _spider_pixels(12, 86), imgnumber=2))
    _write(p("spider_volume.spi"), _spider(4, 3, _spider_pixels(12, 87), iform=3))
    _write(p("spider_bomb.spi"), _spider(1 << 16, 1 << 16, _spider_pixels(12, 88)))
    _write(p("spider_header_cut.spi"), _spider(4, 3, _spider_pixels(12, 89))[:100])
    _write(p("spider_bad_record_product.spi"), _spider(4, 3, _spider_pixels(12, 90), fields={22: 1000.0}))


# FITS: 80-byte cards up to END, padded to 2880 bytes, then the samples.

def _fits(cards, data, simple=b"T"):
    text = b"SIMPLE  = " + simple.rjust(20)
    text = text.ljust(80)
    for key, value in cards:
        text += (key.ljust(8) + b"= " + value.rjust(20)).ljust(80)
    text += b"END".ljust(80)
    return text.ljust(-(-len(text) // 2880) * 2880) + data


def _fits_image(bitpix, width, height, data, naxis=2):
    cards = [(b"BITPIX", b"%d" % bitpix), (b"NAXIS", b"%d" % naxis), (b"NAXIS1", b"%d" % width)]
    if naxis > 1:
        cards.append((b"NAXIS2", b"%d" % height))
    return _fits(cards, data)


def _fits_good(p):
    rng = np.random.default_rng(100)
    _write(p("fits_8bit.fits"), _fits_image(8, 13, 7, _noise(91, 101)))
    # Pillow 9.4 reads 16-bit data as 32-bit little-endian samples; 32-bit likewise, clipped.
    _write(p("fits_16bit.fits"), _fits_image(16, 6, 5, _noise(120, 102)))
    _write(p("fits_32bit.fits"), _fits_image(32, 5, 4, rng.integers(-300, 600, 20, dtype="<i4").tobytes()))
    _write(p("fits_float.fits"), _fits_image(-32, 6, 3, rng.uniform(-50, 300, 18).astype("<f4").tobytes()))
    _write(p("fits_double.fits"), _fits_image(-64, 4, 3, rng.uniform(-50, 300, 12).astype("<f4").tobytes()))
    _write(p("fits_one_axis.fits"), _fits_image(8, 9, 0, _noise(9, 103), naxis=1))
    _write(p("fits_three_axes.fits"), _fits_image(8, 5, 4, _noise(60, 104), naxis=3))


def _fits_bad(p):
    _write(p("fits_cut.fits"), _fits_image(8, 13, 7, _noise(90, 105)))
    _write(p("fits_no_axes.fits"), _fits_image(8, 13, 7, b"", naxis=0))
    _write(p("fits_bitpix_12.fits"), _fits_image(12, 3, 3, _noise(9, 106)))
    _write(p("fits_no_end.fits"), _fits_image(8, 3, 3, b"")[:400])
    _write(p("fits_comment_after_t.fits"), _fits([(b"BITPIX", b"8"), (b"NAXIS", b"2"), (b"NAXIS1", b"3"),
                                                 (b"NAXIS2", b"3")], _noise(9, 107), simple=b"T / standard"))
    _write(p("fits_naxis_comment.fits"), _fits([(b"BITPIX", b"8"), (b"NAXIS", b"2 / two"), (b"NAXIS1", b"3"),
                                               (b"NAXIS2", b"3")], _noise(9, 108)))
    _write(p("fits_bomb.fits"), _fits_image(8, 1 << 20, 1 << 20, _noise(9, 109)))


# IM Tools: "key value" lines, a form feed, grey pixels.

def _imt(lines, pixels):
    return b"".join(line + b"\n" for line in lines) + b"\x0c" + pixels


def _imt_good(p):
    _write(p("imt_grey.imt"), _imt([b"width 13", b"height 7", b"pixel n8"], _noise(91, 110)))
    _write(p("imt_comments.imt"), _imt([b"* made by hand", b"pixel n8", b"height 4", b"width 5", b"name x"],
                                       _noise(25, 111)))


def _imt_bad(p):
    _write(p("imt_cut.imt"), _imt([b"width 13", b"height 7", b"pixel n8"], _noise(90, 112)))
    _write(p("imt_bad_width.imt"), _imt([b"width 1x3", b"height 7", b"pixel n8"], _noise(91, 113)))
    _write(p("imt_no_form_feed.imt"), b"width 3\nheight 3\npixel n8\n" + _noise(9, 114))
    _write(p("imt_not_grey.imt"), _imt([b"width 3", b"height 3", b"pixel n16"], _noise(18, 115)))
    _write(p("imt_bomb.imt"), _imt([b"width 100000", b"height 100000", b"pixel n8"], _noise(9, 116)))


# McIdas area: a 256-byte directory of big-endian words (1-based: 9 lines, 10 elements, 11 bytes per
# element, 14 bands, 15 line prefix, 34 data offset), then rows.

def _mcidas(width, height, depth, data, prefix=0, bands=1, offset=256):
    w = [0] * 65
    w[2], w[9], w[10], w[11], w[14], w[15], w[34] = 4, height, width, depth, bands, prefix, offset
    return struct.pack(">64i", *w[1:]) + data


def _mcidas_good(p):
    _write(p("mcidas_8bit.area"), _mcidas(13, 7, 1, _noise(91, 120)))
    _write(p("mcidas_16bit.area"), _mcidas(6, 5, 2, struct.pack(">30H", *range(0, 600, 20))))
    _write(p("mcidas_32bit.area"), _mcidas(5, 4, 4, struct.pack(">20i", *range(-500, 500, 50))))
    # A 4-byte prefix before each row: the stride takes it in, the last row's padding is not needed.
    rows = b"".join(b"pfx!" + _noise(9, 121 + y) for y in range(5))
    _write(p("mcidas_8bit_prefix.area"), _mcidas(9, 5, 1, rows, prefix=4))
    rows16 = b"".join(b"pfx!" + _noise(8, 130 + y) for y in range(3))
    _write(p("mcidas_16bit_prefix.area"), _mcidas(4, 3, 2, rows16, prefix=4))


def _mcidas_bad(p):
    _write(p("mcidas_cut.area"), _mcidas(13, 7, 1, _noise(90, 122)))
    _write(p("mcidas_16bit_cut.area"), _mcidas(6, 5, 2, _noise(59, 123)))
    _write(p("mcidas_depth_3.area"), _mcidas(4, 4, 3, _noise(48, 124)))
    _write(p("mcidas_directory_cut.area"), _mcidas(4, 4, 1, b"")[:200])
    _write(p("mcidas_bomb.area"), _mcidas(1 << 20, 1 << 20, 1, _noise(16, 125)))


# PIXAR: a 512-byte header (size at 416/418, channels and depth at 424/426), pixels from 1024.

def _pixar(width, height, data, channels=14, depth=2):
    head = bytearray(1024)
    head[:4] = b"\x80\xe8\x00\x00"
    struct.pack_into("<HH", head, 416, height, width)
    struct.pack_into("<HH", head, 424, channels, depth)
    return bytes(head) + data


def _pixar_good(p):
    _write(p("pixar_rgb.pxr"), _pixar(13, 7, _noise(273, 140)))


def _pixar_bad(p):
    _write(p("pixar_cut.pxr"), _pixar(13, 7, _noise(272, 141)))
    _write(p("pixar_other_layout.pxr"), _pixar(4, 4, _noise(48, 142), channels=15))
    _write(p("pixar_header_cut.pxr"), _pixar(4, 4, b"")[:300])


# XV thumbnail: "P7 332", comment lines, a size line, then 3-3-2 palette indices.

def _xv(header, pixels):
    return b"P7 332\n" + header + pixels


def _xv_good(p):
    _write(p("xvthumb.xv"), _xv(b"#XVVERSION:Version 3.10a\n#END_OF_COMMENTS\n13 7 255\n", _noise(91, 150)))
    _write(p("xvthumb_no_comments.xv"), _xv(b"5 4 255\n", _noise(20, 151)))


def _xv_bad(p):
    _write(p("xvthumb_cut.xv"), _xv(b"13 7 255\n", _noise(90, 152)))
    _write(p("xvthumb_no_size.xv"), _xv(b"#only comments\n", b""))
    _write(p("xvthumb_bad_size.xv"), _xv(b"13 x7 255\n", _noise(91, 153)))


# Photo CD: "PCD_" at 2048, the orientation at 2048 + 1538, the 768x512 base image at 96 * 2048 as pairs of
# luma rows followed by half-width Cb and Cr rows.

def _pcd(pixels, orientation=0):
    head = bytearray(96 * 2048)
    head[2048:2052] = b"PCD_"
    head[2048 + 1538] = orientation
    return bytes(head) + pixels


def _pcd_good(p):
    _write(p("pcd_noise.pcd"), _pcd(_noise(256 * 2304, 170)))
    # Smooth luma and chroma ramps, as a photograph has them.
    pairs = []
    for k in range(256):
        luma = bytes((x // 3 + k) % 256 for x in range(768))
        cb, cr = bytes((x + k) % 256 for x in range(384)), bytes((2 * x - k) % 256 for x in range(384))
        pairs.append(luma + luma + cb + cr)
    _write(p("pcd_ramps.pcd"), _pcd(b"".join(pairs)))


def _pcd_bad(p):
    _write(p("pcd_cut.pcd"), _pcd(_noise(256 * 2304 - 1, 171)))
    _write(p("pcd_rotated.pcd"), _pcd(_noise(256 * 2304, 172), orientation=1))
    _write(p("pcd_header_only.pcd"), _pcd(b"")[:2048 + 1539])


# IPTC/NAA: Pillow 9.4 opens the fields and fails to load the pixels, always.

def _iptc_bad(p):
    def field(record, dataset, data):
        return bytes([0x1C, record, dataset]) + struct.pack(">H", len(data)) + data
    w, h = 4, 3
    _write(p("iptc_raw.iim"), field(2, 0, b"\0\2") + field(3, 60, b"\1\0") + field(3, 20, struct.pack(">H", w)) +
           field(3, 30, struct.pack(">H", h)) + field(3, 120, b"\1") + field(8, 10, _noise(w * h, 160)))


def make_good(p):
    _fli_good(p)
    _blp_good(p)
    _ftex_good(p)
    _gbr_good(p)
    _spider_good(p)
    _fits_good(p)
    _imt_good(p)
    _mcidas_good(p)
    _pixar_good(p)
    _xv_good(p)
    _pcd_good(p)


def make_bad(p):
    _fli_bad(p)
    _blp_bad(p)
    _ftex_bad(p)
    _gbr_bad(p)
    _spider_bad(p)
    _fits_bad(p)
    _imt_bad(p)
    _mcidas_bad(p)
    _pixar_bad(p)
    _xv_bad(p)
    _pcd_bad(p)
    _iptc_bad(p)
