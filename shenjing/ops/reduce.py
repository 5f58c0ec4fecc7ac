"""Reductions: sum, mean, var/std, prod, max/min, logsumexp, norm, cumsum, all/any.

Each differentiable reduction is a Function whose backward broadcasts the reduced
gradient back over the reduced axes (``expand_grad``) and multiplies by d(out)/d(input).
Ops that also return indices (max/min/median with ``dim``) compute them outside the Function
and pass them in, since Functions are single-output.
"""
from __future__ import annotations

import builtins
import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _check_dim
from ..backend import dtypes, get_array_module

_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool", "float16": "Half", "float32": "Float",
                "float64": "Double"}


def norm_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """Normalise ``dim`` (None, int or sequence) to a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return None
    axes = [_check_dim(d, ndim, op) for d in dims]
    if len(set(axes)) != len(axes):
        d = next(a for a in axes if axes.count(a) > 1)
        raise RuntimeError(f"{op}(): dim {d} appears multiple times in the list of dims")
    return tuple(sorted(axes)) if ndim else None


def expand_grad(g: Any, shape: tuple, axes: tuple | None, keepdim: bool) -> Any:
    """Reshape a reduced gradient so it broadcasts against the input of ``shape``."""
    if axes is None:
        return get_array_module(g).broadcast_to(g.reshape((1,) * len(shape)), shape)
    if not keepdim:
        g = get_array_module(g).expand_dims(g, axes)
    return get_array_module(g).broadcast_to(g, shape)


def _keep(x: Any, axes: tuple | None, keepdim: bool, ndim: int) -> Any:
    """A reduced array with the reduced axes kept as size 1 (broadcasts against the input)."""
    if axes is None:
        return x.reshape((1,) * ndim)
    return x if keepdim else get_array_module(x).expand_dims(x, axes)


def _reduced_count(shape: tuple, axes: tuple | None) -> int:
    n = 1
    for i in (range(len(shape)) if axes is None else axes):
        n *= shape[i]
    return n


def _require_float(op: str, t: Tensor, msg: str | None = None) -> None:
    if t._data.dtype.kind not in "fc":
        raise RuntimeError(msg or f"{op}(): expected a floating point tensor as input, "
                           f"got {_TORCH_NAMES.get(t.dtype.name, t.dtype.name)}")


def _nonempty(op: str, a: Any, axes: tuple | None) -> None:
    """Reductions without an identity (max, argmax, median ...) refuse empty slices."""
    if a.size:
        return
    if axes is None:
        raise RuntimeError(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
            f"Specify the reduction dim with the 'dim' argument.")
    for ax in axes:
        if a.shape[ax] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {ax} to have non-zero size.")


def _return_type(name: str) -> type:
    """A (values, indices) namedtuple printed like ``torch.return_types.<name>``."""
    base = namedtuple(name, ["values", "indices"])

    def rep(self: Any) -> str:
        return f"shenjing.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    return type(name, (base,), {"__slots__": (), "__repr__": rep,
                                "__module__": "shenjing.return_types"})


_MAX_T, _MIN_T, _MEDIAN_T = _return_type("max"), _return_type("min"), _return_type("median")


# ----------------------------------------------------------------------------- sum / mean
class Sum(Function):
    def forward(self, a, axes, keepdim, dtype):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        return a.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return expand_grad(g, self.shape, self.axes, self.keepdim)  # d sum / da = 1


class Mean(Function):
    def forward(self, a, axes, keepdim):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        out = a.mean(axis=axes, keepdims=keepdim)
        self.n = a.size // builtins.max(out.size, 1) if a.size else 0
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        return expand_grad(g / builtins.max(self.n, 1), self.shape, self.axes, self.keepdim)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (all dimensions when None); bool and int sums are int64."""
    d = dtypes.to_dtype(dtype).np if dtype is not None else None
    if d is None and input._data.dtype.kind in "biu":
        d = dtypes.int64.np
    return Sum.apply(input, axes=norm_dims(dim, input.ndim, "sum"), keepdim=keepdim, dtype=d)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Arithmetic mean over ``dim``; floating inputs only, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_TORCH_NAMES.get(input.dtype.name, input.dtype.name)}")
    return Mean.apply(input, axes=norm_dims(dim, input.ndim, "mean"), keepdim=keepdim)


