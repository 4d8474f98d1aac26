"""Files for the image corpus in the formats Pillow 9.4 reads without writing most of them: XPM, ICNS, Sun
raster, MSP, IM and DCX, written by Pillow where it can and byte by byte elsewhere, with the variants
its readers treat specially, and truncated or hostile files.

tests/make_format_corpus.py calls make_good(p) and make_bad(p), p(name) giving the path to write.
"""
import io
import struct

import numpy as np
from PIL import Image
from corpus_files import noise as _noise, write as _write


# XPM ------------------------------------------------------------------------------------------------

_XPM_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+@#$%&*=-;>,')!~^/(_:<[]{}|`"


def _xpm(w, h, colours, rows, header=None, eol=b"\n", prelude=b"static char *x[] = {\n"):
    """An XPM file: `colours` a list of (char, definition) pairs, `rows` a list of byte strings."""
    out = b"/* XPM */" + eol + prelude
    out += header if header is not None else b'"%d %d %d 1",' % (w, h, len(colours)) + eol
    for c, definition in colours:
        out += b'"' + bytes([c]) + b" " + definition + b'",' + eol
    for r in rows:
        out += b'"' + r + b'",' + eol
    return out + b"};" + eol


def _xpm_picture(w, h, n, seed):
    idx = np.random.default_rng(seed).integers(0, n, (h, w))
    rows = [bytes(_XPM_CHARS[i] for i in row) for row in idx]
    rgb = _noise(1, n, 3, seed + 1)[0]
    colours = [(_XPM_CHARS[i], b"c #%02X%02x%02X" % tuple(rgb[i])) for i in range(n)]
    return colours, rows


def _xpm_good(p):
    colours, rows = _xpm_picture(17, 11, 40, 1)
    _write(p("xpm_40_colours.xpm"), _xpm(17, 11, colours, rows))
    colours[3] = (colours[3][0], b"c None")
    colours[4] = (colours[4][0], b"s edge m white c #0x_12_34_56")
    colours[5] = (colours[5][0], b"g4 grey c #-1")
    colours[6] = (colours[6][0], b"c #FFFF0000AAAA")
    colours[7] = (colours[7][0], b"c #+abc")
    _write(p("xpm_none_and_odd_hex.xpm"), _xpm(17, 11, colours, rows, eol=b"\r\n"))
    # Short and long rows, rows missing at the end, an unlisted character, a hotspot in the header.
    odd = [rows[0][:5], rows[1] + b"extra", b"", rows[3].replace(b"a", b"?")] + rows[4:8]
    _write(p("xpm_ragged_rows.xpm"), _xpm(17, 11, colours, odd, header=b'"17 11 40 1 3 4",\n'))
    # The header is the first line that starts with '"' and four numbers; the colour line without a
    # closing comma loses the last digit of its colour to the [2:-2] slice.
    _write(p("xpm_comments_before_header.xpm"),
           b'/* XPM */\n/* "not a header" */\n"x"\n"4 2 2 1"\n"a c #102030"\n"b c #405060\n"abab"\n"baba"\n')
    big_colours, big_rows = _xpm_picture(64, 48, 80, 2)
    _write(p("xpm_64x48.xpm"), _xpm(64, 48, big_colours, big_rows))


def _xpm_bad(p):
    colours, rows = _xpm_picture(9, 5, 6, 3)
    _write(p("xpm_two_chars_per_pixel.xpm"), _xpm(9, 5, colours, rows, header=b'"9 5 6 2",\n'))
    _write(p("xpm_too_many_colours.xpm"), _xpm(9, 5, colours, rows, header=b'"9 5 257 1",\n'))
    _write(p("xpm_empty_number.xpm"), _xpm(9, 5, colours, rows, header=b'"9  6 1",\n'))
    for name, at, definition in (("colour_name", 2, b"c red"), ("no_c_key", 1, b"m #000000"),
                                 ("bad_hex", 0, b"c #12G456"), ("double_underscore", 0, b"c #12__34")):
        edited = list(colours)
        edited[at] = (edited[at][0], definition)
        _write(p(f"xpm_{name}.xpm"), _xpm(9, 5, edited, rows))
    _write(p("xpm_no_header.xpm"), b"/* XPM */\nstatic char *x[] = {\n};\n")
    _write(p("xpm_colours_cut_short.xpm"), _xpm(9, 5, colours, rows)[:60])
    _write(p("xpm_zero_width.xpm"), _xpm(0, 5, colours, rows))
    _write(p("xpm_bomb.xpm"), _xpm(30000, 30000, colours[:1], []))


