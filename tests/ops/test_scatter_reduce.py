"""scatter_reduce against PyTorch for every reduction, with and without include_self: values
and the gradients of input and src (ties of amax/amin, zeros in prod), plus gradchecks."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, compare, rand

IDX = np.array([[0, 1, 0, 2], [2, 2, 1, 0], [1, 0, 1, 1]], np.int64)


def _run(mod, reduce, include_self, dim=0):
    def f(x, s):
        return mod.scatter_reduce(x, dim, mod.tensor(IDX), s, reduce, include_self=include_self)
    return f


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_torch(reduce, include_self):
    x, s = rand(3, 4, seed=1), rand(3, 4, seed=2)
    compare(_run(sj, reduce, include_self), _run(torch, reduce, include_self), x, s, atol=1e-5)
    compare(_run(sj, reduce, include_self, dim=1), _run(torch, reduce, include_self, dim=1),
            rand(3, 4, seed=3), rand(3, 4, seed=4), atol=1e-5)
    check_grad(_run(sj, reduce, include_self), rand(3, 4, seed=5), rand(3, 4, seed=6))


@pytest.mark.parametrize("include_self", [True, False])
def test_ties_and_zeros(include_self):
    x = np.array([[0.5, 0.0, 2.0, 1.0]] * 3, np.float32)
    s = np.array([[0.5, 0.0, 2.0, 3.0], [0.5, 0.0, 0.0, 1.0], [1.0, 0.0, 2.0, 1.0]], np.float32)
    for reduce in ("amax", "amin", "prod"):
        compare(_run(sj, reduce, include_self), _run(torch, reduce, include_self), x, s)


def test_method_and_errors():
    x, s = rand(3, 4, seed=7), rand(3, 4, seed=8)
    compare(lambda a, b: a.scatter_reduce(0, sj.tensor(IDX), b, "sum"),
            lambda a, b: a.scatter_reduce(0, torch.tensor(IDX), b, "sum"), x, s)
    with pytest.raises(RuntimeError, match="reduce argument must be"):
        sj.scatter_reduce(sj.tensor(x), 0, sj.tensor(IDX), sj.tensor(s), "max")
    with pytest.raises(RuntimeError, match="out of bounds"):
        sj.scatter_reduce(sj.tensor(x), 0, sj.tensor(IDX + 5), sj.tensor(s), "sum")
