"""Row scatter-adds, ``out[index[i]] += coef[i] * rows[i]`` with repeated indices summed.

These carry embedding gradients and the sparse optimizer steps (word2vec updates a few
thousand rows of a large table per batch). NumPy has no row-wise index-add: ``ufunc.at``
pays per element. Grouping the rows by target index makes the scatter a sparse matrix
product, ``out[lo:hi] += A @ rows`` with A's row j holding the coefficients of the rows
bound for index lo + j, and SciPy's CSR kernel computes that with one vector add per row
(0.84 -> 0.2 ms for 6144 rows of 100 into a 10k-row table). The grouping sort is stable,
so each output row receives its additions in index order, as a loop would add them.

Without SciPy (it is optional), where a cost model says ``add.at`` is cheaper (narrow rows,
or a few rows spread over a huge table), or for dtypes the kernel lacks, one ``add.at`` on
the flattened table does the work instead.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import get_array_module

__all__ = ["scatter_add_rows", "scatter_add_outer", "coalesce_rows", "csr_kernel"]

_KERNEL: list = []  # [csr_matvecs or None], looked up and checked once


def csr_kernel() -> Callable[..., None] | None:
    """SciPy's ``csr_matvecs(n_row, n_col, n_vec, indptr, indices, data, X, Y)`` (Y += A X
    in place), or None when SciPy is absent or the kernel fails a small self-check."""
    if not _KERNEL:
        _KERNEL.append(_find_kernel())
    return _KERNEL[0]


def _find_kernel() -> Callable[..., None] | None:
    try:
        from scipy.sparse import _sparsetools  # noqa: PLC0415 - optional accelerator
        fn = _sparsetools.csr_matvecs
        x = np.arange(6, dtype=np.float32)  # 3 rows of 2
        y = np.ones(4, np.float32)  # 2 rows of 2
        ptr, cols = np.array([0, 2, 3], np.int64), np.array([2, 0, 1], np.int64)
        fn(2, 3, 2, ptr, cols, np.array([1, 2, 3], np.float32), x, y)
    except Exception:  # noqa: BLE001 - missing, renamed or changed: use the fallback
        return None
    return fn if y.tolist() == [5.0, 8.0, 7.0, 10.0] else None


def _grouping(index: np.ndarray, lo: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, counts): ``order`` lists rows by target, stably (ties in row order);
    counts[j] is how many rows go to index lo + j."""
    rel = index.astype(np.int64, copy=False) - lo
    n = index.shape[0]
    counts = np.bincount(rel)
    # distinct keys make the (fast, unstable) default sort stable
    order = np.argsort(rel * n + np.arange(n)) if counts.shape[0] > 1 else np.arange(n)
    return order, counts


def _indptr(counts: np.ndarray) -> np.ndarray:
    ptr = np.empty(counts.shape[0] + 1, np.int64)
    ptr[0] = 0
    np.cumsum(counts, out=ptr[1:])
    return ptr


def _kernel_for(dtype: Any, *arrays: Any) -> Callable[..., None] | None:
    """The CSR kernel when every array is a NumPy array and ``dtype`` float32/float64."""
    if np.dtype(dtype).char not in "fd" or any(type(a) is not np.ndarray for a in arrays):
        return None
    return csr_kernel()


def _worth(lo: int, hi: int, n: int, width: int, formed: bool) -> bool:
    """Whether the kernel beats ``add.at`` for n rows of ``width`` into indices [lo, hi).

    A cost model fitted on this repo's machine (ns): the kernel pays ~5 per row of the index
    range (it visits each), ~20 per row for the grouping sort and ~0.3 per element; add.at
    ~1.3 per element, plus ~0.6 to form factored rows. So wide rows into a range not much
    larger than the batch go to the kernel (word2vec: 6144 rows of 100 into 10k, 4x faster),
    narrow rows or a few rows spread over a huge table stay with add.at."""
    if lo < 0:
        return False
    kernel = 5 * (hi - lo) + 20 * n + 0.3 * n * width + 5000
    fallback = (1.3 if formed else 1.9) * n * width
    return kernel < fallback