# ICNS -----------------------------------------------------------------------------------------------

def _icns_runs(channel):
    """One channel in ICNS's runs: 0x80 + n - 3 then a value for n (3..130) repeats, n - 1 then n literals."""
    out, i, n = bytearray(), 0, len(channel)
    while i < n:
        j = i
        while j < n and j - i < 130 and channel[j] == channel[i]:
            j += 1
        if j - i >= 3:
            out += bytes([j - i + 125, channel[i]])
            i = j
            continue
        j = i
        while j < n and j - i < 128 and not (j + 2 < n and channel[j] == channel[j + 1] == channel[j + 2]):
            j += 1
        out += bytes([j - i - 1]) + bytes(channel[i:j])
        i = j
    return bytes(out)


def _icns(blocks, claimed=None):
    body = b"".join(t + struct.pack(">I", len(d) + 8) + d for t, d in blocks)
    return b"icns" + struct.pack(">I", claimed if claimed is not None else len(body) + 8) + body


def _icon_rgb(side, seed, flat=True):
    """A picture with runs (flat areas) and noise, as (rgb, runs of each channel)."""
    a = _noise(side, side, 3, seed)
    if flat:
        a[: side // 2] = a[0, 0]
    return a, b"".join(_icns_runs(a[..., c].reshape(-1)) for c in range(3))


def _png_bytes(im):
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _icns_good(p):
    rgb, runs = _icon_rgb(16, 11)
    mask = bytes(range(256))
    _write(p("icns_is32_runs.icns"), _icns([(b"ICN#", b"\0" * 256), (b"is32", runs), (b"s8mk", mask)]))
    rgb32, runs32 = _icon_rgb(32, 12)
    _write(p("icns_il32_no_mask.icns"), _icns([(b"is32", runs), (b"il32", runs32)]))
    rgb48, _ = _icon_rgb(48, 13, flat=False)
    _write(p("icns_ih32_uncompressed.icns"), _icns([(b"ih32", rgb48.tobytes()), (b"h8mk", b"\xff" * 48 * 48)]))
    rgb128, runs128 = _icon_rgb(128, 14)
    _write(p("icns_it32_largest.icns"),
           _icns([(b"is32", runs), (b"it32", b"\0\0\0\0" + runs128), (b"t8mk", b"\x80" * 128 * 128)]))
    # PNG payloads in every mode; the largest slot wins over the 24-bit icons.
    _write(p("icns_png_rgb_two_slots.icns"), _icns([(b"ic11", _png_bytes(Image.fromarray(_noise(32, 32, 3, 15)))),
                                                    (b"ic12", _png_bytes(Image.fromarray(_noise(64, 64, 3, 19))))]))
    _write(p("icns_png_rgba.icns"), _icns([(b"ic11", _png_bytes(Image.fromarray(_noise(32, 32, 4, 16), "RGBA")))]))
    _write(p("icns_png_palette_beats_is32.icns"),
           _icns([(b"is32", runs), (b"icp4", _png_bytes(Image.fromarray(rgb).convert("P")))]))
    _write(p("icns_png_grey_ic07_and_it32.icns"),
           _icns([(b"ic07", _png_bytes(Image.fromarray(rgb128).convert("L"))), (b"it32", b"\0\0\0\0" + runs128)]))
    # The payload's own size, not its slot's, is the picture's, where the file lists that size.
    _write(p("icns_png_size_of_another_slot.icns"),
           _icns([(b"is32", runs), (b"ic11", _png_bytes(Image.fromarray(_noise(16, 16, 3, 17))))]))
    buf = io.BytesIO()
    Image.fromarray(_noise(16, 16, 3, 18)).save(buf, "JPEG2000", irreversible=False)
    _write(p("icns_jpeg2000_ic12.icns"), _icns([(b"is32", runs), (b"ic12", buf.getvalue())]))
    # A later block of a type replaces an earlier one; the header's length stops the walk early.
    _write(p("icns_repeated_block.icns"), _icns([(b"is32", b"\x7f" * 300), (b"is32", runs)]))
    _write(p("icns_claimed_length_short.icns"), _icns([(b"is32", runs), (b"il32", b"\xff")], claimed=8 + 8 + len(runs)))
    # A run reading on past its block's end into the next block.
    _write(p("icns_runs_past_block.icns"), _icns([(b"is32", runs[:-3]), (b"zzzz", runs[-3:])]))


def _icns_bad(p):
    rgb, runs = _icon_rgb(16, 21)
    _write(p("icns_no_known_icon.icns"), _icns([(b"ICN#", b"\0" * 256)]))
    _write(p("icns_runs_short.icns"), _icns([(b"is32", runs[:-2])]))
    _write(p("icns_runs_overshoot.icns"), _icns([(b"is32", b"\xff\x01\xff\x02" + runs)]))
    _write(p("icns_png_size_not_listed.icns"), _icns([(b"ic11", _png_bytes(Image.fromarray(_noise(7, 5, 3, 17))))]))
    _write(p("icns_mask_cut.icns"), _icns([(b"is32", runs), (b"s8mk", b"\0" * 100)]))
    _write(p("icns_it32_no_zeros.icns"), _icns([(b"it32", b"\1\0\0\0" + runs)]))
    _write(p("icns_zero_length_block.icns"), b"icns\0\0\1\0is32\0\0\0\0")
    _write(p("icns_block_list_cut.icns"), _icns([(b"is32", runs)], claimed=4096))
    _write(p("icns_unknown_payload.icns"), _icns([(b"ic08", b"GIF89a" + b"\0" * 40)]))
    png = _png_bytes(Image.fromarray(_noise(16, 16, 3, 22)))
    _write(p("icns_png_truncated.icns"), _icns([(b"icp4", png[:60])]))
    _write(p("icns_png_bad_with_good_is32.icns"), _icns([(b"is32", runs), (b"icp4", png[:8] + b"\0" * 30)]))
    _write(p("icns_header_only.icns"), b"icns\0\0")


# Sun raster -----------------------------------------------------------------------------------------

def _sun(w, h, depth, data, file_type=1, colour_map=b"", map_type=1, length=None):
    return struct.pack(">8I", 0x59A66A95, w, h, depth, len(data) if length is None else length, file_type,
                       map_type if colour_map else 0, len(colour_map)) + colour_map + data


def _sun_rows(a, depth):
    """Rows of `a` (h x w samples, or h x w x bytes) packed at `depth` bits and padded to 16 bits."""
    h, w = a.shape[:2]
    if depth == 1:
        rows = np.packbits(a.astype(np.uint8), axis=1)
    elif depth == 4:
        padded = np.zeros((h, w + w % 2), np.uint8)
        padded[:, :w] = a
        rows = padded[:, 0::2] << 4 | padded[:, 1::2]
    else:
        rows = a.reshape(h, -1)
    if rows.shape[1] % 2:
        rows = np.concatenate([rows, np.full((h, 1), 0xEE, np.uint8)], axis=1)
    return rows.tobytes()


def _groups(raw, longest):
    """`raw` as (byte, count) runs of equal bytes, at most `longest` long."""
    out, i = [], 0
    while i < len(raw):
        j = i
        while j < len(raw) and j - i < longest and raw[j] == raw[i]:
            j += 1
        out.append((raw[i], j - i))
        i = j
    return out


def _sun_rle(raw):
    """Byte-encoded: 0x80 n v for runs of 3 to 256, 0x80 0 for a lone 0x80."""
    out = bytearray()
    for v, n in _groups(raw, 256):
        out += bytes([0x80, n - 1, v]) if n >= 3 else (b"\x80\x00" if v == 0x80 else bytes([v])) * n
    return bytes(out)


def _sun_good(p):
    h, w = 9, 13
    a = _noise(h, w, 4, 31)
    a[2:5] = 0x80
    grey = a[..., 0]
    _write(p("sun_1bit.ras"), _sun(w, h, 1, _sun_rows(grey > 127, 1)))
    # The last row's padding may be missing.
    _write(p("sun_8bit_last_row_unpadded.ras"), _sun(w, h, 8, _sun_rows(grey, 8)[:-1]))
    _write(p("sun_4bit_grey.ras"), _sun(w, h, 4, _sun_rows(grey % 16, 4)))
    _write(p("sun_8bit_grey.ras"), _sun(w, h, 8, _sun_rows(grey, 8), file_type=0))
    planes = _noise(3, 200, 1, 32).reshape(-1).tobytes()
    _write(p("sun_8bit_palette.ras"), _sun(w, h, 8, _sun_rows(grey, 8), colour_map=planes[:600]))
    _write(p("sun_4bit_palette_short.ras"), _sun(w, h, 4, _sun_rows(grey % 16, 4), colour_map=planes[:23]))
    _write(p("sun_24bit_bgr.ras"), _sun(w, h, 24, _sun_rows(a[..., :3], 24), file_type=4, length=0))
    _write(p("sun_24bit_rgb_type3.ras"), _sun(w, h, 24, _sun_rows(a[..., :3], 24), file_type=3))
    _write(p("sun_32bit_bgrx.ras"), _sun(w, h, 32, _sun_rows(a, 32), file_type=5))
    _write(p("sun_32bit_rgbx_type3.ras"), _sun(w, h, 32, _sun_rows(a, 32), file_type=3) + b"trailing")
    # Byte-encoded rows are not padded, and runs go on into the next rows.
    # Width 12 keeps 4-bit rows an even number of bytes, the same padded or not.
    for depth, samples in ((8, grey), (24, a[..., :3]), (1, grey > 100), (4, grey[:, :12] % 16)):
        raw = (np.packbits(samples.astype(np.uint8), axis=1).tobytes() if depth == 1 else
               _sun_rows(samples, 4) if depth == 4 else samples.tobytes())
        _write(p(f"sun_rle_{depth}bit.ras"), _sun(samples.shape[1], h, depth, _sun_rle(raw), file_type=2,
                                                  colour_map=planes[:48] if depth == 8 else b""))
    _write(p("sun_rle_run_across_rows.ras"), _sun(w, h, 8, b"\x80\xff\x07\x80\x00" + bytes(range(w * h - 257)),
                                                  file_type=2))


def _sun_bad(p):
    h, w = 6, 7
    grey = _noise(h, w, 1, 33)[..., 0]
    rows = _sun_rows(grey, 8)
    _write(p("sun_truncated.ras"), _sun(w, h, 8, rows[:-2]))
    _write(p("sun_rle_truncated.ras"), _sun(w, h, 8, _sun_rle(grey.tobytes())[:-1], file_type=2))
    _write(p("sun_rle_cut_in_run.ras"), _sun(w, h, 8, b"\x80\x05", file_type=2))
    _write(p("sun_depth_16.ras"), _sun(w, h, 16, rows * 2))
    _write(p("sun_type_6.ras"), _sun(w, h, 8, rows, file_type=6))
    _write(p("sun_map_type_2.ras"), _sun(w, h, 8, rows, colour_map=b"\0" * 30, map_type=2))
    _write(p("sun_map_over_1024.ras"), _sun(w, h, 8, rows, colour_map=b"\0" * 1026))
    _write(p("sun_map_257_entries.ras"), _sun(w, h, 8, rows, colour_map=b"\0" * 771))
    _write(p("sun_24bit_with_map.ras"), _sun(w, h, 24, rows * 3, colour_map=b"\0" * 30))
    _write(p("sun_header_cut.ras"), _sun(w, h, 8, rows)[:20])
    _write(p("sun_zero_height.ras"), _sun(w, 0, 8, rows))
    _write(p("sun_bomb.ras"), _sun(40000, 40000, 1, b"\0" * 64))


# MSP ------------------------------------------------------------------------------------------------

def _msp_v2(w, h, rows, checksum_ok=True):
    """A Paint 2.x file: `rows` the encoded bytes of each row."""
    words = [0x694C, 0x536E, w, h, 1, 1, 1, 1, w, h, 0, 0, 0, 0, 0, 0]
    if checksum_ok:
        x = 0
        for v in words:
            x ^= v
        words[12] = x
    return struct.pack("<16H", *words) + struct.pack(f"<{h}H", *map(len, rows)) + b"".join(rows)


def _msp_runs(row):
    """Runs (0, n, v) for 3 or more equal bytes, literals (n, bytes) for the others."""
    return b"".join(bytes([0, n, v]) if n >= 3 else bytes([n] + [v] * n) for v, n in _groups(row, 255))


def _msp_good(p):
    h, w = 21, 35
    bits = _noise(h, w, 1, 41)[..., 0] > 100
    bits[3:6] = True
    Image.fromarray(bits).save(p("msp_v1_pillow.msp"))
    packed = np.packbits(bits.astype(np.uint8), axis=1)
    rows = [_msp_runs(r.tobytes()) for r in packed]
    _write(p("msp_v2_runs.msp"), _msp_v2(w, h, rows))
    # Empty rows are white; a row that expands long or short shifts those after it; a literal cut short at
    # the row's end.
    odd = list(rows)
    odd[2] = b""
    odd[4] = odd[4] + b"\x00\x03\x55"
    odd[7] = _msp_runs(packed[7].tobytes()[:-2])
    odd[9] = b"\x05\xaa\xbb" + b"\x00\x02\x11"
    odd[-1] = odd[-1] + b"\x00\x09\x77"
    _write(p("msp_v2_odd_rows.msp"), _msp_v2(w, h, odd))


def _msp_bad(p):
    h, w = 9, 20
    packed = np.packbits(_noise(h, w, 1, 42)[..., 0] > 100, axis=1)
    rows = [_msp_runs(r.tobytes()) for r in packed]
    _write(p("msp_bad_checksum.msp"), _msp_v2(w, h, rows, checksum_ok=False))
    _write(p("msp_v2_truncated.msp"), _msp_v2(w, h, rows)[:-3])
    _write(p("msp_v2_row_map_cut.msp"), _msp_v2(w, h, rows)[:40])
    short = list(rows)
    short[-1] = b"\x01\x00"
    _write(p("msp_v2_too_little_data.msp"), _msp_v2(w, h, short))
    # A run cut short in the last row, after enough data for the picture: still refused.
    cut_run = list(rows)
    cut_run[-1] = cut_run[-1] + b"\x00\x05"
    _write(p("msp_v2_run_cut_short.msp"), _msp_v2(w, h, cut_run))
    buf = io.BytesIO()
    Image.fromarray(packed > 0).save(buf, "MSP")
    _write(p("msp_v1_truncated.msp"), buf.getvalue()[:-1])
    _write(p("msp_header_cut.msp"), buf.getvalue()[:20])


# DCX ------------------------------------------------------------------------------------------------

def _pcx_bytes(im):
    buf = io.BytesIO()
    im.save(buf, "PCX")
    return buf.getvalue()


def _dcx(pages, directory_pad=0):
    """A DCX file of the given PCX pages, its directory ended by a zero offset."""
    at = 4 + 4 * (len(pages) + 1) + directory_pad
    offsets = []
    for page in pages:
        offsets.append(at)
        at += len(page)
    return (struct.pack("<I", 0x3ADE68B1) + struct.pack(f"<{len(pages)}I", *offsets) + b"\0\0\0\0" +
            b"\xee" * directory_pad + b"".join(pages))


def _dcx_good(p):
    rgb = Image.fromarray(_noise(13, 17, 3, 51))
    _write(p("dcx_rgb_two_pages.dcx"), _dcx([_pcx_bytes(rgb), _pcx_bytes(rgb.convert("1"))]))
    _write(p("dcx_1bit.dcx"), _dcx([_pcx_bytes(rgb.convert("1"))], directory_pad=9))
    # An 8-bit page's data are read from offset 128 of the file, wherever the page starts (Pillow seeks
    # there after reading the palette at the file's end): here, from inside the page's own header.
    _write(p("dcx_8bit_data_from_128.dcx"), _dcx([_pcx_bytes(rgb.convert("L")), _pcx_bytes(rgb.convert("P"))]))
    # An 8-bit page at offset 128 has its own header read as its data.
    grey = _pcx_bytes(Image.fromarray(_noise(6, 5, 3, 52)).convert("P"))
    _write(p("dcx_8bit_page_at_128.dcx"), _dcx([grey], directory_pad=128 - 12))


def _dcx_bad(p):
    page = _pcx_bytes(Image.fromarray(_noise(6, 5, 3, 52)))
    _write(p("dcx_no_pages.dcx"), struct.pack("<2I", 0x3ADE68B1, 0) + page)
    _write(p("dcx_directory_cut.dcx"), struct.pack("<2I", 0x3ADE68B1, 12) + b"\0\0")
    _write(p("dcx_page_past_end.dcx"), struct.pack("<3I", 0x3ADE68B1, 5000, 0) + page)
    _write(p("dcx_page_not_pcx.dcx"), _dcx([b"GIF89a" + page[6:]]))
    _write(p("dcx_page_truncated.dcx"), _dcx([page])[:-20])


# IM -------------------------------------------------------------------------------------------------

def _im(image_type, w, h, data, lut=None, lines=b"", end=b"\0" * 200 + b"\x1a"):
    head = (b"Image type: " + image_type + b" image\r\n" + lines +
            b"Image size (x*y): %d*%d\r\n" % (w, h) + (b"Lut: 1\r\n" if lut is not None else b""))
    return head + end + (lut or b"") + data


def _im_good(p):
    h, w = 7, 11
    rgb = Image.fromarray(_noise(h, w, 3, 61))
    for mode in ("1", "L", "LA", "P", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "I", "F"):
        rgb.convert(mode).save(p(f"im_pillow_{mode}.im"))
    g16 = (np.arange(h * w).reshape(h, w) * 13 % 700).astype(np.uint16)
    Image.fromarray(g16).save(p("im_pillow_I;16.im"))
    a = _noise(h, w, 4, 62)
    colour = _noise(3, 256, 1, 63).reshape(-1).tobytes()
    grey = bytes(range(256)) * 3
    _write(p("im_b2.im"), _im(b"B2", w, h, a.tobytes()[: 3 * h]))
    _write(p("im_b4_grey_lut.im"), _im(b"B4", w, h, a.tobytes()[: 6 * h], lut=grey))
    _write(p("im_b4_colour_lut_8bit.im"), _im(b"B4", w, h, a.tobytes()[: w * h], lut=colour))
    _write(p("im_grey_colour_lut.im"), _im(b"Greyscale", w, h, a.tobytes()[: w * h], lut=colour))
    _write(p("im_grey_nonlinear_lut.im"), _im(b"Grayscale", w, h, a.tobytes()[: w * h], lut=bytes(range(255, -1, -1)) * 3))
    _write(p("im_la_colour_lut.im"), _im(b"LA", w, h, a.tobytes()[: 2 * w * h], lut=colour))
    _write(p("im_pa_colour_lut.im"), _im(b"PA", w, h, a.tobytes()[: 2 * w * h], lut=colour))
    _write(p("im_rgb_lut_ignored.im"), _im(b"RGB", w, h, a.tobytes()[: 3 * w * h], lut=colour))
    _write(p("im_rgb3_planes.im"), _im(b"RGB3", w, h, a.tobytes()[: 3 * w * h]))
    _write(p("im_ryb3_planes.im"), _im(b"RYB3", w, h, a.tobytes()[: 3 * w * h]))
    _write(p("im_x24.im"), _im(b"X 24", w, h, a.tobytes()[: 3 * w * h]))
    # YCC: chroma from 0 to 255 on both axes (steps of 5), luma sweeping, so every clip of ConvertYCbCr shows.
    cb, cr = np.meshgrid(np.arange(0, 256, 5), np.arange(0, 256, 5), indexing="ij")
    luma = (np.arange(cb.size) * 37 % 256).reshape(cb.shape)
    ycc = b"".join(np.stack([luma, cb, cr])[:, row].astype(np.uint8).tobytes() for row in range(cb.shape[0]))
    _write(p("im_ycc_sweep.im"), _im(b"YCC", cb.shape[1], cb.shape[0], ycc))
    _write(p("im_l_1.im"), _im(b"L 1", w, h, a.tobytes()[: 2 * h]))
    _write(p("im_l8s.im"), _im(b"L 8S", w, h, a.tobytes()[: w * h]))
    _write(p("im_l16s.im"), _im(b"L*16S", w, h, a.tobytes()[: 2 * w * h]))
    _write(p("im_l16b.im"), _im(b"L 16B", w, h, (np.arange(w * h, dtype=">u2") * 3).tobytes()))
    _write(p("im_l16.im"), _im(b"L*16", w, h, (np.arange(w * h, dtype="<u2") * 5).tobytes()))
    _write(p("im_l32.im"), _im(b"L 32", w, h, (np.arange(w * h, dtype="<i4") * 9 - 100).tobytes()))
    fl = (np.arange(w * h, dtype="<f4") * 3.7 - 20)
    fl[:4] = [np.nan, np.inf, -np.inf, 254.99]
    _write(p("im_l32f_fractions.im"), _im(b"L 32F", w, h, fl.tobytes()))
    # Bit-packed grey (Pillow's BitDecode.c): rows padded to bytes, but a row's leftover bits are OR'ed
    # into the next row's first byte.
    for bits in (3, 4, 12, 27):
        _write(p(f"im_l_star_{bits}.im"), _im(b"L*%d" % bits, w, h, _noise(h, (w * bits + 7) // 8, 1, bits).tobytes()))
    # Header forms: comments, a lone CR before a line, numbers Python's int() reads, the 0x1A right
    # after the last line, a frame count and scale, a later type line replacing an earlier one.
    _write(p("im_header_forms.im"),
           b"Comment: one\r\n\rComment: two\nName: x.im\nFile size (no of images): 2\nScale (x,y): 1.5,2e0\n"
           b"Image type: RGB image\nImage type: Greyscale image\nImage size (x*y):  1_1 *\t7 \n\x1a" +
           a.tobytes()[: 2 * w * h])


def _im_bad(p):
    h, w = 5, 6
    a = _noise(h, w, 4, 64).tobytes()
    _write(p("im_truncated.im"), _im(b"RGB", w, h, a[: 3 * w * h - 1]))
    _write(p("im_size_not_a_number.im"), _im(b"Greyscale", w, h, a, lines=b"Image size (x*y): six*5\r\n"))
    _write(p("im_size_float.im"), _im(b"Greyscale", w, h, a, lines=b"Scale (x,y): 1\r\n").replace(
        b"Image size (x*y): 6*5", b"Image size (x*y): 6.0*5"))
    _write(p("im_pa_without_lut.im"), _im(b"PA", w, h, a))
    _write(p("im_rlb.im"), _im(b"RLB", w, h, a))
    _write(p("im_unknown_type.im"), _im(b"Sepia", w, h, a))
    _write(p("im_no_known_key.im"), b"Colour: red\r\nShape: round\r\n\x1a" + a)
    _write(p("im_no_end_mark.im"), _im(b"Greyscale", w, h, a, end=b"\0" * 40))
    _write(p("im_line_over_100.im"), b"Comment: " + b"x" * 100 + b"\r\n" + _im(b"Greyscale", w, h, a))
    _write(p("im_lut_cut.im"), _im(b"Greyscale", w, h, b"", lut=bytes(500)))
    _write(p("im_l_star_5_truncated.im"), _im(b"L*5", w, h, a[: (w * 5 + 7) // 8 * h - 1]))
    _write(p("im_bomb.im"), _im(b"Greyscale", 40000, 40000, a))
    _write(p("im_single_size.im"), b"Image type: Greyscale image\r\nImage size (x*y): 30\r\n\x1a" + a)


def make_good(p):
    _xpm_good(p)
    _icns_good(p)
    _sun_good(p)
    _msp_good(p)
    _im_good(p)
    _dcx_good(p)


def make_bad(p):
    _xpm_bad(p)
    _icns_bad(p)
    _sun_bad(p)
    _msp_bad(p)
    _im_bad(p)
    _dcx_bad(p)


if __name__ == "__main__":
    import os
    import sys

    for kind, make in (("good", make_good), ("bad", make_bad)):
        d = os.path.join(sys.argv[1], kind)
        os.makedirs(d, exist_ok=True)
        make(lambda name, d=d: os.path.join(d, name))
