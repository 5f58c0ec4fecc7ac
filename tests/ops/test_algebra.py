"""trace, tensordot, kron, rot90, nansum, nanmean, aminmax against PyTorch (values,
gradients, errors) and float64 gradchecks."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, compare, rand


def test_trace():
    compare(sj.trace, torch.trace, rand(4, 6, seed=1))
    compare(lambda x: x.trace(), lambda x: x.trace(), rand(5, 3, seed=2))
    check_grad(sj.trace, rand(3, 3, seed=3))
    with pytest.raises(RuntimeError, match="expected a matrix"):
        sj.trace(sj.ones(2, 2, 2))


TENSORDOT = [((3, 4, 5), (4, 5, 2), 2), ((3, 4, 5), (5, 2), 1), ((2, 3), (4,), 0),
             ((3, 4, 5), (4, 3, 2), ([1, 0], [0, 1])), ((3, 4, 5), (5, 2), ([2], [0])),
             ((3, 4, 5), (2, 4), ([1], [1]))]


@pytest.mark.parametrize("sa,sb,dims", TENSORDOT)
def test_tensordot(sa, sb, dims):
    compare(lambda x, y: sj.tensordot(x, y, dims=dims),
            lambda x, y: torch.tensordot(x, y, dims=dims), rand(*sa, seed=4),
            rand(*sb, seed=5), atol=1e-5)
    check_grad(lambda x, y: sj.tensordot(x, y, dims=dims), rand(*sa, seed=6),
               rand(*sb, seed=7))


def test_tensordot_errors():
    with pytest.raises(RuntimeError, match="contracted dimensions need to match"):
        sj.tensordot(sj.ones(2, 3), sj.ones(4, 2), dims=1)
    with pytest.raises(RuntimeError, match="same length"):
        sj.tensordot(sj.ones(2, 3), sj.ones(3, 2), dims=([0, 1], [0]))


@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 5)), ((3,), (2,)), ((2, 2, 3), (3, 1)),
                                   ((2,), (3, 2))])
def test_kron(sa, sb):
    compare(sj.kron, torch.kron, rand(*sa, seed=8), rand(*sb, seed=9))
    check_grad(sj.kron, rand(*sa, seed=10), rand(*sb, seed=11))


@pytest.mark.parametrize("k", [0, 1, 2, 3, -1, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 2), (2, 0)])
def test_rot90(k, dims):
    compare(lambda x: sj.rot90(x, k, dims), lambda x: torch.rot90(x, k, dims),
            rand(2, 3, 4, seed=12))


def test_rot90_errors():
    with pytest.raises(RuntimeError, match="rotation dims to be different"):
        sj.rot90(sj.ones(2, 3), 1, (1, 1))
    with pytest.raises(RuntimeError, match="total rotation dims == 2"):
        sj.rot90(sj.ones(2, 3), 1, (0,))


def _with_nans(seed):
    x = rand(3, 4, seed=seed)
    x[0, 1] = x[2, 3] = np.nan
    x[1, :] = np.nan
    return x


@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}])
def test_nansum_and_nanmean(kw):
    """Values and gradients; an all-NaN slice has mean NaN and, as in PyTorch, a NaN
    gradient."""
    compare(lambda x: sj.nansum(x, **kw), lambda x: torch.nansum(x, **kw), _with_nans(13))
    compare(lambda x: x.nanmean(**kw), lambda x: x.nanmean(**kw), _with_nans(14))
    all_nan = rand(3, 4, seed=18)
    all_nan[1] = np.nan
    all_nan[:, 2] = np.nan
    compare(lambda x: sj.nanmean(x, **kw), lambda x: torch.nanmean(x, **kw), all_nan)
    some = rand(3, 4, seed=17)
    some[0, 1] = some[1, 2] = some[2, 0] = np.nan
    compare(lambda x: x.nanmean(**kw), lambda x: x.nanmean(**kw), some)
    check_grad(lambda x: sj.nanmean(x, **kw), rand(3, 4, seed=15))


@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}])
def test_aminmax(kw):
    x = rand(3, 4, seed=16)
    ours, ref = sj.aminmax(sj.tensor(x), **kw), torch.aminmax(torch.tensor(x), **kw)
    np.testing.assert_array_equal(ours.min.numpy(), ref.min.numpy())
    np.testing.assert_array_equal(ours.max.numpy(), ref.max.numpy())
    compare(lambda t: sum(sj.aminmax(t, **kw)), lambda t: sum(torch.aminmax(t, **kw)), x)
