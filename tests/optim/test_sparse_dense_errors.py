"""Dense-only optimizers refuse row-sparse gradients (PyTorch's errors); Adagrad's sparse path
matches PyTorch's over several steps."""
import numpy as np
import pytest
import torch

import shenjing as sj
from _sparse_common import trajectory

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")


def _sparse_grad_param(lib):
    emb = lib.nn.Embedding(6, 3, sparse=True)
    emb(lib.tensor(np.array([1, 4, 1]))).sum().backward()
    assert emb.weight.grad.is_sparse
    return emb


@pytest.mark.parametrize("name,msg", [
    ("Adam", "Adam does not support sparse gradients, please consider SparseAdam instead"),
    ("AdamW", "AdamW does not support sparse gradients, please consider SparseAdam instead"),
    ("RMSprop", "RMSprop does not support sparse gradients"),
])
def test_dense_optimizers_reject_sparse_grads_like_torch(name, msg):
    emb = _sparse_grad_param(sj)
    before = emb.weight.detach().numpy().copy()
    opt = getattr(sj.optim, name)(emb.parameters(), lr=0.1)
    with pytest.raises(RuntimeError, match=msg):
        opt.step()
    np.testing.assert_array_equal(emb.weight.detach().numpy(), before)  # nothing moved
    temb = _sparse_grad_param(torch)
    with pytest.raises(RuntimeError, match="does not support sparse gradients"):
        getattr(torch.optim, name)(temb.parameters(), lr=0.1).step()


def test_sparse_error_raised_before_any_dense_param_moves():
    emb = _sparse_grad_param(sj)
    lin = sj.nn.Linear(2, 2)
    lin(sj.ones(1, 2)).sum().backward()
    w = lin.weight.detach().numpy().copy()
    opt = sj.optim.Adam(list(lin.parameters()) + list(emb.parameters()), lr=0.1)
    with pytest.raises(RuntimeError, match="Adam does not support sparse gradients"):
        opt.step()
    np.testing.assert_array_equal(lin.weight.detach().numpy(), w)


@pytest.mark.parametrize("kw", [{"lr": 0.1}, {"lr": 0.05, "lr_decay": 0.1, "eps": 1e-6},
                                {"lr": 0.1, "initial_accumulator_value": 0.5, "maximize": True}])
def test_adagrad_sparse_trajectory_matches_torch(kw):
    w0 = np.random.default_rng(2).standard_normal((10, 4)).astype(np.float32)
    fn = lambda m, p: m.optim.Adagrad(p, **kw)  # noqa: E731
    ours, opt = trajectory(sj, fn, w0, pad=4)
    theirs, topt = trajectory(torch, fn, w0, pad=4)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours[-1][6], w0[6])  # row 6 never looked up: untouched
    assert not np.allclose(ours[-1], w0)
    st = opt.state[opt.param_groups[0]["params"][0]]
    tst = topt.state[topt.param_groups[0]["params"][0]]
    np.testing.assert_allclose(st["sum"].numpy(), tst["sum"].numpy(), rtol=1e-5, atol=1e-6)


def test_adagrad_sparse_with_weight_decay_errors_like_torch():
    emb = _sparse_grad_param(sj)
    with pytest.raises(RuntimeError, match="weight_decay option is not compatible with sparse "
                                           "gradients"):
        sj.optim.Adagrad(emb.parameters(), weight_decay=0.1).step()
    temb = _sparse_grad_param(torch)
    with pytest.raises(RuntimeError, match="weight_decay option is not compatible"):
        torch.optim.Adagrad(temb.parameters(), weight_decay=0.1).step()
