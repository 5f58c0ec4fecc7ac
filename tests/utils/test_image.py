"""PNG writer and image grid: decoded back with zlib by hand and checked pixel for pixel."""

import numpy as np
import pytest

from png_helpers import decode_png
from shenjing.utils.image import encode_png, make_grid, write_png


@pytest.mark.parametrize("shape", [(5, 7), (4, 3, 3), (2, 6, 4), (1, 1)])
def test_png_roundtrip(shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    out = decode_png(encode_png(img))
    np.testing.assert_array_equal(out.reshape(img.shape), img)


def test_float_images_are_scaled_and_clipped():
    out = decode_png(encode_png(np.array([[0.0, 1.0, 2.0, -1.0, 0.5]])))
    assert out[0, :, 0].tolist() == [0, 255, 255, 0, 128]


def test_write_png_atomic(tmp_path):
    p = tmp_path / "a.png"
    write_png(p, np.zeros((3, 3)))
    assert decode_png(p.read_bytes()).shape == (3, 3, 1)
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
