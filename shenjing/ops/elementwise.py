"""Elementwise ops: arithmetic, powers, exp/log, clamps, comparisons, logic.

Each op is a small Function on raw arrays whose backward states the local derivative;
the engine sums gradients back over broadcast axes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import dtypes, get_array_module, layout, threads
from ._util import as_tensor_like, check_broadcast, elementwise, promote


class Cast(Function):
    def forward(self, a, dtype):
        self.src = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.astype(self.src) if self.src.kind in "fc" else None


def cast(x: Tensor, dtype: Any) -> Tensor:
    d = dtypes.to_dtype(dtype).np
    if x._data.dtype == d:
        return x
    return Cast.apply(x, dtype=d)


class Clone(Function):
    """A copy in a given axis order's memory (``perm``), or in ``a``'s own order (None)."""

    def forward(self, a, perm=None):
        if perm is None:
            return a.copy(order="K")
        return a.transpose(perm).copy().transpose(layout.inverse(perm))

    def backward(self, g):
        return g


def clone(input: Tensor, *, memory_format: Any = layout.preserve_format) -> Tensor:
    """A copy of ``input`` that stays in the graph (gradient flows through unchanged), in
    ``input``'s memory order unless ``memory_format`` asks for another."""
    return Clone.apply(input, perm=layout.order(memory_format, input.ndim))


def contiguous(input: Tensor, memory_format: Any = layout.contiguous_format) -> Tensor:
    """``input`` itself when its memory is already ``memory_format``, else a copy laid out
    so (recorded in the graph). A conv's output is channels-last memory."""
    if layout.is_in(input._data, memory_format):
        return input
    return Clone.apply(input, perm=layout.order(memory_format, input.ndim))


# ----------------------------------------------------------------------------- binary
class Add(Function):
    def forward(self, a, b):
        if type(a) is np.ndarray and a.shape == b.shape and a.dtype == b.dtype \
                and type(b) is np.ndarray and 3 * a.nbytes >= threads.RANGE_BYTES:
            # large same-shape sums (residual connections) split over the intra-op threads
            return elementwise(lambda o, x, y: np.add(x, y, out=o), np.empty_like(a), a, b)
        return a + b

    def backward(self, g):
        return g, g  # d(a+b)/da = d(a+b)/db = 1


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, -g


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        nig = self.needs_input_grad
        return (g * self.b if nig[0] else None), (g * self.a if nig[1] else None)


class Div(Function):
    def forward(self, a, b):
        if a.dtype.kind not in "fc":
            a = a.astype(dtypes.get_default_dtype().np)
            b = b.astype(a.dtype)
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        nig = self.needs_input_grad
        ga = g / self.b if nig[0] else None
        gb = -g * self.a / (self.b * self.b) if nig[1] else None  # d(a/b)/db = -a/b^2
        return ga, gb


class Pow(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, g):
        nig = self.needs_input_grad
        a, b = self.a, self.b
        ga = gb = None
        if nig[0]:  # d(a^b)/da = b a^(b-1)
            xp = get_array_module(a)
            ga = g * b * xp.where(b == 0, 1, a ** xp.where(b == 0, 1, b - 1))
        if nig[1]:  # d(a^b)/db = a^b log a
            xp = get_array_module(a)
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * xp.where((a == 0) & (b >= 0), 0, self.out * xp.log(a))
        return ga, gb


class PowScalar(Function):
    def forward(self, a, exponent):
        self.a, self.e = a, exponent
        return a ** exponent

    def backward(self, g):
        e = self.e
        if e == 0:
            return g * 0
        if e == 2:
            return g * 2 * self.a
        return g * e * self.a ** (e - 1)


def _both_ways(g: Any, a: Any, b: Any, a_loses: Any, b_loses: Any) -> tuple:
    """A max/min's gradients: ties split it evenly, a NaN passes it to both sides, and the
    losing side of a strict comparison gets none (PyTorch's rule)."""
    xp = get_array_module(g)
    share = g * xp.where(a == b, 0.5, 1.0).astype(g.dtype, copy=False)
    return share * ~a_loses, share * ~b_loses


class Maximum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return get_array_module(a).maximum(a, b)

    def backward(self, g):
        return _both_ways(g, self.a, self.b, self.a < self.b, self.a > self.b)


