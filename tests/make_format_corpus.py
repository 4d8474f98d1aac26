"""The part of the image corpus for the formats beyond JPEG, PNG, GIF, WebP, BMP and TIFF: files written
by Pillow 9.4 where it can, and built byte by byte for the variants it cannot write (plain PNM,
comments where Pillow's reader treats them oddly, odd maxvals) and for truncated or hostile files.

tests/make_image_corpus.py calls make_good(OUTDIR/good) and make_bad(OUTDIR/bad).
"""
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image

import make_gaps_corpus
import make_jpeg2000_corpus
import make_rare1_corpus
import make_rare2_corpus
import make_third_party_corpus
from corpus_files import noise as _noise, write as _write


def _plain(a, maxval, per_line=7, sep=b" "):
    """Samples of `a` (any shape) as ASCII tokens, `per_line` to a line."""
    flat = [b"%d" % v for v in a.reshape(-1)]
    lines = [sep.join(flat[i:i + per_line]) for i in range(0, len(flat), per_line)]
    return b"\n".join(lines) + b"\n"


def _pnm_good(p):
    rgb = _noise(23, 31, 3, 101)
    im = Image.fromarray(rgb)
    im.save(p("pnm_p6.ppm"))
    im.convert("L").save(p("pnm_p5.pgm"))
    im.convert("1").save(p("pnm_p4.pbm"))
    g16 = (np.arange(23 * 31).reshape(23, 31) * 97 % 65536).astype(np.uint16)
    g16[0, :4] = [0, 255, 256, 65535]
    Image.fromarray(g16.astype(np.int32), "I").save(p("pnm_p5_16bit.pgm"))
    h, w = 9, 13
    a = _noise(h, w, 3, 102)
    bits = (a[..., 0] > 127).astype(np.uint8)
    # Plain bitmap: comments anywhere, digits without whitespace between them.
    body = b"".join(b"%d" % v for v in bits.reshape(-1))
    body = body[:40] + b"# a comment\n" + body[40:77] + b"\r\n" + body[77:]
    _write(p("pnm_p1_plain.pbm"), b"P1\n# made by hand\n%d %d\n" % (w, h) + body + b"\n")
    _write(p("pnm_p2_plain.pgm"), b"P2 %d %d 255\n" % (w, h) + _plain(a[..., 0], 255))
    _write(p("pnm_p2_maxval15.pgm"), b"P2\n%d %d\n15\n" % (w, h) + _plain(a[..., 0] % 16, 15))
    _write(p("pnm_p2_maxval1000.pgm"), b"P2 %d %d 1000\n" % (w, h) + _plain(a[..., 0].astype(int) * 3 + 7, 1000))
    _write(p("pnm_p3_plain.ppm"), b"P3\r\n%d %d\r\n255\r\n" % (w, h) + _plain(a, 255, sep=b"\t"))
    _write(p("pnm_p3_maxval100.ppm"), b"P3 %d %d 100\n" % (w, h) + _plain(a % 101, 100))
    # A comment inside the data joins the digits either side of it ("1#x\n2" reads as 12).
    joined = _plain(a[..., 0] // 30, 255)
    cut = joined.index(b" ", 20)
    _write(p("pnm_p2_comment_joins.pgm"),
           b"P2 %d %d 255\n" % (w, h) + joined[:cut] + b"# c\n" + joined[cut + 1:] + b"9\n")
    # Cut short after a token with no whitespace after it: Pillow repeats that token to the end.
    tokens = _plain(a, 255).split()
    _write(p("pnm_p3_short_last_token_repeats.ppm"), b"P3 %d %d 255\n" % (w, h) + b" ".join(tokens[:150]))
    # Comments inside header tokens, and a negative sample (Pillow's o8 keeps its low byte).
    _write(p("pnm_p2_header_comments.pgm"), b"P2 1#w\n3 #h\n 2 2#m\n55\n" + _plain(a[:2, :13, 1], 255)[:-1] +
           b" -1\n")
    _write(p("pnm_p5_maxval15.pgm"), b"P5 %d %d 15\n" % (w, h) + (a[..., 0] % 20).tobytes())
    _write(p("pnm_p5_maxval1000.pgm"), b"P5 %d %d 1000\n" % (w, h) +
           (a[..., 0].astype(">u2") * 5).tobytes())
    _write(p("pnm_p6_maxval65535.ppm"), b"P6 %d %d 65535\n" % (w, h) + (a.astype(">u2") * 257 + 3).tobytes())
    _write(p("pnm_p6_maxval1000.ppm"), b"P6 %d %d 1000\n" % (w, h) + (a.astype(">u2") * 4).tobytes())
    _write(p("pnm_p6_maxval7.ppm"), b"P6\t%d\t%d\t7 " % (w, h) + (a % 9).tobytes() + b"trailing bytes")
    _write(p("pnm_p4_odd_width.pbm"), b"P4 %d %d\n" % (w, h) + np.packbits(bits, axis=1).tobytes())


def _pnm_bad(p):
    rgb = _noise(20, 30, 3, 103)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PPM")
    ppm = buf.getvalue()
    _write(p("pnm_p6_truncated.ppm"), ppm[: len(ppm) // 2])
    _write(p("pnm_header_only.ppm"), b"P6 30 20\n")
    _write(p("pnm_p1_bad_digit.pbm"), b"P1 2 2\n0 1\n2 0\n")
    _write(p("pnm_p2_over_maxval.pgm"), b"P2 2 1 100\n5 101\n")
    _write(p("pnm_p2_short.pgm"), b"P2 3 3 255\n1 2 3\n4 5\n")
    _write(p("pnm_p3_not_a_number.ppm"), b"P3 1 1 255\n1 x 3\n")
    _write(p("pnm_maxval_zero.pgm"), b"P5 2 2 0\n\0\0\0\0")
    _write(p("pnm_maxval_70000.pgm"), b"P5 2 2 70000\n" + b"\0" * 8)
    _write(p("pnm_token_too_long.pgm"), b"P5 00000000002 2 255\n\0\0\0\0")
    _write(p("pnm_p7_pam.pam"), b"P7\nWIDTH 2\nHEIGHT 1\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n" + b"\0" * 6)
    _write(p("pnm_bomb_30000x30000.ppm"), b"P6 30000 30000 255\n" + b"\0" * 64)


def _tga(w, h, image_type, depth, data, flags=0x20, map_type=0, map_start=0, map_len=0, map_depth=0, cmap=b"",
         image_id=b""):
    return struct.pack("<BBBHHBHHHHBB", len(image_id), map_type, image_type, map_start, map_len, map_depth, 0, 0, w, h,
                       depth, flags) + image_id + cmap + data


def _tga_rle(rows, pixel_bytes):
    """Rows (bytes each) as TGA RLE packets: runs where pixels repeat, literals elsewhere, never across rows."""
    out = bytearray()
    for row in rows:
        px = [row[i:i + pixel_bytes] for i in range(0, len(row), pixel_bytes)]
        i = 0
        while i < len(px):
            j = i
            while j + 1 < len(px) and px[j + 1] == px[i] and j - i < 127:
                j += 1
            if j > i:
                out += bytes([0x80 | (j - i)]) + px[i]
                i = j + 1
                continue
            j = i
            while j + 1 < len(px) and px[j + 1] != px[j] and j - i < 127:
                j += 1
            out += bytes([j - i]) + b"".join(px[i:j + 1])
            i = j + 1
    return bytes(out)


def _tga_good(p):
    rgb = _noise(19, 27, 3, 111)
    rgb[4:9, 3:20] = [200, 30, 90]  # runs for the RLE writer
    im = Image.fromarray(rgb)
    for rle in (False, True):
        tag = "_rle" if rle else ""
        im.save(p(f"tga_rgb{tag}.tga"), rle=rle)
        im.convert("L").save(p(f"tga_gray{tag}.tga"), rle=rle)
        im.convert("LA").save(p(f"tga_gray_alpha{tag}.tga"), rle=rle)
        im.convert("RGBA").save(p(f"tga_rgba{tag}.tga"), rle=rle)
        im.convert("P", palette=Image.ADAPTIVE, colors=60).save(p(f"tga_palette{tag}.tga"), rle=rle)
    im.convert("1").save(p("tga_bilevel.tga"))
    im.save(p("tga_rgb_bottom_up.tga"), orientation=-1)
    im.save(p("tga_rgb_id_section.tga"), id_section=b"made for the corpus")
    h, w = 11, 14
    a = _noise(h, w, 3, 112)
    bgr = a[..., ::-1].copy()
    rows24 = [bgr[y].tobytes() for y in range(h)]
    for flags, name in [(0x00, "bottom_left"), (0x10, "bottom_right"), (0x20, "top_left"), (0x30, "top_right")]:
        _write(p(f"tga_rgb_origin_{name}.tga"), _tga(w, h, 2, 24, b"".join(rows24), flags=flags))
    _write(p("tga_rgb_rle_top_right.tga"), _tga(w, h, 10, 24, _tga_rle(rows24, 3), flags=0x30))
    v15 = (a[..., 0] >> 3).astype(np.uint16) << 10 | (a[..., 1] >> 3).astype(np.uint16) << 5 | a[..., 2] >> 3
    v15[0, :3] = [0x8000 | 0x1F, 0x7C00, 0x03E0]
    _write(p("tga_rgb16.tga"), _tga(w, h, 2, 16, v15.astype("<u2").tobytes()))
    _write(p("tga_rgb16_rle.tga"), _tga(w, h, 10, 16, _tga_rle([v15[y].astype("<u2").tobytes() for y in range(h)], 2)))
    rgba = np.dstack([bgr, a[..., 0]])
    _write(p("tga_bgra_rle_bottom_up.tga"), _tga(w, h, 10, 32, _tga_rle([rgba[y].tobytes() for y in range(h)], 4),
                                                flags=0x08))
    idx = (a[..., 0] % 40).astype(np.uint8)
    pal = _noise(1, 30, 3, 113)[0]
    map16 = ((pal[:, 0] >> 3).astype(np.uint16) << 10 | (pal[:, 1] >> 3).astype(np.uint16) << 5 | pal[:, 2] >> 3)
    _write(p("tga_palette_map16_start5.tga"), _tga(w, h, 1, 8, idx.tobytes(), map_type=1, map_start=5, map_len=30,
                                                   map_depth=16, cmap=map16.astype("<u2").tobytes()))
    # A map of an unread depth is not skipped: the pixels start where it does.
    _write(p("tga_palette_map15_unskipped.tga"), _tga(w, h, 1, 8, idx.tobytes(), map_type=1, map_len=4, map_depth=15,
                                                      cmap=b"\x01\x02\x03\x04\x05\x06\x07\x08"))
    # A grey file with a map is looked up as a palette image, grey+alpha by its grey byte.
    _write(p("tga_gray_with_map.tga"), _tga(w, h, 3, 8, idx.tobytes(), map_type=1, map_len=30, map_depth=24,
                                            cmap=pal[:, ::-1].tobytes()))
    ga = np.dstack([idx, a[..., 1]])
    _write(p("tga_gray_alpha_with_map_rle.tga"), _tga(w, h, 11, 16, _tga_rle([ga[y].tobytes() for y in range(h)], 2),
                                                      map_type=1, map_len=30, map_depth=24,
                                                      cmap=pal[:, ::-1].tobytes()))


def _tga_cursor_lookalike(p):
    # "\0\0\2\0" and a map length of 2 read as a cursor directory of two entries, whose first image
    # starts past the end of the file: Pillow's CUR reader fails and the file opens as the TGA it is.
    data = b"\xff" * 4 + bytes(range(20))
    _write(p("tga_rgb_looks_like_cursor.tga"), _tga(4, 2, 2, 24, data, map_len=2))


def _tga_bad(p):
    im = Image.fromarray(_noise(20, 30, 3, 114))
    for rle in (False, True):
        buf = io.BytesIO()
        im.save(buf, "TGA", rle=rle)
        data = buf.getvalue()
        _write(p(f"tga_truncated{'_rle' if rle else ''}.tga"), data[: len(data) // 2])
    _write(p("tga_rle_run_across_rows.tga"), _tga(3, 2, 11, 8, bytes([0x85, 77])))
    _write(p("tga_rle_bilevel.tga"), _tga(8, 1, 11, 1, b"\x80\xff" * 3))
    _write(p("tga_rgb_with_map.tga"), _tga(2, 1, 2, 24, b"\1\2\3\4\5\6", map_type=1, map_len=2, map_depth=24,
                                           cmap=b"\x10" * 6))
    _write(p("tga_map_over_256.tga"), _tga(3, 1, 1, 8, b"\0\1\2", map_type=1, map_start=200, map_len=100,
                                           map_depth=24, cmap=b"\x05" * 300))
    # Pillow has no raw mode for 32-bit map entries.
    h, w = 11, 14
    idx = np.arange(h * w, dtype=np.uint8).reshape(h, w) % 30
    pal = _noise(1, 30, 3, 113)[0]
    map32 = np.dstack([pal[None, :, ::-1], np.full((1, 30, 1), 128, np.uint8)])[0]
    _write(p("tga_palette_map32_rle.tga"), _tga(w, h, 9, 8, _tga_rle([idx[y].tobytes() for y in range(h)], 1),
                                                map_type=1, map_len=30, map_depth=32, cmap=map32.tobytes()))
    _write(p("tga_palette_depth16.tga"), _tga(2, 1, 1, 16, b"\1\0\2\0"))
    _write(p("tga_bomb_65535x65535.tga"), _tga(65535, 65535, 10, 24, b"\xff\0\0\0" * 64))


def _dib(a, bits, palette=None, height=None, masks=None, header=40):
    """A bare DIB of the (top-down) array `a`: indices for bits <= 8, RGB otherwise (bits 16 are 5-5-5
    values). `height` overrides the header's height (icons give twice the rows)."""
    h, w = a.shape[:2]
    stride = ((w * bits + 31) >> 3) & ~3
    rows = []
    for y in range(h - 1, -1, -1):
        r = a[y]
        if bits == 32:
            b = np.dstack([r[None, :, 2], r[None, :, 1], r[None, :, 0], r[None, :, 0] ^ 0x5A])[0].tobytes()
        elif bits == 24:
            b = r[:, ::-1].astype(np.uint8).tobytes()
        elif bits == 16:
            b = r.astype("<u2").tobytes()
        elif bits == 8:
            b = r.astype(np.uint8).tobytes()
        else:
            b = np.packbits(np.unpackbits(r.astype(np.uint8)[:, None], axis=1)[:, 8 - bits:].reshape(-1)).tobytes()
        rows.append(b + b"\0" * (stride - len(b)))
    pal = b"".join(bytes([b, g, r, 0]) for r, g, b in (palette if palette is not None else []))
    compression = 3 if masks else 0
    info = struct.pack("<IiiHHIIiiII", header, w, h if height is None else height, 1, bits, compression, 0, 0, 0,
                       0 if palette is None else len(palette), 0)
    if header > 40:
        info += struct.pack("<IIII", *(list(masks or (0, 0, 0)) + [0])[:4]) + b"\0" * (header - 56)
    elif masks:
        info += struct.pack("<III", *masks)
    return info + pal + b"".join(rows)


def _and_mask(h, w, seed):
    stride = (w + 31) // 32 * 4
    return _noise(h, stride, 1, seed).tobytes()


def _icon_file(kind, entries):
    """An ICO (kind 1) or CUR (kind 2) of (width byte, height byte, colours, bpp, payload) entries."""
    head = struct.pack("<HHH", 0, kind, len(entries))
    offset = 6 + 16 * len(entries)
    directory, data = b"", b""
    for w, h, colors, bpp, payload in entries:
        directory += struct.pack("<BBBBHHII", w, h, colors, 0, 1, bpp, len(payload), offset + len(data))
        data += payload
    return head + directory + data


def _png(im):
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _ico_good(p):
    rgb = _noise(48, 48, 3, 121)
    rgba = Image.fromarray(np.dstack([rgb, _noise(48, 48, 1, 122)]))
    rgba.save(p("ico_png_sizes.ico"), sizes=[(16, 16), (32, 32), (48, 48)])
    Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=20).save(p("ico_png_palette.ico"),
                                                                            sizes=[(24, 24)])
    h, w = 13, 21
    a = _noise(h, w, 3, 123)
    idx = (a[..., 0] % 16).astype(np.uint8)
    pal16 = [tuple(int(v) for v in c) for c in _noise(1, 16, 3, 124)[0]]
    pal256 = [tuple(int(v) for v in c) for c in _noise(1, 256, 3, 125)[0]]
    mask = _and_mask(h, w, 126)
    bmp = lambda bits, arr, pal=None: _dib(arr, bits, pal, height=2 * h) + mask  # noqa: E731
    _write(p("ico_bmp24.ico"), _icon_file(1, [(w, h, 0, 24, bmp(24, a))]))
    _write(p("ico_bmp32_alpha.ico"), _icon_file(1, [(w, h, 0, 32, bmp(32, a))]))
    _write(p("ico_bmp8.ico"), _icon_file(1, [(w, h, 0, 8, bmp(8, a[..., 1], pal256))]))
    _write(p("ico_bmp4.ico"), _icon_file(1, [(w, h, 16, 0, bmp(4, idx, pal16))]))
    _write(p("ico_bmp1.ico"), _icon_file(1, [(w, h, 2, 1, bmp(1, idx & 1, [(10, 200, 30), (250, 5, 100)]))]))
    # The largest entry wins, then the deepest, then the last of equals; a PNG entry's own size wins.
    small = _png(Image.fromarray(a[:8, :8]))
    _write(p("ico_mixed_largest_wins.ico"), _icon_file(1, [(8, 8, 0, 32, small), (w, h, 16, 0, bmp(4, idx, pal16)),
                                                           (w, h, 0, 8, bmp(8, a[..., 1], pal256)),
                                                           (w, h, 0, 8, bmp(8, a[..., 2], pal256))]))
    _write(p("ico_png_size_differs.ico"), _icon_file(1, [(16, 16, 0, 32, _png(Image.fromarray(a)))]))
    big = _noise(256, 256, 1, 127)[..., 0]
    _write(p("ico_256_bmp8.ico"), _icon_file(1, [(0, 0, 0, 8, _dib(big, 8, pal256, height=512) +
                                                  _and_mask(256, 256, 128))]))
    _write(p("ico_odd_height.ico"), _icon_file(1, [(w, h, 0, 24, _dib(a, 24, height=2 * h + 1) + mask + b"\0" * 4)]))
    # Cursors: the first entry unless a later one is wider and taller; no AND mask is read.
    _write(p("cur_two.cur"), _icon_file(2, [(8, 8, 0, 0, _dib(a[:8, :8], 24, height=16)),
                                            (w, h, 0, 0, _dib(a, 24, height=2 * h)),
                                            (w, 200, 0, 0, _dib(a[:5], 24, height=10))]))
    _write(p("cur_bmp8.cur"), _icon_file(2, [(w, h, 0, 0, _dib(a[..., 0], 8, pal256, height=2 * h) + mask)]))
    # Bare DIBs (a BMP without its 14-byte file header).
    _write(p("dib_24.dib"), _dib(a, 24))
    _write(p("dib_8.dib"), _dib(a[..., 2], 8, pal256))
    _write(p("dib_4_v5_header.dib"), _dib(idx, 4, pal16, header=124))
    v555 = (a[..., 0] >> 3).astype(np.uint16) << 10 | (a[..., 1] >> 3).astype(np.uint16) << 5 | a[..., 2] >> 3
    _write(p("dib_16_bitfields.dib"), _dib(v555, 16, masks=(0x7C00, 0x3E0, 0x1F)))
    _write(p("dib_32.dib"), _dib(a, 32))
    os2 = struct.pack("<IHHHH", 12, w, h, 1, 8) + b"".join(bytes([b, g, r]) for r, g, b in pal256)
    _write(p("dib_8_os2.dib"), os2 + _dib(a[..., 1], 8, pal256)[40 + 4 * 256:])
    # A BMP whose file header gives pixel offset 0: Pillow reads the pixels where its file pointer is.
    dib = _dib(a[..., 0], 8, pal256)
    _write(p("bmp_offset_zero.bmp"), b"BM" + struct.pack("<IHHI", 14 + len(dib), 0, 0, 0) + dib)


def _ico_bad(p):
    h, w = 13, 21
    a = _noise(h, w, 3, 131)
    mask = _and_mask(h, w, 132)
    good = _icon_file(1, [(w, h, 0, 24, _dib(a, 24, height=2 * h) + mask)])
    _write(p("ico_and_mask_cut.ico"), good[:-3])
    _write(p("ico_pixels_cut.ico"), good[: len(good) // 2])
    alpha = _icon_file(1, [(w, h, 0, 32, _dib(a, 32, height=2 * h))])
    _write(p("ico_bmp32_alpha_cut.ico"), alpha[:-5])
    _write(p("ico_offset_past_end.ico"), struct.pack("<HHHBBBBHHII", 0, 1, 1, 16, 16, 0, 0, 1, 32, 100, 5000) +
           b"\0" * 64)
    _write(p("ico_bomb.ico"), _icon_file(1, [(16, 16, 0, 24, struct.pack("<IiiHHIIiiII", 40, 30000, 60000, 1, 24, 0, 0,
                                                                         0, 0, 0, 0) + b"\0" * 64)]))
    _write(p("ico_unsupported_depth.ico"), _icon_file(1, [(16, 16, 0, 7, struct.pack("<IiiHHIIiiII", 40, 16, 32, 1, 7,
                                                                                     0, 0, 0, 0, 0, 0) + b"\0" * 64)]))
    _write(p("dib_truncated.dib"), _dib(a, 24)[:300])
    _write(p("dib_header_only.dib"), _dib(a, 24)[:20])


def _pcx(w, h, bits, planes, data, version=5, stride=None, pal16=b"\0" * 48, x0=0, y0=0):
    if stride is None:
        stride = (w * bits + 7) // 8
    head = struct.pack("<BBBBHHHHHH", 10, version, 1, bits, x0, y0, x0 + w - 1, y0 + h - 1, 72, 72) + pal16
    head += b"\0" + bytes([planes]) + struct.pack("<HH", stride, 1)
    return head + b"\0" * (128 - len(head)) + data


def _pcx_rle(rows):
    """PCX RLE of whole rows (runs never cross rows; bytes of 0xC0 and above always go as runs)."""
    out = bytearray()
    for row in rows:
        i = 0
        while i < len(row):
            j = i
            while j + 1 < len(row) and row[j + 1] == row[i] and j - i < 62:
                j += 1
            if j > i or row[i] >= 0xC0:
                out += bytes([0xC0 | (j - i + 1), row[i]])
            else:
                out.append(row[i])
            i = j + 1
    return bytes(out)


def _pcx_good(p):
    rgb = _noise(17, 23, 3, 141)
    rgb[3:9, 2:20] = [10, 220, 99]
    im = Image.fromarray(rgb)
    im.save(p("pcx_rgb.pcx"))
    im.convert("L").save(p("pcx_gray.pcx"))
    im.convert("P", palette=Image.ADAPTIVE, colors=70).save(p("pcx_palette.pcx"))
    im.convert("1").save(p("pcx_bilevel.pcx"))
    Image.fromarray(_noise(40, 41, 3, 142)).save(p("pcx_rgb_odd_width.pcx"))
    h, w = 9, 13
    a = _noise(h, w, 3, 143)
    idx = (a[..., 0] % 16).astype(np.uint8)
    pal16 = _noise(1, 16, 3, 144).tobytes()
    for planes in (2, 4):
        v = idx % (1 << planes)
        rows = []
        for y in range(h):
            bitplanes = [np.packbits((v[y] >> k) & 1).tobytes() for k in range(planes)]
            rows.append(b"".join(bp + b"\0" * (2 - len(bp)) for bp in bitplanes))
        _write(p(f"pcx_{planes}planes.pcx"), _pcx(w, h, 1, planes, _pcx_rle(rows), version=2, stride=2, pal16=pal16))
    # Stride in the header other than the computed one: rows padded to even, bands moved together.
    rows = [bytes(a[y, :, c]) + b"\7" for y in range(h) for c in range(1)]
    planar = [b"".join(bytes(a[y, :, c]) + b"\7" for c in range(3)) for y in range(h)]
    _write(p("pcx_rgb_padded_stride.pcx"), _pcx(w, h, 8, 3, _pcx_rle(planar), stride=w + 1))
    # Pillow's quirks on narrow rows: three bands of 3 padded to 4 are not moved together, and bit planes
    # are read (width + 7) / 8 bytes apart whatever the stride.
    narrow = [b"".join(bytes(a[y, :3, c]) + b"\1" for c in range(3)) for y in range(h)]
    _write(p("pcx_rgb_width3_padded.pcx"), _pcx(3, h, 8, 3, _pcx_rle(narrow), stride=5))
    planes8 = [bytes(_noise(1, 8, 1, 146 + y).reshape(-1)) for y in range(h)]
    _write(p("pcx_4planes_width8_stride2.pcx"), _pcx(8, h, 1, 4, _pcx_rle(planes8), version=2, stride=1, pal16=pal16))
    _write(p("pcx_bilevel_stride_differs.pcx"), _pcx(20, h, 1, 1, _pcx_rle([bytes(_noise(1, 4, 1, 150 + y).reshape(-1))
                                                                            for y in range(h)]), stride=7))
    grey_ramp = b"\x0c" + bytes(np.repeat(np.arange(256, dtype=np.uint8), 3))
    _write(p("pcx_gray_ramp_palette_offset_origin.pcx"), _pcx(w, h, 8, 1, _pcx_rle(rows) + grey_ramp, x0=5, y0=3,
                                                             stride=w + 1))


def _pcx_bad(p):
    im = Image.fromarray(_noise(30, 40, 3, 145))
    buf = io.BytesIO()
    im.save(buf, "PCX")
    data = buf.getvalue()
    _write(p("pcx_truncated.pcx"), data[: len(data) // 2])
    _write(p("pcx_run_across_rows.pcx"), _pcx(3, 2, 8, 1, bytes([0xC6, 9]) + b"\0" * 800))
    _write(p("pcx_gray_short_file.pcx"), _pcx(3, 2, 8, 1, bytes([0xC3, 9, 0xC3, 7])))
    _write(p("pcx_unknown_mode.pcx"), _pcx(3, 2, 4, 1, b"\0" * 800))
    _write(p("pcx_bomb.pcx"), _pcx(65535, 65535, 8, 3, b"\xff\0" * 400))


def _sgi(w, h, bpc, dimension, zsize, data, compression=0):
    head = struct.pack(">HBBHHHHIII", 474, compression, bpc, dimension, w, h, zsize, 0, 255, 0)
    return head + b"\0" * (512 - len(head)) + data


def _sgi_rle(planes, terminate=True, bpc=1):
    """RLE of `planes` ([band][row] byte strings, rows bottom-up, `bpc` bytes a sample): offset and length
    tables, then each row as runs where samples repeat and literal packets of up to 127 samples, ending
    in a 0 header (16-bit headers are words whose low byte counts)."""
    bands, h = len(planes), len(planes[0])
    head = lambda v: b"\0" * (bpc - 1) + bytes([v])  # noqa: E731
    rows = []
    for c in range(bands):
        for y in range(h):
            raw = planes[c][y]
            row = [raw[i:i + bpc] for i in range(0, len(raw), bpc)]
            out, i = bytearray(), 0
            while i < len(row):
                j = i
                while j + 1 < len(row) and row[j + 1] == row[i] and j - i < 126:
                    j += 1
                if j - i >= 2:
                    out += head(j - i + 1) + row[i]
                    i = j + 1
                    continue
                k = min(len(row), i + 127)
                out += head(0x80 | (k - i)) + b"".join(row[i:k])
                i = k
            rows.append(bytes(out) + (head(0) if terminate else b""))
    table = 512 + 8 * bands * h
    starts, offset = [], table
    for r in rows:
        starts.append(offset)
        offset += len(r)
    return struct.pack(f">{len(rows)}I", *starts) + struct.pack(f">{len(rows)}I", *map(len, rows)) + b"".join(rows)


def _sgi_good(p):
    rgb = _noise(15, 22, 3, 161)
    rgb[2:6] = [40, 41, 42]
    im = Image.fromarray(rgb)
    im.save(p("sgi_rgb.sgi"))
    im.convert("L").save(p("sgi_gray.bw"))
    im.convert("RGBA").save(p("sgi_rgba.rgba"))
    h, w = 11, 17
    a = _noise(h, w, 4, 162)
    a[4:7, :] = 99
    planes = [[bytes(a[y, :, c]) for y in range(h - 1, -1, -1)] for c in range(4)]
    _write(p("sgi_rgb_rle.sgi"), _sgi(w, h, 1, 3, 3, _sgi_rle(planes[:3]), compression=1))
    _write(p("sgi_rgba_rle.sgi"), _sgi(w, h, 1, 3, 4, _sgi_rle(planes), compression=1))
    _write(p("sgi_gray_rle_dim1.bw"), _sgi(w, h, 1, 1, 1, _sgi_rle(planes[:1]), compression=1))
    # A row shorter than the width keeps the previous row's samples; a row whose length ends on a packet
    # rather than on its closing 0 stops the decoding there, every row not yet stored left black.
    rows = bytes([0x82, 5, 6, 0, 0x81, 9, 0])
    _write(p("sgi_rle_short_row.sgi"), _sgi(2, 2, 1, 2, 1, struct.pack(">IIII", 528, 532, 4, 3) + rows, compression=1))
    # Row lengths only bound the packets: one far past the end of the file is read as far as its 0.
    _write(p("sgi_rle_length_past_end.sgi"),
           _sgi(2, 2, 1, 2, 1, struct.pack(">IIII", 528, 532, 99999999, 3) + rows, compression=1))
    # A length of 2^31 or more is negative to Pillow's decoder: the row reads nothing.
    _write(p("sgi_rle_length_negative.sgi"),
           _sgi(2, 2, 1, 2, 1, struct.pack(">IIII", 528, 532, 4, 0x80000003) + rows, compression=1))
    rows = bytes([0x82, 5, 6, 0x82, 7, 8, 0])
    _write(p("sgi_rle_stops.sgi"), _sgi(2, 2, 1, 2, 1, struct.pack(">IIII", 528, 531, 2, 4) + rows, compression=1))
    g16 = (a[..., :3].astype(">u2") * 251 + 7)
    _write(p("sgi_rgb16.sgi"), _sgi(w, h, 2, 3, 3, b"".join(g16[::-1, :, c].tobytes() for c in range(3))))
    _write(p("sgi_gray16.sgi"), _sgi(w, h, 2, 2, 1, g16[::-1, :, 0].tobytes()))
    g16[5:8, 2:14] = 4321
    planes16 = [[g16[y, :, c].tobytes() for y in range(h - 1, -1, -1)] for c in range(3)]
    _write(p("sgi_rgb16_rle.sgi"), _sgi(w, h, 2, 3, 3, _sgi_rle(planes16, bpc=2), compression=1))
    _write(p("sgi_gray16_rle.sgi"), _sgi(w, h, 2, 1, 1, _sgi_rle(planes16[:1], bpc=2), compression=1))


def _sgi_bad(p):
    buf = io.BytesIO()
    Image.fromarray(_noise(20, 30, 3, 163)).save(buf, "SGI")
    data = buf.getvalue()
    _write(p("sgi_truncated.sgi"), data[: len(data) // 2])
    _write(p("sgi_bad_mode.sgi"), _sgi(4, 4, 1, 3, 2, b"\0" * 64))
    _write(p("sgi_rle_tables_cut.sgi"), _sgi(4, 400, 1, 3, 3, b"\0" * 100, compression=1))
    _write(p("sgi_rle_row_outside.sgi"), _sgi(2, 1, 1, 2, 1, struct.pack(">II", 5000, 3) + b"\x82\1\2\0", 1))
    _write(p("sgi_rle_row_in_header.sgi"), _sgi(2, 1, 1, 2, 1, struct.pack(">II", 100, 3) + b"\x82\1\2\0", 1))
    _write(p("sgi_rle_unterminated.sgi"), _sgi(17, 3, 1, 2, 1, _sgi_rle([[bytes(range(17))] * 3], terminate=False),
                                               compression=1))
    _write(p("sgi_rle16_unterminated.sgi"), _sgi(3, 2, 2, 2, 1, _sgi_rle([[b"\1\2\3\4\5\6"] * 2], terminate=False,
                                                                         bpc=2), compression=1))
    _write(p("sgi_bomb.sgi"), _sgi(65535, 65535, 1, 3, 3, b"\0" * 64))


def _dds(w, h, pf_flags, fourcc=b"\0\0\0\0", bitcount=0, masks=(0, 0, 0, 0), data=b"", dx10=None, header_size=124):
    """A DDS file: magic, the 124-byte header with its pixel format, an optional DX10 extension, `data`."""
    head = struct.pack("<4s7I44x", b"DDS ", header_size, 0x1007, h, w, 0, 0, 1)
    head += struct.pack("<II4sI4I", 32, pf_flags, fourcc, bitcount, *masks) + struct.pack("<5I", 0x1000, 0, 0, 0, 0)
    if dx10 is not None:
        head += struct.pack("<5I", dx10, 3, 0, 1, 0)
    return head + data


def _dds_blocks(w, h, size, seed, low_first=0.0):
    """Random BCn blocks (every byte pattern is a valid block); in a `low_first` share of them the first
    endpoint is made the smaller, which selects DXT1's three-colour and BC3/BC4's six-value branches."""
    rng = np.random.default_rng(seed)
    n = ((w + 3) // 4) * ((h + 3) // 4)
    blocks = rng.integers(0, 256, (n, size), dtype=np.uint8)
    for i in range(n):
        if rng.random() < low_first:
            at = 8 if size == 16 else 0
            blocks[i, at:at + 2], blocks[i, at + 2:at + 4] = blocks[i, at + 2:at + 4].copy(), blocks[i, at:at + 2].copy()
            blocks[i, 0], blocks[i, 1] = sorted((blocks[i, 0], blocks[i, 1]))
    return blocks.tobytes()


def _dds_good(p):
    im = Image.fromarray(_noise(13, 18, 3, 191))
    im.save(p("dds_rgb.dds"))
    im.convert("RGBA").save(p("dds_rgba.dds"))
    im.convert("L").save(p("dds_l.dds"))
    im.convert("LA").save(p("dds_la.dds"))
    rgba = _noise(5, 7, 4, 192)
    masks = (0xFF0000, 0xFF00, 0xFF, 0xFF000000)
    # Channel orders Pillow has unpackers for, and a 32-bit file without DDPF_ALPHAPIXELS (read as 24-bit).
    _write(p("dds_argb_masks.dds"), _dds(7, 5, 0x41, bitcount=32, masks=(0xFF00, 0xFF0000, 0xFF000000, 0xFF),
                                         data=rgba.tobytes()))
    _write(p("dds_abgr_masks.dds"), _dds(7, 5, 0x41, bitcount=32, masks=(0xFF, 0xFF00, 0xFF0000, 0xFF000000),
                                         data=rgba.tobytes()))
    _write(p("dds_rgb_masks.dds"), _dds(7, 5, 0x40, bitcount=24, masks=(0xFF, 0xFF00, 0xFF0000, 0), data=rgba.tobytes()))
    _write(p("dds_rgbx_no_alpha_flag.dds"), _dds(7, 5, 0x40, bitcount=32, masks=masks, data=rgba.tobytes()))
    _write(p("dds_dx10_rgba.dds"), _dds(7, 5, 4, b"DX10", data=rgba.tobytes(), dx10=28))
    for w, h in ((16, 8), (13, 10), (3, 2)):
        tag = f"{w}x{h}"
        _write(p(f"dds_dxt1_{tag}.dds"), _dds(w, h, 4, b"DXT1", data=_dds_blocks(w, h, 8, 193 + w, 0.5)))
        _write(p(f"dds_dxt3_{tag}.dds"), _dds(w, h, 4, b"DXT3", data=_dds_blocks(w, h, 16, 194 + w, 0.5)))
        _write(p(f"dds_dxt5_{tag}.dds"), _dds(w, h, 4, b"DXT5", data=_dds_blocks(w, h, 16, 195 + w, 0.5)))
        _write(p(f"dds_bc4_{tag}.dds"), _dds(w, h, 4, b"ATI1", data=_dds_blocks(w, h, 8, 196 + w, 0.5)))
        _write(p(f"dds_bc5_{tag}.dds"), _dds(w, h, 4, b"ATI2", data=_dds_blocks(w, h, 16, 197 + w, 0.5)))
    _write(p("dds_bc5s.dds"), _dds(13, 10, 4, b"BC5S", data=_dds_blocks(13, 10, 16, 198, 0.5)))
    _write(p("dds_dx10_bc5.dds"), _dds(13, 10, 4, b"DX10", data=_dds_blocks(13, 10, 16, 199, 0.5), dx10=83))
    _write(p("dds_dx10_bc5s.dds"), _dds(13, 10, 4, b"DX10", data=_dds_blocks(13, 10, 16, 200, 0.5), dx10=84))
    # Mipmaps after the first surface are ignored.
    _write(p("dds_dxt1_mipmaps.dds"), _dds(8, 8, 4, b"DXT1", data=_dds_blocks(8, 8, 8, 201) + b"\x55" * 24))


def _dds_bad(p):
    dxt1 = _dds(13, 10, 4, b"DXT1", data=_dds_blocks(13, 10, 8, 202))
    _write(p("dds_dxt1_truncated.dds"), dxt1[:-5])
    _write(p("dds_rgb_truncated.dds"), _dds(7, 5, 0x40, masks=(0xFF0000, 0xFF00, 0xFF, 0), data=b"\0" * 100))
    _write(p("dds_header_cut.dds"), dxt1[:60])
    _write(p("dds_header_size.dds"), _dds(4, 4, 4, b"DXT1", data=b"\0" * 8, header_size=100))
    _write(p("dds_fourcc_dxt2.dds"), _dds(4, 4, 4, b"DXT2", data=b"\0" * 16))
    _write(p("dds_dx10_float.dds"), _dds(4, 4, 4, b"DX10", data=b"\0" * 256, dx10=2))
    _write(p("dds_dx10_cut.dds"), _dds(4, 4, 4, b"DX10")[:135])
    _write(p("dds_masks_555.dds"), _dds(4, 4, 0x40, bitcount=16, masks=(0x7C00, 0x3E0, 0x1F, 0), data=b"\0" * 32))
    _write(p("dds_masks_gbr.dds"), _dds(4, 4, 0x40, bitcount=24, masks=(0xFF00, 0xFF, 0xFF0000, 0), data=b"\0" * 48))
    _write(p("dds_alpha_flag_no_mask.dds"), _dds(4, 4, 0x41, bitcount=32, masks=(0xFF0000, 0xFF00, 0xFF, 0),
                                                 data=b"\0" * 64))
    _write(p("dds_zero_width.dds"), _dds(0, 4, 4, b"DXT1", data=b"\0" * 8))
    _write(p("dds_bomb.dds"), _dds(65536, 65536, 4, b"DXT1", data=b"\0" * 64))


def _packbits(row):
    """One row in PackBits: runs of three or more as a repeat, the rest as literals."""
    out, i = b"", 0
    while i < len(row):
        j = i
        while j < len(row) and j - i < 128 and row[j] == row[i]:
            j += 1
        if j - i >= 3:
            out += bytes([257 - (j - i), row[i]])
            i = j
            continue
        k = i
        while k < len(row) and k - i < 128 and not (k + 2 < len(row) and row[k] == row[k + 1] == row[k + 2]):
            k += 1
        out += bytes([k - i - 1]) + bytes(row[i:k])
        i = k
    return out


def _psd(w, h, mode, bits, planes, rle=False, channels=None, colors=b"", resources=b"", layers=b"", version=1):
    """A PSD file whose merged image holds `planes` (one list of row byte strings per channel)."""
    count = len(planes) if channels is None else channels
    out = b"8BPS" + struct.pack(">H6xHIIHH", version, count, h, w, bits, mode)
    out += struct.pack(">I", len(colors)) + colors + struct.pack(">I", len(resources)) + resources
    out += struct.pack(">I", len(layers)) + layers
    if not rle:
        return out + struct.pack(">H", 0) + b"".join(b"".join(rows) for rows in planes)
    packed = [[_packbits(r) for r in rows] for rows in planes]
    counts = b"".join(struct.pack(">H", len(r)) for rows in packed for r in rows)
    return out + struct.pack(">H", 1) + counts + b"".join(b"".join(rows) for rows in packed)


def _psd_planes(a):
    """An (h, w, c) array as PSD channel planes: one list of rows per channel."""
    return [[a[y, :, c].tobytes() for y in range(a.shape[0])] for c in range(a.shape[2])]


def _psd_layers(records, channel_data=b""):
    """A layer and mask section: the layer count, `records`, the layer channels' data."""
    info = struct.pack(">h", len(records)) + b"".join(records) + channel_data
    return struct.pack(">I", len(info)) + info


def _psd_layer(box, channel_ids, name=b"layer", extra=None):
    record = struct.pack(">4IH", *box, len(channel_ids)) + b"".join(struct.pack(">HI", c, 0) for c in channel_ids)
    record += b"8BIMnorm" + b"\xff\0\0\0"
    if extra is None:
        extra = struct.pack(">II", 0, 0) + bytes([len(name)]) + name
        extra += b"\0" * (-len(extra) % 4)
    return record + struct.pack(">I", len(extra)) + extra


def _psd_good(p):
    rgb = _noise(9, 14, 4, 211)
    rgb[:, 3:9] = rgb[0, 0]  # runs for PackBits
    planes = _psd_planes(rgb)
    for rle in (False, True):
        tag = "rle" if rle else "raw"
        _write(p(f"psd_rgb_{tag}.psd"), _psd(14, 9, 3, 8, planes[:3], rle))
        _write(p(f"psd_rgba_{tag}.psd"), _psd(14, 9, 3, 8, planes, rle))
        _write(p(f"psd_gray_{tag}.psd"), _psd(14, 9, 1, 8, planes[:1], rle))
        _write(p(f"psd_cmyk_{tag}.psd"), _psd(14, 9, 4, 8, planes, rle))
        palette = bytes(_noise(1, 768, 1, 212).reshape(-1))
        _write(p(f"psd_indexed_{tag}.psd"), _psd(14, 9, 2, 8, planes[:1], rle, colors=palette))
        bits = [[bytes(np.packbits(rgb[y, :, 0] > 127)) for y in range(9)]]
        _write(p(f"psd_bitmap_{tag}.psd"), _psd(14, 9, 0, 1, bits, rle))
    _write(p("psd_duotone.psd"), _psd(14, 9, 8, 8, planes[:1], colors=b"\0" * 20))
    _write(p("psd_multichannel.psd"), _psd(14, 9, 7, 8, planes[:2]))
    _write(p("psd_rgb_five_channels.psd"), _psd(14, 9, 3, 8, planes + planes[:1]))
    _write(p("psd_indexed_no_palette.psd"), _psd(14, 9, 2, 8, planes[:1]))
    resources = b"8BIM" + struct.pack(">HBxI", 1005, 0, 16) + b"\0" * 16 + b"8BIM" + struct.pack(">HB", 1028, 3)
    resources += b"abc" + struct.pack(">I", 3) + b"xyz\0"
    _write(p("psd_resources.psd"), _psd(14, 9, 3, 8, planes[:3], True, resources=resources))
    # Layers are parsed but never decoded: an RGB layer, a layer of more than four channels (skipped).
    layer = _psd_layer((0, 0, 2, 3), (0, 1, 2))
    raw_channels = (struct.pack(">H", 0) + b"\7" * 6) * 3
    _write(p("psd_layers.psd"), _psd(14, 9, 3, 8, planes[:3], True, layers=_psd_layers([layer], raw_channels)))
    rle_channel = struct.pack(">HHH", 1, 2, 2) + b"\xff\1\xff\2"
    _write(p("psd_layers_rle.psd"), _psd(14, 9, 1, 8, planes[:1],
                                         layers=_psd_layers([_psd_layer((1, 1, 3, 4), (0,))], rle_channel)))
    # PackBits channels read on past their own row lengths when these are short.
    packed = _psd(4, 2, 1, 8, [[b"\1\2\3\4", b"\5\6\7\x08"]], True)
    cut = packed.index(b"\0\1", 30)
    _write(p("psd_rle_counts_short.psd"), packed[:cut] + b"\0\1\0\1" + packed[cut + 4:])
    # A run or a literal longer than the row: the excess is dropped.
    body = struct.pack(">H", 1) + struct.pack(">HH", 2, 5) + bytes([256 - 5, 9, 5, 1, 2, 3, 4, 5, 6])
    _write(p("psd_rle_run_past_row.psd"), _psd(4, 2, 1, 8, [], channels=1)[:-2] + body)


def _psd_bad(p):
    planes = _psd_planes(_noise(6, 5, 3, 213))
    good = _psd(5, 6, 3, 8, planes, True)
    _write(p("psd_truncated_rle.psd"), good[:-7])
    _write(p("psd_truncated_raw.psd"), _psd(5, 6, 3, 8, planes)[:-3])
    _write(p("psd_header_cut.psd"), good[:20])
    _write(p("psd_version_2.psd"), _psd(5, 6, 3, 8, planes, version=2))
    _write(p("psd_16bit.psd"), _psd(5, 6, 3, 16, [r + r for r in planes]))
    _write(p("psd_lab_16bit.psd"), _psd(5, 6, 9, 16, planes))
    _write(p("psd_too_few_channels.psd"), _psd(5, 6, 3, 8, planes[:2]))
    _write(p("psd_zip.psd"), _psd(5, 6, 3, 8, [], channels=3)[:-2] + struct.pack(">H", 2) + b"\0" * 90)
    _write(p("psd_resources_cut.psd"), _psd(5, 6, 3, 8, planes, resources=b"8BIM\3\xed")[:-90])
    gray_alpha = _psd_layer((0, 0, 1, 1), (0, 65535))
    _write(p("psd_layer_gray_alpha.psd"), _psd(5, 6, 3, 8, planes, layers=_psd_layers([gray_alpha], b"\0" * 8)))
    _write(p("psd_layer_channel_id.psd"),
           _psd(5, 6, 3, 8, planes, layers=_psd_layers([_psd_layer((0, 0, 1, 1), (0, 1, 7))], b"\0" * 12)))
    _write(p("psd_layer_count_too_big.psd"), _psd(5, 6, 3, 8, planes, layers=struct.pack(">Ih", 42, 5) + b"\0" * 40))
    _write(p("psd_layer_data_missing.psd"), _psd(5, 6, 3, 8, planes,
                                                 layers=_psd_layers([_psd_layer((0, 0, 2, 3), (0,))])))
    _write(p("psd_zero_height.psd"), _psd(5, 0, 3, 8, [[], [], []]))
    _write(p("psd_bomb.psd"), _psd(70000, 70000, 1, 8, [[b"\0" * 64]]))


def _xbm_body(bits, per_line=12):
    """Rows of 0/1 as XBM bytes (least significant bit first), written as C hex literals."""
    h, w = bits.shape
    packed = np.packbits(np.pad(bits, ((0, 0), (0, (-w) % 8))).astype(np.uint8), axis=1, bitorder="little")
    values = ["0x%02x" % v for v in packed.reshape(-1)]
    lines = [", ".join(values[i:i + per_line]) for i in range(0, len(values), per_line)]
    return ("{\n   " + ",\n   ".join(lines) + " };\n").encode()


def _xbm_good(p):
    im = Image.fromarray(_noise(14, 19, 1, 171)[..., 0]).convert("1")
    im.save(p("xbm_pillow.xbm"))
    im.save(p("xbm_pillow_hotspot.xbm"), hotspot=(3, 4))
    h, w = 7, 13
    bits = (_noise(h, w, 1, 172)[..., 0] > 127).astype(np.uint8)
    body = _xbm_body(bits)
    _write(p("xbm_hand.xbm"), b"#define icon_width %d\n#define icon_height %d\nstatic unsigned char icon_bits[] = " %
           (w, h) + body)
    # CRLF lines and blank lines, leading whitespace, upper-case hex and a letter that is no hex digit.
    _write(p("xbm_crlf_odd_hex.xbm"),
           b"  \n#define a_width %d\r\n\r\n#define a_height %d\r\nchar a_bits[] = " % (w, h) +
           body.upper().replace(b"0X", b"0x").replace(b"0x0", b"0xG", 1))
    # The pixel data start after the last "_bits[]" within the first 512 bytes.
    _write(p("xbm_two_bits_markers.xbm"), b"#define b_width %d\n#define b_height %d\n/* x_bits[] */ char b_bits[] = " %
           (w, h) + body)


def _xbm_bad(p):
    h, w = 7, 13
    body = _xbm_body((_noise(h, w, 1, 173)[..., 0] > 127).astype(np.uint8))
    good = b"#define c_width %d\n#define c_height %d\nstatic char c_bits[] = " % (w, h) + body
    _write(p("xbm_truncated.xbm"), good[: len(good) - 30])
    _write(p("xbm_no_bits.xbm"), b"#define c_width 8\n#define c_height 1\nstatic char c[] = { 0x01 };\n")
    _write(p("xbm_width_trailing_space.xbm"), b"#define c_width 8 \n#define c_height 1\nchar c_bits[] = { 0x01 };\n")
    _write(p("xbm_bomb.xbm"), b"#define c_width 99999\n#define c_height 99999\nchar c_bits[] = { 0x01 };\n")



def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_parts(seed, h=13, w=17, level=9, interlace=False):
    """Signature + IHDR of an 8-bit RGB picture, and its zlib-compressed rows (filter 0)."""
    a = _noise(h, w, 3, seed)
    if interlace:
        rows = b""
        for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                               (0, 1, 1, 2)]:
            sub = a[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                rows += b"".join(b"\0" + r.tobytes() for r in sub)
    else:
        rows = b"".join(b"\0" + r.tobytes() for r in a)
    head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, int(interlace)))
    return head, zlib.compress(rows, level), a


def _png_open_idat(z):
    """An IDAT chunk's length and type followed by `z`, with no CRC (the file is cut there)."""
    return struct.pack(">I", len(z)) + b"IDAT" + z


def _fctl(seq, w, h, x=0, y=0):
    return _png_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, w, h, x, y, 1, 10, 0, 0))


def _actl(frames):
    return _png_chunk(b"acTL", struct.pack(">II", frames, 0))


def _png_good(p):
    # Pillow's ZIP decoder stops at the last row: what follows it in the file is never needed.
    head, z, _ = _png_parts(191)
    iend = _png_chunk(b"IEND", b"")
    _write(p("png_cut_no_idat_crc.png"), head + _png_open_idat(z))
    _write(p("png_cut_no_adler32.png"), head + _png_open_idat(z)[:-4])
    _write(p("png_cut_inside_adler32.png"), head + _png_open_idat(z)[:-2])
    _write(p("png_second_idat_cut_after_rows.png"), head + _png_chunk(b"IDAT", z[:40]) + _png_open_idat(z[40:])[:-4])
    _write(p("png_bad_idat_crc.png"), head + _png_open_idat(z) + b"\0\0\0\0" + iend)
    stored_head, stored, _ = _png_parts(192, level=0)
    _write(p("png_stored_cut_after_rows.png"), stored_head + _png_open_idat(stored)[:-4])
    ihead, iz, _ = _png_parts(193, interlace=True)
    _write(p("png_interlaced_cut_no_adler32.png"), ihead + _png_open_idat(iz)[:-4])
    # After the image data Pillow reads on until the file ends or a chunk header is broken, without CRCs.
    body = head + _png_chunk(b"IDAT", z)
    _write(p("png_trailing_garbage.png"), body + b"\x00\x00\x00\x05!!!!!hello")
    _write(p("png_trailing_text_bad_crc.png"), body + _png_chunk(b"tEXt", b"a\0b")[:-1] + b"\0" + iend)
    _write(p("png_trailing_text_cut_in_crc.png"), body + _png_chunk(b"tEXt", b"Comment\0hello")[:-2])
    _write(p("png_trailing_iccp_broken.png"), body + _png_chunk(b"iCCP", b"icc\0\1xx") + iend)
    _write(p("png_trailing_exif_odd.png"), body + _png_chunk(b"eXIf", b"12345") + iend)
    _write(p("png_trailing_fctl_seq0.png"), body + _fctl(0, 17, 13) + iend)
    # iCCP: Pillow reads the method from the keyword's terminator, so a 1 after it is not looked at.
    _write(p("png_iccp_method_after_nul.png"), head + _png_chunk(b"iCCP", b"icc\0\1xx") + _png_chunk(b"IDAT", z) + iend)
    # APNG: frame 0 is the image; a default image is the IDAT without an fcTL before it; an animation
    # stops load_end at its second fcTL, so a sequence error after that is not seen.
    _, z2, _ = _png_parts(194)
    fdat = lambda seq, d: _png_chunk(b"fdAT", struct.pack(">I", seq) + d)  # noqa: E731
    _write(p("apng_two_frames.png"), head + _actl(2) + _fctl(0, 17, 13) + _png_chunk(b"IDAT", z) + _fctl(1, 17, 13) +
           fdat(2, z2) + iend)
    _write(p("apng_default_image.png"), head + _actl(1) + _png_chunk(b"IDAT", z) + _fctl(0, 17, 13) + fdat(1, z2) + iend)
    _write(p("apng_later_sequence_error.png"), head + _actl(2) + _fctl(0, 17, 13) + _png_chunk(b"IDAT", z) +
           _fctl(5, 17, 13) + fdat(6, z2) + iend)
    # A first frame smaller than the image fills its box; the rest stays 0.
    a = _noise(5, 7, 3, 195)
    zsub = zlib.compress(b"".join(b"\0" + r.tobytes() for r in a))
    _write(p("apng_first_frame_box.png"), head + _actl(2) + _fctl(0, 7, 5, 3, 2) + _png_chunk(b"IDAT", zsub) +
           _fctl(1, 17, 13) + fdat(2, z2) + iend)


def _png_header_good(p):
    # Image.open keeps the last IHDR (its mode only when _MODES has the pair) and the last PLTE read in
    # mode "P"; it ignores the compression method; a palette image without PLTE looks up the grey ramp.
    rng = np.random.default_rng(231)
    idx = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    z = zlib.compress(b"".join(b"\0" + r.tobytes() for r in idx))
    sig, idat, iend = b"\x89PNG\r\n\x1a\n", _png_chunk(b"IDAT", z), _png_chunk(b"IEND", b"")
    ihdr = lambda depth=8, colour=3, compression=0: _png_chunk(  # noqa: E731
        b"IHDR", struct.pack(">IIBBBBB", 7, 5, depth, colour, compression, 0, 0))
    pal = rng.integers(0, 256, 768, dtype=np.uint8).tobytes()
    plte = lambda data: _png_chunk(b"PLTE", data)  # noqa: E731
    _write(p("png_palette_without_plte.png"), sig + ihdr() + idat + iend)
    _write(p("png_plte_10_bytes.png"), sig + ihdr() + plte(pal[:10]) + idat + iend)
    _write(p("png_plte_twice.png"), sig + ihdr() + plte(pal[:30]) + plte(pal[30:90]) + idat + iend)
    _write(p("png_plte_before_ihdr.png"), sig + plte(pal) + ihdr() + idat + iend)
    _write(p("png_ihdr_compression_method_1.png"), sig + ihdr(compression=1) + plte(pal) + idat + iend)
    _write(p("png_ihdr_twice.png"), sig + ihdr() + ihdr() + plte(pal) + idat + iend)
    _write(p("png_ihdr_second_has_no_mode.png"), sig + ihdr() + ihdr(depth=3) + plte(pal) + idat + iend)


def _png_header_bad(p):
    rng = np.random.default_rng(232)
    idx = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    z = zlib.compress(b"".join(b"\0" + r.tobytes() for r in idx))
    sig, idat, iend = b"\x89PNG\r\n\x1a\n", _png_chunk(b"IDAT", z), _png_chunk(b"IEND", b"")
    ihdr = lambda depth=8: _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 7, 5, depth, 3, 0, 0, 0))  # noqa: E731
    pal = rng.integers(0, 256, 900, dtype=np.uint8).tobytes()
    _write(p("png_plte_300_entries.png"), sig + ihdr() + _png_chunk(b"PLTE", pal) + idat + iend)  # invalid palette size
    _write(p("png_palette_16_bit.png"), sig + ihdr(16) + _png_chunk(b"PLTE", pal[:768]) + idat + iend)  # not in _MODES
    _write(p("png_idat_before_ihdr.png"), sig + idat + ihdr() + iend)

def _png_bad(p):
    head, z, _ = _png_parts(196)
    iend = _png_chunk(b"IEND", b"")
    body = head + _png_chunk(b"IDAT", z)
    _write(p("png_cut_before_last_row.png"), head + _png_open_idat(z)[:-12])
    stored_head, stored, _ = _png_parts(197, level=0)
    _write(p("png_stored_cut_in_last_row.png"), stored_head + _png_open_idat(stored)[:-5])
    _write(p("png_first_idat_only.png"), head + _png_chunk(b"IDAT", z[:40]))
    _write(p("png_second_idat_header_cut.png"), head + _png_chunk(b"IDAT", z[:40]) + struct.pack(">I", 9) + b"IDA")
    # The inflate call that gives the last row goes on to the adler32 when it is there: a wrong one is an error.
    _write(p("png_bad_adler32.png"), head + _png_chunk(b"IDAT", z[:-4] + bytes(4)) + iend)
    # load_end after the image data: a chunk cut short, and the handlers' own errors.
    _write(p("png_trailing_text_cut.png"), body + _png_chunk(b"tEXt", b"Comment\0hello world")[:-8])
    _write(p("png_trailing_unknown_cut.png"), body + _png_chunk(b"abCD", b"x" * 50)[:-20])
    _write(p("png_trailing_idat_cut.png"), body + _png_chunk(b"IDAT", b"x" * 50)[:-20])
    _write(p("png_trailing_ztxt_over_1mb.png"), body + _png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * (1 << 21))) + iend)
    _write(p("png_trailing_ztxt_method_1.png"), body + _png_chunk(b"zTXt", b"Comment\0\1" + zlib.compress(b"a")) + iend)
    for name, data in [(b"gAMA", b""), (b"sRGB", b""), (b"pHYs", b"12345678"), (b"IHDR", b"1234"), (b"tRNS", b"12"),
                       (b"acTL", b"1234"), (b"cHRM", b"12345"), (b"fdAT", b"ab")]:
        _write(p(f"png_trailing_{name.decode()}_short.png"), body + _png_chunk(name, data) + iend)
    _write(p("png_trailing_ihdr_filter_1.png"), body + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 17, 13, 8, 2, 0, 1, 0)) + iend)
    _write(p("png_trailing_fctl_sequence_error.png"), body + _fctl(3, 17, 13) + iend)
    _write(p("png_trailing_fdat_sequence_error.png"), body + _png_chunk(b"fdAT", struct.pack(">I", 0) + b"abc") + iend)
    _write(p("apng_one_frame_later_sequence_error.png"), head + _actl(1) + _fctl(0, 17, 13) + _png_chunk(b"IDAT", z) +
           _fctl(5, 17, 13) + iend)
    # Image.open's handlers before the image data.
    for name, data in [(b"gAMA", b""), (b"gAMA", b"\0\0\1"), (b"sRGB", b""), (b"tRNS", b"12")]:
        _write(p(f"png_{name.decode()}_{len(data)}_bytes.png"), head + _png_chunk(name, data) + _png_chunk(b"IDAT", z) + iend)
    _write(p("png_ztxt_method_1.png"), head + _png_chunk(b"zTXt", b"Comment\0\1" + zlib.compress(b"a")) +
           _png_chunk(b"IDAT", z) + iend)
    _write(p("apng_first_fctl_sequence_1.png"), head + _actl(2) + _fctl(1, 17, 13) + _png_chunk(b"IDAT", z) + iend)
    _write(p("apng_fctl_outside_image.png"), head + _actl(2) + _fctl(0, 18, 13) + _png_chunk(b"IDAT", z) + iend)
    _write(p("apng_fctl_short.png"), head + _actl(2) + _png_chunk(b"fcTL", bytes(20)) + _png_chunk(b"IDAT", z) + iend)


def _exif_ifd(orientation, order=b"MM", magic=b"\x00\x2a"):
    """A TIFF block whose IFD0 holds one SHORT orientation, in either byte order, with Pillow's accepted magics."""
    e = ">" if order == b"MM" else "<"
    return order + magic + struct.pack(e + "IHHHIHHI", 8, 1, 0x0112, 3, 1, orientation, 0, 0)


_BIGTIFF_EXIF = b"Exif\0\0II\x2b\x00\x08\x00\x00\x00" + bytes(16)


def _exif_bad(p):
    # Image.open reads the EXIF block of a JPEG without a JFIF dpi, and lets struct.error through.
    buf = io.BytesIO()
    Image.fromarray(_noise(5, 6, 3, 203)).save(buf, "JPEG")
    jpeg = buf.getvalue()
    _write(p("jpeg_exif_bigtiff.jpg"), jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(_BIGTIFF_EXIF) + 2) +
           _BIGTIFF_EXIF + jpeg[2:])


