"""Grids and index sets: meshgrid, broadcast_tensors, cartesian_prod, tril_indices,
triu_indices and atleast_1d/2d/3d, built from differentiable views (reshape, expand,
stack), so gradients flow back to the inputs."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import dtypes
from .shape import broadcast_to, reshape, stack


def _tensors(args: Sequence[Any], op: str) -> list[Tensor]:
    ts = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    for t in ts:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor arguments, got {type(t).__name__}")
    return ts


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors: with indexing 'ij' (the default) output i varies
    along dim i; 'xy' swaps the first two dims (Cartesian, like NumPy's default)."""
    ts = _tensors(tensors, "meshgrid")
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t.ndim}D")
    sizes = [max(t.numel(), 1) if t.ndim else 1 for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(ts):
        axis = {0: 1, 1: 0}.get(i, i) if swap else i
        shape = [1] * len(ts)
        shape[axis] = sizes[axis]
        out.append(broadcast_to(reshape(t, shape), sizes))
    return tuple(out)


def broadcast_tensors(*tensors: Any) -> tuple:
    """The tensors expanded to their common broadcast shape (views)."""
    ts = _tensors(tensors, "broadcast_tensors")
    try:
        shape = np.broadcast_shapes(*[tuple(t.shape) for t in ts])
    except ValueError:
        raise RuntimeError("broadcast_tensors: shapes " + ", ".join(str(list(t.shape))
                                                               for t in ts)
                           + " cannot be broadcast together") from None
    return tuple(broadcast_to(t, shape) for t in ts)


def cartesian_prod(*tensors: Any) -> Tensor:
    """Every combination of the 1-D tensors' elements, one per row (a 1-D input comes back
    as it is)."""
    ts = _tensors(tensors, "cartesian_prod")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], dim=1)


def _tri(op: str, row: int, col: int, offset: int, lower: bool, dtype: Any) -> Tensor:
    if row < 0 or col < 0:
        raise RuntimeError(f"{op}: row and col must be non-negative, got row={row} col={col}")
    r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
    dt = np.int64 if dtype is None else dtypes.to_dtype(dtype).np
    return Tensor._wrap(np.stack([r, c]).astype(dt), None, False)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (2, N) row and column indices of a row x col matrix's lower triangle (with
    ``offset`` diagonals above the main one), row by row."""
    return _tri("tril_indices", row, col, offset, True, dtype)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (2, N) row and column indices of a row x col matrix's upper triangle."""
    return _tri("triu_indices", row, col, offset, False, dtype)


def _atleast(n: int, tensors: Sequence[Any]) -> Any:
    ts = _tensors(tensors, f"atleast_{n}d")
    out = []
    for t in ts:
        if t.ndim >= n:
            out.append(t)
        elif n == 3 and t.ndim == 2:
            out.append(reshape(t, tuple(t.shape) + (1,)))
        elif n == 3 and t.ndim == 1:
            out.append(reshape(t, (1,) + tuple(t.shape) + (1,)))
        else:
            out.append(reshape(t, (1,) * (n - t.ndim) + tuple(t.shape)))
    single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    return _atleast(1, tensors)


def atleast_2d(*tensors: Any) -> Any:
    return _atleast(2, tensors)


def atleast_3d(*tensors: Any) -> Any:
    """Views with at least 3 dims: (1, 1, 1), (1, N, 1) or (M, N, 1) as in NumPy/PyTorch."""
    return _atleast(3, tensors)


__all__ = ["meshgrid", "broadcast_tensors", "cartesian_prod", "tril_indices", "triu_indices",
           "atleast_1d", "atleast_2d", "atleast_3d"]
TENSOR_METHODS = ()
