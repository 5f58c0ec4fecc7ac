"""PyTorch's one-call combinations (addmm, baddbmm, addcmul, addcdiv, lerp, diff, cross)
written as compositions of existing differentiable ops: their gradients come from the parts,
with the same broadcasting and dtype rules."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from . import elementwise as ew
from . import linalg, shape
from .reduce import _check_dim

__all__ = ["addmm", "baddbmm", "addcmul", "addcdiv", "lerp", "diff", "cross"]
TENSOR_METHODS = ("addmm", "baddbmm", "addcmul", "addcdiv", "lerp", "diff", "cross", "where",
                  "is_complex", "stride")


def _scaled_sum(input: Any, product: Tensor, beta: float, alpha: float) -> Tensor:
    """beta * input + alpha * product; with beta == 0 input is ignored, NaN and inf in it
    included, as PyTorch documents (it then gets no gradient)."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


def addmm(input: Any, mat1: Tensor, mat2: Tensor, *, beta: float = 1,
          alpha: float = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"addmm: mat1 and mat2 must be matrices, got {mat1.ndim}-D and "
                           f"{mat2.ndim}-D")
    return _scaled_sum(input, linalg.mm(mat1, mat2), beta, alpha)


def baddbmm(input: Any, batch1: Tensor, batch2: Tensor, *, beta: float = 1,
            alpha: float = 1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2)."""
    return _scaled_sum(input, linalg.bmm(batch1, batch2), beta, alpha)


def addcmul(input: Tensor, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    prod = ew.mul(tensor1, tensor2)
    return ew.add(input, prod if value == 1 else prod * value)


def addcdiv(input: Tensor, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
    """input + value * tensor1 / tensor2."""
    quot = ew.div(tensor1, tensor2)
    return ew.add(input, quot if value == 1 else quot * value)


def lerp(input: Tensor, end: Any, weight: Any) -> Tensor:
    """input + weight * (end - input)."""
    return ew.add(input, ew.mul(weight, ew.sub(end, input)))


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference along ``dim`` (after prepending / appending)."""
    axis = _check_dim(dim, input.ndim, "diff")
    if n < 0:
        raise RuntimeError(f"diff expects n to be non-negative, got {n}")
    x = shape.cat([t for t in (prepend, input, append) if t is not None], axis)
    for _ in range(n):
        size = x.shape[axis]
        if size == 0:
            break
        x = ew.sub(x.narrow(axis, 1, size - 1), x.narrow(axis, 0, size - 1))
    return x


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The 3-vector cross product along ``dim`` (default: the first dim of size 3)."""
    if input.shape != other.shape:
        try:
            both = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        except ValueError:
            raise RuntimeError(f"cross: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                               f"cannot be broadcast together") from None
        input, other = input.expand(*both), other.expand(*both)
    if dim is None:
        dims = [d for d, n in enumerate(input.shape) if n == 3]
        if not dims:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape "
                               f"{tuple(input.shape)}")
        dim = dims[0]
    axis = _check_dim(dim, input.ndim, "cross")
    if input.shape[axis] != 3:
        raise RuntimeError(f"cross: inputs dimension {dim} must have length 3, got "
                           f"{input.shape[axis]}")
    a = [input.narrow(axis, i, 1) for i in range(3)]
    b = [other.narrow(axis, i, 1) for i in range(3)]
    return shape.cat([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                      a[0] * b[1] - a[1] * b[0]], axis)


def stride(self: Tensor, dim: int | None = None) -> Any:
    """Steps in elements between neighbours along each dim of the underlying array."""
    st = tuple(s // self._data.itemsize for s in self._data.strides)
    return st if dim is None else st[_check_dim(dim, self.ndim, "stride")]


def where(self: Tensor, condition: Any, other: Any) -> Tensor:
    """Tensor.where(condition, other): self where condition holds, else other."""
    return ew.where(condition, self, other)


def is_complex(self: Tensor) -> bool:
    """False: shenjing has no complex dtypes."""
    return False
