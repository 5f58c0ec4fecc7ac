"""More element-wise math: trigonometric and hyperbolic functions and their inverses, other
logarithm bases, the special functions erf, erfc, erfinv, lgamma and digamma, the
two-argument atan2, hypot, logaddexp, xlogy and copysign, and the integer gcd and lcm.

Each unary op is a Function built from its forward ufunc and its derivative written in the
input a and the output y; integer inputs are computed in the default float dtype, as in
PyTorch. Derivatives follow PyTorch's formulas, so values outside a domain give its NaNs.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import dtypes, get_array_module
from ._util import promote
from . import special_fn as sf
from .elementwise import _binary_kw, cast, sign

# name: (forward(xp, a), derivative(xp, a, y)); PyTorch's grad_fn is <Name>Backward0
_UNARY: dict[str, tuple[Callable, Callable]] = {
    "tan": (lambda xp, a: xp.tan(a), lambda xp, a, y: 1 + y * y),
    "asin": (lambda xp, a: xp.arcsin(a), lambda xp, a, y: 1 / xp.sqrt(1 - a * a)),
    "acos": (lambda xp, a: xp.arccos(a), lambda xp, a, y: -1 / xp.sqrt(1 - a * a)),
    "atan": (lambda xp, a: xp.arctan(a), lambda xp, a, y: 1 / (1 + a * a)),
    "sinh": (lambda xp, a: xp.sinh(a), lambda xp, a, y: xp.cosh(a)),
    "cosh": (lambda xp, a: xp.cosh(a), lambda xp, a, y: xp.sinh(a)),
    "asinh": (lambda xp, a: xp.arcsinh(a), lambda xp, a, y: 1 / xp.sqrt(a * a + 1)),
    "acosh": (lambda xp, a: xp.arccosh(a), lambda xp, a, y: 1 / xp.sqrt((a - 1) * (a + 1))),
    "atanh": (lambda xp, a: xp.arctanh(a), lambda xp, a, y: 1 / (1 - a * a)),
    "log2": (lambda xp, a: xp.log2(a), lambda xp, a, y: 1 / (a * math.log(2))),
    "log10": (lambda xp, a: xp.log10(a), lambda xp, a, y: 1 / (a * math.log(10))),
    "exp2": (lambda xp, a: xp.exp2(a), lambda xp, a, y: y * math.log(2)),
    "deg2rad": (lambda xp, a: a * (math.pi / 180), lambda xp, a, y: math.pi / 180),
    "rad2deg": (lambda xp, a: a * (180 / math.pi), lambda xp, a, y: 180 / math.pi),
    "frac": (lambda xp, a: a - xp.trunc(a), lambda xp, a, y: 1),
    # special functions (special_fn.py, computed in float64)
    "erf": (lambda xp, a: sf.erf(a), lambda xp, a, y: sf.erf_slope(a)),
    "erfc": (lambda xp, a: sf.erfc(a), lambda xp, a, y: -sf.erf_slope(a)),
    "erfinv": (lambda xp, a: sf.erfinv(a), lambda xp, a, y: 1 / sf.erf_slope(y)),
    "lgamma": (lambda xp, a: sf.lgamma(a), lambda xp, a, y: sf.digamma(a)),
    "digamma": (lambda xp, a: sf.digamma(a), lambda xp, a, y: sf.trigamma(a)),
}


def _unary_class(name: str) -> type:
    fwd, der = _UNARY[name]

    def forward(self: Function, a: Any) -> Any:
        xp = get_array_module(a)
        with xp.errstate(all="ignore"):  # out-of-domain inputs give NaN silently, as in torch
            y = fwd(xp, a)
        self.a, self.y = a, y
        return y.astype(a.dtype, copy=False)

    def backward(self: Function, g: Any) -> Any:
        xp = get_array_module(g)
        with xp.errstate(all="ignore"):
            d = der(xp, self.a, self.y)
        return (g * d).astype(g.dtype, copy=False)

    cls = type(name.capitalize(), (Function,), {"forward": forward, "backward": backward})
    cls.__module__ = __name__
    cls.__doc__ = f"{name}(a), d/da written in a and the output y."
    return cls


_CLASSES = {name: _unary_class(name) for name in _UNARY}


def _floating(op: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    return x if x._data.dtype.kind in "fc" else cast(x, dtypes.get_default_dtype())


def _unary_fn(name: str) -> Callable[[Tensor], Tensor]:
    cls = _CLASSES[name]

    def fn(input: Tensor) -> Tensor:
        return cls.apply(_floating(name, input))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Element-wise {name} (integer input computed in the default float dtype)."
    return fn


tan, asin, acos, atan = (_unary_fn(n) for n in ("tan", "asin", "acos", "atan"))
sinh, cosh, asinh, acosh, atanh = (_unary_fn(n) for n in ("sinh", "cosh", "asinh", "acosh",
                                                           "atanh"))
log2, log10, exp2 = _unary_fn("log2"), _unary_fn("log10"), _unary_fn("exp2")
deg2rad, rad2deg, frac = _unary_fn("deg2rad"), _unary_fn("rad2deg"), _unary_fn("frac")
erf, erfc, erfinv = _unary_fn("erf"), _unary_fn("erfc"), _unary_fn("erfinv")
lgamma, digamma = _unary_fn("lgamma"), _unary_fn("digamma")
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


class Logit(Function):
    """log(a / (1 - a)), a clamped to [eps, 1 - eps] when eps is given (gradient zero
    outside that band, as in PyTorch)."""

    def forward(self, a, eps):
        xp = get_array_module(a)
        self.a, self.eps = a, eps
        z = a if eps is None else xp.clip(a, eps, 1 - eps)
        with xp.errstate(all="ignore"):
            return xp.log(z / (1 - z)).astype(a.dtype, copy=False)

    def backward(self, g):
        xp = get_array_module(g)
        a, eps = self.a, self.eps
        with xp.errstate(all="ignore"):
            d = g / (a * (1 - a))
        if eps is not None:
            d = xp.where((a >= eps) & (a <= 1 - eps), d, 0)
        return d.astype(g.dtype, copy=False)


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """The inverse of the sigmoid, log(p / (1 - p)); ``eps`` clamps p to [eps, 1 - eps]."""
    return Logit.apply(_floating("logit", input), eps=None if eps is None else float(eps))


def sgn(input: Tensor) -> Tensor:
    """The sign of real input (-1, 0 or 1), like ``sign``."""
    return sign(input)


def signbit(input: Tensor) -> Tensor:
    """Whether the sign bit is set (True for -0.0 and negative values); no gradient."""
    return Tensor._wrap(get_array_module(input._data).signbit(input._data), None, False)


def positive(input: Tensor) -> Tensor:
    """``input`` itself (unary plus)."""
    return input


# ----------------------------------------------------------------------------- binary
class Atan2(Function):
    """atan2(a, b), the angle of (b, a); d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return get_array_module(a).arctan2(a, b)

    def backward(self, g):
        r = g / (self.a * self.a + self.b * self.b)
        return r * self.b, -r * self.a