# ----------------------------------------------------------------------------- var / std
class Var(Function):
    """var = sum((a - mean)^2) / max(N - correction, 0); std = sqrt(var)."""

    def forward(self, a, axes, keepdim, correction, take_sqrt):
        xp = get_array_module(a)
        self.shape, self.axes, self.keepdim, self.take_sqrt = a.shape, axes, keepdim, take_sqrt
        self.denom = builtins.max(_reduced_count(a.shape, axes) - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.d = a - a.mean(axis=axes, keepdims=True) if a.size else a
            out = (self.d * self.d).sum(axis=axes, keepdims=keepdim) / a.dtype.type(self.denom)
            if take_sqrt:
                out = xp.sqrt(out)
        self.out = out
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        # dvar/da = 2 (a - mean) / denom;  dstd/da = (a - mean) / (denom * std), 0 where std = 0
        xp = get_array_module(g)
        ge = expand_grad(g, self.shape, self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            if not self.take_sqrt:
                return ge * self.d * (2 / g.dtype.type(self.denom))
            s = _keep(self.out, self.axes, self.keepdim, len(self.shape))
            return xp.where(s == 0, 0, ge * self.d / (s * g.dtype.type(self.denom)))


def _var_args(op: str, input: Tensor, dim: Any, unbiased: Any, correction: Any) -> tuple:
    if isinstance(dim, bool):  # the old overload var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}(): Cannot pass both unbiased and correction arguments")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    _require_float(op, input, "std and var only support floating point and complex dtypes")
    axes = norm_dims(dim, input.ndim, op)
    if _reduced_count(input.shape, axes) - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less "
                      f"than the reduction factor (input numel divided by output numel).",
                      stacklevel=3)
    return axes, correction


def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default; ``unbiased=False``: 0)."""
    axes, c = _var_args("var", input, dim, unbiased, correction)
    return Var.apply(input, axes=axes, keepdim=keepdim, correction=c, take_sqrt=False)


def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Standard deviation over ``dim``: sqrt of :func:`var` with the same arguments."""
    axes, c = _var_args("std", input, dim, unbiased, correction)
    return Var.apply(input, axes=axes, keepdim=keepdim, correction=c, take_sqrt=True)


def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple[Tensor, Tensor]:
    """``(var(input, ...), mean(input, dim, keepdim))``."""
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, None if isinstance(dim, bool) else dim, keepdim))


def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple[Tensor, Tensor]:
    """``(std(input, ...), mean(input, dim, keepdim))``."""
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, None if isinstance(dim, bool) else dim, keepdim))


# ----------------------------------------------------------------------------- prod
class Prod(Function):
    def forward(self, a, axes, keepdim, dtype):
        self.a, self.axes, self.keepdim = a, axes, keepdim
        self.out = a.prod(axis=axes, keepdims=keepdim, dtype=dtype)
        return self.out

    def backward(self, g):
        # dprod/da_i = prod_{j != i} a_j: out / a_i without zeros; with one zero in a slice only
        # that zero gets the product of the others; with two or more zeros everything is 0.
        xp = get_array_module(g)
        a, nd = self.a, self.a.ndim
        ge = expand_grad(g, a.shape, self.axes, self.keepdim)
        zero = a == 0
        if not zero.any():
            return ge * _keep(self.out, self.axes, self.keepdim, nd) / a
        nz = xp.where(zero, 1, a)
        cnt = zero.sum(axis=self.axes, keepdims=True)
        others = nz.prod(axis=self.axes, keepdims=True)
        d = xp.where(cnt == 0, others / nz, xp.where(zero & (cnt == 1), others, 0))
        return ge * d


