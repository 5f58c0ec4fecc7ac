"""index_fill, index_copy, masked_scatter (values and gradients against PyTorch) and the
in-place index_copy_, index_add_, masked_scatter_; errors name the op and the shapes."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, compare, rand

IDX = np.array([2, 0], np.int64)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_fill(dim):
    x = rand(3, 4, 3, seed=1)
    compare(lambda t: t.index_fill(dim, sj.tensor(IDX), -1.5),
            lambda t: t.index_fill(dim, torch.tensor(IDX), -1.5), x)
    compare(lambda t, v: sj.index_fill(t, dim, sj.tensor(IDX), v),
            lambda t, v: torch.index_fill(t, dim, torch.tensor(IDX), v), x,
            np.array(0.25, np.float32))  # a 0-d tensor value gets the filled slices' sum
    check_grad(lambda t, v: sj.index_fill(t, dim, sj.tensor(IDX), v), rand(3, 4, 3, seed=2),
               np.array(0.5))


@pytest.mark.parametrize("dim", [0, 1])
def test_index_copy(dim):
    x = rand(3, 4, seed=3)
    src = rand(2, 4, seed=4) if dim == 0 else rand(3, 2, seed=4)
    compare(lambda t, s: t.index_copy(dim, sj.tensor(IDX), s),
            lambda t, s: t.index_copy(dim, torch.tensor(IDX), s), x, src)
    check_grad(lambda t, s: sj.index_copy(t, dim, sj.tensor(IDX), s), x, src)


def test_masked_scatter():
    x, src = rand(3, 4, seed=5), rand(10, seed=6)
    mask = rand(3, 4, seed=7) > 0
    compare(lambda t, s: t.masked_scatter(sj.tensor(mask), s),
            lambda t, s: t.masked_scatter(torch.tensor(mask), s), x, src)
    row = np.array([True, False, True, True])  # broadcast over the rows
    compare(lambda t, s: sj.masked_scatter(t, sj.tensor(row), s),
            lambda t, s: torch.masked_scatter(t, torch.tensor(row), s), x, src)
    check_grad(lambda t, s: sj.masked_scatter(t, sj.tensor(mask), s), x, src)


def test_in_place_forms_match_torch():
    x, src = rand(3, 4, seed=8), rand(2, 4, seed=9)
    for op, args in (("index_copy_", (0, IDX, src)), ("index_add_", (0, np.array([1, 1]), src)),
                     ("masked_scatter_", (rand(3, 4, seed=10) > 0, rand(12, seed=11)))):
        ours, ref = sj.tensor(x.copy()), torch.tensor(x.copy())
        conv = [sj.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        tconv = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        assert getattr(ours, op)(*conv) is ours
        getattr(ref, op)(*tconv)
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6, err_msg=op)
    ours, ref = sj.tensor(x.copy()), torch.tensor(x.copy())
    ours.index_add_(1, sj.tensor(IDX), sj.tensor(rand(3, 2, seed=12)), alpha=2.0)
    ref.index_add_(1, torch.tensor(IDX), torch.tensor(rand(3, 2, seed=12)), alpha=2.0)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


def test_errors():
    x = sj.ones(3, 4)
    with pytest.raises(RuntimeError, match=r"Expected source to have shape \[2, 4\]"):
        x.index_copy(0, sj.tensor(IDX), sj.ones(3, 4))
    with pytest.raises(IndexError, match="out of bounds"):
        x.index_fill(0, sj.tensor(np.array([5])), 1.0)
    with pytest.raises(RuntimeError, match="Number of elements of source"):
        x.masked_scatter(sj.ones(3, 4) > 0, sj.ones(5))
    with pytest.raises(RuntimeError, match="boolean masks"):
        x.masked_scatter(sj.ones(3, 4), sj.ones(12))
    w = sj.ones(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.index_add_(0, sj.tensor(IDX), sj.ones(2, 4))
