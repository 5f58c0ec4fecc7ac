"""Reductions against PyTorch (values, indices, input grads), float64 gradcheck, errors, dtypes."""
import warnings

import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, compare, rand

SHAPES = [(), (1,), (5,), (3, 4), (2, 1, 3), (2, 0, 3)]


def _dims(shape, tuples):
    """dim arguments to try on a tensor of ``shape``: None, ints, negative, tuples."""
    nd = len(shape)
    out = [None, 0, -1]
    if tuples and nd >= 2:
        out += [(0, -1)]
    if nd >= 3:
        out += [1] + ([(-1, 0, 1), (1,)] if tuples else [])
    return out


def _reduces_empty(shape, dim):
    if dim is None:
        return 0 in shape
    dims = (dim,) if isinstance(dim, int) else dim
    return bool(shape) and any(shape[d] == 0 for d in dims)


# name -> (call(mod, x, dim, keepdim), tuple dims allowed, needs a nonempty reduction, grad)
def _plain(name):
    def call(m, x, d, k):
        f = getattr(m, name)
        return f(x) if d is None else f(x, d, keepdim=k)
    return call


def _lse(m, x, d, k):
    d = tuple(range(x.ndim)) or 0 if d is None else d
    return m.logsumexp(x, d, keepdim=k)


def _norm(p):
    def call(m, x, d, k):
        return x.norm(p, dim=d, keepdim=k)
    return call


def _cum(name):
    def call(m, x, d, k):
        return getattr(m, name)(x, d)
    return call


OPS = {
    "sum": (_plain("sum"), True, False), "mean": (_plain("mean"), True, False),
    "var": (_plain("var"), True, False), "std": (_plain("std"), True, False),
    "var_c0": (lambda m, x, d, k: m.var(x, d, correction=0, keepdim=k), True, False),
    "std_biased": (lambda m, x, d, k: x.std(d, False, k), True, False),
    "prod": (_plain("prod"), False, False),
    "max": (_plain("max"), False, True), "min": (_plain("min"), False, True),
    "amax": (_plain("amax"), True, True), "amin": (_plain("amin"), True, True),
    "argmax": (_plain("argmax"), False, True), "argmin": (_plain("argmin"), False, True),
    "median": (_plain("median"), False, True),
    "logsumexp": (_lse, True, False),
    "norm": (_norm("fro"), True, False), "norm1": (_norm(1), True, False),
    "norm3": (_norm(3), True, False), "norm_inf": (_norm(float("inf")), True, True),
    "norm_-inf": (_norm(-float("inf")), True, True), "norm0": (_norm(0), True, False),
    "cumsum": (_cum("cumsum"), False, False), "cumprod": (_cum("cumprod"), False, False),
    "all": (_plain("all"), True, False), "any": (_plain("any"), True, False),
    "count_nonzero": (lambda m, x, d, k: m.count_nonzero(x, d), True, False),
}
NO_KEEPDIM = {"cumsum", "cumprod", "count_nonzero"}

CASES = [(name, shape, dim, keep)
         for name, (_, tuples, nonempty) in OPS.items()
         for shape in SHAPES
         for dim in _dims(shape, tuples)
         for keep in ((False,) if dim is None or name in NO_KEEPDIM else (False, True))
         if not (nonempty and _reduces_empty(shape, dim))
         and not (name.startswith("cum") and dim is None)
         and not (name == "norm" and isinstance(dim, tuple) and len(dim) > 2)]


@pytest.mark.parametrize("name,shape,dim,keep", CASES)
def test_parity(name, shape, dim, keep):
    call = OPS[name][0]
    x = rand(*shape, seed=len(shape) + 7, low=-2.0, high=2.0)
    if name in ("all", "any", "count_nonzero"):
        x = np.asarray((x > 0) * x, np.float32)  # zeros among nonzeros
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # var/std on too few elements warn in both libraries
        compare(lambda t: call(sj, t, dim, keep), lambda t: call(torch, t, dim, keep), x)


@pytest.mark.parametrize("name,shape,dim,keep", [(n, s, d, k) for n, s, d, k in CASES
                                                 if s == (3, 4) and not k])
def test_parity_float64(name, shape, dim, keep):
    call = OPS[name][0]
    compare(lambda t: call(sj, t, dim, keep), lambda t: call(torch, t, dim, keep),
            rand(*shape, seed=3, dtype=np.float64), atol=1e-10, rtol=1e-10)


GRAD_OPS = [n for n in OPS if n not in ("argmax", "argmin", "all", "any", "count_nonzero",
                                        "norm0")]


@pytest.mark.parametrize("name", GRAD_OPS)
@pytest.mark.parametrize("dim,keep", [(None, False), (1, True), (-1, False)])
def test_gradcheck(name, dim, keep):
    call = OPS[name][0]
    if dim is None and name.startswith("cum"):
        dim = 0
    check_grad(lambda t: call(sj, t, dim, keep), rand(3, 4, seed=5, low=0.5, high=2.0))


