"""Files for the image corpus that reproduce what tests/parity/third_party_corpus.py found on copies of
files other tools wrote, cut short or with a bit flipped: a GIF whose last data sub-block is whole but
whose block terminator and trailer are missing (Pillow decodes it; giflib wants the terminator); GIFs
cut inside the first frame's descriptor or inside a data sub-block, or whose LZW codes run past the
table (Pillow refuses; giflib decodes the last); an ICO cut inside its AND mask's last padding bytes
(Pillow decodes it); TIFFs with a tag whose value lies past the end of the file (Pillow drops that entry
and every later one of the directory).

tests/make_format_corpus.py calls make_good(p) and make_bad(p), p(name) giving the path to write.
"""
import io
import struct

import numpy as np
from PIL import Image
from corpus_files import write as _write


def _gif(seed, interlace=False):
    """A GIF written by Pillow: 8-bit LZW, a global palette, several data sub-blocks."""
    rng = np.random.default_rng(seed)
    im = Image.fromarray(rng.integers(0, 200, (37, 45), dtype=np.uint8), "P")
    im.putpalette((np.arange(768) * 5 % 256).astype(np.uint8).tobytes())
    buf = io.BytesIO()
    im.save(buf, "GIF", interlace=interlace)
    data = buf.getvalue()
    assert data.endswith(b"\0;")
    return data


def _descriptor_at(gif):
    """Where the first image descriptor (',') starts: after the screen, its palette and any extensions."""
    at = 13 + (3 << ((gif[10] & 7) + 1) if gif[10] & 0x80 else 0)
    while gif[at:at + 1] == b"!":
        at += 2
        while gif[at]:
            at += gif[at] + 1
        at += 1
    assert gif[at:at + 1] == b","
    return at


def _ico(w, h, seed):
    """A 24-bit ICO entry of w x h pixels with its AND mask, the mask's rows padded to 4 bytes."""
    rng = np.random.default_rng(seed)
    stride = (w * 3 + 3) // 4 * 4
    pixels = b"".join(rng.integers(0, 256, w * 3, dtype=np.uint8).tobytes().ljust(stride, b"\0") for _ in range(h))
    mask = rng.integers(0, 256, (w + 31) // 32 * 4 * h, dtype=np.uint8).tobytes()
    payload = struct.pack("<IiiHHIIiiII", 40, w, 2 * h, 1, 24, 0, 0, 0, 0, 0, 0) + pixels + mask
    return struct.pack("<HHHBBBBHHII", 0, 1, 1, w, h, 0, 0, 1, 24, len(payload), 22) + payload


def _tiff_with_value_past_end(tag_before_strips):
    """An 8-bit grey TIFF whose IFD holds an ASCII tag (ImageDescription before the strip tags, or
    Software last) with 12 bytes of value at an offset past the end of the file."""
    w, h = 7, 5
    pixels = bytes(range(10, 10 + w * h))
    strips = [(256, 3, w), (257, 3, h), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, None), (277, 3, 1),
              (278, 3, h), (279, 4, len(pixels))]
    text = (270 if tag_before_strips else 305, 2, "past end")
    entries = sorted(strips + [text], key=lambda e: e[0])
    data_at = 8 + 2 + 12 * len(entries) + 4
    ifd = b""
    for tag, typ, value in entries:
        if value == "past end":
            ifd += struct.pack("<HHII", tag, typ, 12, data_at + len(pixels) + 100)
        elif typ == 3:
            ifd += struct.pack("<HHIHH", tag, typ, 1, value, 0)
        else:
            ifd += struct.pack("<HHII", tag, typ, 1, data_at if value is None else value)
    return b"II*\0" + struct.pack("<IH", 8, len(entries)) + ifd + b"\0\0\0\0" + pixels


def make_good(p):
    for interlace in (False, True):
        name = "interlaced" if interlace else "plain"
        _write(p(f"gif_{name}_no_block_terminator_no_trailer.gif"), _gif(301 + interlace, interlace)[:-2])
    _write(p("gif_no_trailer.gif"), _gif(303)[:-1])
    icon = _ico(21, 13, 304)  # rows of 3 mask bytes padded to 4: the last one may go
    _write(p("ico_and_mask_last_padding_cut.ico"), icon[:-1])
    _write(p("tiff_software_value_past_end.tif"), _tiff_with_value_past_end(False))


def _gif_broken_stream(seed):
    """A GIF written by Pillow with the first single-bit flip in the second half of its image data after
    which Pillow's decoder finds a code past the table's next free entry (a broken data stream); giflib
    decodes on. (A flip in the first code after the clear code is refused by both.)"""
    gif = _gif(seed)
    start = _descriptor_at(gif) + 10
    for at in range((start + len(gif)) // 2, len(gif) - 2):
        for bit in range(8):
            data = bytearray(gif)
            data[at] ^= 1 << bit
            try:
                Image.open(io.BytesIO(bytes(data))).load()
            except OSError as e:
                if "broken data stream" in str(e):
                    return bytes(data)
    raise AssertionError("no flip breaks the stream")


def make_bad(p):
    _write(p("gif_broken_lzw_stream.gif"), _gif_broken_stream(307))
    gif = _gif(305)
    _write(p("gif_cut_in_frame_descriptor.gif"), gif[:_descriptor_at(gif) + 6])
    _write(p("gif_cut_in_last_sub_block.gif"), gif[:-4])
    icon = _ico(21, 13, 306)
    _write(p("ico_and_mask_cut_in_last_row.ico"), icon[:-2])
    _write(p("tiff_description_value_past_end.tif"), _tiff_with_value_past_end(True))
