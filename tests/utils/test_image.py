"""PNG writer and image grid: decoded back with zlib by hand and checked pixel for pixel."""
import struct
import zlib

import numpy as np
import pytest

from shenjing.utils.image import encode_png, make_grid, write_png


def _decode(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = header[:4]
    c = {0: 1, 2: 3, 6: 4}[ctype]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * c)
    assert (rows[:, 0] == 0).all() and depth == 8
    return rows[:, 1:].reshape(h, w, c)


@pytest.mark.parametrize("shape", [(5, 7), (4, 3, 3), (2, 6, 4), (1, 1)])
def test_png_roundtrip(shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    out = _decode(encode_png(img))
    np.testing.assert_array_equal(out.reshape(img.shape), img)


def test_float_images_are_scaled_and_clipped():
    out = _decode(encode_png(np.array([[0.0, 1.0, 2.0, -1.0, 0.5]])))
    assert out[0, :, 0].tolist() == [0, 255, 255, 0, 128]


def test_write_png_atomic(tmp_path):
    p = tmp_path / "a.png"
    write_png(p, np.zeros((3, 3)))
    assert _decode(p.read_bytes()).shape == (3, 3, 1)
    assert [f.name for f in tmp_path.iterdir()] == ["a.png"]


def test_bad_images_are_named():
    with pytest.raises(ValueError, match="write_png.*shape"):
        encode_png(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="make_grid"):
        make_grid(np.zeros((2, 5, 4, 4)))


def test_make_grid_places_tiles():
    imgs = np.arange(5 * 2 * 2, dtype=np.float32).reshape(5, 1, 2, 2) + 1
    g = make_grid(imgs, nrow=3, padding=1)
    assert g.shape == (2 * 3 + 1, 3 * 3 + 1, 1)
    for i in range(5):
        r, c = divmod(i, 3)
        np.testing.assert_array_equal(g[1 + 3 * r:3 + 3 * r, 1 + 3 * c:3 + 3 * c, 0], imgs[i, 0])
    assert (g[4:6, 7:9] == 0).all()  # the sixth slot is empty
