"""normalize, cosine_similarity, pairwise_distance, cdist, dist against PyTorch: values and
gradients (zero vectors included), broadcasting, errors, float64 gradchecks."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import shenjing as sj
from helpers import check_grad, compare, rand

SF = sj.nn.functional


def _with_zero_row(*shape, seed):
    x = rand(*shape, seed=seed)
    x[1] = 0  # a zero vector: the eps clamps decide the gradient
    return x


@pytest.mark.parametrize("kw", [{}, {"p": 1.0, "dim": 0}, {"dim": -1, "eps": 1e-3}])
def test_normalize(kw):
    compare(lambda x: SF.normalize(x, **kw), lambda x: F.normalize(x, **kw),
            _with_zero_row(3, 4, 5, seed=1), atol=1e-5)
    check_grad(lambda x: SF.normalize(x, **kw), rand(3, 4, seed=2))


@pytest.mark.parametrize("dim", [1, -1, 0])
def test_cosine_similarity(dim):
    compare(lambda a, b: SF.cosine_similarity(a, b, dim=dim),
            lambda a, b: F.cosine_similarity(a, b, dim=dim), rand(4, 6, seed=3),
            rand(4, 6, seed=4), atol=1e-5)
    compare(lambda a, b: SF.cosine_similarity(a, b), lambda a, b: F.cosine_similarity(a, b),
            _with_zero_row(3, 5, seed=5), rand(1, 5, seed=6), atol=1e-5, rtol=1e-4,
            grad_atol=1e-2)  # broadcast rows; the zero row's gradient is huge in both
    check_grad(lambda a, b: SF.cosine_similarity(a, b, dim=dim), rand(3, 4, seed=7),
               rand(3, 4, seed=8))


@pytest.mark.parametrize("kw", [{}, {"p": 1.0}, {"p": 3.0, "keepdim": True}, {"eps": 0.0}])
def test_pairwise_distance(kw):
    compare(lambda a, b: SF.pairwise_distance(a, b, **kw),
            lambda a, b: F.pairwise_distance(a, b, **kw), rand(4, 6, seed=9),
            rand(4, 6, seed=10), atol=1e-5)
    check_grad(lambda a, b: SF.pairwise_distance(a, b, **kw), rand(3, 4, seed=11),
               rand(3, 4, seed=12))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_cdist(p):
    compare(lambda a, b: sj.cdist(a, b, p=p), lambda a, b: torch.cdist(a, b, p=p),
            rand(5, 3, seed=13), rand(4, 3, seed=14), atol=1e-5)
    compare(lambda a, b: sj.cdist(a, b, p=p), lambda a, b: torch.cdist(a, b, p=p),
            rand(2, 5, 3, seed=15), rand(2, 4, 3, seed=16), atol=1e-5)
    check_grad(lambda a, b: sj.cdist(a, b, p=p), rand(3, 2, seed=17), rand(4, 2, seed=18))


def test_dist_and_errors():
    compare(lambda a, b: sj.dist(a, b), lambda a, b: torch.dist(a, b), rand(3, 4, seed=19),
            rand(4, seed=20))
    compare(lambda a, b: a.dist(b, 1), lambda a, b: a.dist(b, 1), rand(3, 4, seed=21),
            rand(3, 4, seed=22))
    with pytest.raises(RuntimeError, match="same number of columns"):
        sj.cdist(sj.ones(3, 2), sj.ones(4, 3))
    with pytest.raises(RuntimeError, match="at least 2D"):
        sj.cdist(sj.ones(3), sj.ones(3))
    with pytest.raises(TypeError, match="cosine_similarity"):
        SF.cosine_similarity(np.ones(3), sj.ones(3), dim=0)
