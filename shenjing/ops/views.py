"""Splitting and rearranging: tensor_split, hsplit, vsplit, dsplit, Tensor.unfold (sliding
windows), diag_embed and block_diag. Splits are narrow views; unfold and diag_embed are
Functions whose backward adds the windows back / reads the diagonal."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _check_dim
from ..backend import get_array_module
from .shape import cat, narrow, reshape


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple:
    """Split along ``dim`` into n nearly equal parts (the first n % size one longer), or at
    the given indices."""
    d = _check_dim(dim, input.ndim, "tensor_split")
    size = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        ios = ios.tolist() if ios.ndim else int(ios.item())
    if isinstance(ios, (int, np.integer)):
        n = int(ios)
        if n <= 0:
            raise RuntimeError(f"tensor_split(): number of sections must be larger than 0, "
                               f"got {n}")
        base, extra = divmod(size, n)
        bounds = [0]
        for i in range(n):
            bounds.append(bounds[-1] + base + (1 if i < extra else 0))
    else:
        bounds = [0] + [min(max(int(i), 0), size) for i in ios] + [size]
    return tuple(narrow(input, d, lo, max(hi - lo, 0)) if hi > lo else
                 narrow(input, d, min(lo, size), 0)
                 for lo, hi in zip(bounds[:-1], bounds[1:]))


def _split_like(op: str, input: Tensor, ios: Any, dim: int, need: int) -> tuple:
    if input.ndim < need:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {need} dimension, but "
                           f"got a tensor with {input.ndim} dimensions!")
    if isinstance(ios, (int, np.integer)):
        size = input.shape[dim]
        if ios == 0 or size % ios:
            raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the "
                               f"split_size {ios}!")
    return tensor_split(input, ios, dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """Split along dim 1 (dim 0 for 1-D input); an int must divide that size."""
    return _split_like("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """Split along dim 0 of an at-least-2-D tensor; an int must divide that size."""
    return _split_like("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """Split along dim 2 of an at-least-3-D tensor; an int must divide that size."""
    return _split_like("dsplit", input, indices_or_sections, 2, 3)


class Unfold(Function):
    """Windows of ``size`` every ``step`` along ``dim``, as a new last dim (a copy)."""

    def forward(self, a, dim, size, step):
        xp = get_array_module(a)
        self.shape, self.dim, self.size, self.step = a.shape, dim, size, step
        m = xp.moveaxis(a, dim, -1)
        self.nw = (m.shape[-1] - size) // step + 1
        s = m.strides[-1]
        win = xp.lib.stride_tricks.as_strided(
            m, m.shape[:-1] + (self.nw, size), m.strides[:-1] + (s * step, s))
        return xp.ascontiguousarray(xp.moveaxis(win, -2, dim))

    def backward(self, g):
        xp = get_array_module(g)
        out = xp.zeros(self.shape, g.dtype)
        om, gm = xp.moveaxis(out, self.dim, -1), xp.moveaxis(g, self.dim, -2)
        end = self.step * (self.nw - 1) + 1
        for k in range(self.size):  # one strided add per window offset (overlaps sum)
            om[..., k:k + end:self.step] += gm[..., k]
        return out


def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of ``size`` elements, ``step`` apart, along ``dimension``: that dim
    becomes the window count and a last dim of ``size`` is added."""
    d = _check_dim(dimension, self.ndim, "unfold") if self.ndim else 0
    n = self.shape[d] if self.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is "
                           f"{size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if self.ndim == 0:
        return reshape(self, (1,))
    return Unfold.apply(self, dim=d, size=int(size), step=int(step))


class DiagEmbed(Function):
    def forward(self, a, offset, dim1, dim2):
        xp = get_array_module(a)
        n = a.shape[-1]
        m = n + abs(offset)
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        out = xp.zeros(a.shape[:-1] + (m, m), a.dtype)
        i = xp.arange(n)
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        self.rc = (r, c)
        out[..., r, c] = a
        return xp.moveaxis(out, (-2, -1), (dim1, dim2))

    def backward(self, g):
        xp = get_array_module(g)
        gm = xp.moveaxis(g, (self.dim1, self.dim2), (-2, -1))
        r, c = self.rc
        return gm[..., r, c]


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor whose (dim1, dim2) planes hold input's last dim on their ``offset``
    diagonal, zeros elsewhere."""
    nd = input.ndim + 1
    d1, d2 = dim1 % nd, dim2 % nd
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(input, offset=int(offset), dim1=d1, dim2=d2)


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-, 1- or 2-D) as blocks on the diagonal of one matrix, zeros
    elsewhere."""
    blocks = []
    for t in tensors:
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {len(blocks)} has {t.ndim} dimensions")
        blocks.append(reshape(t, (1, 1)) if t.ndim == 0 else
                      reshape(t, (1, t.shape[0])) if t.ndim == 1 else t)
    if not blocks:
        return Tensor._wrap(np.zeros((1, 0), np.float32), None, False)
    cols = sum(b.shape[1] for b in blocks)
    dtype = blocks[0]._data.dtype
    rows, left = [], 0
    for b in blocks:
        xp = get_array_module(b._data)
        r, c = b.shape
        pad_l = Tensor._wrap(xp.zeros((r, left), dtype), None, False)
        pad_r = Tensor._wrap(xp.zeros((r, cols - left - c), dtype), None, False)
        rows.append(cat([pad_l, b if b._data.dtype == dtype else b.to(dtype), pad_r], 1))
        left += c
    return cat(rows, 0)


__all__ = ["tensor_split", "hsplit", "vsplit", "dsplit", "diag_embed", "block_diag"]
TENSOR_METHODS = ("tensor_split", "hsplit", "vsplit", "dsplit", "unfold", "diag_embed")
