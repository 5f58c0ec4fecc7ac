"""Channels-last memory behind NCHW views: convs leave their outputs (N, H, W, C) in memory;
batch norm, max pooling and element-wise ops keep that order. Every result must equal
PyTorch's whatever the layouts that meet, and a 1-thread run must equal a 2-thread one."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import shenjing as sj
from helpers import check_grad, compare, rand

SF = sj.nn.functional


def cl(t):
    """The same values with channels-last memory (works on both libraries' tensors)."""
    return t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)


def is_cl(t) -> bool:
    return np.asarray(t._data).transpose(0, 2, 3, 1).flags.c_contiguous


def test_conv_output_and_input_gradient_are_channels_last():
    x = sj.tensor(rand(2, 5, 9, 8, seed=1), requires_grad=True)
    w = sj.tensor(rand(7, 5, 3, 3, seed=2), requires_grad=True)
    y = SF.conv2d(x, w, padding=1)
    assert is_cl(y)
    y2 = SF.conv2d(y, sj.tensor(rand(4, 7, 3, 3, seed=3)), stride=2, padding=1)
    assert is_cl(y2)
    (y2 * sj.tensor(rand(*y2.shape, seed=4))).sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == w.shape
    np.testing.assert_allclose(y.detach().numpy(), F.conv2d(
        torch.tensor(rand(2, 5, 9, 8, seed=1)), torch.tensor(rand(7, 5, 3, 3, seed=2)),
        padding=1).numpy(), atol=1e-5)


@pytest.mark.parametrize("kw", [{"padding": 1}, {"stride": 2, "padding": 1},
                                {"stride": 2, "padding": 2, "dilation": 2},
                                {"stride": (2, 1), "padding": (0, 1)}, {"stride": 2}])
@pytest.mark.parametrize("mode", ["zeros", "reflect", "circular"])
def test_conv_on_channels_last_input(kw, mode):
    """Inputs already channels-last (the output of an earlier conv), every padding mode,
    strided (col2im input gradient) and stride-1 (full correlation) alike."""
    if mode != "zeros":
        kw = {**kw, "padding_mode": mode} if "padding" in kw else kw
    pm = kw.pop("padding_mode", "zeros")

    def run(mod, fn):
        def f(x, w, b):
            if pm == "zeros":
                return fn(cl(x), w, b, **kw)
            p = kw.get("padding", 0)
            p = (p, p) if isinstance(p, int) else p
            xpad = mod.nn.functional.pad(cl(x), (p[1], p[1], p[0], p[0]), mode=pm)
            return fn(xpad, w, b, **{k: v for k, v in kw.items() if k != "padding"})
        return f

    compare(run(sj, SF.conv2d), run(torch, F.conv2d), rand(2, 6, 11, 10, seed=5),
            rand(8, 6, 3, 3, seed=6), rand(8, seed=7), atol=2e-5)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_module_padding_modes_channels_last(mode):
    """Conv2d's own padding_mode on channels-last input: the folded pad gradient."""
    for stride in (1, 2):
        ours = sj.nn.Conv2d(4, 5, 3, stride=stride, padding=1, padding_mode=mode)
        ref = torch.nn.Conv2d(4, 5, 3, stride=stride, padding=1, padding_mode=mode)
        ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
        compare(lambda x: ours(cl(x)), lambda x: ref(cl(x)), rand(2, 4, 7, 6, seed=8),
                atol=2e-5)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("grad_layout", ["cl", "nchw"])
def test_batch_norm_on_channels_last(training, affine, grad_layout):
    """The pixel-rows path of batch norm: forward, input/weight/bias grads, running stats,
    with the upstream gradient in either layout."""
    rm, rv = rand(6, seed=9) * 0.1, rand(6, seed=10, low=0.5, high=1.5)
    up = rand(3, 6, 5, 7, seed=11)

    def run(mod, fn):
        stats = (mod.tensor(rm.copy()), mod.tensor(rv.copy()))

        def f(x, *wb):
            w, b = wb if affine else (None, None)
            y = fn(cl(x), stats[0], stats[1], w, b, training=training, momentum=0.3)
            u = mod.tensor(up)
            return y * (cl(u) if grad_layout == "cl" else u), stats[0] * 1, stats[1] * 1
        return f

    args = (rand(3, 6, 5, 7, seed=12) * 3 + 1,)
    if affine:
        args += (rand(6, seed=13), rand(6, seed=14))
    out, _ = compare(run(sj, SF.batch_norm), run(torch, F.batch_norm), *args, atol=2e-5,
                     grad_atol=1e-4)
    assert len(out) == 3