def _exif_good(p):
    # Image.getexif() reads the EXIF block under exif_transpose, and raises where it does not start
    # with a classic TIFF header: the plain pass opens these files, the exif_transpose pass refuses them.
    rgb = _noise(11, 7, 3, 201)
    im = Image.fromarray(rgb)
    _, z, _ = _png_parts(202, h=11, w=7)
    head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 7, 11, 8, 2, 0, 0, 0))
    idat, iend = _png_chunk(b"IDAT", z), _png_chunk(b"IEND", b"")
    _write(p("png_exif_not_tiff.png"), head + idat + _png_chunk(b"eXIf", b"12345") + iend)
    _write(p("png_exif_empty.png"), head + _png_chunk(b"eXIf", b"") + idat + iend)
    _write(p("png_exif_swapped_magic.png"), head + _png_chunk(b"eXIf", _exif_ifd(6, b"MM", b"\x2a\x00")) + idat + iend)
    _write(p("png_exif_text_key_bytes.png"), head + _png_chunk(b"tEXt", b"exif\0" + _exif_ifd(3, b"II", b"\x2a\x00")) +
           idat + iend)
    _write(p("png_exif_ztxt_key_text.png"), head + _png_chunk(b"zTXt", b"exif\0\0" + zlib.compress(b"text")) + idat + iend)
    hexdump = "\nexif\n      26\n" + _exif_ifd(8).hex()
    _write(p("png_exif_raw_profile.png"), head + _png_chunk(b"tEXt", b"Raw profile type exif\0" + hexdump.encode()) +
           idat + iend)
    _write(p("png_exif_raw_profile_not_hex.png"), head + _png_chunk(b"tEXt", b"Raw profile type exif\0\nexif\n 2\n4d4x") +
           idat + iend)
    _write(p("png_exif_raw_profile_odd_digits.png"), head + _png_chunk(b"tEXt", b"Raw profile type exif\0\nexif\n 2\n4d 4d") +
           idat + iend)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    jpeg = buf.getvalue()

    def app1(payload):
        return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]

    _write(p("jpeg_exif_not_tiff.jpg"), app1(b"Exif\0\0garbage!!"))
    _write(p("jpeg_exif_one_nul.jpg"), app1(b"Exif\0" + _exif_ifd(6)))
    _write(p("jpeg_exif_only_prefix.jpg"), app1(b"Exif\0\0"))
    # With a JFIF dpi before it, Image.open leaves the EXIF block alone: only exif_transpose reads it.
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, dpi=(72, 72))
    jpeg = buf.getvalue()
    app0_end = 4 + struct.unpack(">H", jpeg[4:6])[0]
    with_dpi = lambda payload: (jpeg[:app0_end] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload +  # noqa: E731
                                jpeg[app0_end:])
    _write(p("jpeg_exif_not_tiff_after_dpi.jpg"), with_dpi(b"Exif\0\0garbage!!"))
    _write(p("jpeg_exif_bigtiff_after_dpi.jpg"), with_dpi(_BIGTIFF_EXIF))
    _write(p("jpeg_exif_swapped_magic.jpg"), app1(b"Exif\0\0" + _exif_ifd(5, b"II", b"\x00\x2a")))
    im.save(p("webp_exif_not_tiff.webp"), "WEBP", lossless=True, exif=b"Exif\0\0nonsense")