class Minimum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return get_array_module(a).minimum(a, b)

    def backward(self, g):
        return _both_ways(g, self.a, self.b, self.a > self.b, self.a < self.b)


class NanMax(Function):
    """fmax / fmin (``lower``): the other value where one is NaN; the gradient goes to a when
    it is chosen, ties included, else to b (PyTorch's rule)."""

    def forward(self, a, b, lower):
        xp = get_array_module(a)
        self.a_wins = ((a <= b) if lower else (a >= b)) | xp.isnan(b)
        return xp.fmin(a, b) if lower else xp.fmax(a, b)

    def backward(self, g):
        return g * self.a_wins, g * ~self.a_wins


class Remainder(Function):
    """a - b * round(a / b) with floor (remainder: the divisor's sign) or trunc (fmod: the
    dividend's sign); d/da = 1, d/db = -round(a / b)."""

    def forward(self, a, b, trunc):
        xp = get_array_module(a)
        self.a, self.b, self.trunc = a, b, trunc
        return xp.fmod(a, b) if trunc else xp.mod(a, b)

    def backward(self, g):
        xp = get_array_module(g)
        q = self.a / self.b
        q = xp.trunc(q) if self.trunc else xp.floor(q)
        return g, -g * q


def _binary(cls: type, name: str, a: Any, b: Any) -> Tensor:
    if not (isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype == b._data.dtype):
        a, b = promote(a, b)
    try:
        return cls.apply(a, b)
    except ValueError:
        check_broadcast(name, a, b)
        raise


def add(input: Any, other: Any, *, alpha: float = 1, out: Any = None) -> Tensor:
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, "add", input, other)


