"""pad, interpolate, pixel (un)shuffle and local_response_norm against PyTorch + gradcheck."""
import pytest
import torch
import torch.nn.functional as F

import shenjing as sj
import shenjing.nn.functional as SF
from helpers import check_grad, compare, rand

PADS = [((1, 2), "constant"), ((1, 2, 2, 1), "constant"), ((-1, 2, 0, -2), "constant"),
        ((1, 1, 1, 1, 1, 1), "constant"), ((1, 2, 2, 1), "reflect"), ((3, 2, 0, 1), "reflect"),
        ((3, 2, 1, 4), "replicate"), ((2, 3, 5, 1), "circular"), ((0, 0, 1, 0), "replicate")]


@pytest.mark.parametrize("p,mode", PADS)
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (3, 6, 4)])
def test_pad_parity(p, mode, shape):
    compare(lambda t: SF.pad(t, p, mode), lambda t: F.pad(t, p, mode), rand(*shape, seed=1))


def test_pad_value_and_1d():
    compare(lambda t: SF.pad(t, (2, 1), value=3.5), lambda t: F.pad(t, (2, 1), value=3.5),
            rand(4, 3, seed=2))
    compare(lambda t: SF.pad(t, (2, 1), "reflect"), lambda t: F.pad(t, (2, 1), "reflect"),
            rand(4, 3, seed=2))


@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.pad(m.zeros(1, 1, 4, 4), (3, 3), mode="reflect"),
    lambda m: m.nn.functional.pad(m.zeros(2, 3), (1, 1, 1, 1), mode="reflect"),
    lambda m: m.nn.functional.pad(m.zeros(1, 1, 4, 4), (1,)),
])
def test_pad_errors_match_torch(call):
    with pytest.raises(Exception) as th:
        call(torch)
    with pytest.raises(type(th.value)):
        call(sj)


INTERP = [("nearest", None), ("nearest-exact", None), ("bilinear", True), ("bilinear", False),
          ("bicubic", False), ("bicubic", True), ("area", None)]
SIZES = [dict(scale_factor=2), dict(size=(3, 4)), dict(size=(9, 13)), dict(scale_factor=1.7),
         dict(scale_factor=(0.6, 2.3)), dict(scale_factor=(3.3, 0.37)), dict(size=1),
         dict(scale_factor=1.5, recompute_scale_factor=True)]


@pytest.mark.parametrize("mode,ac", INTERP)
@pytest.mark.parametrize("kw", SIZES)
def test_interpolate_2d_parity(mode, ac, kw):
    if mode == "area" and "scale_factor" in kw:
        return
    compare(lambda t: SF.interpolate(t, mode=mode, align_corners=ac, **kw),
            lambda t: F.interpolate(t, mode=mode, align_corners=ac, **kw), rand(2, 3, 5, 7, seed=3))


@pytest.mark.parametrize("mode,ac", [("nearest", None), ("linear", True), ("linear", False),
                                     ("area", None), ("nearest-exact", None)])
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=4), dict(size=11),
                                dict(scale_factor=1.7), dict(size=1)])
def test_interpolate_1d_parity(mode, ac, kw):
    if mode == "area" and "scale_factor" in kw:
        return
    compare(lambda t: SF.interpolate(t, mode=mode, align_corners=ac, **kw),
            lambda t: F.interpolate(t, mode=mode, align_corners=ac, **kw), rand(2, 3, 7, seed=4))


@pytest.mark.parametrize("mode", ["nearest", "trilinear"])
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_interpolate_3d_and_aliases(mode):
    compare(lambda t: SF.interpolate(t, scale_factor=1.5, mode=mode),
            lambda t: F.interpolate(t, scale_factor=1.5, mode=mode), rand(1, 2, 3, 4, 5, seed=5))
    x = rand(1, 2, 3, 4, seed=6)
    compare(lambda t: SF.upsample_bilinear(t, scale_factor=2),
            lambda t: F.upsample_bilinear(t, scale_factor=2), x)
    compare(lambda t: SF.upsample_nearest(t, size=(5, 5)),
            lambda t: F.upsample_nearest(t, size=(5, 5)), x)


def test_interpolate_errors():
    with pytest.raises(NotImplementedError, match="bilinear mode needs 4D input"):
        SF.interpolate(sj.zeros(1, 2, 3), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners option"):
        SF.interpolate(sj.zeros(1, 2, 3, 3), scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        SF.interpolate(sj.zeros(1, 2, 3, 3), size=2, scale_factor=2)


@pytest.mark.parametrize("r,shape", [(2, (2, 8, 3, 4)), (3, (9, 2, 2)), (1, (1, 2, 3, 3)),
                                     (2, (2, 1, 4, 2, 3))])
def test_pixel_shuffle_parity(r, shape):
    compare(lambda t: sj.pixel_shuffle(t, r), lambda t: torch.pixel_shuffle(t, r),
            rand(*shape, seed=7))
    back = shape[:-3] + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    compare(lambda t: SF.pixel_unshuffle(t, r), lambda t: F.pixel_unshuffle(t, r),
            rand(*back, seed=8))


def test_pixel_shuffle_errors():
    with pytest.raises(RuntimeError, match="not divisible by 4"):
        SF.pixel_shuffle(sj.zeros(1, 3, 2, 2), 2)
    with pytest.raises(RuntimeError, match="divisible by downscale_factor"):
        SF.pixel_unshuffle(sj.zeros(1, 3, 5, 4), 2)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("shape", [(2, 5, 3, 4), (2, 5, 3), (1, 4, 2, 2, 3)])
def test_local_response_norm_parity(size, shape):
    kw = dict(alpha=0.1, beta=0.6, k=1.5)
    compare(lambda t: SF.local_response_norm(t, size, **kw),
            lambda t: F.local_response_norm(t, size, **kw), rand(*shape, seed=9))


@pytest.mark.parametrize("fn", [
    lambda t: SF.pad(t, (1, 2, -1, 1), value=0.5),
    lambda t: SF.pad(t, (2, 1, 1, 2), "reflect"),
    lambda t: SF.pad(t, (2, 1, 1, 2), "replicate"),
    lambda t: SF.pad(t, (2, 1, 1, 2), "circular"),
    lambda t: SF.interpolate(t, scale_factor=1.7),
    lambda t: SF.interpolate(t, size=(7, 3), mode="bilinear"),
    lambda t: SF.interpolate(t, size=(7, 3), mode="bilinear", align_corners=True),
    lambda t: SF.interpolate(t, size=(6, 5), mode="bicubic"),
    lambda t: SF.pixel_shuffle(t, 2),
    lambda t: SF.local_response_norm(t, 3, alpha=0.5),
])
def test_resample_gradcheck(fn):
    check_grad(fn, rand(2, 4, 3, 4, seed=10))
