"""Tensor algebra built from differentiable ops: trace, tensordot, kron, rot90, and the
NaN-skipping reductions nansum and nanmean, plus aminmax. Gradients come from the ops
they are made of, except nanmean's (one Function, for PyTorch's NaN gradient on an
all-NaN slice)."""
from __future__ import annotations

from collections import namedtuple
from typing import Any, Sequence

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from .elementwise import clone, isnan, where
from .indexing import diagonal
from .linalg import matmul
from .reduce import amax, amin, expand_grad, norm_dims, sum as _sum
from .shape import flip, permute, reshape, transpose


def trace(input: Tensor) -> Tensor:
    """The sum of a 2-D tensor's main diagonal."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return _sum(diagonal(input))


def _dims(dims: Any, a: Tensor, b: Tensor) -> tuple[list, list]:
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    da, db = dims
    da = [da] if isinstance(da, int) else list(da)
    db = [db] if isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError(f"both dimension lists should have same length, got {len(da)} and "
                           f"{len(db)}")
    return [d % a.ndim for d in da], [d % b.ndim for d in db]


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """Contract ``a``'s dims with ``b``'s (an int n: a's last n with b's first n): the free
    dims move out, the contracted ones in, and one matmul does the sum."""
    da, db = _dims(dims, a, b)
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[x]} in dim {x} and second has size {b.shape[y]} in "
                               f"dim {y}")
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = 1
    for d in da:
        k *= a.shape[d]
    am = reshape(permute(a, fa + da), (-1, k))
    bm = reshape(permute(b, db + fb), (k, -1))
    return reshape(matmul(am, bm), [a.shape[d] for d in fa] + [b.shape[d] for d in fb])


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: block (i, j) is input[i, j] * other (any equal-rank shapes;
    the lower-rank one gets leading size-1 dims)."""
    n = max(input.ndim, other.ndim)
    a = reshape(input, (1,) * (n - input.ndim) + tuple(input.shape))
    b = reshape(other, (1,) * (n - other.ndim) + tuple(other.shape))
    # a (.., s_i, 1, ..) * b (.., 1, t_i, ..) interleaved, then each pair merged
    ai = reshape(a, [v for s in a.shape for v in (s, 1)])
    bi = reshape(b, [v for t in b.shape for v in (1, t)])
    return reshape(ai * bi, [s * t for s, t in zip(a.shape, b.shape)])


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first axis toward
    the second."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = dims[0] % input.ndim, dims[1] % input.ndim
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, d1), d0, d1)
    if k == 2:
        return flip(input, d0, d1)
    if k == 3:
        return flip(transpose(input, d0, d1), d1)
    return clone(input)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *,
           dtype: Any = None) -> Tensor:
    """The sum over ``dim`` with NaNs counted as zero (no gradient reaches them)."""
    return _sum(where(isnan(input), 0.0, input), dim, keepdim, dtype=dtype)


class NanMean(Function):
    """The mean of the non-NaN values over ``axes``; d/dx = g * mask / count, which is NaN
    (0 * inf) across a slice that is all NaN, as in PyTorch (its nansum / count)."""

    def forward(self, a, *, axes, keepdim):
        xp = get_array_module(a)
        mask = ~xp.isnan(a)
        count = mask.sum(axis=axes, keepdims=True)
        with xp.errstate(invalid="ignore", divide="ignore"):  # 0 / 0: NaN, quietly
            out = (xp.where(mask, a, 0).sum(axis=axes, keepdims=True) / count).astype(a.dtype)
        self.mask, self.count, self.axes, self.keepdim = mask, count, axes, keepdim
        return out if keepdim else out.reshape(_reduced_shape(a.shape, axes))

    def backward(self, g):
        xp = get_array_module(g)
        g = expand_grad(g, self.mask.shape, self.axes, self.keepdim)
        with xp.errstate(invalid="ignore", divide="ignore"):
            return ((g / self.count) * self.mask).astype(g.dtype, copy=False)


def _reduced_shape(shape: tuple, axes: tuple | None) -> tuple:
    return () if axes is None else tuple(n for i, n in enumerate(shape) if i not in axes)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
            dtype: Any = None) -> Tensor:
    """The mean over ``dim`` of the values that are not NaN (NaN where all are, and so is
    the gradient there, as in PyTorch)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"nanmean(): expected a floating point input, got {input.dtype}")
    return NanMean.apply(input, axes=norm_dims(dim, input.ndim, "nanmean"), keepdim=keepdim)


_MinMax = namedtuple("aminmax", ["min", "max"])


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> tuple:
    """(amin, amax) over ``dim`` (all of it when None), as a named pair."""
    if dim is not None:
        norm_dims(dim, input.ndim, "aminmax")
    d = () if dim is None else dim
    return _MinMax(amin(input, d, keepdim), amax(input, d, keepdim))


__all__ = ["trace", "tensordot", "kron", "rot90", "nansum", "nanmean", "aminmax"]
TENSOR_METHODS = ("trace", "kron", "rot90", "nansum", "nanmean", "aminmax")
