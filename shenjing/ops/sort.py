"""Sorting along one dim: sort, argsort, msort, topk, kthvalue, and the running extremes
cummax / cummin.

The order is computed outside the graph (stable: equal elements keep their order; NaN sorts
as the largest value, as in PyTorch); the values are then one gather along the dim, whose
gradient goes back to the positions the values came from.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import get_array_module
from .reduce import TakeAlong, _check_dim, _return_type
from .repeat import TakeAlongDim

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "cummax", "cummin"]
TENSOR_METHODS = ("sort", "argsort", "msort", "topk", "kthvalue", "cummax", "cummin")

_SORT_T, _TOPK_T = _return_type("sort"), _return_type("topk")
_KTH_T, _CMAX_T, _CMIN_T = (_return_type(n) for n in ("kthvalue", "cummax", "cummin"))


def _order(a: Any, axis: int, descending: bool) -> Any:
    """Indices that sort ``a`` along ``axis``, equal elements in their original order."""
    xp = get_array_module(a)
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    # descending and still stable: sort the reversed array, then reverse back
    i = xp.argsort(xp.flip(a, axis=axis), axis=axis, kind="stable")
    return (a.shape[axis] - 1) - xp.flip(i, axis=axis)


def _sorted(op: str, rt: type, input: Tensor, dim: int, descending: bool, k: int | None) -> Any:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    a = input._data
    if a.dtype.kind == "c":
        raise RuntimeError(f"{op}(): complex tensors are not supported")
    axis = _check_dim(dim, input.ndim, op)
    a1 = a.reshape(a.shape or (1,))
    idx = _order(a1, axis, descending)
    if k is not None:
        idx = idx.take(get_array_module(a).arange(k), axis=axis)
    values = TakeAlong.apply(input.reshape(a1.shape) if not a.ndim else input, idx=idx,
                             axis=axis, keepdim=True)
    if not a.ndim:
        values, idx = values.reshape(()), idx.reshape(())
    return rt(values, Tensor._wrap(idx.astype(np.int64, copy=False), None, False))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """``(values, indices)`` of ``input`` sorted along ``dim`` (always stable here)."""
    return _sorted("sort", _SORT_T, input, dim, bool(descending), None)


def argsort(input: Tensor, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (no values gathered, no graph)."""
    a = input._data
    axis = _check_dim(dim, input.ndim, "argsort")
    idx = _order(a.reshape(a.shape or (1,)), axis, bool(descending)).reshape(a.shape)
    return Tensor._wrap(idx.astype(np.int64, copy=False), None, False)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> Any:
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``, in
    order; among equal elements the first ones win."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    size = input.shape[_check_dim(dim, input.ndim, "topk")] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk(): selected index k out of range: k={k} for a dimension "
                           f"of size {size}")
    return _sorted("topk", _TOPK_T, input, dim, bool(largest), int(k))


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dim."""
    return sort(input, 0).values


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """``(values, indices)`` of the k-th smallest element (k from 1) along ``dim``."""
    axis = _check_dim(dim, input.ndim, "kthvalue")
    size = input.shape[axis] if input.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension "
                           f"{dim}: k={k}, size {size}")
    values, idx = _sorted("kthvalue", _KTH_T, input, dim, False, int(k))
    if not input.ndim:
        return _KTH_T(values, idx)
    values, idx = values.narrow(axis, k - 1, 1), idx.narrow(axis, k - 1, 1)
    if not keepdim:
        values, idx = values.squeeze(axis), idx.squeeze(axis)
    return _KTH_T(values, idx)


def _running(op: str, rt: type, input: Tensor, dim: int) -> Any:
    """``(values, indices)``: the running max / min along ``dim`` and where it was taken
    (the latest of equal values; NaN, once met, stays), like torch.cummax / cummin."""
    a = input._data
    xp = get_array_module(a)
    axis = _check_dim(dim, input.ndim, op) if a.ndim else 0
    a1 = a.reshape(a.shape or (1,))
    ufunc = xp.maximum if op == "cummax" else xp.minimum
    best = ufunc.accumulate(a1, axis=axis)
    pos = xp.arange(a1.shape[axis]).reshape([-1 if d == axis else 1 for d in range(a1.ndim)])
    hit = a1 == best
    if a1.dtype.kind == "f":
        hit |= xp.isnan(a1)
    idx = xp.maximum.accumulate(xp.where(hit, pos, 0), axis=axis).astype(np.int64)
    values = TakeAlongDim.apply(input.reshape(a1.shape), idx=idx, axis=axis)
    if not a.ndim:
        values, idx = values.reshape(()), idx.reshape(())
    return rt(values, Tensor._wrap(idx, None, False))


def cummax(input: Tensor, dim: int) -> Any:
    return _running("cummax", _CMAX_T, input, dim)


def cummin(input: Tensor, dim: int) -> Any:
    return _running("cummin", _CMIN_T, input, dim)
