"""Dropout family: scaling, mean preserved, eval identity, determinism, edge p, gradients."""
import numpy as np
import pytest

import shenjing as sj
import shenjing.nn.functional as F
from helpers import rand


def test_dropout_scales_kept_and_zeroes_rest():
    sj.manual_seed(0)
    x = sj.ones(200, 50)
    y = F.dropout(x, p=0.3).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.01


def test_dropout_preserves_mean():
    sj.manual_seed(1)
    x = sj.tensor(rand(400, 250, seed=1, low=1, high=3))
    y = F.dropout(x, p=0.5)
    assert abs(y.numpy().mean() - x.numpy().mean()) < 0.02 * x.numpy().mean()
    assert y.dtype == sj.float32


def test_dropout_eval_and_p0_identity():
    x = sj.tensor(rand(5, 4, seed=2))
    assert F.dropout(x, p=0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, p=0.0).numpy(), x.numpy())


def test_dropout_p1_zeros_and_grad():
    x = sj.tensor(rand(5, 4, seed=3), requires_grad=True)
    y = F.dropout(x, p=1.0)
    assert not np.any(y.detach().numpy())
    y.sum().backward()
    assert not np.any(x.grad.numpy())


def test_dropout_deterministic_under_manual_seed():
    x = sj.tensor(rand(30, 30, seed=4))
    sj.manual_seed(123)
    a = F.dropout(x, 0.4).numpy()
    sj.manual_seed(123)
    b = F.dropout(x, 0.4).numpy()
    c = F.dropout(x, 0.4).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_gradient_is_the_mask():
    sj.manual_seed(5)
    x = sj.tensor(rand(20, 10, seed=5), requires_grad=True)
    y = F.dropout(x, 0.25)
    y.sum().backward()
    mask = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-5)


def test_dropout_inplace():
    sj.manual_seed(6)
    x = sj.tensor(rand(10, 10, seed=6, low=1, high=2))
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and np.any(x.numpy() == 0)
    w = sj.tensor(rand(10, 10, seed=7, low=1, high=2), requires_grad=True)
    h = w * 2
    out = F.dropout(h, 0.5, inplace=True)
    assert out is h
    h.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * (h.detach().numpy() != 0) / 0.5, rtol=1e-6)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.dropout(w, 0.5, inplace=True)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_bad_p(p):
    for fn in (F.dropout, F.dropout2d, F.alpha_dropout):
        with pytest.raises(ValueError, match=r"dropout probability has to be between 0 and 1"):
            fn(sj.ones(2, 2, 2, 2), p, True)


def test_dropout2d_zeroes_whole_channels():
    sj.manual_seed(7)
    x = sj.ones(8, 16, 5, 5)
    y = F.dropout2d(x, 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    with pytest.raises(RuntimeError, match="dropout2d: expected 3D or 4D input"):
        F.dropout2d(sj.ones(2, 3), 0.5)


def test_dropout1d_unbatched_channels():
    sj.manual_seed(8)
    y = F.dropout1d(sj.ones(32, 7), 0.5).numpy()
    assert np.all((y == 0).all(-1) | (y == 2).all(-1))


def test_alpha_dropout_keeps_mean_and_variance():
    sj.manual_seed(9)
    x = sj.tensor(np.random.default_rng(9).standard_normal((500, 400)).astype(np.float32))
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.2, training=False) is x
