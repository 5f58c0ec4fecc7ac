"""sort, argsort and topk (ops/sort.py) against PyTorch, and float64 gradchecks."""
import numpy as np
import pytest
import torch

import shenjing
from helpers import check_grad, compare


def _distinct(*shape, seed=0):
    """Values without ties (the order of equal elements is PyTorch's to choose in topk)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape).astype(np.float32) / 7 - 3


@pytest.mark.parametrize("dim", [-1, 0, 1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_values_indices_and_gradient_match_torch(dim, descending):
    compare(lambda x: shenjing.sort(x, dim, descending), lambda x: torch.sort(x, dim, descending),
            _distinct(3, 4, 5))
    compare(lambda x: x.argsort(dim=dim, descending=descending),
            lambda x: x.argsort(dim=dim, descending=descending), _distinct(3, 4, 5), grad=False)


@pytest.mark.parametrize("k,dim,largest", [(1, -1, True), (3, -1, False), (4, 1, True),
                                           (0, 0, True), (3, 0, False)])
def test_topk_matches_torch(k, dim, largest):
    compare(lambda x: shenjing.topk(x, k, dim, largest), lambda x: torch.topk(x, k, dim, largest),
            _distinct(3, 4, 6, seed=1))
    compare(lambda x: x.topk(k, dim=dim, largest=largest),
            lambda x: x.topk(k, dim=dim, largest=largest), _distinct(3, 4, 6, seed=2))


def test_stable_ties_and_nan_order_match_torch():
    x = np.array([[3, 1, 2, np.nan, 1, 2], [0, -1, 5, 2, 2, np.inf]], np.float32)
    for descending in (False, True):
        ours = shenjing.sort(shenjing.tensor(x), descending=descending, stable=True)
        ref = torch.sort(torch.tensor(x), descending=descending, stable=True)
        np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())
        np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
    ints = np.array([4, 1, 4, 0, 1], np.int64)  # integer and 0-d inputs
    assert shenjing.sort(shenjing.tensor(ints)).indices.tolist() == \
        torch.sort(torch.tensor(ints), stable=True).indices.tolist()
    s = shenjing.sort(shenjing.tensor(2.5))
    assert s.values.item() == 2.5 and s.indices.item() == 0 and s.values.ndim == 0


def test_gradchecks():
    check_grad(lambda x: shenjing.sort(x, 1, True).values * shenjing.arange(4.0), _distinct(2, 4))
    check_grad(lambda x: shenjing.topk(x, 2, 0).values ** 2, _distinct(5, 3))


def test_bad_arguments_say_what_was_expected():
    x = shenjing.tensor(_distinct(2, 3))
    with pytest.raises(RuntimeError, match=r"topk\(\): selected index k out of range: k=4"):
        x.topk(4)
    with pytest.raises(IndexError):
        x.sort(dim=2)
    with pytest.raises(TypeError, match="'k' must be int"):
        x.topk(1.5)


@pytest.mark.parametrize("k,dim,keepdim", [(1, -1, False), (3, 1, True), (2, 0, False)])
def test_kthvalue_and_msort_match_torch(k, dim, keepdim):
    compare(lambda x: shenjing.kthvalue(x, k, dim, keepdim),
            lambda x: torch.kthvalue(x, k, dim, keepdim), _distinct(3, 4, seed=3))
    compare(lambda x: x.msort(), lambda x: x.msort(), _distinct(3, 4, seed=4))
    check_grad(lambda x: x.kthvalue(k, dim, keepdim).values * 2, _distinct(3, 4, seed=5))
    with pytest.raises(RuntimeError, match="selected number k out of range"):
        shenjing.tensor(_distinct(3, 4)).kthvalue(5, 1)


@pytest.mark.parametrize("op", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_running_extremes_with_ties_and_nan_match_torch(op, dim):
    x = np.array([[1, 3, 3, 2, 5], [4, 4, np.nan, 1, 0], [2, 2, 2, 7, 1]], np.float32)
    ours = getattr(shenjing, op)(shenjing.tensor(x), dim)
    ref = getattr(torch, op)(torch.tensor(x), dim)
    np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())
    compare(lambda t: getattr(t, op)(dim), lambda t: getattr(t, op)(dim),
            _distinct(3, 5, seed=6))
    check_grad(lambda t: getattr(shenjing, op)(t, dim).values, _distinct(3, 5, seed=7))
