"""Transforms against torchvision's semantics, computed independently here with torch ops."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import shenjing
from shenjing.datasets import transforms as T

Image = pytest.importorskip("PIL.Image")


def sj(a: np.ndarray) -> shenjing.Tensor:
    return shenjing.Tensor._wrap(np.ascontiguousarray(a), None, False)


def img_u8(h, w, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c)).astype(np.uint8)


def img_f32(*shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


# ----------------------------------------------------------------- ToTensor / Normalize
def test_to_tensor_numpy_pil_and_dtypes():
    a = img_u8(5, 7)
    out = T.ToTensor()(a)
    ref = torch.from_numpy(a).permute(2, 0, 1).float() / 255
    assert out.dtype == shenjing.float32 and tuple(out.shape) == (3, 5, 7)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-7)
    np.testing.assert_allclose(T.ToTensor()(Image.fromarray(a)).numpy(), ref.numpy(), atol=1e-7)
    g = T.ToTensor()(a[:, :, 0])
    assert tuple(g.shape) == (1, 5, 7)
    f = T.ToTensor()(a.astype(np.float64))  # non-uint8 arrays keep their values and dtype
    assert f.dtype == shenjing.float64 and f.numpy().max() == a.max()
    assert T.ToTensor()(Image.fromarray(a[:, :, 0] > 128)).numpy().max() == 1.0  # mode "1"
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()([1, 2])
    with pytest.raises(ValueError, match="2/3 dimensional. Got 4"):
        T.ToTensor()(np.zeros((1, 2, 2, 3), np.uint8))


def test_normalize_matches_torch():
    x = img_f32(2, 3, 4, 5)
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.5)
    ref = (torch.from_numpy(x) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None,
                                                                                        None]
    np.testing.assert_allclose(T.Normalize(mean, std)(sj(x)).numpy(), ref.numpy(), rtol=1e-6)
    t = sj(x.copy())
    assert T.Normalize(mean, std, inplace=True)(t) is t
    np.testing.assert_allclose(t.numpy(), ref.numpy(), rtol=1e-6)
    g = shenjing.tensor(x[0], requires_grad=True)
    y = T.Normalize(mean, std)(g)
    y.sum().backward()
    np.testing.assert_allclose(g.grad.numpy()[:, 0, 0], 1 / np.array(std), rtol=1e-6)
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize(mean, std)(sj(img_u8(4, 4).transpose(2, 0, 1)))
    with pytest.raises(TypeError, match="Tensor Image"):
        T.Normalize(mean, std)(x)
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize(mean, (1, 0, 1))(sj(x))
    with pytest.raises(ValueError, match=r"size \(\.\.\., C, H, W\)"):
        T.Normalize(mean, std)(sj(x[0, 0]))


# ----------------------------------------------------------------- Resize
@pytest.mark.parametrize("hw, out", [((8, 10), (4, 5)), ((5, 7), (11, 3)), ((9, 9), (3, 7)),
                                     ((1, 6), (3, 2)), ((6, 6), (6, 6)), ((13, 4), (5, 9))])
def test_resize_bilinear_matches_interpolate(hw, out):
    x = img_f32(2, 3, *hw)
    for aa in (False, True):
        ref = F.interpolate(torch.from_numpy(x), size=out, mode="bilinear", align_corners=False,
                            antialias=aa)
        got = T.Resize(out, antialias=aa)(sj(x))
        np.testing.assert_allclose(got.numpy(), ref.numpy(), atol=2e-6, err_msg=f"aa={aa}")


def test_resize_nearest_and_uint8_rounding():
    x = img_f32(3, 7, 9)
    ref = F.interpolate(torch.from_numpy(x)[None], size=(4, 13), mode="nearest")[0]
    np.testing.assert_array_equal(T.Resize((4, 13), "nearest")(sj(x)).numpy(), ref.numpy())
    a = img_u8(9, 7)
    fl = F.interpolate(torch.from_numpy(a).permute(2, 0, 1)[None].float(), size=(4, 5),
                       mode="bilinear", align_corners=False, antialias=False)[0]
    got = T.Resize((4, 5), antialias=False)(a)  # numpy HWC in, numpy HWC uint8 out
    assert got.dtype == np.uint8 and got.shape == (4, 5, 3)
    assert np.abs(got.astype(np.float32) - fl.permute(1, 2, 0).numpy()).max() <= 0.5 + 1e-4
    pil = T.Resize((4, 5))(Image.fromarray(a))
    assert pil.size == (5, 4)  # PIL reports (width, height)


@pytest.mark.parametrize("hw, size, max_size, want", [
    ((10, 20), 5, None, (5, 10)), ((20, 10), 5, None, (10, 5)), ((7, 13), 5, None, (5, 9)),
    ((8, 8), [4], None, (4, 4)), ((10, 40), 5, 12, (3, 12)), ((40, 10), 5, 30, (20, 5)),
])
def test_resize_shorter_side_rule(hw, size, max_size, want):
    out = T.Resize(size, max_size=max_size)(sj(img_f32(1, *hw)))
    assert tuple(out.shape) == (1, *want)


def test_resize_errors():
    with pytest.raises(ValueError, match="max_size = 5 must be strictly greater"):
        T.Resize(5, max_size=5)(sj(img_f32(1, 8, 8)))
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize((1, 2, 3))
    with pytest.raises(ValueError, match="interpolation"):
        T.Resize(4, interpolation="bicubic")
    with pytest.raises(TypeError, match="img should be"):
        T.Resize(4)([[1, 2]])


# ----------------------------------------------------------------- crops, pads, flips
def test_center_crop_by_hand():
    x = img_f32(3, 7, 10)
    out = T.CenterCrop((4, 5))(sj(x)).numpy()
    top, left = round((7 - 4) / 2), round((10 - 5) / 2)  # 2 (half to even), 2
    np.testing.assert_array_equal(out, x[:, top:top + 4, left:left + 5])
    # top = left = round(1.5) = 2 (Python rounds half to even, as torchvision does)
    np.testing.assert_array_equal(T.CenterCrop(3)(img_u8(6, 6)), img_u8(6, 6)[2:5, 2:5])
    big = T.CenterCrop((9, 12))(sj(x)).numpy()  # larger than the image: zero-padded
    ref = F.pad(torch.from_numpy(x), (1, 1, 1, 1))
    np.testing.assert_array_equal(big, ref.numpy())


@pytest.mark.parametrize("mode, tmode", [("constant", "constant"), ("edge", "replicate"),
                                         ("reflect", "reflect")])
def test_pad_modes_match_torch(mode, tmode):
    x = img_f32(2, 5, 6)
    got = T.Pad((1, 2, 3, 1), padding_mode=mode)(sj(x)).numpy()
    ref = F.pad(torch.from_numpy(x)[None], (1, 3, 2, 1), mode=tmode)[0]
    np.testing.assert_array_equal(got, ref.numpy())
    filled = T.Pad(1, fill=(10, 20, 30))(img_u8(3, 3))
    assert filled[0, 0].tolist() == [10, 20, 30] and filled.shape == (5, 5, 3)


def _find_window(big: np.ndarray, crop: np.ndarray) -> list[tuple[int, int]]:
    th, tw = crop.shape[-2:]
    return [(i, j) for i in range(big.shape[-2] - th + 1) for j in range(big.shape[-1] - tw + 1)
            if np.array_equal(big[..., i:i + th, j:j + tw], crop)]


def test_random_crop_windows_and_determinism():
    x = img_f32(3, 8, 8)
    padded = F.pad(torch.from_numpy(x), (2, 2, 2, 2)).numpy()
    tf = T.RandomCrop(8, padding=2)
    shenjing.manual_seed(5)
    crops = [tf(sj(x)).numpy() for _ in range(12)]
    for c in crops:
        assert _find_window(padded, c)
    assert len({_find_window(padded, c)[0] for c in crops}) > 3  # the window moves
    shenjing.manual_seed(5)
    again = [tf(sj(x)).numpy() for _ in range(12)]
    assert all(np.array_equal(a, b) for a, b in zip(crops, again))
    small = T.RandomCrop((6, 9), pad_if_needed=True)(sj(img_f32(1, 4, 5)))
    assert tuple(small.shape) == (1, 6, 9)
    with pytest.raises(ValueError, match=r"Required crop size \(9, 9\) is larger"):
        T.RandomCrop(9)(sj(x))


def test_flips():
    x = img_f32(2, 3, 4, 5)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(sj(x)).numpy(),
                                  torch.flip(torch.from_numpy(x), [-1]).numpy())
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(sj(x)).numpy(),
                                  torch.flip(torch.from_numpy(x), [-2]).numpy())
    a = img_u8(3, 4)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(a), a[:, ::-1])
    assert T.RandomHorizontalFlip(0.0)(a) is a
    shenjing.manual_seed(0)
    flips = sum(T.RandomHorizontalFlip(0.3)(a)[0, 0, 0] != a[0, 0, 0] for _ in range(400))
    assert 80 < flips < 160


# ----------------------------------------------------------------- rotation
def _torch_rotate(x: np.ndarray, angle: float, mode: str, fill: float = 0.0) -> np.ndarray:
    """torchvision's tensor rotate, rebuilt from affine_grid + grid_sample + its fill mask."""
    t = torch.from_numpy(x)[None].double()
    h, w = x.shape[-2:]
    a = math.radians(angle)
    m = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    theta = torch.tensor([[[m[0][0], m[0][1] * h / w, 0.0],
                           [m[1][0] * w / h, m[1][1], 0.0]]], dtype=torch.float64)
    grid = F.affine_grid(theta, [1, 1, h, w], align_corners=False)
    ones = torch.ones(1, 1, h, w, dtype=torch.float64)
    out = F.grid_sample(torch.cat([t, ones], 1), grid, mode=mode, padding_mode="zeros",
                        align_corners=False)
    img, mask = out[:, :-1], out[:, -1:].expand_as(out[:, :-1])
    if mode == "nearest":
        img = torch.where(mask < 0.5, torch.full_like(img, fill), img)
    else:
        img = img * mask + (1 - mask) * fill
    return img[0].numpy()


