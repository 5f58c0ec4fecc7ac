"""quantile, nanquantile, logcumsumexp against PyTorch: values and gradients."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, compare, rand


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("q", [0.3, [0.0, 0.25, 0.5, 1.0]])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), (0, True), (-1, True),
                                         (None, True)])
def test_quantile(interpolation, q, dim, keepdim):
    x = rand(4, 6, seed=1)
    qq = q if isinstance(q, float) else np.array(q)
    compare(lambda t: sj.quantile(t, sj.tensor(qq) if not isinstance(qq, float) else qq, dim,
                                  keepdim, interpolation=interpolation),
            lambda t: torch.quantile(t, torch.tensor(qq, dtype=torch.float32)
                                     if not isinstance(qq, float) else qq, dim, keepdim,
                                     interpolation=interpolation), x, atol=1e-6)


def test_nanquantile_and_nan_rows():
    x = rand(3, 5, seed=2)
    x[0, 1] = np.nan
    x[2, :] = np.nan
    compare(lambda t: t.nanquantile(0.4, dim=1), lambda t: t.nanquantile(0.4, dim=1), x,
            grad=False)
    compare(lambda t: t.quantile(0.4, dim=1), lambda t: t.quantile(0.4, dim=1), x, grad=False)
    check_grad(lambda t: sj.quantile(t, 0.35, dim=0), rand(5, 3, seed=3))


def test_quantile_errors():
    with pytest.raises(RuntimeError, match=r"range \[0, 1\]"):
        sj.quantile(sj.ones(3), 1.5)
    with pytest.raises(RuntimeError, match="interpolation must be one of"):
        sj.quantile(sj.ones(3), 0.5, interpolation="cubic")
    with pytest.raises(RuntimeError, match="float or double"):
        sj.quantile(sj.tensor([1, 2, 3]), 0.5)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_logcumsumexp(dim):
    x = rand(3, 5, seed=4) * 50  # large values: no overflow
    compare(lambda t: sj.logcumsumexp(t, dim), lambda t: torch.logcumsumexp(t, dim), x,
            atol=1e-4)
    check_grad(lambda t: t.logcumsumexp(dim), rand(3, 4, seed=5))
