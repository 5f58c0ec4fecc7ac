"""repeat_interleave, unique and take_along_dim: index arrays computed outside the graph,
then one differentiable gather (index_select, take_along_axis)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module, move
from .indexing import index_select
from .reduce import _check_dim

__all__ = ["repeat_interleave", "unique", "take_along_dim"]
TENSOR_METHODS = ("repeat_interleave", "unique", "take_along_dim")


def _host(a: Any) -> np.ndarray:
    """A NumPy copy (or view) of a tensor, array or number, wherever it lives."""
    if isinstance(a, Tensor):
        a = a._data
    return np.asarray(move(a, "cpu") if hasattr(a, "shape") else a)


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times, in place order;
    ``repeat_interleave(counts)`` alone gives 0, 0, 1, ... (index i counts[i] times)."""
    if repeats is None:  # the one-argument form: indices repeated by the given counts
        counts = _host(input)
        if counts.ndim != 1 or counts.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave: repeats must be a 1-D integer tensor")
        xp = get_array_module(input._data)
        return Tensor._wrap(xp.asarray(np.repeat(np.arange(counts.shape[0]), counts)), None,
                            False)
    x = input.reshape(-1) if dim is None else input
    axis = 0 if dim is None else _check_dim(dim, input.ndim, "repeat_interleave")
    n = x.shape[axis] if x.ndim else 1
    r = _host(repeats)
    if r.dtype.kind not in "iu" or r.ndim > 1 or (r.ndim == 1 and r.shape[0] not in (1, n)):
        raise RuntimeError(f"repeat_interleave: repeats must be an int or a 1-D integer tensor "
                           f"of size 1 or {n} (the size of dim), got shape {tuple(r.shape)}")
    if (r < 0).any():
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    idx = np.repeat(np.arange(n), r.reshape(-1) if r.ndim else int(r))
    if output_size is not None and idx.shape[0] != output_size:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match "
                           f"the {idx.shape[0]} repeated elements")
    xp = get_array_module(input._data)
    return index_select(x, axis, Tensor._wrap(xp.asarray(idx), None, False))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values (sorted), optionally with the inverse indices (the input's shape)
    and the counts; not differentiable, like PyTorch's."""
    a = _host(input)
    axis = None if dim is None else _check_dim(dim, input.ndim, "unique")
    vals, inv, cnt = np.unique(a, return_inverse=True, return_counts=True, axis=axis)
    xp = get_array_module(input._data)
    out = [Tensor._wrap(xp.asarray(vals), None, False)]
    if return_inverse:
        inv = inv.reshape(a.shape) if axis is None else inv.reshape(-1)
        out.append(Tensor._wrap(xp.asarray(inv.astype(np.int64)), None, False))
    if return_counts:
        out.append(Tensor._wrap(xp.asarray(cnt.astype(np.int64)), None, False))
    return out[0] if len(out) == 1 else tuple(out)


class TakeAlongDim(Function):
    """out = take_along_axis(a, idx, axis); indices may repeat, so the gradient adds up."""

    def forward(self, a, idx, axis):
        xp = get_array_module(a)
        self.shape, self.idx, self.axis = a.shape, idx, axis
        return xp.take_along_axis(a, idx, axis=axis)

    def backward(self, g):
        xp = get_array_module(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        shape = xp.broadcast_shapes(self.idx.shape, tuple(
            1 if d == self.axis else n for d, n in enumerate(self.shape)))
        where = tuple(xp.broadcast_to(self.idx, shape) if d == self.axis else
                      xp.arange(shape[d]).reshape([-1 if e == d else 1 for e in range(len(shape))])
                      for d in range(len(shape)))
        xp.add.at(out, where, xp.broadcast_to(g, shape))
        return out


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (both flattened when dim is None)."""
    idx = indices._data if isinstance(indices, Tensor) else indices
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"take_along_dim(): dtype of indices should be Long but got "
                           f"{idx.dtype}")
    if dim is None:
        input, idx, axis = input.reshape(-1), idx.reshape(-1), 0
    else:
        axis = _check_dim(dim, input.ndim, "take_along_dim")
        if idx.ndim != input.ndim:
            raise RuntimeError(f"take_along_dim(): input and indices should have the same "
                               f"number of dimensions, got {input.ndim} and {idx.ndim}")
    size = input.shape[axis]
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise IndexError(f"take_along_dim(): index out of range for a dimension of size {size}")
    return TakeAlongDim.apply(input, idx=idx % size if size else idx, axis=axis)
