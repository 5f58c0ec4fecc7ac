"""Special functions on raw arrays: erf, erfc, erfinv, lgamma, digamma and trigamma.

NumPy has none of them. Each is computed in float64 (the callers cast back), from series
that reach float64 resolution:

- erfc from the Chebyshev fit shared with GELU (activation.py), erf from its Taylor series
  near 0 (where 1 - erfc would cancel) and from erfc elsewhere;
- erfinv from Winitzki's closed-form guess (~2e-3) and two Halley steps on erf, or on erfc
  near +-1 so that the tail keeps its relative accuracy;
- lgamma, digamma and trigamma from their Stirling-type asymptotic series at x + 10, moved
  back by the recurrences Gamma(x + 1) = x Gamma(x), psi(x + 1) = psi(x) + 1 / x, and below
  1/2 by the reflection formulas; sin(pi x) and tan(pi x) are taken at x - round(x), which
  is exact, so large negative arguments keep their accuracy.
Values at poles and outside domains follow PyTorch (lgamma's poles +inf, digamma(+-0) -+inf,
digamma at negative integers NaN, erfinv(+-1) +-inf, |y| > 1 NaN). Relative accuracy is
about 1e-13, except lgamma next to its zeros at 1 and 2 (exact there), where the shifted
series leaves an absolute error of a few 1e-15.
"""
from __future__ import annotations

import math
from typing import Any

from ..backend import get_array_module
from .activation import _erfc_nonneg

__all__: list = []

_SHIFT = 10  # arguments below this are moved up by the recurrence before the series
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
# Stirling: lgamma(w) ~ (w - 1/2) log w - w + log(2 pi) / 2 + sum_k B_2k / (2k (2k - 1) w^(2k-1))
_LGAMMA_C = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
             -3617 / 122400)
# psi(w) ~ log w - 1 / (2w) - sum_k B_2k / (2k w^2k)
_DIGAMMA_C = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
# psi'(w) ~ 1/w + 1/(2 w^2) + sum_k B_2k / w^(2k+1)
_TRIGAMMA_C = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _f64(a: Any) -> Any:
    return a.astype("float64", copy=False)


def erf_slope(a: Any) -> Any:
    """d erf / dx = 2 / sqrt(pi) e^(-x^2) (minus erfc's; erfinv's is its reciprocal)."""
    return _TWO_OVER_SQRT_PI * get_array_module(a).exp(-a * a)


def erfc(a: Any) -> Any:
    xp = get_array_module(a)
    x = _f64(a)
    with xp.errstate(all="ignore"):
        e = _erfc_nonneg(xp.abs(x))
        return xp.where(x >= 0, e, 2 - e)


def erf(a: Any) -> Any:
    xp = get_array_module(a)
    x = _f64(a)
    with xp.errstate(all="ignore"):
        x2 = x * x
        term, series = x, xp.zeros_like(x)
        for n in range(14):  # |x| < 1/2: terms fall by x^2 / n, below 1e-17 after 14
            series += term / (2 * n + 1)
            term = term * (-x2 / (n + 1))
        tail = xp.sign(x) * (1 - _erfc_nonneg(xp.abs(x)))
        out = xp.where(xp.abs(x) < 0.5, series * _TWO_OVER_SQRT_PI, tail)
        return xp.where(x == 0, x, out)  # erf(-0.0) = -0.0


def erfinv(a: Any) -> Any:
    xp = get_array_module(a)
    y = _f64(a)
    with xp.errstate(all="ignore"):
        ay = xp.abs(y)
        w = xp.log((1 - ay) * (1 + ay))
        b = 2 / (math.pi * 0.147) + w / 2
        x = xp.sqrt(xp.sqrt(b * b - w / 0.147) - b)  # Winitzki's guess for erfinv(|y|)
        tail = ay > 0.5
        q = 1 - ay  # exact for |y| > 1/2
        for _ in range(2):  # Halley on f(x) = erf(x) - |y| (cubic: 2e-3 -> 1e-8 -> 1e-16)
            f = xp.where(tail, q - _erfc_nonneg(x), erf(x) - ay)
            r = f / erf_slope(x)  # f / f'
            x = x - r / (1 + x * r)  # f'' = -2x f'
        x = xp.where(y == 0, y, xp.copysign(xp.where(ay == 1, xp.inf, x), y))
        return xp.where(ay > 1, xp.nan, x)


