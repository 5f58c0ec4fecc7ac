"""repeat_interleave, unique and take_along_dim against PyTorch, with float64 gradchecks."""
import numpy as np
import pytest
import torch

import shenjing
from helpers import check_grad, compare, rand


@pytest.mark.parametrize("repeats,dim", [(2, None), (3, 0), (2, 1), ([1, 0, 2], 0),
                                         ([2], 1), ([0, 1, 1, 3], -1)])
def test_repeat_interleave(repeats, dim):
    x = rand(3, 4, seed=1) if not (isinstance(repeats, list) and len(repeats) == 4) \
        else rand(2, 4, seed=2)

    def run(lib):
        r = lib.tensor(repeats) if isinstance(repeats, list) else repeats
        return lambda t: t.repeat_interleave(r, dim=dim)

    compare(run(shenjing), run(torch), x)


def test_repeat_interleave_counts_form_and_errors():
    assert shenjing.repeat_interleave(shenjing.tensor([2, 0, 3])).tolist() == \
        torch.repeat_interleave(torch.tensor([2, 0, 3])).tolist()
    x = shenjing.tensor(rand(3, 2))
    with pytest.raises(RuntimeError, match="of size 1 or 3"):
        x.repeat_interleave(shenjing.tensor([1, 2]), dim=0)
    with pytest.raises(RuntimeError, match="can not be negative"):
        x.repeat_interleave(-1)


@pytest.mark.parametrize("data,dim", [([3, 1, 3, 2, 1, 1], None), ([[2.5, 1.0], [2.5, 1.0],
                                      [0.0, 4.0]], 0), ([[1, 2, 1], [3, 4, 3]], 1),
                                      ([[5, 5], [1, 5]], None)])
def test_unique_matches_torch(data, dim):
    ours = shenjing.unique(shenjing.tensor(data), return_inverse=True, return_counts=True,
                           dim=dim)
    ref = torch.unique(torch.tensor(data), return_inverse=True, return_counts=True, dim=dim)
    for a, b in zip(ours, ref):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert shenjing.tensor(data).unique().tolist() == torch.tensor(data).unique().tolist()


@pytest.mark.parametrize("shape,idx,dim", [((3, 4), [[0, 3], [1, 1], [-1, 0]], 1),
                                           ((3, 4), [[2, 0, 1, 2]], 0),
                                           ((3, 4), [5, 0, 5, 11], None)])
def test_take_along_dim_with_repeated_indices(shape, idx, dim):
    compare(lambda x: shenjing.take_along_dim(x, shenjing.tensor(idx), dim),
            lambda x: torch.take_along_dim(x, torch.tensor(idx), dim), rand(*shape, seed=3))
    check_grad(lambda x: x.take_along_dim(shenjing.tensor(idx), dim), rand(*shape, seed=4))


def test_take_along_dim_errors():
    x = shenjing.tensor(rand(3, 4))
    with pytest.raises(IndexError, match="index out of range"):
        x.take_along_dim(shenjing.tensor([[4]]), 1)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.take_along_dim(shenjing.tensor([1]), 1)


def test_repeat_interleave_gradcheck():
    check_grad(lambda x: x.repeat_interleave(shenjing.tensor([2, 0, 1]), dim=0) * 1.5,
               rand(3, 2, seed=5))
