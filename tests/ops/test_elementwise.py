"""Elementwise ops against PyTorch (values, input grads) and float64 gradcheck."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, compare, rand

BROADCAST = [((4, 5), (4, 5)), ((4, 5), (4, 1)), ((4, 5), (5,)), ((4, 5), ()), ((1, 3), (2, 1)),
             ((2, 0, 3), (3,)), ((1,), (1,))]

BINARY = {
    "add": (lambda a, b: a + b, {}),
    "sub": (lambda a, b: a - b, {}),
    "mul": (lambda a, b: a * b, {}),
    "div": (lambda a, b: a / b, {"b_low": 0.5}),
    "pow": (lambda a, b: a ** b, {"a_low": 0.5}),
    "maximum": ("maximum", {}),
    "minimum": ("minimum", {}),
}


def _fn(mod, spec):
    return spec if callable(spec) else getattr(mod, spec)


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("sa,sb", BROADCAST)
def test_binary_parity(name, sa, sb):
    spec, dom = BINARY[name]
    a = rand(*sa, seed=1, low=dom.get("a_low", -1.0), high=2.0)
    b = rand(*sb, seed=2, low=dom.get("b_low", -1.0), high=2.0)
    compare(_fn(sj, spec), _fn(torch, spec), a, b)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradcheck(name):
    spec, dom = BINARY[name]
    a = rand(3, 4, seed=3, low=dom.get("a_low", -1.0), high=2.0)
    b = rand(4, seed=4, low=dom.get("b_low", -1.0), high=2.0)
    check_grad(_fn(sj, spec), a, b)


UNARY = {
    "neg": (lambda m: m.neg, -2, 2), "abs": (lambda m: m.abs, -2, 2),
    "exp": (lambda m: m.exp, -2, 2), "log": (lambda m: m.log, 0.2, 3),
    "log1p": (lambda m: m.log1p, -0.5, 3), "sqrt": (lambda m: m.sqrt, 0.2, 3),
    "rsqrt": (lambda m: m.rsqrt, 0.2, 3), "sin": (lambda m: m.sin, -3, 3),
    "cos": (lambda m: m.cos, -3, 3), "sign": (lambda m: m.sign, -2, 2),
    "square": (lambda m: m.square, -2, 2), "reciprocal": (lambda m: m.reciprocal, 0.5, 2),
    "clamp": (lambda m: (lambda x: m.clamp(x, -0.5, 0.7)), -2, 2),
    "clamp_min": (lambda m: (lambda x: m.clamp(x, min=0.1)), -2, 2),
    "clip_max": (lambda m: (lambda x: m.clip(x, max=0.1)), -2, 2),
    "pow_scalar": (lambda m: (lambda x: x ** 3), -2, 2),
    "pow_half": (lambda m: (lambda x: x ** 0.5), 0.2, 2),
    "rpow": (lambda m: (lambda x: 2.0 ** x), -2, 2),
    "scalar_ops": (lambda m: (lambda x: (3 - x) * 2 / (x + 4) - 1 / (x + 5)), -2, 2),
    "floor": (lambda m: m.floor, -2, 2), "round": (lambda m: m.round, -2, 2),
    "expm1": (lambda m: m.expm1, -2, 2), "expm1_tiny": (lambda m: m.expm1, -1e-6, 1e-6),
    "nan_to_num": (lambda m: (lambda x: m.nan_to_num(x, posinf=9.0)), -2, 2),
}


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 1, 3), (), (0, 2)])
def test_unary_parity(name, shape):
    f, lo, hi = UNARY[name]
    compare(f(sj), f(torch), rand(*shape, seed=5, low=lo, high=hi))


@pytest.mark.parametrize("name", [n for n in UNARY if n not in ("sign", "floor", "round")])
def test_unary_gradcheck(name):
    f, lo, hi = UNARY[name]
    x = rand(3, 4, seed=6, low=lo, high=hi)
    if name.startswith("clamp") or name == "clip_max":
        x[np.abs(x - 0.1) < 0.01] = 0.3  # keep away from the kink
    check_grad(f(sj), x)


def test_nan_to_num_replacements_and_gradient_match_torch():
    x = np.array([0.5, np.nan, np.inf, -np.inf, -2.0], np.float32)
    kw = {"nan": 1.5, "posinf": 7.0, "neginf": -7.0}
    compare(lambda t: sj.nan_to_num(t, **kw), lambda t: torch.nan_to_num(t, **kw), x)
    # defaults: the dtype's largest and lowest finite values (forward only: their products
    # in a test loss would overflow)
    np.testing.assert_array_equal(sj.tensor(x).nan_to_num().numpy(),
                                  torch.tensor(x).nan_to_num().numpy())
    assert sj.tensor([1, 2]).nan_to_num().tolist() == [1, 2]


def test_where_parity_and_gradcheck():
    c = rand(3, 4, seed=7) > 0
    compare(lambda c, a, b: sj.where(c, a, b), lambda c, a, b: torch.where(c, a, b),
            c, rand(3, 4, seed=8), rand(4, seed=9))
    check_grad(lambda c, a, b: sj.where(c, a, b), c, rand(3, 4), rand(1, 4))


def test_maximum_ties_split_gradient():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    compare(sj.maximum, torch.maximum, a, a.copy())
    compare(sj.minimum, torch.minimum, a, np.array([1.0, 0.0, 5.0], np.float32))


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
                                "logical_xor"])
def test_comparisons(op):
    a, b = np.round(rand(4, 5, seed=1) * 2), np.round(rand(5, seed=2) * 2)
    compare(getattr(sj, op), getattr(torch, op), a, b, grad=False)


def test_comparison_operators_and_logic():
    a, b = sj.tensor([1.0, 2.0, 3.0]), sj.tensor([3.0, 2.0, 1.0])
    assert (a < b).tolist() == [True, False, False]
    assert (a == 2).tolist() == [False, True, False]
    assert ((a > 1) & (b > 1)).tolist() == [False, True, False]
    assert (~(a > 1)).tolist() == [True, False, False]
    assert sj.logical_not(a > 1).tolist() == [True, False, False]


def test_floor_divide_and_remainder():
    a, b = rand(3, 4, seed=1, high=5), rand(4, seed=2, low=1, high=2)
    compare(lambda x, y: x // y, lambda x, y: x // y, a, b, grad=False)
    ia = np.arange(-5, 7).astype(np.int64)
    compare(lambda x: x // 3, lambda x: x // 3, ia, grad=False)
    compare(lambda x: x % 3, lambda x: x % 3, ia, grad=False)


@pytest.mark.parametrize("expr", [
    lambda m, x: x + 1, lambda m, x: x * 2.5, lambda m, x: x / 2, lambda m, x: x + True,
    lambda m, x: 1.5 - x, lambda m, x: x * m.tensor(2.0, dtype=m.float64),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.bool_])
def test_type_promotion_matches_torch(expr, dtype):
    x = np.array([0, 1, 2]).astype(dtype)
    try:
        theirs = expr(torch, torch.tensor(x))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            expr(sj, sj.tensor(x))
        return
    ours = expr(sj, sj.tensor(x))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float))


def test_tensor_tensor_promotion():
    for da, db in [(np.float32, np.float64), (np.int64, np.float32), (np.int32, np.int64),
                   (np.bool_, np.int32), (np.bool_, np.float64)]:
        a, b = np.ones(3, da), np.ones(3, db)
        ours = (sj.tensor(a) + sj.tensor(b)).dtype
        theirs = (torch.tensor(a) + torch.tensor(b)).dtype
        assert ours.name == str(theirs).split(".")[-1]


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"add.*\(3, 4\).*\(5,\)"):
        sj.ones(3, 4) + sj.ones(5)
    with pytest.raises(RuntimeError, match=r"mul.*\(2, 3\).*\(3, 2\)"):
        sj.ones(2, 3, requires_grad=True) * sj.ones(3, 2)


def test_int_grad_refused():
    with pytest.raises(RuntimeError, match="floating point"):
        sj.tensor([1, 2, 3], requires_grad=True)


@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_fmod_and_remainder_signs_and_gradients(name):
    """fmod takes the dividend's sign, remainder the divisor's; both are differentiable:
    d/da = 1, d/db = -trunc(a/b) or -floor(a/b)."""
    a = np.array([[-3.0, 3.0, -3.5, 2.0, 7.25], [5.5, -6.5, 0.75, -0.25, 9.0]], np.float32)
    b = np.array([2.0, -2.0, 2.0, 2.5, -4.0], np.float32)
    compare(getattr(sj, name), getattr(torch, name), a, b)
    compare(lambda x: getattr(x, name)(3), lambda x: getattr(x, name)(3), a)
    ia = np.arange(-7, 8).astype(np.int64)
    compare(lambda x: getattr(sj, name)(x, 3), lambda x: getattr(torch, name)(x, 3), ia,
            grad=False)
    compare(lambda x: getattr(sj, name)(x, -4), lambda x: getattr(torch, name)(x, -4), ia,
            grad=False)
    check_grad(getattr(sj, name), np.array([1.3, -2.6, 4.1]), np.array([0.7, 0.9, -1.7]))


@pytest.mark.parametrize("name", ["fmax", "fmin", "maximum", "minimum"])
def test_max_min_with_nan_and_ties_match_torch(name):
    """fmax/fmin ignore NaN and send a tie's gradient to the first input; maximum/minimum
    propagate NaN and split a tie's gradient; a NaN passes the gradient to both."""
    a = np.array([-3.0, 3.0, 2.0, np.nan, 1.0, np.nan], np.float32)
    b = np.array([2.0, -2.0, 2.0, 1.0, np.nan, np.nan], np.float32)
    compare(getattr(sj, name), getattr(torch, name), a, b)
    compare(getattr(sj, name), getattr(torch, name), rand(3, 4, seed=3), rand(4, seed=4))
    check_grad(getattr(sj, name), rand(3, 4, seed=5).astype(np.float64),
               rand(4, seed=6).astype(np.float64))
