"""Winograd F(4x4, 3x3) convolutions (3x3 stride-1 pad-1 layers of 32+ channels) against
PyTorch, with float64 exactness and a gradcheck; each test asserts that the Winograd kernels
really ran (or, for the fallbacks, that they did not).

Float32 tolerance: the documented bound, 2e-5 of the largest entry of each result (measured
5e-6 to 1.3e-5 on these shapes; a direct float32 convolution's rounding is about 5e-7)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import shenjing as sj
from helpers import check_grad, rand
from shenjing.ops import conv_wino

SF = sj.nn.functional
SCALE_TOL = 2e-5


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


def assert_matches_torch(sj_fn, torch_fn, *arrays, tol: float = SCALE_TOL) -> None:
    """Output and every input gradient (for one random upstream gradient) within ``tol`` of
    the largest entry of PyTorch's."""
    ours = [sj.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    y, yt = sj_fn(*ours), torch_fn(*theirs)
    up = np.random.default_rng(0).uniform(-1, 1, tuple(yt.shape)).astype(np.float32)
    y.backward(sj.tensor(up))
    yt.backward(torch.tensor(up))
    pairs = [("output", y.detach().numpy(), yt.detach().numpy())]
    pairs += [(f"grad {i}", a.grad.numpy(), b.grad.numpy())
              for i, (a, b) in enumerate(zip(ours, theirs))]
    for what, a, b in pairs:
        assert a.shape == b.shape, what
        err = np.abs(a - b).max() / np.abs(b).max()
        assert err <= tol, f"{what}: max error {err:.2e} of the largest entry > {tol:.0e}"


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(calls, layout, bias):
    x = rand(8, 128, 8, 8, seed=1)
    x = cl(x) if layout == "channels_last" else x
    w, b = rand(128, 128, 3, 3, seed=2) / 12, rand(128, seed=3)
    args = (x, w, b) if bias else (x, w)
    assert_matches_torch(lambda *a: SF.conv2d(*a, padding=1),
                         lambda *a: F.conv2d(*a, padding=1), *args)
    assert calls["forward"] >= 2 and calls["weight_grad"] >= 1  # y, dX (flipped filters), dW


@pytest.mark.parametrize("shape,oc", [((2, 32, 16, 16), 64), ((8, 64, 8, 12), 48),
                                      ((8, 32, 4, 4), 32)])
def test_channel_counts_and_sizes(calls, shape, oc):
    """C != OC, a non-square image, one tile per image."""
    x, w, b = rand(*shape, seed=4), rand(oc, shape[1], 3, 3, seed=5) / 8, rand(oc, seed=6)
    assert_matches_torch(lambda *a: SF.conv2d(*a, padding=1),
                         lambda *a: F.conv2d(*a, padding=1), x, w, b)
    assert calls["forward"] >= 2 and calls["weight_grad"] >= 1


def test_module_and_resnet_block_train_like_torch(calls):
    """A Conv2d module (PyTorch's init, copied) inside conv-bn-relu-conv: same numbers."""
    torch.manual_seed(0)
    tb = torch.nn.Sequential(torch.nn.Conv2d(32, 32, 3, padding=1), torch.nn.BatchNorm2d(32),
                             torch.nn.ReLU(), torch.nn.Conv2d(32, 32, 3, padding=1))
    sb = sj.nn.Sequential(sj.nn.Conv2d(32, 32, 3, padding=1), sj.nn.BatchNorm2d(32),
                          sj.nn.ReLU(), sj.nn.Conv2d(32, 32, 3, padding=1))
    sb.load_state_dict({k: sj.tensor(v.numpy()) for k, v in tb.state_dict().items()})
    x = rand(4, 32, 8, 8, seed=7)
    assert_matches_torch(sb, tb, x)
    grads = {name: (p.grad.numpy(), q.grad.numpy())
             for (name, p), q in zip(sb.named_parameters(), tb.parameters())}
    # batch norm removes 0.bias's effect: both its gradients are rounding noise near 0
    noise = grads.pop("0.bias")
    scale = np.abs(grads["0.weight"][1]).max()
    assert np.abs(noise[0]).max() < 1e-4 * scale and np.abs(noise[1]).max() < 1e-4 * scale
    for name, (a, b) in grads.items():
        assert np.abs(a - b).max() <= SCALE_TOL * np.abs(b).max(), name
    assert calls["forward"] >= 3 and calls["weight_grad"] >= 2


def test_conv_transpose_stride_one(calls):
    """A 3x3 stride-1 pad-1 transposed conv is the adjoint of one that runs here."""
    x, w = rand(8, 128, 8, 8, seed=8), rand(128, 128, 3, 3, seed=9) / 12
    assert_matches_torch(lambda a, c: SF.conv_transpose2d(a, c, padding=1),
                         lambda a, c: F.conv_transpose2d(a, c, padding=1), x, w)
    assert calls["forward"] >= 1 and calls["weight_grad"] >= 1


@pytest.mark.parametrize("shape,kw", [
    ((8, 64, 6, 8), {"padding": 1}),  # 6 rows: not a multiple of the 4x4 output tile
    ((1, 512, 4, 4), {"padding": 1}),  # fewer tiles than the filter transform needs
    ((4, 16, 8, 8), {"padding": 1}),  # too few channels
    ((4, 64, 8, 8), {"padding": 1, "dilation": 1, "stride": 2}),
    ((4, 64, 8, 8), {"padding": 2, "dilation": 2}),
])
def test_other_convs_use_the_general_path(calls, shape, kw):
    oc = 512 if shape[1] == 512 else 64
    x, w = rand(*shape, seed=10), rand(oc, shape[1], 3, 3, seed=11) / 8
    assert_matches_torch(lambda a, c: SF.conv2d(a, c, **kw), lambda a, c: F.conv2d(a, c, **kw),
                         x, w, tol=2e-6)
    assert calls == {"forward": 0, "weight_grad": 0}


def test_switch_off(calls):
    """shenjing.backends.winograd.enabled = False: the direct path, direct-path accuracy."""
    x, w = rand(8, 64, 8, 8, seed=12), rand(64, 64, 3, 3, seed=13) / 8
    sj.backends.winograd.enabled = False
    try:
        assert_matches_torch(lambda a, c: SF.conv2d(a, c, padding=1),
                             lambda a, c: F.conv2d(a, c, padding=1), x, w, tol=2e-6)
    finally:
        sj.backends.winograd.enabled = True
    assert calls == {"forward": 0, "weight_grad": 0}


def test_gradcheck_small_channels(calls, monkeypatch):
    """float64 finite differences through the Winograd kernels (threshold lowered)."""
    monkeypatch.setattr(conv_wino, "_MIN_CHANNELS", 1)
    x, w, b = rand(2, 3, 4, 8, seed=14), rand(2, 3, 3, 3, seed=15), rand(2, seed=16)
    check_grad(lambda a, c, d: SF.conv2d(a, c, d, padding=1), x, w, b)
    assert calls["forward"] >= 1 and calls["weight_grad"] >= 1


def test_float64_is_exact_to_rounding(calls):
    """The transforms are exact in float64: PyTorch's float64 conv to 1e-12 of its scale."""
    x = rand(4, 32, 8, 8, seed=17, dtype=np.float64)
    w = rand(32, 32, 3, 3, seed=18, dtype=np.float64)
    ours = SF.conv2d(sj.tensor(x), sj.tensor(w), padding=1).numpy()
    theirs = F.conv2d(torch.tensor(x), torch.tensor(w), padding=1).numpy()
    assert np.abs(ours - theirs).max() <= 1e-12 * np.abs(theirs).max()
    assert calls["forward"] >= 1


def test_one_thread_equals_two_threads():
    """Chunks on two threads give the same bits as one thread."""
    x, w = rand(16, 64, 16, 16, seed=19), rand(64, 64, 3, 3, seed=20) / 8

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
