"""Linear, shape layers and activation modules against PyTorch with weights copied across."""
import numpy as np
import pytest
import torch

import shenjing
from shenjing import nn
from helpers import assert_close, compare, rand


def copy_params(sj_mod, th_mod):
    sj_mod.load_state_dict({k: v.detach().numpy() for k, v in th_mod.state_dict().items()})


def layer_compare(sj_mod, th_mod, x, atol=1e-5):
    """Forward, input gradient and every parameter gradient of the two layers."""
    copy_params(sj_mod, th_mod)
    compare(sj_mod, th_mod, x, atol=atol)
    xs, xt = shenjing.tensor(x), torch.tensor(x)
    ys, yt = sj_mod(xs), th_mod(xt)
    up = np.random.default_rng(3).standard_normal(yt.shape).astype(np.float32)
    (ys * shenjing.tensor(up)).sum().backward()
    (yt * torch.tensor(up)).sum().backward()
    for (n, ps), (_, pt) in zip(sj_mod.named_parameters(), th_mod.named_parameters()):
        assert_close(ps.grad, pt.grad, atol, 1e-4, f"grad of {n}")


@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (0, 4), (1, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    sj, th = nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias)
    layer_compare(sj, th, rand(*shape))


def test_linear_default_init_bounds_and_dtype():
    shenjing.manual_seed(0)
    m = nn.Linear(100, 50)
    bound = 1 / np.sqrt(100)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.shape == (50, 100) and b.shape == (50,) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.8 * bound
    assert np.std(w) == pytest.approx(bound / np.sqrt(3), rel=0.05)
    m64 = nn.Linear(2, 2, dtype=shenjing.float64)
    assert m64.weight.dtype == shenjing.float64
    old = w.copy()
    m.reset_parameters()
    assert not np.array_equal(old, m.weight.detach().numpy())


def test_linear_wrong_features_message():
    with pytest.raises(RuntimeError) as e:
        nn.Linear(4, 2)(shenjing.zeros(3, 5))
    assert str(e.value) == ("Linear(in_features=4, out_features=2, bias=True): expected input "
                            "with 4 features in the last dimension, got shape (3, 5)")


def test_linear_trains_one_step():
    m = nn.Linear(3, 1)
    x = shenjing.tensor(rand(8, 3))
    loss = (m(x) ** 2).mean()
    loss.backward()
    w0 = m.weight.detach().numpy().copy()
    with shenjing.no_grad():
        m.weight._data -= 0.1 * m.weight.grad._data
    assert not np.array_equal(w0, m.weight.detach().numpy())


@pytest.mark.parametrize("make,shape", [
    (lambda L: L.nn.Flatten(), (2, 3, 4)),
    (lambda L: L.nn.Flatten(0, 1), (2, 3, 4)),
    (lambda L: L.nn.Flatten(start_dim=-2), (2, 3, 4, 1)),
    (lambda L: L.nn.Unflatten(1, (2, 3)), (4, 6)),
    (lambda L: L.nn.Unflatten(-1, (2, -1)), (4, 3, 6)),
    (lambda L: L.nn.Identity(54, unused="x"), (3, 2)),
])
def test_shape_layers(make, shape):
    compare(make(shenjing), make(torch), rand(*shape))


ACTIVATIONS = [
    lambda L: L.nn.ReLU(), lambda L: L.nn.ReLU6(), lambda L: L.nn.Sigmoid(),
    lambda L: L.nn.Tanh(), lambda L: L.nn.LeakyReLU(), lambda L: L.nn.LeakyReLU(0.2),
    lambda L: L.nn.Softmax(dim=1), lambda L: L.nn.Softmax(dim=-1),
    lambda L: L.nn.LogSoftmax(dim=1), lambda L: L.nn.Softmin(dim=0), lambda L: L.nn.ELU(),
    lambda L: L.nn.ELU(alpha=0.5), lambda L: L.nn.CELU(alpha=2.0), lambda L: L.nn.SELU(),
    lambda L: L.nn.GELU(), lambda L: L.nn.GELU(approximate="tanh"), lambda L: L.nn.SiLU(),
    lambda L: L.nn.Mish(), lambda L: L.nn.Softplus(), lambda L: L.nn.Softplus(beta=2.0,
                                                                               threshold=1.0),
    lambda L: L.nn.Hardtanh(), lambda L: L.nn.Hardtanh(-2.0, 0.5), lambda L: L.nn.Softsign(),
    lambda L: L.nn.LogSigmoid(), lambda L: L.nn.Hardsigmoid(), lambda L: L.nn.Hardswish(),
    lambda L: L.nn.Tanhshrink(),
]


@pytest.mark.parametrize("make", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(4, 5), (1, 1), (2, 3, 4)])
def test_activation_modules(make, shape):
    sj, th = make(shenjing), make(torch)
    assert repr(sj) == repr(th)
    compare(sj, th, rand(*shape, low=-4, high=4), atol=1e-5)


@pytest.mark.parametrize("make", [lambda L: L.nn.ReLU(inplace=True),
                                  lambda L: L.nn.LeakyReLU(0.1, inplace=True),
                                  lambda L: L.nn.ELU(inplace=True)])
def test_inplace_activation_repr_and_values(make):
    sj, th = make(shenjing), make(torch)
    assert repr(sj) == repr(th)
    x = rand(3, 4, low=-2, high=2)
    xs, xt = shenjing.tensor(x), torch.tensor(x)
    out_s, out_t = sj(xs), th(xt)
    assert_close(out_s, out_t, 1e-6, 1e-5, "inplace output")


def test_mlp_in_eval_and_train_matches_torch():
    def make(L):
        return L.nn.Sequential(L.nn.Linear(6, 8), L.nn.GELU(), L.nn.Linear(8, 8),
                               L.nn.LeakyReLU(0.1), L.nn.Linear(8, 3), L.nn.LogSoftmax(dim=1))

    sj, th = make(shenjing), make(torch)
    x = rand(7, 6)
    for mode in ("train", "eval"):
        getattr(sj, mode)()
        getattr(th, mode)()
        sj.zero_grad()
        th.zero_grad()
        layer_compare(sj, th, x)
