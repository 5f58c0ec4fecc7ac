"""A PNG reader for the tests (no imaging library): what shenjing.utils.image writes, checked.

Only 8-bit grey / RGB / RGBA with filter 0 on every row (all that write_png makes); every chunk's
CRC is verified, so a corrupted writer cannot pass.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode_png(data: bytes) -> np.ndarray:
    """(H, W, C) uint8 pixels of PNG bytes; C is 1 (grey), 3 (RGB) or 4 (RGBA)."""
    assert data[:8] == SIGNATURE
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC in {kind!r} chunk"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert header is not None, "no IHDR chunk"
    w, h, depth, ctype = header[:4]
    assert depth == 8
    c = {0: 1, 2: 3, 6: 4}[ctype]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * c)
    assert (rows[:, 0] == 0).all()  # filter type 0 (none) on every row
    return rows[:, 1:].reshape(h, w, c)