def _fits(index: np.ndarray, coef: np.ndarray, rows: np.ndarray, owner: np.ndarray | None,
          width: int) -> bool:
    """Shapes and owners the kernel can take. It checks no bounds itself, so anything odd
    goes to the fallback, where NumPy raises its usual errors."""
    n = index.shape[0]
    if index.ndim != 1 or coef.shape != (n,) or rows.size != rows.shape[0] * width:
        return False
    if owner is None:
        return rows.shape[0] == n
    return owner.shape == (n,) and int(owner.min()) >= 0 and int(owner.max()) < rows.shape[0]


def _csr_add(fn: Callable[..., None], out: np.ndarray, index: np.ndarray, coef: np.ndarray,
             rows: np.ndarray, owner: np.ndarray | None) -> bool:
    """out[index[i]] += coef[i] * rows[owner[i]] (owner None: i) as one CSR product; False
    (nothing done) where add.at is cheaper or the arguments do not suit the kernel."""
    n, width = index.shape[0], out[0].size
    if not _worth(0, 0, n, width, owner is None):  # loses even on an empty range: no min/max
        return False
    lo, hi = int(index.min()), int(index.max()) + 1
    if hi > out.shape[0] or not _worth(lo, hi, n, width, owner is None) \
            or not _fits(index, coef, rows, owner, width):
        return False
    order, counts = _grouping(index, lo)
    cols = order if owner is None else owner[order]
    rows = np.ascontiguousarray(rows.astype(out.dtype, copy=False))
    fn(hi - lo, rows.shape[0], width, _indptr(counts), cols.astype(np.int64, copy=False),
       coef.astype(out.dtype, copy=False)[order], rows.reshape(-1), out[lo:hi].reshape(-1))
    return True


def scatter_add_rows(out: Any, index: Any, rows: Any, alpha: float = 1.0) -> Any:
    """out[index[i]] += alpha * rows[i] for every i, duplicates summed; returns ``out``.

    Rows are cast to out's dtype first. With ``alpha`` 1 each output row gets exactly the
    additions a loop over i would make, in that order.
    """
    xp = get_array_module(out)
    n = index.shape[0]
    if n == 0:
        return out
    if out.flags.c_contiguous:
        fn = _kernel_for(out.dtype, out, index, rows)
        if fn is not None and _csr_add(fn, out, index, np.full(n, alpha, out.dtype), rows, None):
            return out
    if alpha != 1:
        rows = rows.astype(out.dtype, copy=False) * out.dtype.type(alpha)
    return _add_at(xp, out, index, rows)


def scatter_add_outer(out: Any, index: Any, coef: Any, basis: Any, owner: Any) -> Any:
    """out[index[i]] += coef[i] * basis[owner[i]] for every i, duplicates summed; returns
    ``out``. The rows are never formed when the CSR kernel runs (word2vec's output-vector
    gradient is ds[b, k] * h[b] at targets[b, k])."""
    xp = get_array_module(out)
    if index.shape[0] == 0:
        return out
    if out.flags.c_contiguous:
        fn = _kernel_for(out.dtype, out, index, coef, basis, owner)
        if fn is not None and _csr_add(fn, out, index, coef, basis, owner):
            return out
    return _add_at(xp, out, index, outer_rows(coef, basis, owner))


def outer_rows(coef: Any, basis: Any, owner: Any) -> Any:
    """The rows coef[i] * basis[owner[i]], formed."""
    return coef.reshape((-1,) + (1,) * (basis.ndim - 1)) * basis[owner]


