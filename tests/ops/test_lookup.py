"""searchsorted, bucketize, bincount, histc, isin, isposinf, isneginf and mode against
PyTorch (mode's gradient too)."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import compare, rand


def assert_same(ours, ref):
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]


@pytest.mark.parametrize("kw", [{}, {"right": True}, {"side": "right"}, {"out_int32": True}])
def test_searchsorted(kw):
    seq = np.array([1.0, 2.0, 2.0, 5.0, 9.0], np.float32)
    v = np.array([[0.5, 2.0, 9.0], [10.0, 5.0, 2.5]], np.float32)
    assert_same(sj.searchsorted(sj.tensor(seq), sj.tensor(v), **kw),
        torch.searchsorted(torch.tensor(seq), torch.tensor(v), **kw))
    rows = np.sort(rand(3, 6, seed=1), axis=1)
    vals = rand(3, 4, seed=2)
    vals[0, 0] = rows[0, 2]  # a tie with a boundary
    assert_same(sj.searchsorted(sj.tensor(rows), sj.tensor(vals), **kw),
        torch.searchsorted(torch.tensor(rows), torch.tensor(vals), **kw))


def test_searchsorted_sorter_and_errors():
    seq = np.array([5.0, 1.0, 3.0], np.float32)
    order = np.argsort(seq)
    assert_same(sj.searchsorted(sj.tensor(seq), sj.tensor(np.array([2.0, 4.0], np.float32)),
                        sorter=sj.tensor(order)),
        torch.searchsorted(torch.tensor(seq), torch.tensor(np.array([2.0, 4.0], np.float32)),
                           sorter=torch.tensor(order)))
    with pytest.raises(RuntimeError, match="side can only be"):
        sj.searchsorted(sj.tensor(seq), sj.tensor(seq), side="middle")
    with pytest.raises(RuntimeError, match="first N-1 dimensions"):
        sj.searchsorted(sj.ones(2, 3), sj.ones(3, 3))


@pytest.mark.parametrize("right", [False, True])
def test_bucketize(right):
    b = np.array([1.0, 3.0, 5.0, 7.0], np.float32)
    x = np.array([[0.0, 1.0, 3.5], [5.0, 7.0, 9.0]], np.float32)
    assert_same(sj.bucketize(sj.tensor(x), sj.tensor(b), right=right),
        torch.bucketize(torch.tensor(x), torch.tensor(b), right=right))


def test_bincount_and_histc():
    x = np.array([1, 3, 3, 0, 7, 3], np.int64)
    w = rand(6, seed=3)
    assert_same(sj.bincount(sj.tensor(x)), torch.bincount(torch.tensor(x)))
    assert_same(sj.tensor(x).bincount(minlength=10), torch.tensor(x).bincount(minlength=10))
    np.testing.assert_allclose(sj.bincount(sj.tensor(x), sj.tensor(w)).numpy(),
                               torch.bincount(torch.tensor(x), torch.tensor(w)).numpy(),
                               rtol=1e-6)
    with pytest.raises(RuntimeError, match="non-negative integral"):
        sj.bincount(sj.tensor(np.array([1, -1])))
    y = rand(50, seed=4)
    for kw in ({}, {"bins": 7}, {"bins": 5, "min": -0.5, "max": 0.5}):
        assert_same(sj.histc(sj.tensor(y), **kw), torch.histc(torch.tensor(y), **kw))


def test_isin_and_infinities():
    e = np.array([[1, 2, 3], [4, 5, 6]], np.int64)
    assert_same(sj.isin(sj.tensor(e), sj.tensor(np.array([2, 6]))),
        torch.isin(torch.tensor(e), torch.tensor(np.array([2, 6]))))
    assert_same(sj.isin(sj.tensor(e), sj.tensor(np.array([2, 6])), invert=True),
        torch.isin(torch.tensor(e), torch.tensor(np.array([2, 6])), invert=True))
    f = np.array([np.inf, -np.inf, 1.0, np.nan], np.float32)
    assert_same(sj.isposinf(sj.tensor(f)), torch.isposinf(torch.tensor(f)))
    assert_same(sj.tensor(f).isneginf(), torch.tensor(f).isneginf())


@pytest.mark.parametrize("dim,keepdim", [(-1, False), (0, True), (1, False)])
def test_mode(dim, keepdim):
    x = np.random.default_rng(5).integers(0, 4, (5, 7, 3)).astype(np.float32)
    ours = sj.mode(sj.tensor(x), dim, keepdim)
    ref = torch.mode(torch.tensor(x), dim, keepdim)
    np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())
    compare(lambda t: t.mode(dim, keepdim).values, lambda t: t.mode(dim, keepdim).values, x)