def _reduced(x: Any) -> Any:
    """x - round(x) in [-1/2, 1/2]: sin(pi x) = +-sin(pi r), tan(pi x) = tan(pi r), exactly."""
    return x - get_array_module(x).round(x)


def _shifted(x: Any, power: int) -> tuple[Any, Any]:
    """(w, s): w = x moved up by _SHIFT where x < _SHIFT, and s = sum_k (x + k)^-power over
    the steps taken (power 0: the log of the product x (x + 1) ... instead)."""
    xp = get_array_module(x)
    low = x < _SHIFT
    s = xp.zeros_like(x)
    if power == 0:
        prod = xp.ones_like(x)
        for k in range(_SHIFT):
            prod *= xp.where(low, x + k, 1)
        s = xp.log(prod)
    else:
        for k in range(_SHIFT):
            s += xp.where(low, (x + k) ** -power, 0)
    return xp.where(low, x + _SHIFT, x), s


def _poly(z: Any, coefs: tuple) -> Any:
    """sum_k coefs[k] z^k (Horner)."""
    out = coefs[-1] + 0 * z
    for c in coefs[-2::-1]:
        out = out * z + c
    return out


def _series_args(a: Any, power: int) -> tuple[Any, Any, Any, Any, Any]:
    """(xp, x, refl, w, s) for the gamma-family series: x in float64, refl where x < 1/2
    (those take the series at 1 - x and the reflection formula), and _shifted's (w, s)."""
    xp = get_array_module(a)
    x = _f64(a)
    refl = x < 0.5
    with xp.errstate(all="ignore"):
        w, s = _shifted(xp.where(refl, 1 - x, x), power)
    return xp, x, refl, w, s


def lgamma(a: Any) -> Any:
    xp, x, refl, w, log_prod = _series_args(a, 0)
    with xp.errstate(all="ignore"):
        inv = 1 / w
        stirling = (w - 0.5) * xp.log(w) - w + 0.5 * math.log(2 * math.pi) \
            + inv * _poly(inv * inv, _LGAMMA_C)
        res = xp.where((x == 1) | (x == 2), 0.0, stirling - log_prod)  # its exact zeros
        out = xp.where(refl, xp.log(math.pi / xp.abs(xp.sin(math.pi * _reduced(x)))) - res, res)
        return xp.where(xp.isinf(x), xp.inf, out)


def digamma(a: Any) -> Any:
    xp, x, refl, w, s = _series_args(a, 1)
    with xp.errstate(all="ignore"):
        inv2 = 1 / (w * w)
        res = xp.log(w) - 0.5 / w - inv2 * _poly(inv2, _DIGAMMA_C) - s
        r = _reduced(x)
        out = xp.where(refl, res - math.pi / xp.tan(math.pi * r), res)
        out = xp.where((r == 0) & (x < 0), xp.nan, out)  # negative integers: poles, NaN
        out = xp.where(x == 0, xp.where(xp.signbit(x), xp.inf, -xp.inf), out)
        return xp.where(x == xp.inf, xp.inf, xp.where(x == -xp.inf, xp.nan, out))


def trigamma(a: Any) -> Any:
    """psi'(x), digamma's derivative (PyTorch's polygamma(1, x))."""
    xp, x, refl, w, s = _series_args(a, 2)
    with xp.errstate(all="ignore"):
        inv = 1 / w
        inv2 = inv * inv
        res = inv + 0.5 * inv2 + inv * inv2 * _poly(inv2, _TRIGAMMA_C) + s
        sin = xp.sin(math.pi * _reduced(x))
        return xp.where(refl, (math.pi * math.pi) / (sin * sin) - res, res)