@pytest.mark.parametrize("hw, angle", [((6, 6), 30.0), ((5, 8), -17.0), ((7, 4), 123.0),
                                       ((9, 9), 45.0)])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_rotation_matches_grid_sample(hw, angle, mode):
    x = img_f32(2, *hw)
    got = T.RandomRotation((angle, angle), interpolation=mode, fill=0.25)(sj(x)).numpy()
    ref = _torch_rotate(x, angle, mode, 0.25)
    if mode == "nearest":  # a sample exactly half-way between pixels may round either way
        assert np.mean(np.abs(got - ref) > 1e-5) < 0.03
    else:
        np.testing.assert_allclose(got, ref, atol=1e-5)


def test_rotation_90_is_rot90_and_expand():
    a = img_u8(5, 5)
    out = T.RandomRotation((90, 90))(a)
    np.testing.assert_array_equal(out, np.rot90(a, 1))  # counter-clockwise
    r = img_u8(4, 6)
    ex = T.RandomRotation((90, 90), expand=True)(r)
    assert ex.shape == (6, 4, 3)
    np.testing.assert_array_equal(ex, np.rot90(r, 1))
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-3)


def test_rotation_random_angle_is_seeded():
    x = img_f32(1, 8, 8)
    tf = T.RandomRotation(40, interpolation="bilinear")
    shenjing.manual_seed(7)
    a = [tf(sj(x)).numpy() for _ in range(3)]
    shenjing.manual_seed(7)
    b = [tf(sj(x)).numpy() for _ in range(3)]
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], a[1])