class Hypot(Function):
    """sqrt(a^2 + b^2) without overflow; d/da = a / y, d/db = b / y."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = get_array_module(a).hypot(a, b)
        return self.y

    def backward(self, g):
        r = g / self.y
        return r * self.a, r * self.b


class LogAddExp(Function):
    """log(exp(a) + exp(b)) without overflow; d/da = exp(a - y), d/db = exp(b - y)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = get_array_module(a).logaddexp(a, b)
        return self.y

    def backward(self, g):
        xp = get_array_module(g)
        return g * xp.exp(self.a - self.y), g * xp.exp(self.b - self.y)


class Xlogy(Function):
    """a log(b), 0 where a = 0 (even for b = 0); d/da = log(b) (0 where a = 0 and b <= 0),
    d/db = a / b (PyTorch's rule)."""

    def forward(self, a, b):
        xp = get_array_module(a)
        self.a, self.b = a, b
        with xp.errstate(all="ignore"):
            y = a * xp.log(b)
        return xp.where((a == 0) & ~xp.isnan(b), 0, y).astype(a.dtype, copy=False)

    def backward(self, g):
        xp = get_array_module(g)
        a, b = self.a, self.b
        with xp.errstate(all="ignore"):
            ga = xp.where((a == 0) & (b <= 0), 0, g * xp.log(b))
            gb = g * a / b
        return ga.astype(g.dtype, copy=False), gb.astype(g.dtype, copy=False)


class CopySign(Function):
    """|a| with the sign of b; d/da = sign(a) sign(y) (0 at a = 0), d/db = 0."""

    def forward(self, a, b):
        xp = get_array_module(a)
        y = xp.copysign(a, b)
        self.factor = xp.sign(a) * xp.sign(y)
        return y

    def backward(self, g):
        return g * self.factor, g * 0


def _binary(cls: type, name: str, input: Any, other: Any) -> Tensor:
    """The op on promoted operands, integers computed in the default float dtype."""
    a, b = promote(input, other)
    if a._data.dtype.kind not in "fc":
        a, b = cast(a, dtypes.get_default_dtype()), cast(b, dtypes.get_default_dtype())
    return _binary_kw(cls, name, a, b)


def atan2(input: Tensor, other: Any) -> Tensor:
    """The angle of the point (other, input) in (-pi, pi]."""
    return _binary(Atan2, "atan2", input, other)


def hypot(input: Tensor, other: Any) -> Tensor:
    """sqrt(input^2 + other^2), computed without overflow."""
    return _binary(Hypot, "hypot", input, other)


def logaddexp(input: Tensor, other: Any) -> Tensor:
    """log(exp(input) + exp(other)), computed without overflow."""
    return _binary(LogAddExp, "logaddexp", input, other)


def xlogy(input: Any, other: Any) -> Tensor:
    """input * log(other), 0 where input is 0 (a 0 log 0 term vanishes)."""
    return _binary(Xlogy, "xlogy", input, other)


def copysign(input: Tensor, other: Any) -> Tensor:
    """|input| with the sign of ``other`` (-0.0 counts as negative)."""
    return _binary(CopySign, "copysign", input, other)


def _integers(op: str, input: Any, other: Any) -> tuple:
    a, b = promote(input, other)
    if a._data.dtype.kind not in "iu":
        raise RuntimeError(f"\"{op}_cpu\" not implemented for '{a.dtype}'")
    return a._data, b._data


def gcd(input: Tensor, other: Any) -> Tensor:
    """The greatest common divisor of integer tensors, element-wise (non-negative)."""
    a, b = _integers("gcd", input, other)
    return Tensor._wrap(get_array_module(a).gcd(a, b), None, False)


def lcm(input: Tensor, other: Any) -> Tensor:
    """The least common multiple of integer tensors, element-wise (non-negative)."""
    a, b = _integers("lcm", input, other)
    return Tensor._wrap(get_array_module(a).lcm(a, b), None, False)


arctan2 = atan2

__all__ = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log2",
           "log10", "exp2", "deg2rad", "rad2deg", "frac", "logit", "sgn", "signbit",
           "positive", "atan2", "hypot", "logaddexp", "xlogy", "copysign", "arcsin", "arccos",
           "arctan", "arcsinh", "arccosh", "arctanh", "arctan2", "gcd", "lcm", "erf", "erfc",
           "erfinv", "lgamma", "digamma"]
TENSOR_METHODS = tuple(__all__)
FUNCTIONAL = ()