def test_batch_norm_1d_rows_path_and_gradcheck():
    """(N, C) input is already pixel rows; float64 gradcheck of the rows path."""
    compare(lambda x, w, b: SF.batch_norm(x, None, None, w, b, training=True),
            lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
            rand(9, 4, seed=15), rand(4, seed=16), rand(4, seed=17), grad_atol=1e-4)
    check_grad(lambda x, w, b: SF.batch_norm(cl(x), None, None, w, b, training=True),
               rand(3, 4, 3, 2, seed=18), rand(4, seed=19), rand(4, seed=20))
    rm, rv = sj.tensor(rand(4, seed=21).astype(np.float64)), \
        sj.tensor(rand(4, seed=22, low=0.5, high=1.5).astype(np.float64))
    check_grad(lambda x, w, b: SF.batch_norm(cl(x), rm, rv, w, b, training=False),
               rand(3, 4, 3, 2, seed=23), rand(4, seed=24), rand(4, seed=25))


@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2},
                                {"kernel_size": 3, "stride": 2, "padding": 1},
                                {"kernel_size": 2, "ceil_mode": True}])
def test_max_pool_on_channels_last(kw):
    """Tiled (2x2) and overlapping windows, values and gradient, on channels-last input."""
    x = rand(2, 5, 8, 6, seed=26)  # 2x2 windows tile it exactly: the tiled backward
    out, _ = compare(lambda a: SF.max_pool2d(cl(a), **kw), lambda a: F.max_pool2d(cl(a), **kw),
                     x)
    if kw == {"kernel_size": 2}:
        assert is_cl(out[0])


def test_max_pool_indices_on_channels_last():
    x = rand(2, 3, 6, 6, seed=27)
    ours = SF.max_pool2d(cl(sj.tensor(x)), 2, return_indices=True)[1]
    ref = F.max_pool2d(cl(torch.tensor(x)), 2, return_indices=True)[1]
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_small_cnn_chain_matches_torch():
    """conv-bn-relu-pool-conv-bn-relu-add-pool-linear on channels-last memory throughout."""
    def net(mod):
        fn = mod.nn.functional

        def f(x, w1, w2, w3, g1, b1, g2, b2, wl):
            h = fn.relu(fn.batch_norm(fn.conv2d(x, w1, padding=1), None, None, g1, b1,
                                      training=True))
            h = fn.max_pool2d(h, 2)
            r = fn.relu(fn.batch_norm(fn.conv2d(h, w2, padding=1), None, None, g2, b2,
                                      training=True))
            h = fn.relu(r + fn.conv2d(h, w3))
            h = fn.adaptive_avg_pool2d(h, 1).flatten(1)
            return fn.linear(h, wl)
        return f

    args = (rand(4, 3, 12, 12, seed=30), rand(8, 3, 3, 3, seed=31), rand(8, 8, 3, 3, seed=32),
            rand(8, 8, 1, 1, seed=33), rand(8, seed=34), rand(8, seed=35), rand(8, seed=36),
            rand(8, seed=37), rand(5, 8, seed=38))
    compare(net(sj), net(torch), *args, atol=3e-5, grad_atol=2e-4)


