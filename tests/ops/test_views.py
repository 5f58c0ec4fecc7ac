"""tensor_split, hsplit, vsplit, dsplit, Tensor.unfold, diag_embed, block_diag against
PyTorch: values, gradients, errors, float64 gradchecks."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, compare, rand


@pytest.mark.parametrize("ios", [3, 4, [1, 4], [4, 2, 6], [0, 10]])
@pytest.mark.parametrize("dim", [0, 1])
def test_tensor_split(ios, dim):
    x = rand(7, 6, seed=1)
    compare(lambda t: sj.tensor_split(t, ios, dim), lambda t: torch.tensor_split(t, ios, dim),
            x)


def test_hsplit_vsplit_dsplit():
    x = rand(4, 6, 2, seed=2)
    compare(lambda t: t.hsplit(3), lambda t: t.hsplit(3), x)
    compare(lambda t: sj.vsplit(t, [1, 3]), lambda t: torch.vsplit(t, [1, 3]), x)
    compare(lambda t: sj.dsplit(t, 2), lambda t: torch.dsplit(t, 2), x)
    compare(lambda t: sj.hsplit(t, 2), lambda t: torch.hsplit(t, 2), rand(6, seed=3))
    with pytest.raises(RuntimeError, match="not divisible by the split_size 4"):
        sj.hsplit(sj.tensor(x), 4)
    with pytest.raises(RuntimeError, match="at least 3 dimension"):
        sj.dsplit(sj.ones(2, 2), 1)


@pytest.mark.parametrize("dim,size,step", [(0, 2, 1), (1, 3, 2), (-1, 2, 3), (1, 5, 1)])
def test_unfold(dim, size, step):
    compare(lambda t: t.unfold(dim, size, step), lambda t: t.unfold(dim, size, step),
            rand(4, 5, 3, seed=4) if dim != -1 else rand(4, 7, seed=5))
    check_grad(lambda t: t.unfold(dim, size, step), rand(4, 5, 3, seed=6) if dim != -1 else
               rand(4, 7, seed=7))
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension"):
        sj.ones(3, 2).unfold(1, 3, 1)


@pytest.mark.parametrize("offset,dim1,dim2", [(0, -2, -1), (1, 0, 2), (-2, 1, 0), (2, -1, 1)])
def test_diag_embed(offset, dim1, dim2):
    compare(lambda t: sj.diag_embed(t, offset, dim1, dim2),
            lambda t: torch.diag_embed(t, offset, dim1, dim2), rand(2, 3, seed=8))
    check_grad(lambda t: t.diag_embed(offset, dim1, dim2), rand(2, 3, seed=9))


def test_block_diag():
    compare(lambda a, b, c: sj.block_diag(a, b, c), lambda a, b, c: torch.block_diag(a, b, c),
            rand(2, 3, seed=10), rand(3, seed=11), np.array(1.5, np.float32))
    check_grad(lambda a, b: sj.block_diag(a, b), rand(2, 2, seed=12), rand(1, 3, seed=13))
    with pytest.raises(RuntimeError, match="2 or fewer dimensions"):
        sj.block_diag(sj.ones(2, 2, 2))
