"""nn.init: statistics over large tensors against the theoretical bound/std, gains vs torch."""
import math

import numpy as np
import pytest
import torch

import shenjing
from shenjing import nn
from shenjing.nn import init


def big(*shape, dtype=None):
    return nn.Parameter(shenjing.zeros(*shape, dtype=dtype))


def arr(t):
    return t.detach().numpy()


@pytest.mark.parametrize("name,param", [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
    ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
    ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
    ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu", None),
])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5, 5), (2, 6, 7)])
def test_fan_in_and_fan_out_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(shenjing.zeros(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    with pytest.raises(ValueError):
        init._calculate_fan_in_and_fan_out(shenjing.zeros(5))


def test_constant_zeros_ones_eye():
    t = big(3, 4)
    assert init.constant_(t, 0.5) is t and np.all(arr(t) == 0.5)
    assert np.all(arr(init.zeros_(t)) == 0) and np.all(arr(init.ones_(t)) == 1)
    np.testing.assert_array_equal(arr(init.eye_(t)), torch.nn.init.eye_(torch.empty(3, 4)))
    with pytest.raises(ValueError):
        init.eye_(big(2, 2, 2))
    assert t.requires_grad and t.grad_fn is None  # filled in place, no graph


def test_dirac_matches_torch():
    t = init.dirac_(shenjing.zeros(6, 3, 3, 3), groups=2)
    np.testing.assert_array_equal(arr(t), torch.nn.init.dirac_(torch.empty(6, 3, 3, 3), 2))


def test_uniform_and_normal_statistics():
    t = init.uniform_(big(400, 500), -2.0, 3.0)
    a = arr(t)
    assert a.min() >= -2.0 and a.max() <= 3.0 and a.dtype == np.float32
    assert a.mean() == pytest.approx(0.5, abs=0.02)
    a = arr(init.normal_(big(400, 500), 1.5, 2.0))
    assert a.mean() == pytest.approx(1.5, abs=0.02) and a.std() == pytest.approx(2.0, rel=0.01)


def test_seed_makes_init_repeatable():
    shenjing.manual_seed(3)
    a = arr(init.normal_(big(10, 10))).copy()
    shenjing.manual_seed(3)
    np.testing.assert_array_equal(a, arr(init.normal_(big(10, 10))))
    g = shenjing.Generator().manual_seed(5)
    b = arr(init.uniform_(big(4), generator=g)).copy()
    g2 = shenjing.Generator().manual_seed(5)
    np.testing.assert_array_equal(b, arr(init.uniform_(big(4), generator=g2)))


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier(gain):
    fan_in, fan_out = 300, 200
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    a = arr(init.xavier_uniform_(big(fan_out, fan_in), gain=gain))
    assert np.abs(a).max() <= math.sqrt(3) * std + 1e-7
    assert a.std() == pytest.approx(std, rel=0.02)
    a = arr(init.xavier_normal_(big(fan_out, fan_in), gain=gain))
    assert a.std() == pytest.approx(std, rel=0.02) and abs(a.mean()) < 0.01 * gain


@pytest.mark.parametrize("a,mode,nl", [(0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in",
                                        "leaky_relu"), (0, "fan_out", "relu"),
                                       (0.1, "fan_in", "tanh")])
def test_kaiming(a, mode, nl):
    shape = (64, 32, 3, 3)
    fan = 32 * 9 if mode == "fan_in" else 64 * 9
    std = torch.nn.init.calculate_gain(nl, a) / math.sqrt(fan)
    u = arr(init.kaiming_uniform_(big(*shape), a=a, mode=mode, nonlinearity=nl))
    assert np.abs(u).max() <= math.sqrt(3) * std * (1 + 1e-6)
    assert np.abs(u).max() > 0.99 * math.sqrt(3) * std
    assert u.std() == pytest.approx(std, rel=0.02)
    n = arr(init.kaiming_normal_(big(*shape), a=a, mode=mode, nonlinearity=nl))
    assert n.std() == pytest.approx(std, rel=0.02)
    with pytest.raises(ValueError):
        init.kaiming_uniform_(big(3, 3), mode="fan_middle")


@pytest.mark.parametrize("mean,std,a,b", [(0, 1, -2, 2), (0, 0.02, -0.04, 0.04),
                                          (1, 1, 0, 5), (0, 1, 3, 4), (0, 1, -6, -5),
                                          (0, 1, 5, 30), (0, 1, -0.01, 0.01),
                                          (0, 1, 4, 4.1)])
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    t = init.trunc_normal_(big(200, 250), mean, std, a, b)
    x = arr(t).astype(np.float64)
    assert x.min() >= a and x.max() <= b
    # moments of the truncated normal, from torch's erf-based formulas via scipy-free math
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    Z = cdf(be) - cdf(al)
    mu = mean + std * (pdf(al) - pdf(be)) / Z
    var = std ** 2 * (1 + (al * pdf(al) - be * pdf(be)) / Z - ((pdf(al) - pdf(be)) / Z) ** 2)
    assert x.mean() == pytest.approx(mu, abs=0.01 * math.sqrt(var) + 1e-9)
    assert x.std() == pytest.approx(math.sqrt(var), rel=0.02)


def test_orthogonal():
    for shape in [(30, 50), (50, 30), (8, 4, 3)]:
        t = init.orthogonal_(big(*shape), gain=2.0)
        m = arr(t).reshape(shape[0], -1).astype(np.float64)
        small = m @ m.T if shape[0] <= m.shape[1] else m.T @ m
        np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-4)


def test_zero_element_warns_and_keeps_dtype():
    with pytest.warns(UserWarning, match="no-op"):
        init.uniform_(big(0, 3))
    t = init.normal_(big(5, 5, dtype=shenjing.float64))
    assert t.dtype == shenjing.float64