def sub(input: Any, other: Any, *, alpha: float = 1, out: Any = None) -> Tensor:
    if any(isinstance(v, Tensor) and v._data.dtype == bool for v in (input, other)):
        raise RuntimeError(
            "sub: Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, "sub", input, other)


def mul(input: Any, other: Any, *, out: Any = None) -> Tensor:
    return _binary(Mul, "mul", input, other)


def div(input: Any, other: Any, *, rounding_mode: str | None = None, out: Any = None) -> Tensor:
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        a, b = promote(input, other)
        return Tensor._wrap(get_array_module(a._data).trunc(a._data / b._data).astype(a._data.dtype), None, False)
    return _binary(Div, "div", input, other)


def true_divide(input: Any, other: Any) -> Tensor:
    return div(input, other)


def pow(input: Any, exponent: Any) -> Tensor:
    if isinstance(input, Tensor) and isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        if input._data.dtype.kind in "iub" and isinstance(exponent, float):
            input = cast(input, dtypes.get_default_dtype())
        if input._data.dtype.kind in "iu" and exponent < 0:
            raise RuntimeError("pow: Integers to negative integer powers are not allowed.")
        return PowScalar.apply(input, exponent=exponent)
    return _binary(Pow, "pow", input, exponent)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return _binary(Maximum, "maximum", input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return _binary(Minimum, "minimum", input, other)


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Element-wise maximum that ignores NaN (NaN only where both are NaN)."""
    return _binary_kw(NanMax, "fmax", input, other, lower=False)


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Element-wise minimum that ignores NaN (NaN only where both are NaN)."""
    return _binary_kw(NanMax, "fmin", input, other, lower=True)


def _binary_kw(cls: type, name: str, a: Any, b: Any, **kw: Any) -> Tensor:
    a, b = promote(a, b)
    try:
        return cls.apply(a, b, **kw)
    except ValueError:
        check_broadcast(name, a, b)
        raise


def floor_divide(input: Any, other: Any) -> Tensor:
    a, b = promote(input, other)
    return _nograd(get_array_module(a._data).floor_divide(a._data, b._data))


def remainder(input: Any, other: Any) -> Tensor:
    """Python's modulus: the result takes the divisor's sign (differentiable, like PyTorch)."""
    return _binary_kw(Remainder, "remainder", input, other, trunc=False)


def fmod(input: Any, other: Any) -> Tensor:
    """C's fmod: the result takes the dividend's sign (differentiable, like PyTorch)."""
    return _binary_kw(Remainder, "fmod", input, other, trunc=True)


def rsub(input: Any, other: Any, alpha: float = 1) -> Tensor:
    return sub(other, input, alpha=alpha)


# ----------------------------------------------------------------------------- unary
class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


class Abs(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).abs(a)

    def backward(self, g):
        return g * get_array_module(g).sign(self.a)


class Exp(Function):
    def forward(self, a):
        self.out = get_array_module(a).exp(a)
        return self.out

    def backward(self, g):
        return g * self.out  # d e^a = e^a


class Log(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log(a)

    def backward(self, g):
        return g / self.a


class Log1p(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log1p(a)

    def backward(self, g):
        return g / (1 + self.a)


class Expm1(Function):
    """exp(a) - 1, accurate for small a (no cancellation)."""

    def forward(self, a):
        self.out = get_array_module(a).expm1(a)
        return self.out

    def backward(self, g):
        return g * (self.out + 1)


class NanToNum(Function):
    """NaN, +inf and -inf replaced by given finite values; the gradient passes where the
    input was finite and is zero where a value was replaced."""

    def forward(self, a, nan, posinf, neginf):
        xp = get_array_module(a)
        self.finite = xp.isfinite(a)
        return xp.nan_to_num(a, copy=True, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, g):
        return g * self.finite


class Sqrt(Function):
    def forward(self, a):
        self.out = get_array_module(a).sqrt(a)
        return self.out

    def backward(self, g):
        return g / (2 * self.out)


class Rsqrt(Function):
    def forward(self, a):
        self.out = 1 / get_array_module(a).sqrt(a)
        return self.out

    def backward(self, g):
        return -0.5 * g * self.out ** 3  # d a^-1/2 = -1/2 a^-3/2


class Sin(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).sin(a)

    def backward(self, g):
        return g * get_array_module(g).cos(self.a)


class Cos(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).cos(a)

    def backward(self, g):
        return -g * get_array_module(g).sin(self.a)


class Square(Function):
    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, g):
        return 2 * g * self.a


class Clamp(Function):
    def forward(self, a, min, max):
        xp = get_array_module(a)
        self.mask = xp.ones(a.shape, dtype=bool)
        out = a
        if min is not None:
            self.mask &= a >= min
            out = xp.maximum(out, min)
        if max is not None:
            self.mask &= a <= max
            out = xp.minimum(out, max)
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        return g * self.mask


class Reciprocal(Function):
    def forward(self, a):
        self.out = 1 / a
        return self.out

    def backward(self, g):
        return -g * self.out * self.out


def _float_unary(cls: type, x: Tensor) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{cls.__name__.lower()}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x._data.dtype.kind not in "fc":
        x = cast(x, dtypes.get_default_dtype())
    return cls.apply(x)


def neg(input: Tensor) -> Tensor:
    return Neg.apply(input)


negative = neg


def abs(input: Tensor) -> Tensor:
    return Abs.apply(input)


def exp(input: Tensor) -> Tensor:
    return _float_unary(Exp, input)


def log(input: Tensor) -> Tensor:
    return _float_unary(Log, input)


def log1p(input: Tensor) -> Tensor:
    return _float_unary(Log1p, input)


def expm1(input: Tensor) -> Tensor:
    return _float_unary(Expm1, input)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (default: the dtype's largest
    and lowest finite values), like torch.nan_to_num."""
    a = input._data
    if a.dtype.kind not in "f":
        return input.clone()
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


def sqrt(input: Tensor) -> Tensor:
    return _float_unary(Sqrt, input)


def rsqrt(input: Tensor) -> Tensor:
    return _float_unary(Rsqrt, input)


def sin(input: Tensor) -> Tensor:
    return _float_unary(Sin, input)


def cos(input: Tensor) -> Tensor:
    return _float_unary(Cos, input)


def square(input: Tensor) -> Tensor:
    return Square.apply(input)


def reciprocal(input: Tensor) -> Tensor:
    return _float_unary(Reciprocal, input)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return Clamp.apply(input, min=min, max=max)


clip = clamp


def clamp_min(input: Tensor, min: Any) -> Tensor:
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    return clamp(input, max=max)


class Where(Function):
    def forward(self, x, y, cond):
        self.cond = cond
        return get_array_module(x).where(cond, x, y)

    def backward(self, g):
        nig = self.needs_input_grad
        xp = get_array_module(g)
        return (xp.where(self.cond, g, 0) if nig[0] else None,
                xp.where(self.cond, 0, g) if nig[1] else None, None)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    if input is None and other is None:
        from .indexing import nonzero  # noqa: PLC0415

        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        condition = Tensor._wrap(np.asarray(condition), None, False)
    if condition._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor._wrap(np.asarray(input, dtype=np.float32 if isinstance(input, float) else None), None, False)
    x, y = promote(input, other)
    try:
        return Where.apply(x, y, condition)
    except ValueError:
        check_broadcast("where", x, y)
        check_broadcast("where", x, condition)
        raise


# ----------------------------------------------------------------------------- no grad
def _nograd(array: Any) -> Tensor:
    return Tensor._wrap(array, None, False)


def _cmp(ufunc_name: str):
    def op(input: Any, other: Any) -> Tensor:
        if not isinstance(input, Tensor):
            input = as_tensor_like(input, other)
        b = other._data if isinstance(other, Tensor) else other
        xp = get_array_module(input._data)
        try:
            return _nograd(getattr(xp, ufunc_name)(input._data, b))
        except ValueError:
            check_broadcast(ufunc_name, input, as_tensor_like(other, input))
            raise

    op.__name__ = ufunc_name
    op.__doc__ = f"Elementwise ``{ufunc_name}`` (no gradient)."
    return op


eq = _cmp("equal")
ne = _cmp("not_equal")
lt = _cmp("less")
le = _cmp("less_equal")
gt = _cmp("greater")
ge = _cmp("greater_equal")
logical_and = _cmp("logical_and")
logical_or = _cmp("logical_or")
logical_xor = _cmp("logical_xor")
bitwise_and = _cmp("bitwise_and")
bitwise_or = _cmp("bitwise_or")
bitwise_xor = _cmp("bitwise_xor")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_not(input: Tensor) -> Tensor:
    return _nograd(get_array_module(input._data).logical_not(input._data))


def bitwise_not(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "f":
        raise TypeError("bitwise_not: only integral and boolean tensors are supported")
    return _nograd(~input._data)


def sign(input: Tensor) -> Tensor:
    return SignFn.apply(input)


class SignFn(Function):
    def forward(self, a):
        return get_array_module(a).sign(a)

    def backward(self, g):
        return g * 0


class _Rounding(Function):
    def backward(self, g):
        return g * 0  # piecewise constant


class Floor(_Rounding):
    def forward(self, a):
        return get_array_module(a).floor(a)


class Ceil(_Rounding):
    def forward(self, a):
        return get_array_module(a).ceil(a)


class Round(_Rounding):
    def forward(self, a, decimals=0):
        return get_array_module(a).round(a, decimals)


class Trunc(_Rounding):
    def forward(self, a):
        return get_array_module(a).trunc(a)


def floor(input: Tensor) -> Tensor:
    return Floor.apply(input)


def ceil(input: Tensor) -> Tensor:
    return Ceil.apply(input)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    return Round.apply(input, decimals=decimals)


def trunc(input: Tensor) -> Tensor:
    return Trunc.apply(input)


def isnan(input: Tensor) -> Tensor:
    return _nograd(get_array_module(input._data).isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    return _nograd(get_array_module(input._data).isinf(input._data))


def isfinite(input: Tensor) -> Tensor:
    return _nograd(get_array_module(input._data).isfinite(input._data))


def equal(input: Tensor, other: Tensor) -> bool:
    return tuple(input.shape) == tuple(other.shape) and bool((input._data == other._data).all())


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Tensor:
    b = other._data if isinstance(other, Tensor) else other
    return _nograd(np.isclose(input._data, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


TENSOR_METHODS = (
    "clone", "contiguous", "add", "sub", "mul", "div", "true_divide", "pow", "maximum",
    "minimum", "fmax", "fmin",
    "floor_divide", "remainder", "fmod", "neg", "negative", "abs", "exp", "log", "log1p", "sqrt",
    "expm1", "nan_to_num",
    "rsqrt", "sin", "cos", "square", "reciprocal", "clamp", "clip", "clamp_min", "clamp_max",
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_not",
    "sign", "floor", "ceil", "round", "trunc", "isnan", "isinf", "isfinite", "equal", "allclose",
    "isclose",
)
multiply, subtract, divide = mul, sub, div