def test_gradcheck_signed_3d():
    x = rand(2, 3, 4, seed=6, low=-2, high=2)
    for f in (lambda t: t.var((0, 2)), lambda t: t.std(1, keepdim=True),
              lambda t: t.prod(-1), lambda t: t.norm(2.5, dim=(0, 1)), lambda t: t.cumprod(1),
              lambda t: sj.logsumexp(t, (0, 2)), lambda t: t.amin((0, 1), keepdim=True)):
        check_grad(f, x)


# ----------------------------------------------------------------------------- special values
def test_prod_gradient_with_zeros():
    x = rand(4, 5, seed=8, low=0.5, high=2.0)
    x[0, 1] = 0  # one zero in a row
    x[1, 0] = x[1, 3] = 0  # two zeros in a row
    x[2, :] = 0
    for f in (lambda m: (lambda t: t.prod(1)), lambda m: (lambda t: m.prod(t, 0, True)),
              lambda m: (lambda t: t.prod())):
        compare(f(sj), f(torch), x)
        check_grad(f(sj), x)
    compare(lambda t: t.prod(), lambda t: t.prod(), np.array([0.0, 2.0, 3.0], np.float32))


def test_cumprod_gradient_with_zeros():
    x = rand(3, 6, seed=9, low=0.5, high=2.0)
    x[0, 2] = 0
    x[1, 0] = x[1, 4] = 0
    x[2, 5] = 0
    for dim in (1, 0, -1):
        compare(lambda t: sj.cumprod(t, dim), lambda t: torch.cumprod(t, dim), x)
        check_grad(lambda t: sj.cumprod(t, dim), x)


TIES = np.array([[1.0, 3.0, 3.0, 2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, 2.0, -1.0, 2.0]], np.float32)


@pytest.mark.parametrize("fn", [
    lambda m, t: m.max(t), lambda m, t: m.min(t), lambda m, t: m.amax(t, 1),
    lambda m, t: m.amin(t, (0, 1)), lambda m, t: m.max(t, 1), lambda m, t: m.min(t, 0, True),
    lambda m, t: m.median(t), lambda m, t: t.norm(float("inf"), dim=1),
    lambda m, t: m.argmax(t, 1), lambda m, t: m.argmin(t), lambda m, t: m.median(t, 1),
])
def test_ties_like_torch(fn):
    compare(lambda t: fn(sj, t), lambda t: fn(torch, t), TIES)


def test_full_max_splits_ties_and_dim_max_picks_index():
    x = sj.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0.5, 0.5, 0])
    y = sj.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    r = y.max(0)
    assert r.indices.item() == 1 and r.values.item() == 3.0
    r.values.backward()
    np.testing.assert_allclose(y.grad.numpy(), [0, 1, 0, 0])


def test_median_with_dim_and_nan():
    x = rand(5, 7, seed=11)
    compare(lambda t: t.median(1), lambda t: t.median(1), x)
    x[1, 3] = np.nan
    compare(lambda t: t.median(1), lambda t: t.median(1), x, grad=False)
    compare(lambda t: t.median(), lambda t: t.median(), x, grad=False)


def test_logsumexp_stable():
    x = np.array([[1000.0, 1000.0, -5.0], [-1000.0, -1001.0, -1002.0]], np.float32)
    compare(lambda t: sj.logsumexp(t, 1), lambda t: torch.logsumexp(t, 1), x)
    x = np.array([[-np.inf, 1.0], [np.inf, 2.0]], np.float32)
    compare(lambda t: sj.logsumexp(t, 1), lambda t: torch.logsumexp(t, 1), x, grad=False)
    compare(lambda t: sj.logsumexp(t, -1), lambda t: torch.logsumexp(t, -1),
            np.array([5], np.int64))


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 0, "fro", float("inf"), -float("inf")])
def test_norm_at_zero_vector(p):
    x = np.array([[0.0, 0.0, 0.0], [0.0, 2.0, -1.0]], np.float32)
    compare(lambda t: sj.norm(t, p, dim=1), lambda t: torch.norm(t, p, dim=1), x)
    compare(lambda t: t.norm(p), lambda t: t.norm(p), x)


def test_norm_dtype_and_fro_dims():
    x = rand(2, 3, 4, seed=12)
    compare(lambda t: sj.norm(t, dim=(1, 2), keepdim=True),
            lambda t: torch.norm(t, dim=(1, 2), keepdim=True), x)
    compare(lambda t: t.norm(dtype=sj.float64), lambda t: t.norm(dtype=torch.float64), x)
    compare(lambda t: sj.norm(t, 2, (0, 1, 2)), lambda t: torch.norm(t, 2, (0, 1, 2)), x)


def test_var_signatures():
    x = rand(3, 4, seed=13)
    forms = [lambda m, t: m.var(t, True), lambda m, t: m.var(t, False),
             lambda m, t: m.var(t, 0, True, True), lambda m, t: t.var(1, unbiased=False),
             lambda m, t: m.std(t, dim=None, correction=2), lambda m, t: t.std(0, correction=0),
             lambda m, t: m.var_mean(t, 1), lambda m, t: m.std_mean(t, (0, 1), keepdim=True),
             lambda m, t: t.var(dim=-1, correction=1.5)]
    for f in forms:
        compare(lambda t: f(sj, t), lambda t: f(torch, t), x)
    with pytest.raises(RuntimeError):
        sj.var(sj.tensor(x), 0, True, correction=1)


