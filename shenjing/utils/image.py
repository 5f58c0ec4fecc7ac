"""PNG writing with no imaging library: sample grids, curves and confusion matrices.

A PNG is a signature and three chunks (IHDR, IDAT, IEND); IDAT holds the zlib-compressed
rows, each prefixed by filter byte 0 (none). Files are written atomically.
"""
from __future__ import annotations

import os
import struct
import zlib

import numpy as np

from .atomic import atomic_write

__all__ = ["write_png", "encode_png", "make_grid"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an (H, W) grey or (H, W, 3|4) colour image, uint8 or float in [0, 1]."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4) or img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"write_png: expected an (H, W), (H, W, 3) or (H, W, 4) image, "
                         f"got shape {tuple(np.shape(image))}")
    if img.dtype != np.uint8:
        if not np.issubdtype(img.dtype, np.number) and img.dtype != np.bool_:
            raise TypeError(f"write_png: expected a numeric image, got dtype {img.dtype}")
        img = (np.clip(np.nan_to_num(img.astype(np.float64)), 0.0, 1.0) * 255.0 + 0.5)
        img = img.astype(np.uint8)
    h, w, c = img.shape
    colour_type = {1: 0, 3: 2, 4: 6}[c]
    raw = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, w * c)], axis=1)
    header = struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + _chunk(b"IEND", b""))


def write_png(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write ``image`` (see :func:`encode_png`) to ``path`` atomically (temp file, then rename)."""
    atomic_write(path, encode_png(image), fsync=False)


def make_grid(images: np.ndarray, nrow: int = 8, padding: int = 2,
              pad_value: float = 0.0) -> np.ndarray:
    """Tile (N, C, H, W) or (N, H, W) images into one (H', W', C) array, ``nrow`` per row."""
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3, 4):
        raise ValueError(f"make_grid: expected (N, C, H, W) with C in 1, 3, 4 or (N, H, W), "
                         f"got shape {tuple(np.shape(images))}")
    n, c, h, w = x.shape
    ncol = max(1, min(nrow, n))
    nrows = max(1, -(-n // ncol))
    grid = np.full((c, nrows * (h + padding) + padding, ncol * (w + padding) + padding),
                   pad_value, dtype=x.dtype if n else np.float32)
    if n:
        tiles = np.full((nrows * ncol, c, h, w), pad_value, dtype=x.dtype)
        tiles[:n] = x
        tiles = tiles.reshape(nrows, ncol, c, h, w).transpose(2, 0, 3, 1, 4)
        # every tile at once: blocks of (h + padding, w + padding), each tile in its top-left
        body = np.full((c, nrows, h + padding, ncol, w + padding), pad_value, dtype=x.dtype)
        body[:, :, :h, :, :w] = tiles
        grid[:, padding:, padding:] = body.reshape(c, nrows * (h + padding), ncol * (w + padding))
    return grid.transpose(1, 2, 0)