def _tiff(entries, data, order="<"):
    """A classic TIFF with one IFD written entry by entry as given (repeats kept); the value None stands
    for the offset of `data`, which follows the IFD. SHORT (3) and LONG (4) values only."""
    blobs_at = 8 + 2 + 12 * len(entries) + 4
    sizes = [len(values) * (2 if typ == 3 else 4) for _, typ, values in entries]
    data_at = blobs_at + sum(n for n in sizes if n > 4)
    ifd, blobs = b"", b""
    for (tag, typ, values), n in zip(entries, sizes):
        raw = b"".join(struct.pack(order + ("H" if typ == 3 else "I"), data_at if v is None else v) for v in values)
        if n <= 4:
            ifd += struct.pack(order + "HHI", tag, typ, len(values)) + raw.ljust(4, b"\0")
        else:
            ifd += struct.pack(order + "HHII", tag, typ, len(values), blobs_at + len(blobs))
            blobs += raw
    head = (b"II*\0" if order == "<" else b"MM\0*") + struct.pack(order + "I", 8)
    return head + struct.pack(order + "H", len(entries)) + ifd + b"\0\0\0\0" + blobs + data


def _tiff_strip(w, h, bits, data, photometric=1):
    return [(256, 3, [w]), (257, 3, [h]), (258, 3, [bits]), (259, 3, [1]), (262, 3, [photometric]), (273, 4, [None]),
            (277, 3, [1]), (278, 3, [h]), (279, 4, [len(data)])]


