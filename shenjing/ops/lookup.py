"""Searching and counting: searchsorted, bucketize, bincount, histc, isin, isposinf,
isneginf, and mode (the most frequent value along a dim, differentiable through the value
it picks)."""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import get_array_module
from .reduce import _indexed


def _data(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _const(a: Any) -> Tensor:
    return Tensor._wrap(a, None, False)


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Any = None) -> Tensor:
    """For each value, the index where it would go in ``sorted_sequence``'s last dim to keep
    it sorted (the first such index, or the last with ``right``/side='right')."""
    seq, v = _data(sorted_sequence), _data(input)
    xp = get_array_module(seq)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        right = side == "right"
    how = "right" if right else "left"
    if sorter is not None:
        seq = xp.take_along_axis(seq, _data(sorter), -1)
    if seq.ndim == 1:
        out = xp.searchsorted(seq, v, side=how)
    else:
        if seq.shape[:-1] != v.shape[:-1]:
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension "
                               f"or the first N-1 dimensions of boundaries tensor and input "
                               f"value tensor must match, but we got boundaries tensor "
                               f"{list(seq.shape)} and input value tensor {list(v.shape)}")
        # per row: how many boundaries lie below each value (<= for right), one comparison
        # block (rows x values x boundaries) instead of a loop over rows
        below = seq[..., None, :] <= v[..., :, None] if right else \
            seq[..., None, :] < v[..., :, None]
        out = below.sum(axis=-1)
    return _const(out.astype(np.int32 if out_int32 else np.int64))


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value among 1-D ``boundaries``: i with b[i-1] < x <= b[i] (or
    b[i-1] <= x < b[i] with ``right``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0..max occurs in 1-D non-negative ints (summing ``weights``
    instead of counting, when given)."""
    x = _data(input)
    if x.ndim != 1 or x.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if x.size and x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = get_array_module(x)
    w = None if weights is None else _data(weights)
    out = xp.bincount(x, weights=w, minlength=minlength)
    if w is not None:
        out = out.astype(w.dtype if w.dtype.kind == "f" else np.float64)
    return _const(out)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of ``bins`` equal-width bins over [min, max] (the data's own range when
    both are 0); values outside are ignored, the top edge belongs to the last bin."""
    x = _data(input)
    xp = get_array_module(x)
    if bins <= 0:
        raise RuntimeError(f"torch.histc: bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"torch.histc: max must be larger than min, but got min {lo} max "
                           f"{hi}")
    counts, _ = xp.histogram(x[(x >= lo) & (x <= hi)], bins=bins, range=(lo, hi))
    return _const(counts.astype(x.dtype if x.dtype.kind == "f" else np.float32))


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """Whether each element occurs in ``test_elements``."""
    e, t = _data(elements), _data(test_elements)
    return _const(get_array_module(e).isin(e, t, invert=invert))


def isposinf(input: Tensor) -> Tensor:
    return _const(get_array_module(input._data).isposinf(input._data))


def isneginf(input: Tensor) -> Tensor:
    return _const(get_array_module(input._data).isneginf(input._data))


_Mode = namedtuple("mode", ["values", "indices"])


def _mode_index(x: Any, axis: int) -> Any:
    """Keepdims-shaped index, along ``axis``, of the last occurrence of the most frequent
    value (the smallest among equally frequent ones): sort, find runs of equal values, take
    the longest run's largest original position."""
    xp = get_array_module(x)
    a = xp.moveaxis(x, axis, -1)
    n = a.shape[-1]
    order = xp.argsort(a, axis=-1, kind="stable")
    s = xp.take_along_axis(a, order, -1)
    pos = xp.arange(n)
    new = xp.ones(s.shape, bool)  # where each run of equal values starts
    new[..., 1:] = s[..., 1:] != s[..., :-1]
    end = xp.ones(s.shape, bool)  # where each run ends
    end[..., :-1] = new[..., 1:]
    length = pos - xp.maximum.accumulate(xp.where(new, pos, 0), axis=-1) + 1
    # the longest run, the first (smallest value) among equally long ones, by its end
    best = xp.argmax(xp.where(end, length, 0), axis=-1)[..., None]
    lo = best - xp.take_along_axis(length, best, -1) + 1
    in_run = (pos >= lo) & (pos <= best)
    last = xp.max(xp.where(in_run, order, -1), axis=-1, keepdims=True)
    return xp.moveaxis(last, -1, axis)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> tuple:
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and
    the index of its last occurrence, as PyTorch's CPU kernel returns; the gradient goes to
    that element."""
    return _indexed("mode", _Mode, input, dim, keepdim, _mode_index)


__all__ = ["searchsorted", "bucketize", "bincount", "histc", "isin", "isposinf", "isneginf",
           "mode"]
TENSOR_METHODS = ("bincount", "histc", "isposinf", "isneginf", "mode")
