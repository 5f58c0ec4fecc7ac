"""addmm, baddbmm, addcmul, addcdiv, lerp and Tensor.where against PyTorch (forward and the
gradient of every floating input), with float64 gradchecks."""
import numpy as np
import pytest
import torch

import shenjing
from helpers import check_grad, compare, rand


@pytest.mark.parametrize("beta,alpha,bias_shape", [(1, 1, (3, 4)), (0.5, 2.0, (4,)),
                                                   (2.0, 1, (3, 1))])
def test_addmm_and_baddbmm(beta, alpha, bias_shape):
    compare(lambda i, a, b: shenjing.addmm(i, a, b, beta=beta, alpha=alpha),
            lambda i, a, b: torch.addmm(i, a, b, beta=beta, alpha=alpha),
            rand(*bias_shape, seed=1), rand(3, 5, seed=2), rand(5, 4, seed=3))
    compare(lambda i, a, b: i.baddbmm(a, b, beta=beta, alpha=alpha),
            lambda i, a, b: i.baddbmm(a, b, beta=beta, alpha=alpha),
            rand(*bias_shape, seed=4), rand(2, 3, 5, seed=5), rand(2, 5, 4, seed=6))


def test_addmm_with_beta_zero_ignores_nan_in_input():
    i = np.full((2, 2), np.nan, np.float32)
    a, b = rand(2, 3, seed=7), rand(3, 2, seed=8)
    ours = shenjing.addmm(shenjing.tensor(i), shenjing.tensor(a), shenjing.tensor(b), beta=0)
    ref = torch.addmm(torch.tensor(i), torch.tensor(a), torch.tensor(b), beta=0)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5)
    with pytest.raises(RuntimeError, match="addmm: mat1 and mat2 must be matrices"):
        shenjing.addmm(shenjing.tensor(i), shenjing.tensor(a[0]), shenjing.tensor(b))


@pytest.mark.parametrize("value", [1, 0.3])
def test_addcmul_addcdiv_lerp(value):
    x, t1, t2 = rand(3, 4, seed=9), rand(3, 4, seed=10), rand(4, seed=11, low=0.5, high=2)
    compare(lambda x, a, b: x.addcmul(a, b, value=value),
            lambda x, a, b: x.addcmul(a, b, value=value), x, t1, t2)
    compare(lambda x, a, b: shenjing.addcdiv(x, a, b, value=value),
            lambda x, a, b: torch.addcdiv(x, a, b, value=value), x, t1, t2)
    compare(lambda x, e, w: x.lerp(e, w), lambda x, e, w: x.lerp(e, w), x, t1,
            rand(3, 4, seed=12, low=0, high=1))
    compare(lambda x, e: shenjing.lerp(x, e, 0.25), lambda x, e: torch.lerp(x, e, 0.25), x, t1)


def test_where_method():
    cond = rand(3, 4, seed=13) > 0
    compare(lambda x, y: x.where(shenjing.tensor(cond), y),
            lambda x, y: x.where(torch.tensor(cond), y), rand(3, 4, seed=14), rand(4, seed=15))
    assert shenjing.zeros(2).is_complex() is torch.zeros(2).is_complex()


def test_gradchecks():
    check_grad(lambda i, a, b: shenjing.addmm(i, a, b, beta=0.5, alpha=2), rand(4, seed=16),
               rand(3, 5, seed=17), rand(5, 4, seed=18))
    check_grad(lambda x, a, b: shenjing.addcdiv(x, a, b, value=0.5), rand(3, seed=19),
               rand(3, seed=20), rand(3, seed=21, low=0.5, high=2))
    check_grad(lambda x, e, w: shenjing.lerp(x, e, w), rand(3, seed=22), rand(3, seed=23),
               rand(3, seed=24))


@pytest.mark.parametrize("n,dim,ends", [(1, -1, False), (2, 0, False), (1, 1, True),
                                        (3, -1, True)])
def test_diff_matches_torch(n, dim, ends):
    extra = (rand(3, 1, seed=25), rand(3, 2, seed=26)) if ends else ()

    def run(lib):
        def f(x, *pa):
            kw = dict(prepend=pa[0], append=pa[1]) if pa else {}
            return lib.diff(x, n=n, dim=dim, **kw)
        return f

    compare(run(shenjing), run(torch), rand(3, 5, seed=27), *extra)
    check_grad(lambda x: shenjing.diff(x, n=n, dim=dim), rand(3, 5, seed=28))


def test_cross_matches_torch_and_broadcasts():
    compare(lambda a, b: shenjing.cross(a, b, dim=1), lambda a, b: torch.linalg.cross(a, b),
            rand(4, 3, seed=29), rand(4, 3, seed=30))
    compare(lambda a, b: a.cross(b, dim=0), lambda a, b: torch.linalg.cross(a, b, dim=0),
            rand(3, 2, seed=31), rand(3, 1, seed=32))
    check_grad(lambda a, b: shenjing.cross(a, b, dim=-1), rand(2, 3, seed=33), rand(2, 3, seed=34))
    with pytest.raises(RuntimeError, match="must have length 3"):
        shenjing.cross(shenjing.zeros(2, 4), shenjing.zeros(2, 4), dim=1)


def test_stride_matches_torch():
    for lib in (shenjing, torch):
        t = lib.zeros(2, 3, 4)
        assert t.stride() == (12, 4, 1) and t.transpose(0, 2).stride() == (1, 4, 12)
        assert t.stride(1) == 4 and t[:, ::2].stride() == (12, 8, 1)
