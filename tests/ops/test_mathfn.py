"""Trigonometric, hyperbolic, logarithmic and two-argument math against PyTorch: values,
gradients, out-of-domain NaNs without warnings, integer inputs, float64 gradchecks."""
import warnings

import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, compare

# name -> values inside the domain (away from poles, for the gradients)
UNARY = {
    "tan": [-1.2, -0.3, 0.0, 0.4, 1.1], "asin": [-0.9, -0.2, 0.0, 0.5, 0.8],
    "acos": [-0.9, -0.2, 0.0, 0.5, 0.8], "atan": [-4.0, -0.5, 0.0, 0.7, 9.0],
    "sinh": [-3.0, -0.5, 0.0, 0.7, 2.5], "cosh": [-3.0, -0.5, 0.0, 0.7, 2.5],
    "asinh": [-5.0, -0.5, 0.0, 0.7, 30.0], "acosh": [1.2, 1.5, 2.0, 7.0, 40.0],
    "atanh": [-0.9, -0.3, 0.0, 0.5, 0.8], "log2": [0.1, 0.5, 1.0, 3.0, 1000.0],
    "log10": [0.1, 0.5, 1.0, 3.0, 1000.0], "exp2": [-5.0, -0.5, 0.0, 1.5, 10.0],
    "deg2rad": [-180.0, -1.0, 0.0, 45.0, 720.0], "rad2deg": [-3.1, -0.1, 0.0, 1.0, 6.0],
    "frac": [-3.7, -0.2, 0.0, 0.6, 5.25], "logit": [0.05, 0.3, 0.5, 0.7, 0.99],
    "sgn": [-2.0, -0.1, 0.0, 0.3, 4.0],
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch(name):
    x = np.array(UNARY[name], np.float32)
    grad = name != "sgn"  # PyTorch's sgn gradient is a ZeroTensor; ours is zeros
    compare(getattr(sj, name), getattr(torch, name), x, rtol=1e-5, atol=1e-5, grad=grad)
    compare(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), x.reshape(1, 5),
            rtol=1e-5, atol=1e-5, grad=grad)
    if name not in ("sgn", "frac"):
        check_grad(getattr(sj, name), x.astype(np.float64)[1:4])


@pytest.mark.parametrize("name", ["asin", "acos", "atanh", "acosh", "log2", "log10", "logit"])
def test_out_of_domain_gives_torchs_nan_or_inf_quietly(name):
    x = np.array([-2.0, 0.0, 1.0, 3.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning escapes
        ours = getattr(sj, name)(sj.tensor(x)).numpy()
    np.testing.assert_allclose(ours, getattr(torch, name)(torch.tensor(x)).numpy(), rtol=1e-6)


def test_integer_input_becomes_the_default_float():
    for name in ("tan", "atan", "log2", "exp2"):
        ours = getattr(sj, name)(sj.tensor([1, 2, 3]))
        ref = getattr(torch, name)(torch.tensor([1, 2, 3]))
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], name
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


def test_logit_eps_clamps_and_stops_the_gradient_outside():
    x = np.array([0.0, 0.01, 0.3, 0.97, 1.0], np.float32)
    compare(lambda t: sj.logit(t, eps=0.05), lambda t: torch.logit(t, eps=0.05), x)


def test_signbit_and_positive():
    x = np.array([-1.0, -0.0, 0.0, 2.0, np.nan], np.float32)
    np.testing.assert_array_equal(sj.signbit(sj.tensor(x)).numpy(),
                                  torch.signbit(torch.tensor(x)).numpy())
    t = sj.tensor(x)
    assert sj.positive(t) is t


BINARY = ["atan2", "hypot", "logaddexp", "xlogy", "copysign"]


@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch_with_broadcasting(name):
    a = np.array([[-2.0, -0.5, 0.7, 3.0], [1.5, -4.0, 0.25, 2.0]], np.float32)
    b = np.array([0.5, 1.5, -2.0, 4.0], np.float32)
    if name == "xlogy":
        b = np.abs(b)
    compare(getattr(sj, name), getattr(torch, name), a, b, atol=1e-5)
    compare(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), a, b,
            atol=1e-5)
    check_grad(getattr(sj, name), a.astype(np.float64), b.astype(np.float64))


def test_binary_special_values():
    z = np.array([0.0, 0.0, 2.0, -0.0, 1.0], np.float32)
    w = np.array([0.0, 3.0, 0.0, 1.0, -0.0], np.float32)
    for name in BINARY:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = getattr(sj, name)(sj.tensor(z), sj.tensor(w)).numpy()
        ref = getattr(torch, name)(torch.tensor(z), torch.tensor(w)).numpy()
        np.testing.assert_array_equal(ours, ref, err_msg=name)
    big = np.array([1000.0, -1000.0], np.float32)  # logaddexp does not overflow
    compare(sj.logaddexp, torch.logaddexp, big, np.array([999.0, -998.0], np.float32))
    compare(sj.xlogy, torch.xlogy, np.array([0.0, 2.0], np.float32),
            np.array([0.5, 3.0], np.float32))  # d/da at a = 0 is 0


def test_binary_errors_name_the_op():
    with pytest.raises(RuntimeError, match="atan2"):
        sj.atan2(sj.ones(2, 3), sj.ones(4))


def test_sgn_gradient_is_zero():
    x = sj.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    sj.sgn(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3, np.float32))


def test_gcd_and_lcm():
    a = np.array([[12, -18, 0, 7], [5, 0, 21, -4]], np.int64)
    b = np.array([8, 27, 5, 0], np.int64)
    for name in ("gcd", "lcm"):
        ours = getattr(sj, name)(sj.tensor(a), sj.tensor(b))
        ref = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
        assert ours.dtype == sj.int64
        np.testing.assert_array_equal(getattr(sj.tensor(a), name)(sj.tensor(b)).numpy(),
                                      ref.numpy())
    with pytest.raises(RuntimeError, match="not implemented for"):
        sj.gcd(sj.ones(2), sj.ones(2))
