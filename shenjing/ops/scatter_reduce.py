"""scatter_reduce: src's values reduced into ``input`` at ``index`` along ``dim`` with sum,
prod, mean, amax or amin (``include_self`` says whether input's own value takes part), and
PyTorch's gradients: ties of amax/amin share the gradient evenly; prod's is the product of the
other factors, exact with zeros among them (no division by zero)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _check_dim
from ..backend import get_array_module
from .indexing import _check_index, _linear

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_AT = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}
_IDENTITY = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "amax": -np.inf, "amin": np.inf}


class ScatterReduce(Function):
    def forward(self, a, s, lin, src_key, reduce, include_self):
        xp = get_array_module(a)
        vals = s[src_key].reshape(-1)
        pos = lin.reshape(-1)
        self.pos, self.src_key, self.src_shape = pos, src_key, s.shape
        self.reduce, self.include_self = reduce, include_self
        self.a, self.vals = a, vals
        out = a.copy().reshape(-1)
        touched = xp.zeros(out.shape, bool)
        touched[pos] = True
        self.touched = touched
        if not include_self:
            out[touched] = _IDENTITY[reduce]
        getattr(xp, _AT[reduce]).at(out, pos, vals)
        if reduce == "mean":
            count = xp.zeros(out.shape, a.dtype)
            xp.add.at(count, pos, 1)
            if include_self:
                count += 1
            self.count = xp.maximum(count, 1)
            out = xp.where(touched, out / self.count, out)
        self.out = out
        return out.reshape(a.shape).astype(a.dtype, copy=False)

    def backward(self, g):
        xp = get_array_module(g)
        gf = g.reshape(-1)
        pos, reduce, inc = self.pos, self.reduce, self.include_self
        a = self.a.reshape(-1)
        if reduce == "sum":
            ga, gs = gf.copy(), gf[pos]
        elif reduce == "mean":
            share = gf / self.count
            ga, gs = xp.where(self.touched, share, gf), share[pos]
        elif reduce in ("amax", "amin"):
            hit_src = self.vals == self.out[pos]
            hit_self = a == self.out  # counted among the ties even when excluded (PyTorch)
            ties = hit_self.astype(g.dtype)
            xp.add.at(ties, pos, hit_src.astype(g.dtype))
            share = gf / xp.maximum(ties, 1)
            ga = xp.where(self.touched, share * hit_self, gf)
            gs = share[pos] * hit_src
        else:  # prod: the product of the other factors, exact when some are zero
            zero_src = self.vals == 0
            zeros = ((a == 0) if inc else xp.zeros(a.shape, bool)).astype(np.int64)
            xp.add.at(zeros, pos, zero_src.astype(np.int64))
            nonzero = xp.where(a == 0, 1, a) if inc else xp.ones_like(a)
            xp.multiply.at(nonzero, pos, xp.where(zero_src, 1, self.vals))

            def others(x: Any, at: Any) -> Any:  # product of the factors other than x
                z, nz = zeros[at], nonzero[at]
                with xp.errstate(all="ignore"):
                    return xp.where(z == 0, nz / xp.where(x == 0, 1, x),
                                    xp.where((z == 1) & (x == 0), nz, 0))

            ga = xp.where(self.touched, gf * others(a, slice(None)), gf) if inc else \
                xp.where(self.touched, 0, gf)
            gs = gf[pos] * others(self.vals, pos)
        if reduce != "prod" and not inc:
            ga = xp.where(self.touched, 0, ga)
        grad_src = xp.zeros(self.src_shape, g.dtype)
        grad_src[self.src_key] = gs.reshape(grad_src[self.src_key].shape)
        return ga.reshape(g.shape).astype(g.dtype, copy=False), grad_src


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of ``input`` with src[i][j] reduced into input[i][index[i][j]] (dim 1) by
    ``reduce`` ('sum', 'prod', 'mean', 'amax', 'amin')."""
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")
    d = _check_dim(dim, input.ndim, "scatter_reduce")
    idx = _check_index("scatter_reduce", index)
    if not isinstance(src, Tensor) or src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter_reduce(): Expected self.dtype to be equal to src.dtype")
    if src.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    lin = _linear("scatter_reduce", input._data.shape, d, idx, src._data.shape)
    src_key = tuple(slice(0, n) for n in idx.shape)
    return ScatterReduce.apply(input, src, lin=lin, src_key=src_key, reduce=reduce,
                               include_self=bool(include_self))


__all__ = ["scatter_reduce"]
TENSOR_METHODS = ("scatter_reduce",)