def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Product over one ``dim`` (all elements when None); bool and int products are int64."""
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    d = dtypes.to_dtype(dtype).np if dtype is not None else None
    if d is None and input._data.dtype.kind in "biu":
        d = dtypes.int64.np
    return Prod.apply(input, axes=norm_dims(dim, input.ndim, "prod"), keepdim=keepdim, dtype=d)


# ----------------------------------------------------------------------------- max / min
class TieReduce(Function):
    """amax / amin / full median: the gradient is split evenly among the tied elements."""

    def forward(self, a, axes, keepdim, kind):
        self.a, self.axes, self.keepdim = a, axes, keepdim
        if kind == "max":
            out = a.max(axis=axes, keepdims=keepdim)
        elif kind == "min":
            out = a.min(axis=axes, keepdims=keepdim)
        else:  # median of all elements: the lower of the two middle values, NaN if any NaN
            xp = get_array_module(a)
            flat = a.reshape(-1)
            k = (flat.size - 1) // 2
            if not flat.size or (a.dtype.kind == "f" and xp.isnan(flat).any()):
                out = xp.asarray(xp.nan, a.dtype)
            else:
                out = xp.partition(flat, k)[k]
            out = xp.asarray(out).reshape((1,) * a.ndim if keepdim else ())
        self.out = out
        return out

    def backward(self, g):
        # d out / d a_i = [a_i == out] / #{j : a_j == out}
        a, nd = self.a, self.a.ndim
        mask = a == _keep(self.out, self.axes, self.keepdim, nd)
        cnt = mask.sum(axis=self.axes, keepdims=True)
        ge = _keep(g, self.axes, self.keepdim, nd)
        return mask * (ge / get_array_module(g).maximum(cnt, 1))


class TakeAlong(Function):
    """Values at given indices along ``axis`` (max/min/median with dim); grad to those only."""

    def forward(self, a, idx, axis, keepdim):
        xp = get_array_module(a)
        self.shape, self.idx, self.axis = a.shape, idx, axis
        out = xp.take_along_axis(a.reshape(a.shape or (1,)), idx, axis=axis)
        if not a.ndim:
            return out.reshape(())
        return out if keepdim else out.squeeze(axis)

    def backward(self, g):
        xp = get_array_module(g)
        out = xp.zeros(self.shape or (1,), dtype=g.dtype)
        xp.put_along_axis(out, self.idx, g.reshape(self.idx.shape), axis=self.axis)
        return out.reshape(self.shape)


def _indexed(op: str, rt: type, input: Tensor, dim: int, keepdim: bool, pick: Any) -> Any:
    """(values, indices) of a reduction along one dim whose indices ``pick`` computes."""
    if not isinstance(dim, int):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    a = input._data
    axis = _check_dim(dim, input.ndim, op)
    _nonempty(op, a, (axis,) if a.ndim else None)
    a1 = a.reshape(a.shape or (1,))
    idx = pick(a1, axis)  # keepdims-shaped int64 indices
    values = TakeAlong.apply(input, idx=idx, axis=axis, keepdim=keepdim)
    ind = idx if keepdim and a.ndim else idx.squeeze(axis) if a.ndim else idx.reshape(())
    return rt(values, Tensor._wrap(ind.astype(np.int64, copy=False), None, False))


def _extreme(op: str, input: Any, dim: Any, keepdim: bool, other_fn: str) -> Any:
    if isinstance(dim, Tensor):  # the binary form max(a, b) = maximum(a, b)
        from . import elementwise  # noqa: PLC0415

        return getattr(elementwise, other_fn)(input, dim)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}() received an invalid combination of arguments: "
                            f"keepdim needs dim")
        _nonempty(op, input._data, None)
        return TieReduce.apply(input, axes=None, keepdim=False, kind=op)
    xp = get_array_module(input._data)
    arg = xp.argmax if op == "max" else xp.argmin
    return _indexed(op, _MAX_T if op == "max" else _MIN_T, input, dim, keepdim,
                    lambda a, ax: xp.expand_dims(arg(a, axis=ax), ax))


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """Largest element (0-d; ties share the gradient), ``(values, indices)`` along ``dim``,
    or ``maximum(input, other)`` when ``dim`` is a tensor."""
    return _extreme("max", input, dim, keepdim, "maximum")


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """Smallest element, ``(values, indices)`` along ``dim``, or ``minimum(input, other)``."""
    return _extreme("min", input, dim, keepdim, "minimum")


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (all when empty); the gradient is split evenly among ties."""
    axes = norm_dims(dim, input.ndim, "amax")
    _nonempty("amax", input._data, axes)
    return TieReduce.apply(input, axes=axes, keepdim=keepdim, kind="max")


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (all when empty); the gradient is split evenly among ties."""
    axes = norm_dims(dim, input.ndim, "amin")
    _nonempty("amin", input._data, axes)
    return TieReduce.apply(input, axes=axes, keepdim=keepdim, kind="min")


def _arg(op: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    a = input._data
    if a.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input")
    xp = get_array_module(a)
    fn = xp.argmax if op == "argmax" else xp.argmin
    if dim is None:
        if not a.size:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0.")
        out = xp.asarray(fn(a)).reshape((1,) * a.ndim if keepdim else ())
    else:
        axis = _check_dim(dim, a.ndim, op)
        if not a.ndim:
            return Tensor._wrap(xp.zeros((), np.int64), None, False)
        _nonempty(op, a, (axis,))
        out = fn(a, axis=axis, keepdims=keepdim)
    return Tensor._wrap(out.astype(np.int64, copy=False), None, False)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (flat when ``dim`` is None), int64."""
    return _arg("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (flat when ``dim`` is None), int64."""
    return _arg("argmin", input, dim, keepdim)


def _median_pick(a: Any, axis: int) -> Any:
    xp = get_array_module(a)
    k = (a.shape[axis] - 1) // 2
    idx = xp.take(xp.argsort(a, axis=axis, kind="stable"), [k], axis=axis)
    nan = xp.isnan(a) if a.dtype.kind == "f" else None
    if nan is not None and nan.any():  # a NaN in a slice makes it the median, as in PyTorch
        idx = xp.where(nan.any(axis=axis, keepdims=True),
                       xp.argmax(nan, axis=axis, keepdims=True), idx)
    return idx


def median(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """Lower median of all elements (0-d), or ``(values, indices)`` along ``dim``."""
    if dim is None:
        return TieReduce.apply(input, axes=None, keepdim=False, kind="median")
    return _indexed("median", _MEDIAN_T, input, dim, keepdim, _median_pick)


# ----------------------------------------------------------------------------- logsumexp
class LogSumExp(Function):
    def forward(self, a, axes, keepdim):
        # log sum exp(a) = m + log sum exp(a - m), m = max (0 where infinite or empty): stable
        xp = get_array_module(a)
        self.a, self.axes, self.keepdim = a, axes, keepdim
        if a.size:
            m = a.max(axis=axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
        else:
            m = xp.zeros((1,) * a.ndim, a.dtype)
        with np.errstate(divide="ignore"):
            s = xp.log(xp.exp(a - m).sum(axis=axes, keepdims=True)) + m
        self.out = s
        return s.reshape(_keep_shape(a.shape, axes)) if not keepdim else s

    def backward(self, g):
        # d lse / da = exp(a - lse) = softmax(a)
        ge = _keep(g, self.axes, self.keepdim, self.a.ndim)
        return ge * get_array_module(g).exp(self.a - self.out)


def _keep_shape(shape: tuple, axes: tuple | None) -> tuple:
    """Shape after reducing ``axes`` without keepdim."""
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over ``dim``, computed without overflow."""
    if input._data.dtype.kind not in "fc":
        from .elementwise import cast  # noqa: PLC0415

        input = cast(input, dtypes.get_default_dtype())
    return LogSumExp.apply(input, axes=norm_dims(dim, input.ndim, "logsumexp"), keepdim=keepdim)


# ----------------------------------------------------------------------------- norms
class VectorNorm(Function):
    """||a||_p = (sum |a|^p)^(1/p); p = inf / -inf: max / min |a|; p = 0: count of nonzeros."""

    def forward(self, a, p, axes, keepdim):
        xp = get_array_module(a)
        self.a, self.p, self.axes, self.keepdim = a, p, axes, keepdim
        if p == 2:
            out = xp.sqrt((a * a).sum(axis=axes, keepdims=keepdim))
        elif p == 1:
            out = xp.abs(a).sum(axis=axes, keepdims=keepdim)
        elif p == float("inf"):
            out = xp.abs(a).max(axis=axes, keepdims=keepdim)
        elif p == -float("inf"):
            out = xp.abs(a).min(axis=axes, keepdims=keepdim)
        elif p == 0:
            out = (a != 0).sum(axis=axes, keepdims=keepdim).astype(a.dtype)
        else:
            with np.errstate(divide="ignore"):
                out = (xp.abs(a) ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
        self.out = out
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        xp = get_array_module(g)
        a, p = self.a, self.p
        n = _keep(self.out, self.axes, self.keepdim, a.ndim)
        ge = _keep(g, self.axes, self.keepdim, a.ndim)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:  # d||a|| / da = a / ||a||, 0 at a = 0
                return xp.where(n == 0, 0, ge * a / n)
            if p == 1:  # sign(a)
                return ge * xp.sign(a)
            if p in (float("inf"), -float("inf")):  # ties among |a| == norm share the gradient
                mask = xp.abs(a) == n
                cnt = xp.maximum(mask.sum(axis=self.axes, keepdims=True), 1)
                return ge * xp.sign(a) * mask / cnt
            if p == 0:
                return xp.zeros_like(a)
            # d/da = sign(a) |a|^(p-1) / ||a||^(p-1), 0 where a = 0
            d = xp.sign(a) * xp.abs(a) ** (p - 1) / n ** (p - 1)
            return xp.where((a == 0) | (n == 0), 0, ge * d)


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """The vector p-norm of ``x`` over ``dim`` (all elements when None), like linalg.vector_norm."""
    if dtype is not None:
        x = x.to(dtype)
    _require_float("linalg.vector_norm", x,
                   "linalg.vector_norm: Expected a floating point or complex tensor as input. "
                   f"Got {_TORCH_NAMES.get(x.dtype.name, x.dtype.name)}")
    axes = norm_dims(dim, x.ndim, "linalg.vector_norm")
    p = float(ord)
    if p in (float("inf"), -float("inf")) or p < 0:
        a = x._data
        if axes is None and not a.size:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                               f"tensor because the operation does not have an identity")
        for ax in axes or ():
            if a.shape[ax] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on the "
                                   f"dimension {ax}because this dimension is empty and the "
                                   f"operation does not have an identity")
    return VectorNorm.apply(x, p=p, axes=axes, keepdim=keepdim)


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         out: Any = None, dtype: Any = None) -> Tensor:
    """The vector p-norm over ``dim`` (``'fro'`` is the 2-norm of the flattened dims)."""
    if isinstance(p, str):
        many = dim is not None and not isinstance(dim, int) and len(dim) > 2
        if p != "fro" or many:  # matrix norms ('nuc', 'fro' over > 2 dims) are linalg's
            raise RuntimeError(f"norm(): p='{p}' with dim={dim} is a matrix norm: "
                               f"linalg.matrix_norm: dim must be a 2-tuple")
        p = 2
    return vector_norm(input, 2 if p is None else p, dim, keepdim, dtype=dtype)


# ----------------------------------------------------------------------------- cumulative
class CumSum(Function):
    def forward(self, a, axis, dtype):
        self.axis = axis
        return get_array_module(a).cumsum(a.reshape(a.shape or (1,)), axis=axis,
                                          dtype=dtype).reshape(a.shape)

    def backward(self, g):
        # dL/da_i = sum_{j >= i} g_j: a reversed cumulative sum
        return _rev_cumsum(g, self.axis)


def _rev_cumsum(g: Any, axis: int) -> Any:
    xp = get_array_module(g)
    g1 = g.reshape(g.shape or (1,))
    return xp.flip(xp.cumsum(xp.flip(g1, axis), axis=axis), axis).reshape(g.shape)


class CumProd(Function):
    def forward(self, a, axis, dtype):
        self.a, self.axis = a.reshape(a.shape or (1,)), axis
        self.out = get_array_module(a).cumprod(self.a, axis=axis, dtype=dtype)
        return self.out.reshape(a.shape)

    def backward(self, g):
        # d out_j / d a_i = out_j / a_i for j >= i. Before a slice's first zero z that formula
        # holds; at z it is the cumprod with a_z replaced by 1; after z every derivative is 0.
        xp = get_array_module(g)
        a, out, ax = self.a, self.out, self.axis
        g = g.reshape(a.shape)
        zero = a == 0
        if not zero.any():
            return _rev_cumsum(g * out, ax) / a
        pos = xp.arange(a.shape[ax]).reshape([-1 if i == ax else 1 for i in range(a.ndim)])
        first = xp.where(zero.any(axis=ax, keepdims=True),
                         xp.argmax(zero, axis=ax, keepdims=True), a.shape[ax])
        safe = xp.where(zero, 1, a)
        before = _rev_cumsum(g * out, ax) / safe
        out_z = xp.cumprod(xp.where(pos == first, 1, a), axis=ax)
        at = _rev_cumsum(g * out_z, ax)
        return xp.where(pos < first, before, xp.where(pos == first, at, 0))


def _cum(cls: type, op: str, input: Tensor, dim: int, dtype: Any) -> Tensor:
    if not isinstance(dim, int):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    d = dtypes.to_dtype(dtype).np if dtype is not None else None
    if d is None and input._data.dtype.kind in "biu":
        d = dtypes.int64.np
    return cls.apply(input, axis=_check_dim(dim, input.ndim, op), dtype=d)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sum along ``dim``; bool and int inputs give int64."""
    return _cum(CumSum, "cumsum", input, dim, dtype)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running product along ``dim``; the gradient is right also where inputs are zero."""
    return _cum(CumProd, "cumprod", input, dim, dtype)


# ----------------------------------------------------------------------------- logical
def _logical(op: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    a = input._data
    axes = norm_dims(dim, a.ndim, op)
    out = a.all(axis=axes, keepdims=keepdim) if op == "all" else \
        a.any(axis=axes, keepdims=keepdim)
    out = get_array_module(a).asarray(out)
    return Tensor._wrap(out.astype(a.dtype) if a.dtype == np.uint8 else out, None, False)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where every element over ``dim`` is nonzero (bool; uint8 stays uint8)."""
    return _logical("all", input, dim, keepdim)


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where some element over ``dim`` is nonzero (bool; uint8 stays uint8)."""
    return _logical("any", input, dim, keepdim)


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """Number of nonzero elements over ``dim`` (int64, no gradient)."""
    a = input._data
    axes = norm_dims(dim, a.ndim, "count_nonzero")
    out = (a != 0).sum(axis=axes, dtype=np.int64)
    return Tensor._wrap(get_array_module(a).asarray(out), None, False)


__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "prod", "max", "min", "amax",
           "amin", "argmax", "argmin", "median", "logsumexp", "norm", "cumsum", "cumprod", "all",
           "any", "count_nonzero"]
TENSOR_METHODS = ("sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "argmax",
                  "argmin", "median", "logsumexp", "norm", "cumsum", "cumprod", "all", "any",
                  "count_nonzero")