def test_std_of_constant_has_zero_grad():
    x = sj.tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]], requires_grad=True)
    x.std(1).sum().backward()
    t = torch.tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]], requires_grad=True)
    t.std(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-6)


def test_zero_dim_inputs():
    x = np.array(2.5, np.float32)
    for f in (lambda m, t: m.max(t, 0), lambda m, t: m.min(t, -1, True),
              lambda m, t: m.argmax(t, 0), lambda m, t: m.argmax(t, 0, True),
              lambda m, t: m.median(t, 0), lambda m, t: m.cumsum(t, 0), lambda m, t: t.sum(0),
              lambda m, t: m.cumprod(t, -1), lambda m, t: m.argmax(t, keepdim=True)):
        compare(lambda t: f(sj, t), lambda t: f(torch, t), x)


def test_binary_max_min():
    a, b = rand(3, 4, seed=14), rand(4, seed=15)
    compare(sj.max, torch.max, a, b)
    compare(lambda x, y: x.min(y), lambda x, y: x.min(y), a, b)


def test_return_type():
    r = sj.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
    values, indices = r
    assert r.values is values and r.indices is indices
    assert indices.dtype == sj.int64 and indices.tolist() == [1, 0]
    assert "return_types.max" in repr(r)
    assert type(sj.tensor([1.0]).median(0)).__name__ == "median"


# ----------------------------------------------------------------------------- errors / dtypes
@pytest.mark.parametrize("fn", [
    lambda t: t.sum(2), lambda t: t.mean(-3), lambda t: t.var((0, 5)), lambda t: t.max(2),
    lambda t: t.argmax(2), lambda t: t.prod(-3), lambda t: t.cumsum(2), lambda t: t.norm(dim=2),
    lambda t: sj.logsumexp(t, 3), lambda t: t.amax(2), lambda t: t.all(2),
    lambda t: t.count_nonzero(-5), lambda t: t.median(2),
])
def test_dim_out_of_range(fn):
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\]"):
        fn(sj.zeros(3, 4))


def test_scalar_dim_out_of_range():
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        sj.tensor(1.0).sum(1)


def test_duplicate_dims():
    with pytest.raises(RuntimeError, match="appears multiple times"):
        sj.zeros(2, 3).sum((0, -2))


def test_empty_reductions_without_identity():
    e = sj.zeros(0, 3)
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        e.max()
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        e.max(0)
    with pytest.raises(IndexError, match="amax"):
        e.amax(0)
    with pytest.raises(IndexError, match="argmax"):
        e.argmax()
    with pytest.raises(RuntimeError, match="inf norm"):
        e.norm(float("inf"))
    assert e.amax(1).shape == (0,) and e.max(1).indices.shape == (0,)


def test_dtype_rules():
    i = sj.tensor([[1, 2], [3, 4]])
    b = sj.tensor([True, False, True])
    assert sj.sum(i).dtype == sj.int64 and i.sum(0).tolist() == [4, 6]
    assert b.sum().dtype == sj.int64 and b.sum().item() == 2
    assert sj.tensor([1, 2], dtype=sj.int32).sum().dtype == sj.int64
    assert i.prod().dtype == sj.int64 and i.prod().item() == 24
    assert i.cumsum(1).dtype == sj.int64 and b.cumsum(0).tolist() == [1, 1, 2]
    assert i.sum(dtype=sj.float32).dtype == sj.float32
    assert i.max().dtype == sj.int64 and i.amax(0).tolist() == [3, 4]
    assert i.argmax().dtype == sj.int64 and i.argmax().item() == 3
    assert i.all().dtype == sj.bool and not b.all().item() and b.any().item()
    assert sj.tensor([1, 0], dtype=sj.uint8).all().dtype == sj.uint8
    assert i.count_nonzero().dtype == sj.int64
    assert i.mean(dtype=sj.float64).dtype == sj.float64
    assert sj.logsumexp(i, 1).dtype == sj.float32
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype.*Long"):
        i.mean()
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        i.var()
    with pytest.raises(RuntimeError, match="vector_norm: Expected a floating point.*Long"):
        i.norm()
    with pytest.raises(RuntimeError, match="bool"):
        b.argmax()
    with pytest.raises(TypeError):
        sj.zeros(2, 3).prod((0, 1))
    with pytest.raises(TypeError, match="cumsum"):
        sj.cumsum(sj.zeros(2), None)


def test_no_grad_outputs():
    x = sj.tensor([[1.0, 0.0], [2.0, 3.0]], requires_grad=True)
    for out in (x.argmax(), x.all(), x.any(1), x.count_nonzero(0), x.max(1).indices):
        assert not out.requires_grad
    assert x.sum().requires_grad and x.max(0).values.requires_grad
