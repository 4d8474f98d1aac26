"""Files for the image corpus in the formats Pillow 9.4 reads without writing most of them: XPM, ICNS, Sun
raster, MSP, IM and DCX, written by Pillow where it can and byte by byte elsewhere, with the variants
its readers treat specially, and truncated or hostile files.

tests/make_format_corpus.py calls make_good(p) and make_bad(p), p(name) giving the path to write.
"""
import io
import struct

import numpy as np
from PIL import Image


def _noise(h, w, c, seed):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


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


def make_good(p):
    _xpm_good(p)


def make_bad(p):
    _xpm_bad(p)


if __name__ == "__main__":
    import os
    import sys

    for kind, make in (("good", make_good), ("bad", make_bad)):
        d = os.path.join(sys.argv[1], kind)
        os.makedirs(d, exist_ok=True)
        make(lambda name, d=d: os.path.join(d, name))