def test_one_thread_equals_two_threads():
    """Batch norm's row blocks (fixed size, partial sums added in block order) give the same
    bits on one thread or two; a conv (whose chunking follows the thread count) agrees to
    rounding."""
    x = rand(16, 64, 32, 32, seed=40) * 2 + 0.5
    w = rand(64, 64, 3, 3, seed=41) * 0.05
    up = rand(16, 64, 32, 32, seed=42)

    def run():
        xt = sj.tensor(x, requires_grad=True)
        g, b = sj.tensor(rand(64, seed=43), requires_grad=True), sj.tensor(
            rand(64, seed=44), requires_grad=True)
        xc = cl(xt)
        assert is_cl(xc) and xc._data.nbytes >= 4 << 20  # big enough for the threads
        y = SF.batch_norm(xc, None, None, g, b, training=True)
        (y * cl(sj.tensor(up))).sum().backward()
        wt = sj.tensor(w, requires_grad=True)
        xt2 = sj.tensor(x, requires_grad=True)
        SF.conv2d(cl(xt2), wt, padding=1).sum().backward()
        return [t.numpy().copy() for t in (y.detach(), xt.grad, g.grad, b.grad)], \
            [t.numpy().copy() for t in (xt2.grad, wt.grad)]

    old = sj.get_num_threads()
    try:
        sj.set_num_threads(1)
        bn1, conv1 = run()
        sj.set_num_threads(2)
        bn2, conv2 = run()
    finally:
        sj.set_num_threads(old)
    for a, b in zip(bn1, bn2):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(conv1, conv2):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("kw", [{"padding": 1}, {"stride": 2, "padding": 1},
                                {"stride": (1, 2), "padding": 2, "dilation": 2}, {}])
@pytest.mark.parametrize("layout", ["cl", "nchw"])
def test_depthwise_conv(kw, layout):
    """Depthwise convs (groups = channels) run as channels-last taps: every stride, dilation
    and padding, from either memory order, with a bias."""
    f = cl if layout == "cl" else (lambda t: t)
    compare(lambda x, w, b: SF.conv2d(f(x), w, b, groups=6, **kw),
            lambda x, w, b: F.conv2d(f(x), w, b, groups=6, **kw),
            rand(3, 6, 9, 8, seed=50), rand(6, 1, 3, 3, seed=51), rand(6, seed=52), atol=2e-5)


@pytest.mark.parametrize("mode", ["reflect", "circular"])
def test_depthwise_conv_padding_modes(mode):
    for stride in (1, 2):
        ours = sj.nn.Conv2d(4, 4, 3, stride=stride, padding=1, groups=4, padding_mode=mode)
        ref = torch.nn.Conv2d(4, 4, 3, stride=stride, padding=1, groups=4, padding_mode=mode)
        ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
        compare(lambda x: ours(cl(x)), lambda x: ref(cl(x)), rand(2, 4, 7, 6, seed=53),
                atol=2e-5)


def test_depthwise_conv_gradcheck():
    check_grad(lambda x, w: SF.conv2d(cl(x), w, stride=(2, 1), padding=1, groups=3),
               rand(2, 3, 5, 4, seed=54), rand(3, 1, 3, 2, seed=55))


@pytest.mark.parametrize("kw", [{"stride": 2, "padding": 1, "output_padding": 1},
                                {"stride": 1, "padding": 1}, {"stride": 2, "dilation": 2},
                                {"stride": (2, 1), "padding": (1, 0)}])
@pytest.mark.parametrize("layout", ["cl", "nchw"])
def test_conv_transpose_channels_last(kw, layout):
    """Transposed convs with groups 1 run as the channels-last conv's adjoint: output left
    channels-last, values and every gradient equal to PyTorch's from either input layout."""
    f = cl if layout == "cl" else (lambda t: t)
    out, _ = compare(lambda x, w, b: SF.conv_transpose2d(f(x), w, b, **kw),
                     lambda x, w, b: F.conv_transpose2d(f(x), w, b, **kw),
                     rand(2, 6, 5, 4, seed=60), rand(6, 3, 3, 3, seed=61), rand(3, seed=62),
                     atol=2e-5)
    assert is_cl(out[0])


def test_conv_transpose_channels_last_gradcheck():
    check_grad(lambda x, w: SF.conv_transpose2d(cl(x), w, stride=2, padding=1,
                                                output_padding=1),
               rand(2, 3, 3, 4, seed=63), rand(3, 2, 3, 3, seed=64))
