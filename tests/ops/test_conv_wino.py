"""Winograd F(2x2, 3x3) convolutions (deep 3x3 stride-1 pad-1 layers) against PyTorch, with a
float64 gradcheck; each test first asserts that the Winograd kernels really ran."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import shenjing as sj
from helpers import check_grad, compare, rand
from shenjing.ops import conv_wino

SF = sj.nn.functional


@pytest.fixture
def calls(monkeypatch):
    """Counts of the Winograd forward and weight-gradient kernels run during a test."""
    seen = {"forward": 0, "weight_grad": 0}
    for name in seen:
        real = getattr(conv_wino, name)

        def spy(*a, _real=real, _name=name):
            seen[_name] += 1
            return _real(*a)

        monkeypatch.setattr(conv_wino, name, spy)
    return seen


def cl(a: np.ndarray) -> np.ndarray:
    """The same values with channels-last memory (as a conv leaves its output)."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(calls, layout, bias):
    x = rand(8, 128, 8, 8, seed=1)
    x = cl(x) if layout == "channels_last" else x
    w, b = rand(128, 128, 3, 3, seed=2) / 12, rand(128, seed=3)
    args = (x, w, b) if bias else (x, w)
    compare(lambda *a: SF.conv2d(*a, padding=1), lambda *a: F.conv2d(*a, padding=1), *args,
            atol=1e-4, rtol=1e-4)
    assert calls["forward"] >= 2 and calls["weight_grad"] >= 1  # y, dX (flipped filters), dW


def test_conv2d_module_channels_differ(calls):
    """128 -> 192 channels: the filter transform and its adjoint with C != OC."""
    x, w, b = rand(8, 128, 8, 12, seed=4), rand(192, 128, 3, 3, seed=5) / 12, rand(192, seed=6)
    compare(lambda *a: SF.conv2d(*a, padding=1), lambda *a: F.conv2d(*a, padding=1), x, w, b,
            atol=1e-4, rtol=1e-4)
    assert calls["forward"] >= 2 and calls["weight_grad"] >= 1


def test_conv_transpose_stride_one(calls):
    """A 3x3 stride-1 pad-1 transposed conv is the adjoint of one that runs here."""
    x, w = rand(8, 128, 8, 8, seed=7), rand(128, 128, 3, 3, seed=8) / 12
    compare(lambda a, c: SF.conv_transpose2d(a, c, padding=1),
            lambda a, c: F.conv_transpose2d(a, c, padding=1), x, w, atol=1e-4, rtol=1e-4)
    assert calls["forward"] >= 1 and calls["weight_grad"] >= 1


@pytest.mark.parametrize("shape", [(8, 128, 7, 8), (1, 128, 8, 8)])
def test_odd_sizes_and_few_tiles_use_the_general_path(calls, shape):
    """An odd output size, or fewer tiles than output channels, takes the im2col path."""
    x, w = rand(*shape, seed=9), rand(128, 128, 3, 3, seed=10) / 12
    compare(lambda a, c: SF.conv2d(a, c, padding=1), lambda a, c: F.conv2d(a, c, padding=1),
            x, w, atol=1e-4, rtol=1e-4)
    assert calls == {"forward": 0, "weight_grad": 0}


def test_gradcheck_small_channels(calls, monkeypatch):
    """float64 finite differences through the Winograd kernels (threshold lowered)."""
    monkeypatch.setattr(conv_wino, "_MIN_CHANNELS", 1)
    x, w, b = rand(2, 3, 4, 6, seed=11), rand(2, 3, 3, 3, seed=12), rand(2, seed=13)
    check_grad(lambda a, c, d: SF.conv2d(a, c, d, padding=1), x, w, b)
    assert calls["forward"] >= 1 and calls["weight_grad"] >= 1


def test_float64_is_exact_to_rounding(calls, monkeypatch):
    """The transforms are exact: float64 Winograd equals PyTorch's float64 conv to 1e-12."""
    monkeypatch.setattr(conv_wino, "_MIN_CHANNELS", 1)
    x, w = rand(4, 16, 6, 6, seed=14, dtype=np.float64), rand(8, 16, 3, 3, seed=15,
                                                                   dtype=np.float64)
    ours = SF.conv2d(sj.tensor(x), sj.tensor(w), padding=1).numpy()
    theirs = F.conv2d(torch.tensor(x), torch.tensor(w), padding=1).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert calls["forward"] >= 1


def test_one_thread_equals_two_threads(monkeypatch):
    """Chunks on two threads give the same bits as one thread."""
    x, w = rand(16, 128, 8, 8, seed=16), rand(128, 128, 3, 3, seed=17) / 12

    def run():
        xt, wt = sj.tensor(x, requires_grad=True), sj.tensor(w, requires_grad=True)
        y = SF.conv2d(xt, wt, padding=1)
        (y * y).sum().backward()
        return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()

    before = sj.get_num_threads()
    try:
        sj.set_num_threads(1)
        one = run()
        sj.set_num_threads(2)
        two = run()
    finally:
        sj.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