def _csr_coalesce(fn: Callable[..., None], index: np.ndarray, rows: np.ndarray, coef: Any,
                  owner: Any) -> tuple | None:
    """coalesce_rows as one CSR product into the unique rows; None (nothing done) where
    add.at is cheaper or the arguments do not suit the kernel."""
    n, width = index.shape[0], rows[0].size
    lo, hi = int(index.min()), int(index.max()) + 1
    if not _worth(lo, hi, n, width, coef is None):
        return None
    c = np.ones(n, rows.dtype) if coef is None else coef.astype(rows.dtype, copy=False)
    if not _fits(index, c, rows, owner, width):
        return None
    order, counts = _grouping(index, lo)
    hit = np.flatnonzero(counts)
    sums = np.zeros((hit.shape[0],) + rows.shape[1:], rows.dtype)
    cols = order if owner is None else owner[order]
    fn(hit.shape[0], rows.shape[0], width, _indptr(counts[hit]), cols.astype(np.int64, copy=False),
       c[order], np.ascontiguousarray(rows).reshape(-1), sums.reshape(-1))
    return hit + lo, sums


def coalesce_rows(index: Any, rows: Any, coef: Any = None, owner: Any = None
                  ) -> tuple[Any, Any]:
    """Sorted unique indices and the sum of the rows each one owns (summed in row order).

    With ``coef`` and ``owner`` row i is coef[i] * rows[owner[i]] (a factored gradient).
    """
    xp = get_array_module(index)
    n = index.shape[0]
    if n == 0:
        return index, rows[:0]
    fn = _kernel_for(rows.dtype, index, rows, *(() if coef is None else (coef, owner)))
    done = None if fn is None else _csr_coalesce(fn, index, rows, coef, owner)
    if done is not None:
        return done
    if coef is not None:
        rows = outer_rows(coef, rows, owner)
    order = xp.argsort(index)  # ties in any order: the sums below follow the row order
    s = index[order]
    new = xp.concatenate([xp.ones(1, bool), s[1:] != s[:-1]])
    uniq = s[new]
    if uniq.shape[0] == s.shape[0]:
        return s, rows[order]
    slot = xp.empty_like(order)
    slot[order] = xp.cumsum(new) - 1  # each row's position among the unique indices
    sums = xp.zeros((uniq.shape[0],) + rows.shape[1:], dtype=rows.dtype)
    return uniq, _add_at(xp, sums, slot, rows)


# ----------------------------------------------------------------- the add.at fallback
def _add_at(xp: Any, out: Any, index: Any, rows: Any) -> Any:
    """One ``add.at`` on the flattened table (element k of row i goes to index[i] * width + k):
    NumPy's 1-D ``ufunc.at`` fast path beats ``add.at`` on rows, sort + ``add.reduceat`` and
    ``bincount``. Its cost is per element, so float rows of even width are read as complex
    numbers holding two floats each: the same two float additions in half the element count
    (1.36 -> 0.84 ms for 6144 rows of 100, bit-identical)."""
    width = int(np.prod(out.shape[1:], dtype=np.int64))
    if not out.flags.c_contiguous or width == 0:
        xp.add.at(out, index, rows)
        return out
    flat_out = out.reshape(-1)
    vals = xp.ascontiguousarray(rows.astype(out.dtype, copy=False)).reshape(-1)
    pair = _PAIRS.get(out.dtype.char) if xp is np else None
    if pair is not None and width % 2 == 0:
        width //= 2
        flat_out, vals = flat_out.view(pair), vals.view(pair)
    xp.add.at(flat_out, _flat_index(xp, index, width), vals)
    return out


_PAIRS = {"f": np.complex64, "d": np.complex128}  # two floats read as one complex number
_OFFSETS: dict = {}  # width -> [0..width) repeated, reused across calls
_OFFSETS_MAX = 1 << 20  # elements; longer index arrays build their own


def _flat_index(xp: Any, index: Any, width: int) -> Any:
    """index[i] * width + k for k < width, flattened: repeat + one add of cached offsets
    (a broadcast add over short rows costs about twice as much)."""
    size = index.shape[0] * width
    if xp is not np or size > _OFFSETS_MAX:
        return (index[:, None] * width + xp.arange(width)).reshape(-1)
    offs = _OFFSETS.get(width)
    if offs is None or offs.shape[0] < size:
        offs = np.tile(np.arange(width), -(-min(max(2 * size, 4096), _OFFSETS_MAX) // width))
        offs.flags.writeable = False
        _OFFSETS[width] = offs
    flat = np.repeat(index * width, width)
    flat += offs[:size]
    return flat
