"""Shared helpers for ops: turning operands into tensors, PyTorch's type promotion, and
element-wise kernels split over the intra-op threads."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import dtypes, get_array_module, threads

_CAT = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def scalar_dtype(value: Any, like: np.dtype) -> np.dtype:
    """dtype a Python scalar takes beside a tensor of dtype ``like`` (PyTorch's rule)."""
    if isinstance(value, bool):
        return like
    if isinstance(value, int):
        return np.dtype(np.int64) if like.kind == "b" else like
    if isinstance(value, float):
        return like if like.kind in "fc" else dtypes.get_default_dtype().np
    if isinstance(value, complex):
        return np.dtype(np.complex64)
    return np.asarray(value).dtype


def result_dtype(a: Any, b: Any) -> np.dtype:
    """PyTorch's result dtype of a binary op on arrays ``a`` and ``b``."""
    da, db = a.dtype, b.dtype
    if da == db:
        return da
    ca, cb = _CAT[da.kind], _CAT[db.kind]
    if ca != cb:
        return da if ca > cb else db
    if a.ndim == 0 and b.ndim > 0:
        return db
    if b.ndim == 0 and a.ndim > 0:
        return da
    return np.promote_types(da, db)


def as_tensor_like(value: Any, like: Tensor) -> Tensor:
    """Wrap a Python scalar or array as a constant tensor that sits beside ``like``."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float)):
        xp = np if type(like._data) is np.ndarray else get_array_module(like._data)
        return Tensor._wrap(xp.asarray(value, dtype=scalar_dtype(value, like._data.dtype)),
                            None, False)
    arr = np.asarray(value)
    if arr.dtype == np.float64 and not isinstance(value, np.ndarray):
        arr = arr.astype(dtypes.get_default_dtype().np)
    return Tensor._wrap(arr, None, False)


def promote(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of one dtype (a cast is recorded in the graph when needed)."""
    if not isinstance(a, Tensor):
        a = as_tensor_like(a, b)
    elif not isinstance(b, Tensor):
        b = as_tensor_like(b, a)
    if a._data.dtype != b._data.dtype:
        from .elementwise import cast  # noqa: PLC0415

        d = result_dtype(a._data, b._data)
        if a._data.dtype != d:
            a = cast(a, d)
        if b._data.dtype != d:
            b = cast(b, d)
    return a, b


def broadcast_error(op: str, a: Any, b: Any) -> RuntimeError:
    return RuntimeError(
        f"{op}: The size of tensor a {tuple(a.shape)} must match the size of tensor b "
        f"{tuple(b.shape)} at a non-singleton dimension (shapes cannot be broadcast together)")


def check_broadcast(op: str, a: Any, b: Any) -> None:
    sa, sb = a.shape, b.shape
    if sa == sb:
        return
    for x, y in zip(reversed(sa), reversed(sb)):
        if x != y and x != 1 and y != 1:
            raise broadcast_error(op, a, b)


def require_float(op: str, t: Tensor) -> None:
    if t._data.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: expected a floating point tensor, got {t.dtype}")


def column_sums(xp: Any, rows: Any) -> Any:
    """Column sums of a C-contiguous (rows, C) matrix as one BLAS matrix-vector product:
    NumPy's sum(axis=0) adds C-wide rows one at a time (4-6x slower at 32-64 columns)."""
    return xp.ones(rows.shape[0], rows.dtype) @ rows


def channels_last(x: Any) -> Any:
    """The (N, *, C) view of x (N, C, *): C-contiguous when x's memory is channels-last."""
    return x.transpose((0,) + tuple(range(2, x.ndim)) + (1,))


def channel_sums(g: Any) -> Any:
    """sum of g (N, C, *) over every axis but 1 (a bias gradient); a BLAS column sum when
    its memory is channels-last."""
    xp = get_array_module(g)
    gt = channels_last(g)
    if g.ndim > 2 and gt.flags.c_contiguous and g.size:
        return column_sums(xp, gt.reshape(-1, g.shape[1]))
    return g.sum(axis=(0,) + tuple(range(2, g.ndim)))


def split_range(fn: Callable[[int, int], Any], xp: Any, n: int, nbytes: int) -> None:
    """``fn(lo, hi)`` over slices of ``range(n)`` on the intra-op threads for NumPy arrays;
    one call ``fn(0, n)`` on a GPU, whose kernels need no host threads."""
    if xp is np:
        threads.parallel_range(fn, n, nbytes)
    else:
        fn(0, n)


def split_parts(fn: Callable[[Any], Any], xp: Any, parts: list) -> list:
    """``[fn(p) for p in parts]``, on the intra-op threads for NumPy arrays."""
    if xp is np:
        return threads.parallel_map(fn, parts)
    return [fn(p) for p in parts]


def elementwise(fn: Callable[..., Any], out: Any, *arrays: Any) -> Any:
    """``fn(out, *arrays)`` for an element-wise kernel writing into ``out``; large NumPy
    arrays are cut into pieces that run on the intra-op threads: flat slices when every
    array is C-contiguous, else slices along the outermost axis in memory when all share
    out's shape and strides (a channels-last view, say). Returns ``out``."""
    every = (out,) + arrays
    if type(out) is not np.ndarray or out.nbytes * len(every) < threads.RANGE_BYTES \
            or out.ndim == 0 or not all(type(a) is np.ndarray and a.shape == out.shape
                                        for a in arrays):
        fn(out, *arrays)  # small (the common case: no checks beyond these), or mixed
        return out
    nbytes = sum(a.nbytes for a in every)
    if all(a.flags.c_contiguous for a in every):
        flat = [a.reshape(-1) for a in every]
        threads.parallel_range(lambda lo, hi: fn(*[f[lo:hi] for f in flat]), out.size, nbytes)
    elif all(a.strides == out.strides for a in every):
        k = max(range(out.ndim), key=lambda d: abs(out.strides[d]))
        lead = (slice(None),) * k
        threads.parallel_range(
            lambda lo, hi: fn(*[a[lead + (slice(lo, hi),)] for a in every]), out.shape[k],
            nbytes)
    else:
        fn(out, *arrays)
    return out
