"""Pooling ops against PyTorch (values, indices, input grads) and float64 gradcheck."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import shenjing as sj
import shenjing.nn.functional as SF
from helpers import check_grad, compare, rand

MAX2D = [dict(kernel_size=2), dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=1),
         dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
         dict(kernel_size=2, stride=2, ceil_mode=True), dict(kernel_size=(2, 3), stride=(1, 2)),
         dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1)),
         dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
         dict(kernel_size=1), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)]
SHAPES = [(2, 3, 7, 8), (1, 1, 5, 5), (3, 6, 9)]


@pytest.mark.parametrize("kw", MAX2D)
@pytest.mark.parametrize("shape", SHAPES)
def test_max_pool2d_parity(kw, shape):
    x = rand(*shape, seed=1)
    compare(lambda t: SF.max_pool2d(t, return_indices=True, **kw),
            lambda t: F.max_pool2d(t, return_indices=True, **kw), x)
    compare(lambda t: sj.max_pool2d(t, **kw), lambda t: torch.max_pool2d(t, **kw), x)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, ceil_mode=True, dilation=2),
                                dict(kernel_size=4, stride=1)])
@pytest.mark.parametrize("shape", [(2, 3, 11), (4, 9)])
def test_max_pool1d_parity(kw, shape):
    compare(lambda t: SF.max_pool1d(t, return_indices=True, **kw),
            lambda t: F.max_pool1d(t, return_indices=True, **kw), rand(*shape, seed=2))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2)])
def test_max_pool_ties_match_torch(kw):
    """Ties: the gradient and the index go to the first maximum in window order (PyTorch's
    CPU rule, deterministic)."""
    x = np.round(rand(2, 2, 6, 7, seed=3) * 2).astype(np.float32) / 2  # many equal values
    compare(lambda t: SF.max_pool2d(t, return_indices=True, **kw),
            lambda t: F.max_pool2d(t, return_indices=True, **kw), x)
    compare(lambda t: SF.max_pool2d(t, **kw), lambda t: F.max_pool2d(t, **kw), np.ones(
        (1, 1, 4, 5), np.float32))


def test_max_pool_float64_int_and_empty_batch():
    x = rand(2, 2, 6, 6, seed=4, dtype=np.float64)
    compare(lambda t: SF.max_pool2d(t, 2), lambda t: F.max_pool2d(t, 2), x)
    compare(lambda t: SF.max_pool2d(t, 3, 2), lambda t: F.max_pool2d(t, 3, 2),
            np.zeros((0, 2, 6, 6), np.float32))


AVG2D = [dict(kernel_size=2), dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=1),
         dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, ceil_mode=True),
         dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
         dict(kernel_size=(2, 4), stride=(1, 3), padding=(1, 2), ceil_mode=True),
         dict(kernel_size=2, stride=2, ceil_mode=True), dict(kernel_size=5, stride=5)]


@pytest.mark.parametrize("kw", AVG2D)
@pytest.mark.parametrize("cip", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 7, 8), (3, 5, 5)])
def test_avg_pool2d_parity(kw, cip, shape):
    if kw["kernel_size"] == 5 and shape[-2] < 5:
        return
    compare(lambda t: SF.avg_pool2d(t, count_include_pad=cip, **kw),
            lambda t: F.avg_pool2d(t, count_include_pad=cip, **kw), rand(*shape, seed=5))


@pytest.mark.parametrize("div", [1, 3, 7])
def test_avg_pool2d_divisor_override(div):
    kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=div)
    compare(lambda t: SF.avg_pool2d(t, **kw), lambda t: F.avg_pool2d(t, **kw),
            rand(2, 2, 6, 7, seed=6))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, ceil_mode=True,
                                     count_include_pad=False)])
def test_avg_pool1d_parity(kw):
    compare(lambda t: sj.avg_pool1d(t, **kw), lambda t: torch.avg_pool1d(t, **kw),
            rand(2, 3, 10, seed=7))
    compare(lambda t: SF.avg_pool1d(t, **kw), lambda t: F.avg_pool1d(t, **kw), rand(3, 9, seed=8))


ADAPT = [(3, 5), (1, 1), (7, 4), (None, 3), 2, (4, 8), (5, 3)]


@pytest.mark.parametrize("out", ADAPT)
@pytest.mark.parametrize("shape", [(2, 3, 7, 8), (3, 9, 5)])
def test_adaptive_pool2d_parity(out, shape):
    x = rand(*shape, seed=9)
    compare(lambda t: SF.adaptive_avg_pool2d(t, out), lambda t: F.adaptive_avg_pool2d(t, out), x)
    compare(lambda t: SF.adaptive_max_pool2d(t, out, True),
            lambda t: F.adaptive_max_pool2d(t, out, True), x)


@pytest.mark.parametrize("out", [1, 3, 4, 7, 10])
def test_adaptive_pool1d_parity(out):
    x = rand(2, 3, 7, seed=10)
    compare(lambda t: sj.adaptive_avg_pool1d(t, out), lambda t: torch.adaptive_avg_pool1d(t, out),
            x)
    compare(lambda t: SF.adaptive_max_pool1d(t, out, True),
            lambda t: F.adaptive_max_pool1d(t, out, True), x)


def test_max_unpool2d_roundtrip():
    x = rand(2, 3, 6, 7, seed=11)

    def ours(t):
        y, i = SF.max_pool2d(t, 2, return_indices=True)
        return SF.max_unpool2d(y, i, 2, output_size=t.shape)

    def theirs(t):
        y, i = F.max_pool2d(t, 2, return_indices=True)
        return F.max_unpool2d(y, i, 2, output_size=t.shape)

    compare(ours, theirs, x)


@pytest.mark.parametrize("fn", [
    lambda t: SF.max_pool2d(t, 3, 2, 1, ceil_mode=True),
    lambda t: SF.max_pool2d(t, 2, 1, dilation=2),
    lambda t: SF.max_pool1d(t.reshape(2, 3, -1), 3, 2),
    lambda t: SF.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda t: SF.avg_pool2d(t, 2, divisor_override=3),
    lambda t: SF.adaptive_avg_pool2d(t, (3, 2)),
    lambda t: SF.adaptive_max_pool2d(t, (3, 2)),
    lambda t: SF.adaptive_avg_pool2d(t, 1),
])
def test_pool_gradcheck(fn):
    check_grad(fn, rand(2, 3, 5, 4, seed=12))


@pytest.mark.parametrize("call,err,msg", [
    (lambda: SF.max_pool2d(sj.zeros(3, 1, 1), 2), RuntimeError, "Output size is too small"),
    (lambda: SF.avg_pool2d(sj.zeros(3, 1, 1), 2), RuntimeError, "(3x0x0)"),
    (lambda: SF.max_pool2d(sj.zeros(1, 1, 4, 4), 2, padding=2), RuntimeError, "at most half"),
    (lambda: SF.max_pool2d(sj.zeros(4), 2), RuntimeError, "Expected 3D or 4D"),
    (lambda: SF.max_pool1d(sj.zeros(2, 3, 4, 5), 2), RuntimeError, "Expected 2D or 3D"),
    (lambda: SF.avg_pool2d(sj.zeros(1, 1, 4, 4, dtype=sj.int64), 2), RuntimeError, "floating"),
])
def test_pool_errors(call, err, msg):
    with pytest.raises(err, match=msg.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_pool_error_messages_match_torch():
    for f in (F.max_pool2d, F.avg_pool2d):
        with pytest.raises(RuntimeError) as th:
            f(torch.zeros(3, 1, 1), 2)
        with pytest.raises(RuntimeError) as ours:
            getattr(SF, f.__name__)(sj.zeros(3, 1, 1), 2)
        assert str(ours.value) == str(th.value)