def _gray12(h, w, seed):
    v = np.random.default_rng(seed).integers(0, 4096, (h, w))
    v[0, :4] = [0, 254, 255, 4095]
    rows = b""
    for r in v:
        bits = "".join(format(int(x), "012b") for x in r)
        bits += "0" * (-len(bits) % 8)
        rows += int(bits, 2).to_bytes(len(bits) // 8, "big")
    return rows


def _tiff_good(p):
    import tifffile  # noqa: PLC0415 - Debian's python3-tifffile, as tests/make_image_corpus.py

    rng = np.random.default_rng(211)
    f = (rng.random((9, 11)) * 400 - 50).astype(np.float32)
    f[0, :5] = [np.nan, np.inf, -np.inf, 254.99, 255.0]
    tifffile.imwrite(p("tiff_float32_grey.tif"), f, photometric="minisblack")
    tifffile.imwrite(p("tiff_float32_grey_big_endian_deflate.tif"), f, photometric="minisblack", byteorder=">",
                     compression="zlib")
    tifffile.imwrite(p("tiff_float32_miniswhite_not_inverted.tif"), f, photometric="miniswhite")
    lab = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    tifffile.imwrite(p("tiff_cielab.tif"), lab, photometric="cielab")
    tifffile.imwrite(p("tiff_cielab_deflate_big_endian.tif"), lab, photometric="cielab", compression="zlib", byteorder=">")
    rgba = rng.integers(0, 65536, (9, 11, 4), dtype=np.uint16)
    rgba[0, :3, 3] = [0, 65535, 300]
    tifffile.imwrite(p("tiff_rgba16_premultiplied.tif"), rgba, photometric="rgb", extrasamples=["assocalpha"])
    tifffile.imwrite(p("tiff_rgba16_premultiplied_big_endian.tif"), rgba, photometric="rgb", extrasamples=["assocalpha"],
                     byteorder=">")
    g12 = _gray12(5, 7, 212)
    _write(p("tiff_gray12.tif"), _tiff(_tiff_strip(7, 5, 12, g12), g12))
    # A repeated tag: Pillow keeps the last value.
    g = rng.integers(0, 256, (5, 7), dtype=np.uint8).tobytes()
    e = _tiff_strip(7, 5, 8, g)
    _write(p("tiff_repeated_width.tif"), _tiff(e[:1] + [(256, 3, [3])] + e[1:], g))
    _write(p("tiff_repeated_photometric.tif"), _tiff(e[:5] + [(262, 3, [0])] + e[5:], g))


def _tiff_bad(p):
    import tifffile  # noqa: PLC0415

    g12 = _gray12(5, 7, 213)
    _write(p("tiff_gray12_big_endian.tif"), _tiff(_tiff_strip(7, 5, 12, g12), g12, order=">"))  # not in OPEN_INFO
    g = bytes(35)
    _write(p("tiff_no_strip_offsets.tif"), _tiff([x for x in _tiff_strip(7, 5, 8, g) if x[0] != 273], g))
    rgba = np.random.default_rng(214).integers(0, 65536, (4, 9, 11), dtype=np.uint16)
    tifffile.imwrite(p("tiff_rgba16_premultiplied_planar.tif"), rgba, photometric="rgb", extrasamples=["assocalpha"],
                     planarconfig="separate")  # Pillow: unknown raw mode


def _lzw(indices, min_code_size, clear_when_full=True, literal_only=False):
    """GIF LZW data sub-blocks for any minimum code size (Pillow reads 0 to 12, giflib 2 to 8): strings
    grow the table, codes widen after the entry 2^width is added, a clear when the table is full.
    literal_only: every pixel its own code at the starting width, as some encoders write."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    width, table, nxt = min_code_size + 1, {(i,): i for i in range(clear)}, end + 1
    codes, cur = [(clear, width)], ()
    if literal_only:
        codes += [(int(x), width) for x in indices]
        indices = []
    for v in (int(x) for x in indices):
        if cur + (v,) in table:
            cur += (v,)
            continue
        codes.append((table[cur], width))
        if nxt < 4096:
            table[cur + (v,)] = nxt
            nxt += 1
            if nxt - 1 == 1 << width and width < 12:
                width += 1
        elif clear_when_full:
            codes.append((clear, width))
            width, table, nxt = min_code_size + 1, {(i,): i for i in range(clear)}, end + 1
        cur = (v,)
    if cur:
        codes.append((table[cur], width))
    codes.append((end, width))
    bits = nbits = 0
    out = bytearray()
    for c, w in codes:
        bits |= c << nbits
        nbits += w
        while nbits >= 8:
            out.append(bits & 255)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits)
    blocks = b"".join(bytes([len(out[i:i + 255])]) + bytes(out[i:i + 255]) for i in range(0, len(out), 255))
    return bytes([min_code_size]) + blocks + b"\0"


def _gif(data, w, h, interlace=False):
    palette = (np.arange(256 * 3) * 7 % 256).astype(np.uint8).tobytes()
    return (b"GIF89a" + struct.pack("<HHBBB", w, h, 0xF7, 0, 0) + palette + b"\x2c" +
            struct.pack("<HHHHB", 0, 0, w, h, 0x40 if interlace else 0) + data + b"\x3b")


def _gif_good(p):
    # LZW minimum code sizes giflib refuses (or reads its own way) and Pillow decodes.
    rng = np.random.default_rng(221)
    for size in (9, 10, 12):
        idx = rng.integers(0, 6, (40, 50))
        _write(p(f"gif_lzw_code_size_{size}.gif"), _gif(_lzw(idx.reshape(-1), size), 50, 40))
    for size in (0, 1):  # giflib refuses 0 and reads 1 differently
        idx = rng.integers(0, 1 << size, (3, 4))
        _write(p(f"gif_lzw_code_size_{size}_literals.gif"), _gif(_lzw(idx.reshape(-1), size, literal_only=True), 4, 3))
    big = rng.integers(0, 256, (90, 100)).reshape(-1)
    _write(p("gif_lzw_code_size_9_full_table.gif"), _gif(_lzw(big, 9), 100, 90))
    _write(p("gif_lzw_code_size_11_full_table_no_clear.gif"), _gif(_lzw(big, 11, clear_when_full=False), 100, 90))
    wide = rng.integers(0, 1 << 10, (6, 9)).reshape(-1)  # indices above 255 keep their low byte
    _write(p("gif_lzw_code_size_10_indices_over_255.gif"), _gif(_lzw(wide, 10), 9, 6))
    rows = rng.integers(0, 256, (11, 9))
    order = list(range(0, 11, 8)) + list(range(4, 11, 8)) + list(range(2, 11, 4)) + list(range(1, 11, 2))
    _write(p("gif_lzw_code_size_9_interlaced.gif"), _gif(_lzw(rows[order].reshape(-1), 9), 9, 11, interlace=True))
    data = _lzw(rng.integers(0, 6, 2000), 9)
    _write(p("gif_lzw_code_size_9_no_block_terminator.gif"), _gif(data[:-1], 50, 40)[:-1])


def _gif_bad(p):
    rng = np.random.default_rng(222)
    idx = rng.integers(0, 6, 2000)
    _write(p("gif_lzw_code_size_13.gif"), _gif(_lzw(idx, 13), 50, 40))
    for size in (0, 1):  # strings at these sizes run out of data for Pillow too
        _write(p(f"gif_lzw_code_size_{size}_strings.gif"), _gif(_lzw(rng.integers(0, 1 << size, 2000), size), 50, 40))
    data = _lzw(idx, 9)
    _write(p("gif_lzw_code_size_9_cut.gif"), _gif(data[: len(data) // 2], 50, 40)[:-1])
    _write(p("gif_lzw_code_size_9_early_end_code.gif"), _gif(_lzw(idx[:1000], 9), 50, 40))
    corrupt = bytearray(data)
    corrupt[5] ^= 0xFF
    _write(p("gif_lzw_code_size_9_corrupt.gif"), _gif(bytes(corrupt), 50, 40))

def _mpo_good(p):
    # MPO (multi-picture JPEG): Pillow opens the first frame, which the JPEG decoder reads.
    first, second = (Image.fromarray(_noise(21, 34, 3, seed)) for seed in (181, 182))
    first.save(p("mpo_two_frames.mpo"), "MPO", save_all=True, append_images=[second], quality=90)


def seeds(limit=4096):
    """The fuzz replay's seeds (tests/fuzz/make_seeds.py): every file of this corpus up to `limit` bytes."""
    import tempfile  # noqa: PLC0415

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        make_good(os.path.join(tmp, "good"))
        make_bad(os.path.join(tmp, "bad"))
        for kind in ("good", "bad"):
            for name in sorted(os.listdir(os.path.join(tmp, kind))):
                with open(os.path.join(tmp, kind, name), "rb") as f:
                    data = f.read()
                if len(data) <= limit:
                    out[f"{kind}_{name}"] = data
    return out


def make_good(out):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)  # noqa: E731
    _pnm_good(p)
    _tga_good(p)
    _tga_cursor_lookalike(p)
    _ico_good(p)
    _pcx_good(p)
    _sgi_good(p)
    _dds_good(p)
    _psd_good(p)
    _xbm_good(p)
    _mpo_good(p)
    _png_good(p)
    _png_header_good(p)
    _exif_good(p)
    make_jpeg2000_corpus.make_good(p)
    make_rare1_corpus.make_good(p)
    make_rare2_corpus.make_good(p)
    _tiff_good(p)
    _gif_good(p)
    make_gaps_corpus.make_good(p)
    make_third_party_corpus.make_good(p)


def make_bad(out):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)  # noqa: E731
    _pnm_bad(p)
    _tga_bad(p)
    _ico_bad(p)
    _pcx_bad(p)
    _sgi_bad(p)
    _dds_bad(p)
    _psd_bad(p)
    _xbm_bad(p)
    _png_bad(p)
    _png_header_bad(p)
    _exif_bad(p)
    make_jpeg2000_corpus.make_bad(p)
    make_rare1_corpus.make_bad(p)
    make_rare2_corpus.make_bad(p)
    _tiff_bad(p)
    _gif_bad(p)
    make_gaps_corpus.make_bad(p)
    make_third_party_corpus.make_bad(p)
