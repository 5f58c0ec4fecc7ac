"""Order statistics and running reductions: quantile, nanquantile and logcumsumexp, built
from differentiable ops (sort, gather, lerp, cumsum), so their gradients follow."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor, _check_dim
from ..backend import get_array_module
from .composite import lerp
from .elementwise import exp, isnan, log, where
from .reduce import amax, cumsum, sum as _sum
from .shape import cat, movedim, reshape
from .sort import sort
from .repeat import take_along_dim

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(op: str, input: Tensor, q: Any, dim: int | None, keepdim: bool,
              interpolation: str, skip_nan: bool) -> Tensor:
    if interpolation not in _METHODS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest. Got {interpolation}")
    qs = np.asarray(q._data if isinstance(q, Tensor) else q, dtype=np.float64)
    if qs.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
    if qs.size and (qs.min() < 0 or qs.max() > 1):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    x = reshape(input, (-1,)) if dim is None else movedim(input, _check_dim(dim, input.ndim,
                                                                              op), -1)
    n = x.shape[-1]
    if n == 0:
        raise IndexError(f"{op}() input tensor must be non-empty")
    xp = get_array_module(input._data)
    s = sort(x, dim=-1).values  # NaN sorts last
    nan = isnan(s)
    valid = _sum(~nan, -1, keepdim=True)._data if skip_nan else \
        xp.full(s.shape[:-1] + (1,), n)
    has_nan = nan._data.any(axis=-1, keepdims=True)
    flat_q = qs.reshape(-1)
    outs = []
    for qi in flat_q:  # one per requested quantile (a handful), each vectorised over rows
        pos = qi * (xp.maximum(valid, 1) - 1)
        lo = xp.floor(pos).astype(np.int64)
        hi = xp.ceil(pos).astype(np.int64)
        frac = pos - lo
        if interpolation == "lower":
            hi, frac = lo, frac * 0
        elif interpolation == "higher":
            lo, frac = hi, frac * 0
        elif interpolation == "midpoint":
            frac = xp.where(hi > lo, 0.5, 0.0)
        elif interpolation == "nearest":
            near = xp.round(pos).astype(np.int64)  # round half to even, like PyTorch
            lo = hi = near
            frac = frac * 0
        a = take_along_dim(s, Tensor._wrap(lo, None, False), -1)
        b = take_along_dim(s, Tensor._wrap(hi, None, False), -1)
        w = Tensor._wrap(frac.astype(s._data.dtype), None, False)
        v = lerp(a, b, w)
        bad = (valid == 0) if skip_nan else has_nan  # no value: NaN
        v = where(Tensor._wrap(bad, None, False), float("nan"), v)
        outs.append(v)
    out = outs[0] if len(outs) == 1 else cat(outs, -1)  # (*, Q): the quantiles last
    if dim is None:
        out = reshape(out, (len(flat_q),)) if qs.ndim else reshape(out, ())
        if keepdim:
            shape = (1,) * input.ndim
            out = reshape(out, ((len(flat_q),) if qs.ndim else ()) + shape)
        return out
    d = _check_dim(dim, input.ndim, op)
    if qs.ndim:
        out = movedim(out, -1, 0)  # (Q, *)
        if keepdim:
            out = movedim(reshape(out, tuple(out.shape) + (1,)), -1, d + 1)
        return out
    out = reshape(out, tuple(out.shape[:-1]))
    if keepdim:
        out = movedim(reshape(out, tuple(out.shape) + (1,)), -1, d)
    return out


def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles along ``dim`` (of all elements when None); a 1-D ``q`` puts the
    quantiles first. A row holding NaN gives NaN."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """``quantile`` of the values that are not NaN (NaN where a row has none)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(input))) along ``dim``, shifted by the slice's maximum so exp cannot
    overflow."""
    d = _check_dim(dim, input.ndim, "logcumsumexp") if input.ndim else 0
    m = amax(input, d, keepdim=True).detach() if input.ndim else input.detach()
    m = where(isnan(m) | (m == float("-inf")), 0.0, m)
    return log(cumsum(exp(input - m), d)) + m


__all__ = ["quantile", "nanquantile", "logcumsumexp"]
TENSOR_METHODS = ("quantile", "nanquantile", "logcumsumexp")
