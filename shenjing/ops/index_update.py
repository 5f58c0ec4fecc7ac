"""Writing slices and masked positions: index_fill, index_copy, masked_scatter (in the graph)
and their in-place forms index_copy_, index_add_, masked_scatter_ (not recorded, like every
in-place op here: see ops/inplace.py)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _check_dim
from ..backend import get_array_module
from .indexing import _along, _check_mask, _check_source, _check_vector_index
from .inplace import _guard


def _prepare(op: str, input: Tensor, dim: int, index: Any) -> tuple[int, Any]:
    d = _check_dim(dim, input.ndim, op) if input.ndim else 0
    n = input._data.shape[d] if input.ndim else 1
    idx = _check_vector_index(op, index, n, d)
    return d, idx


class IndexFill(Function):
    def forward(self, a, v, idx, dim):
        self.at = _along(dim, idx)
        out = a.copy()
        out[self.at] = v.astype(a.dtype)
        return out

    def backward(self, g):
        nig = self.needs_input_grad
        ga = None
        if nig[0]:
            ga = g.copy()
            ga[self.at] = 0
        gv = None
        if nig[1]:  # each distinct filled position takes the value once
            mask = get_array_module(g).zeros(g.shape, bool)
            mask[self.at] = True
            gv = (g * mask).sum()
        return ga, gv


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a
    number or a 0-d tensor, whose gradient is the sum over the filled slices)."""
    d, idx = _prepare("index_fill", input, dim, index)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
    else:
        value = Tensor._wrap(np.asarray(value), None, False)
    return IndexFill.apply(input, value, idx=idx, dim=d)


class IndexCopy(Function):
    def forward(self, a, s, idx, dim):
        self.at = _along(dim, idx)
        self.idx, self.dim = idx, dim
        out = a.copy()
        out[self.at] = s
        return out

    def backward(self, g):
        nig = self.needs_input_grad
        ga = gs = None
        if nig[0]:
            ga = g.copy()
            ga[self.at] = 0
        if nig[1]:
            gs = get_array_module(g).take(g, self.idx, axis=self.dim)
        return ga, gs


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` whose slices at ``index`` along ``dim`` are ``source``'s slices in
    order (with repeated indices the last write wins)."""
    d, idx = _prepare("index_copy", input, dim, index)
    _check_source("index_copy_()", input, d, idx, source)
    return IndexCopy.apply(input, source, idx=idx, dim=d)


class MaskedScatter(Function):
    def forward(self, a, s, mask):
        xp = get_array_module(a)
        self.mask = xp.broadcast_to(mask, a.shape)
        self.count, self.sshape = int(self.mask.sum()), s.shape
        out = a.copy()
        out[self.mask] = s.reshape(-1)[:self.count]
        return out

    def backward(self, g):
        nig = self.needs_input_grad
        xp = get_array_module(g)
        ga = g * ~self.mask if nig[0] else None
        gs = None
        if nig[1]:  # source element k went to the k-th True position
            flat = xp.zeros(int(np.prod(self.sshape)), g.dtype)
            flat[:self.count] = g[self.mask]
            gs = flat.reshape(self.sshape)
        return ga, gs


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with its True-``mask`` positions (mask broadcast to input, row-major
    order) filled from ``source``'s leading elements."""
    m = _check_mask("masked_scatter_", mask)
    try:
        need = int(get_array_module(m).broadcast_to(m, tuple(input.shape)).sum())
    except ValueError:
        raise RuntimeError(f"masked_scatter: The size of the mask {list(m.shape)} must match "
                           f"the size of the tensor {list(input.shape)} at a non-singleton "
                           "dimension") from None
    if source.numel() < need:
        raise RuntimeError(f"masked_scatter: Number of elements of source < number of ones in "
                           f"mask ({source.numel()} < {need})")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but "
                           f"got {input.dtype} and {source.dtype}")
    return MaskedScatter.apply(input, source, mask=m)


# ----------------------------------------------------------------------------- in place
def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """In place: self's slices at ``index`` along ``dim`` become ``source``'s."""
    _guard(self, "index_copy_", source)
    d, idx = _prepare("index_copy_", self, dim, index)
    _check_source("index_copy_()", self, d, idx, source)
    self._data[_along(d, idx)] = source._data
    return self


def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *,
               alpha: float = 1) -> Tensor:
    """In place: ``alpha * source``'s slices added at ``index`` along ``dim`` (repeats add)."""
    _guard(self, "index_add_", source)
    d, idx = _prepare("index_add_", self, dim, index)
    _check_source("index_add_()", self, d, idx, source)
    s = source._data * alpha if alpha != 1 else source._data
    get_array_module(self._data).add.at(self._data, _along(d, idx),
                                        s.astype(self._data.dtype, copy=False))
    return self


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """In place: self's True-``mask`` positions filled from ``source``'s leading elements."""
    _guard(self, "masked_scatter_", source)
    out = masked_scatter(self.detach(), mask, source.detach())
    self._data[...] = out._data
    return self


__all__ = ["index_fill", "index_copy", "masked_scatter"]
TENSOR_METHODS = ("index_fill", "index_copy", "masked_scatter", "index_copy_", "index_add_",
                  "masked_scatter_")
