"""shenjing.linalg against torch.linalg: values, gradients of every floating input, batches,
errors, and float64 gradchecks."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, compare, rand


def _wellcond(*shape, seed):
    """Well-conditioned square matrices (the gradients stay tame)."""
    a = rand(*shape, seed=seed)
    return a + 3 * np.eye(shape[-1], dtype=np.float32)


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3)])
def test_inv_det_slogdet(shape):
    a = _wellcond(*shape, seed=1)
    compare(sj.linalg.inv, torch.linalg.inv, a, atol=1e-5)
    compare(sj.linalg.det, torch.linalg.det, a, atol=1e-4, rtol=1e-4)
    compare(lambda x: sj.linalg.slogdet(x).logabsdet,
            lambda x: torch.linalg.slogdet(x).logabsdet, a, atol=1e-5)
    neg = a.copy()
    neg[..., 0, :] *= -1
    np.testing.assert_array_equal(sj.linalg.slogdet(sj.tensor(neg)).sign.numpy(),
                                  torch.linalg.slogdet(torch.tensor(neg)).sign.numpy())
    a64 = a.astype(np.float64)
    check_grad(sj.linalg.inv, a64)
    check_grad(sj.linalg.det, a64)
    check_grad(lambda x: sj.linalg.slogdet(x).logabsdet, a64)


def test_det_of_a_singular_matrix_and_inv_error():
    s = np.array([[1.0, 2.0], [2.0, 4.0]], np.float32)
    compare(sj.linalg.det, torch.linalg.det, s)  # gradient 0, as PyTorch gives
    with pytest.raises(RuntimeError, match="singular"):
        sj.linalg.inv(sj.tensor(s))
    with pytest.raises(RuntimeError, match="square matrices"):
        sj.linalg.det(sj.ones(2, 3))


@pytest.mark.parametrize("bshape", [(4, 2), (4,), (3, 4, 2), (3, 4)])
def test_solve(bshape):
    a = _wellcond(3, 4, 4, seed=2) if len(bshape) == 3 or bshape == (3, 4) else \
        _wellcond(4, 4, seed=3)
    b = rand(*bshape, seed=4)
    compare(sj.linalg.solve, torch.linalg.solve, a, b, atol=1e-5)
    check_grad(sj.linalg.solve, a.astype(np.float64), b.astype(np.float64))


def test_solve_right_side_and_errors():
    a, b = _wellcond(3, 3, seed=5), rand(2, 3, seed=6)
    compare(lambda x, y: sj.linalg.solve(x, y, left=False),
            lambda x, y: torch.linalg.solve(x, y, left=False), a, b, atol=1e-5)
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        sj.linalg.solve(sj.tensor(a), sj.ones(4, 2))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -2])
def test_matrix_power(n):
    a = _wellcond(2, 3, 3, seed=7) / 3
    compare(lambda x: sj.linalg.matrix_power(x, n), lambda x: torch.linalg.matrix_power(x, n),
            a, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("kw", [{}, {"ord": 1}, {"ord": float("inf"), "dim": 1},
                                {"ord": float("-inf"), "dim": (0, 2)}, {"ord": 3, "dim": -1,
                                                                         "keepdim": True}])
def test_vector_norm(kw):
    compare(lambda x: sj.linalg.vector_norm(x, **kw),
            lambda x: torch.linalg.vector_norm(x, **kw), rand(2, 3, 4, seed=8), atol=1e-5)


@pytest.mark.parametrize("ord", ["fro", 1, -1, float("inf"), float("-inf"), 2, -2, "nuc"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm(ord, keepdim):
    compare(lambda x: sj.linalg.matrix_norm(x, ord, keepdim=keepdim),
            lambda x: torch.linalg.matrix_norm(x, ord, keepdim=keepdim), rand(2, 3, 4, seed=9),
            atol=1e-5)
    compare(lambda x: sj.linalg.matrix_norm(x, ord, dim=(0, 2)),
            lambda x: torch.linalg.matrix_norm(x, ord, dim=(0, 2)), rand(2, 3, 4, seed=10),
            atol=1e-5)


def test_linalg_norm_dispatch_and_unsupported():
    x = rand(3, 4, seed=11)
    for kw in ({}, {"ord": 1}, {"ord": "fro"}, {"ord": 2, "dim": 1}, {"ord": float("inf")}):
        compare(lambda t: sj.linalg.norm(t, **kw), lambda t: torch.linalg.norm(t, **kw), x,
                atol=1e-5)
    compare(lambda t: sj.linalg.norm(t, 3), lambda t: torch.linalg.norm(t, 3), x[0])
    with pytest.raises(RuntimeError, match="Order 3 not supported"):
        sj.linalg.matrix_norm(sj.tensor(x), 3)


def test_svdvals():
    compare(sj.linalg.svdvals, torch.linalg.svdvals, rand(2, 4, 3, seed=12), atol=1e-5)
    check_grad(sj.linalg.svdvals, rand(4, 3, seed=13).astype(np.float64))
