"""Activations against PyTorch (values, input grads), float64 gradcheck and stability."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shenjing as sj
import shenjing.nn.functional as SF
from helpers import check_grad, compare, rand

# name -> (shenjing fn, torch fn, low, high); F.<name> unless a lambda is given
ACT = {
    "sigmoid": (SF.sigmoid, torch.sigmoid), "tanh": (SF.tanh, torch.tanh),
    "relu": (SF.relu, TF.relu), "relu6": (SF.relu6, TF.relu6),
    "leaky_relu": (SF.leaky_relu, TF.leaky_relu),
    "leaky_relu_0.2": (lambda x: SF.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    "elu": (SF.elu, TF.elu), "elu_0.5": (lambda x: SF.elu(x, 0.5), lambda x: TF.elu(x, 0.5)),
    "selu": (SF.selu, TF.selu), "celu": (lambda x: SF.celu(x, 0.7), lambda x: TF.celu(x, 0.7)),
    "gelu": (SF.gelu, TF.gelu),
    "gelu_tanh": (lambda x: SF.gelu(x, approximate="tanh"),
                  lambda x: TF.gelu(x, approximate="tanh")),
    "silu": (SF.silu, TF.silu), "mish": (SF.mish, TF.mish), "softplus": (SF.softplus, TF.softplus),
    "softplus_beta": (lambda x: SF.softplus(x, beta=2, threshold=3),
                      lambda x: TF.softplus(x, beta=2, threshold=3)),
    "hardtanh": (lambda x: SF.hardtanh(x, -0.5, 0.8), lambda x: TF.hardtanh(x, -0.5, 0.8)),
    "softsign": (SF.softsign, TF.softsign), "logsigmoid": (SF.logsigmoid, TF.logsigmoid),
    "hardsigmoid": (SF.hardsigmoid, TF.hardsigmoid), "hardswish": (SF.hardswish, TF.hardswish),
    "tanhshrink": (SF.tanhshrink, TF.tanhshrink),
    "softmax0": (lambda x: SF.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    "softmax-1": (lambda x: SF.softmax(x, dim=-1), lambda x: TF.softmax(x, dim=-1)),
    "log_softmax-1": (lambda x: SF.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1)),
    "log_softmax0": (lambda x: SF.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0)),
    "softmin": (lambda x: SF.softmin(x, -1), lambda x: TF.softmin(x, -1)),
}
SHAPES = [(7,), (3, 4), (2, 1, 3), (), (0, 2), (1,)]


@pytest.mark.parametrize("name", list(ACT))
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_parity(name, shape):
    ours, theirs = ACT[name]
    x = rand(*shape, seed=5, low=-4, high=4)
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of kinks
    compare(ours, theirs, x)


@pytest.mark.parametrize("name", list(ACT))
def test_activation_gradcheck(name):
    x = rand(3, 5, seed=6, low=-4, high=4)
    for kink in (0.0, -0.5, 0.8, 6.0, 3.0, -3.0, -1.0, 1.0):
        x[np.abs(x - kink) < 0.05] = kink + 0.2
    check_grad(ACT[name][0], x)


def test_float64_and_wide_range():
    x = np.linspace(-30, 30, 241).astype(np.float64)
    for name in ("sigmoid", "gelu", "silu", "softplus", "logsigmoid", "mish", "elu", "selu"):
        ours, theirs = ACT[name]
        compare(ours, theirs, x, atol=1e-12, rtol=1e-10)


def test_gelu_matches_math_erf():
    x = np.linspace(-10, 10, 2001)
    ref = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    ours = SF.gelu(sj.tensor(x)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-300)
    ours32 = SF.gelu(sj.tensor(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(ours32, ref, rtol=1e-5, atol=1e-6)


def test_stability_at_extremes():
    x = np.array([-1e4, -100.0, 0.0, 100.0, 1e4], np.float32)
    compare(SF.sigmoid, torch.sigmoid, x)
    compare(SF.logsigmoid, TF.logsigmoid, x)
    compare(SF.softplus, TF.softplus, x)
    big = np.array([[1e4, 0.0, -1e4], [3.0, 3.0, 3.0]], np.float32)
    compare(lambda t: SF.softmax(t, 1), lambda t: TF.softmax(t, 1), big)
    compare(lambda t: SF.log_softmax(t, 1), lambda t: TF.log_softmax(t, 1), big)


def test_torch_namespace_and_methods():
    x = rand(3, 4, seed=1)
    for name in ("sigmoid", "tanh", "relu", "selu", "celu"):
        compare(getattr(sj, name), getattr(torch, name), x)
    for name in ("sigmoid", "tanh", "relu"):
        compare(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), x)
    compare(lambda t: t.softmax(1), lambda t: t.softmax(1), x)
    compare(lambda t: t.log_softmax(dim=0), lambda t: t.log_softmax(dim=0), x)
    compare(lambda t: sj.softmax(t, 1), lambda t: torch.softmax(t, 1), x)
    compare(lambda t: sj.log_softmax(t, -1), lambda t: torch.log_softmax(t, -1), x)


def test_inplace_flag_accepted_and_returns_new():
    t = sj.tensor(rand(4, seed=2))
    before = t.numpy().copy()
    out = SF.relu(t, inplace=True)
    np.testing.assert_array_equal(out.numpy(), np.maximum(before, 0))
    assert SF.leaky_relu(t, 0.1, True) is not None and SF.elu(t, inplace=True) is not None


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4), (2, 3, 4, 5), ()])
def test_softmax_implicit_dim_and_dtype(shape):
    x = rand(*shape, seed=3)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        ours = SF.softmax(sj.tensor(x))
    with pytest.warns(UserWarning):
        theirs = TF.softmax(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    compare(lambda t: SF.softmax(t, -1, dtype=sj.float64) if shape else SF.softmax(t, 0),
            lambda t: TF.softmax(t, -1, dtype=torch.float64) if shape else TF.softmax(t, 0), x)


def test_softmax_fused_matches_composition():
    x = rand(4, 6, seed=9)
    a = sj.tensor(x, requires_grad=True)
    b = sj.tensor(x, requires_grad=True)
    w = sj.tensor(rand(4, 6, seed=10))
    (SF.log_softmax(a, 1) * w).sum().backward()
    e = b.exp()
    ((e / e.sum(1, keepdim=True)).log() * w).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_errors():
    with pytest.raises(IndexError, match="Dimension out of range"):
        SF.softmax(sj.tensor(rand(2, 3)), 2)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        SF.gelu(sj.tensor(rand(2)), approximate="fast")
    with pytest.raises(RuntimeError, match="softmax: expected a floating point tensor"):
        SF.softmax(sj.tensor(np.arange(3)), 0)
    # integer inputs of float-valued activations come back float, as in torch
    assert sj.sigmoid(sj.tensor(np.arange(3))).dtype == sj.float32
    assert sj.relu(sj.tensor(np.array([-1, 2]))).tolist() == [0, 2]
