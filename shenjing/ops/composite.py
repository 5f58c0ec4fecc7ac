"""PyTorch's one-call combinations (addmm, baddbmm, addcmul, addcdiv, lerp) written as
compositions of existing differentiable ops: their gradients come from the parts, with the
same broadcasting and dtype rules."""
from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from . import elementwise as ew
from . import linalg

__all__ = ["addmm", "baddbmm", "addcmul", "addcdiv", "lerp"]
TENSOR_METHODS = ("addmm", "baddbmm", "addcmul", "addcdiv", "lerp", "where", "is_complex")


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


def where(self: Tensor, condition: Any, other: Any) -> Tensor:
    """Tensor.where(condition, other): self where condition holds, else other."""
    return ew.where(condition, self, other)


def is_complex(self: Tensor) -> bool:
    """False: shenjing has no complex dtypes."""
    return False