# ----------------------------------------------------------------- Grayscale, Lambda, Compose
def test_grayscale():
    x = img_f32(3, 4, 5)
    t = torch.from_numpy(x)
    ref = (0.2989 * t[0] + 0.587 * t[1] + 0.114 * t[2])[None]
    np.testing.assert_allclose(T.Grayscale()(sj(x)).numpy(), ref.numpy(), rtol=1e-6)
    three = T.Grayscale(3)(sj(x)).numpy()
    assert three.shape == (3, 4, 5) and np.array_equal(three[0], three[2])
    a = img_u8(4, 5)
    ta = torch.from_numpy(a).permute(2, 0, 1)
    ref_u8 = (0.2989 * ta[0] + 0.587 * ta[1] + 0.114 * ta[2]).to(torch.uint8)  # truncation
    got = T.Grayscale()(a)
    assert got.shape == (4, 5, 1) and got.dtype == np.uint8
    assert np.abs(got[..., 0].astype(int) - ref_u8.numpy().astype(int)).max() <= 1
    pil = T.Grayscale()(Image.fromarray(a))
    assert pil.mode == "L" and np.array_equal(np.asarray(pil),
                                              np.asarray(Image.fromarray(a).convert("L")))
    with pytest.raises(TypeError, match=r"permitted channel values are \[1, 3\]"):
        T.Grayscale()(sj(img_f32(2, 4, 4)))


def test_lambda_compose_and_batches():
    tf = T.Compose([T.Resize(6), T.CenterCrop(4), T.ToTensor(), T.Lambda(lambda t: t * 2)])
    out = tf(img_u8(8, 12))
    assert tuple(out.shape) == (3, 4, 4) and float(out.numpy().max()) <= 2.0
    assert "Resize" in repr(tf) and "CenterCrop" in repr(tf)
    with pytest.raises(TypeError, match="should be callable"):
        T.Lambda(3)
    batch = sj(img_f32(4, 3, 10, 10))  # tensors may carry leading batch dims
    assert tuple(T.Resize((5, 5))(batch).shape) == (4, 3, 5, 5)
    assert tuple(T.RandomCrop(7)(batch).shape) == (4, 3, 7, 7)
