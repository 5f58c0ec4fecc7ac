"""SparseAdam and sparse-gradient SGD against PyTorch over several steps; error parity."""
import numpy as np
import pytest
import torch

import shenjing as sj
from _sparse_common import BATCHES, trajectory


@pytest.mark.parametrize("kw", [{}, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6},
                                {"lr": 0.01, "maximize": True}])
def test_sparse_adam_trajectory_matches_torch(kw):
    w0 = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
    ours, opt = trajectory(sj, lambda m, p: m.optim.SparseAdam(p, **kw), w0, pad=4)
    theirs, topt = trajectory(torch, lambda m, p: m.optim.SparseAdam(p, **kw), w0, pad=4)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(ours[-1], w0)
    np.testing.assert_array_equal(ours[-1][6], w0[6])  # row 6 never looked up: untouched
    p = opt.param_groups[0]["params"][0]
    st, tst = opt.state[p], topt.state[topt.param_groups[0]["params"][0]]
    assert st["step"] == tst["step"] == len(BATCHES)
    np.testing.assert_allclose(st["exp_avg_sq"].numpy(), tst["exp_avg_sq"].numpy(), rtol=1e-5,
                               atol=1e-8)


@pytest.mark.parametrize("maximize", [False, True])
def test_sgd_with_sparse_grad_matches_torch(maximize):
    w0 = np.random.default_rng(1).standard_normal((10, 4)).astype(np.float32)
    fn = lambda m, p: m.optim.SGD(p, lr=0.1, maximize=maximize)  # noqa: E731
    ours, _ = trajectory(sj, fn, w0)
    theirs, _ = trajectory(torch, fn, w0)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_sparse_adam_errors():
    p = sj.nn.Parameter(sj.zeros(3, 2))
    p.grad = sj.ones(3, 2)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please "
                                           "consider Adam instead"):
        sj.optim.SparseAdam([p]).step()
    with pytest.raises(ValueError, match="Invalid learning rate"):
        sj.optim.SparseAdam([p], lr=-1.0)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        sj.optim.SparseAdam([p], betas=(0.9, 1.0))


def test_sparse_grad_refused_by_dense_optimizers_and_momentum_sgd():
    emb = sj.nn.Embedding(5, 2, sparse=True)
    for opt in (sj.optim.Adam(emb.parameters()), sj.optim.RMSprop(emb.parameters()),
                sj.optim.SGD(emb.parameters(), lr=0.1, momentum=0.9)):
        emb.weight.grad = None
        emb(sj.tensor([1, 2])).sum().backward()
        with pytest.raises(RuntimeError, match="sparse"):
            opt.step()


def test_zero_grad_on_sparse_grad():
    emb = sj.nn.Embedding(5, 2, sparse=True)
    emb(sj.tensor([1, 2])).sum().backward()
    emb.zero_grad(set_to_none=False)
    assert emb.weight.grad.is_sparse and emb.weight.grad._nnz() == 0
    emb(sj.tensor([3])).sum().backward()
    assert emb.weight.grad._nnz() == 1
