"""batch_norm, layer_norm, group_norm against PyTorch (values, grads, running stats)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shenjing as sj
import shenjing.nn.functional as F
from helpers import assert_close, check_grad, compare, rand

BN_SHAPES = [(4, 3), (2, 3, 5), (2, 3, 4, 5), (1, 3, 2), (5, 1)]


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("training", [False, True])
def test_batch_norm_parity(shape, affine, training):
    c = shape[1]
    x = rand(*shape, seed=1, low=-2, high=3)
    rm, rv = rand(c, seed=2), rand(c, seed=3, low=0.5, high=2)
    w, b = rand(c, seed=4, low=0.5, high=2), rand(c, seed=5)
    stats = {}

    def run(mod, fn):
        def f(x, *wb):
            m, v = mod.tensor(rm.copy()), mod.tensor(rv.copy())
            out = fn(x, m, v, *(wb if affine else (None, None)), training=training,
                     momentum=0.3, eps=1e-3)
            stats[mod.__name__] = (m, v)
            return out
        return f
    args = (x, w, b) if affine else (x,)
    compare(run(sj, F.batch_norm), run(torch, TF.batch_norm), *args, atol=1e-5, grad_atol=1e-4)
    for ours, theirs, what in zip(stats["shenjing"], stats["torch"], ("mean", "var")):
        assert_close(ours, theirs, 1e-6, 1e-5, f"running {what}")


def test_batch_norm_running_stats_after_steps():
    c = 4
    m_sj, v_sj = sj.zeros(c), sj.ones(c)
    m_th, v_th = torch.zeros(c), torch.ones(c)
    for step in range(4):
        x = rand(6, c, 3, seed=10 + step, low=-1 + step, high=2 + 2 * step)
        F.batch_norm(sj.tensor(x), m_sj, v_sj, training=True, momentum=0.2)
        TF.batch_norm(torch.tensor(x), m_th, v_th, training=True, momentum=0.2)
    assert_close(m_sj, m_th, 1e-6, 1e-5, "running_mean")
    assert_close(v_sj, v_th, 1e-6, 1e-5, "running_var")
    assert not np.allclose(v_sj.numpy(), 1.0)  # the buffers really moved


def test_batch_norm_no_running_stats_training():
    x = rand(3, 2, 4, seed=20)
    compare(lambda x: F.batch_norm(x, None, None, training=True),
            lambda x: TF.batch_norm(x, None, None, training=True), x)


def test_batch_norm_gradcheck():
    x = rand(3, 2, 2, 2, seed=21, low=-2, high=2)
    w, b = rand(2, seed=22, low=0.5, high=2), rand(2, seed=23)
    rm = sj.tensor(rand(2, seed=24).astype(np.float64))
    rv = sj.tensor(rand(2, seed=25, low=0.5, high=2).astype(np.float64))
    check_grad(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), x, w, b)
    check_grad(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), x, w, b)
    check_grad(lambda x: F.batch_norm(x, None, None, training=True), rand(4, 3, seed=26))


def test_batch_norm_matches_composition():
    x = rand(5, 3, 2, seed=27, low=-2, high=2)
    y = F.batch_norm(sj.tensor(x), None, None, training=True, eps=1e-5).numpy()
    mu, var = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(var + 1e-5), atol=1e-5)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        F.batch_norm(sj.zeros(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(sj.zeros(2, 3), sj.zeros(4), sj.ones(4))
    with pytest.raises(RuntimeError, match="must be defined in evaluation mode"):
        F.batch_norm(sj.zeros(2, 3), None, None, training=False)


LN_CASES = [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1,)),
            ((0, 4), (4,)), ((6,), (6,))]


@pytest.mark.parametrize("shape,ns", LN_CASES)
@pytest.mark.parametrize("affine", ["none", "weight", "both"])
def test_layer_norm_parity(shape, ns, affine):
    x = rand(*shape, seed=30, low=-2, high=3)
    w, b = rand(*ns, seed=31, low=0.5, high=2), rand(*ns, seed=32)
    args = {"none": (x,), "weight": (x, w), "both": (x, w, b)}[affine]
    compare(lambda x, *wb: F.layer_norm(x, ns, *wb, eps=1e-4),
            lambda x, *wb: TF.layer_norm(x, ns, *wb, eps=1e-4), *args, grad_atol=1e-4)


def test_layer_norm_gradcheck_and_errors():
    x = rand(3, 2, 3, seed=33, low=-2, high=2)
    w, b = rand(2, 3, seed=34, low=0.5, high=2), rand(2, 3, seed=35)
    check_grad(lambda x, w, b: F.layer_norm(x, (2, 3), w, b), x, w, b)
    check_grad(lambda x: F.layer_norm(x, 3), x)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[5\], expected input with shape "
                                           r"\[\*, 5\], but got input of size\[3, 4\]"):
        F.layer_norm(sj.zeros(3, 4), [5])


@pytest.mark.parametrize("shape,groups", [((2, 4, 3), 2), ((3, 6, 2, 2), 3), ((2, 4), 2),
                                          ((1, 3, 5), 1)])
@pytest.mark.parametrize("affine", [False, True])
def test_group_norm_parity(shape, groups, affine):
    c = shape[1]
    x = rand(*shape, seed=40, low=-2, high=3)
    w, b = rand(c, seed=41, low=0.5, high=2), rand(c, seed=42)
    args = (x, w, b) if affine else (x,)
    compare(lambda x, *wb: F.group_norm(x, groups, *wb),
            lambda x, *wb: TF.group_norm(x, groups, *wb), *args, grad_atol=1e-4)


def test_group_norm_gradcheck_and_errors():
    x = rand(2, 4, 3, seed=43, low=-2, high=2)
    w, b = rand(4, seed=44, low=0.5, high=2), rand(4, seed=45)
    check_grad(lambda x, w, b: F.group_norm(x, 2, w, b), x, w, b)
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(sj.zeros(2, 4, 3), 3)
