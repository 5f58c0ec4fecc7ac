"""Tensor.new_* : new tensors that take their dtype and device from an existing one.

``weight.new_zeros(layers, batch, hidden)`` is how PyTorch code makes an RNN's initial state
on the model's own dtype and device; each method accepts ``dtype=`` and ``device=`` to
override, and the sizes as separate ints or one tuple, like PyTorch's.
"""
from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from . import creation

__all__: tuple = ()  # methods only: nothing joins the shenjing namespace
TENSOR_METHODS = ("new_tensor", "new_zeros", "new_ones", "new_empty", "new_full")


def _like(self: Tensor, dtype: Any, device: Any) -> dict:
    return {"dtype": self.dtype if dtype is None else dtype,
            "device": self.device if device is None else device}


def new_tensor(self: Tensor, data: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """A copy of ``data`` with this tensor's dtype and device (unless given)."""
    return creation.tensor(data, requires_grad=requires_grad, **_like(self, dtype, device))


def new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return creation.zeros(*size, requires_grad=requires_grad, **_like(self, dtype, device))


def new_ones(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    return creation.ones(*size, requires_grad=requires_grad, **_like(self, dtype, device))


def new_empty(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return creation.empty(*size, requires_grad=requires_grad, **_like(self, dtype, device))


def new_full(self: Tensor, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    return creation.full(size, fill_value, requires_grad=requires_grad,
                         **_like(self, dtype, device))
