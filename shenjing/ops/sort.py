"""Sorting along one dim: sort, argsort and topk.

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

__all__ = ["sort", "argsort", "topk"]
TENSOR_METHODS = ("sort", "argsort", "topk")

_SORT_T, _TOPK_T = _return_type("sort"), _return_type("topk")


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
    """The indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable).indices


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
