"""Reductions: sum, mean, var/std, prod, max/min, logsumexp, norm, cumsum."""
from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _check_dim
from ..backend import dtypes, get_array_module


def norm_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """Normalise ``dim`` (None, int or sequence) to a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return None
    out = tuple(sorted({_check_dim(d, ndim, op) for d in dims}))
    return out if ndim else None


def expand_grad(g: Any, shape: tuple, axes: tuple | None, keepdim: bool) -> Any:
    """Reshape a reduced gradient so it broadcasts against the input of ``shape``."""
    if axes is None:
        return get_array_module(g).broadcast_to(g.reshape((1,) * len(shape)), shape)
    if not keepdim:
        g = get_array_module(g).expand_dims(g, axes)
    return get_array_module(g).broadcast_to(g, shape)


class Sum(Function):
    def forward(self, a, axes, keepdim, dtype):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        return a.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return expand_grad(g, self.shape, self.axes, self.keepdim)  # d sum / da = 1


class Mean(Function):
    def forward(self, a, axes, keepdim):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        out = a.mean(axis=axes, keepdims=keepdim)
        self.n = a.size // max(out.size, 1) if a.size else 0
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        return expand_grad(g / max(self.n, 1), self.shape, self.axes, self.keepdim)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (all dimensions when None); bool and int sums are int64."""
    d = dtypes.to_dtype(dtype).np if dtype is not None else None
    if d is None and input._data.dtype.kind in "biu":
        d = dtypes.int64.np
    return Sum.apply(input, axes=norm_dims(dim, input.ndim, "sum"), keepdim=keepdim, dtype=d)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Arithmetic mean over ``dim``; floating inputs only, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.name.capitalize()}")
    return Mean.apply(input, axes=norm_dims(dim, input.ndim, "mean"), keepdim=keepdim)


__all__ = ["sum", "mean"]
TENSOR_METHODS = ("sum", "mean")
