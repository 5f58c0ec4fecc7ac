"""Parameter: a Tensor that a Module registers as learnable when assigned as an attribute."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import dtypes

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that Modules collect in ``parameters()``.

    ``Parameter(t)`` shares ``t``'s storage, like PyTorch. Ops on a Parameter return plain
    Tensors.

    Args:
        data: the initial value (a Tensor or anything ``shenjing.tensor`` accepts); an empty
            float tensor when None.
        requires_grad: whether the parameter takes part in autograd (default True).
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty((0,), dtype=dtypes.get_default_dtype().np)
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = np.asarray(data)
            if array.dtype == np.float64 and not isinstance(data, np.ndarray):
                array = array.astype(dtypes.get_default_dtype().np)
        if requires_grad and array.dtype.kind not in "fc":
            raise RuntimeError(
                f"Only Tensors of floating point and complex dtype can require gradients, "
                f"got {dtypes.to_dtype(array.dtype)}")
        self._data = array
        self.requires_grad = bool(requires_grad)
        self.grad_fn = None
        self._grad = None
        self._retains_grad = False
        self._hooks = None

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, proto: int):
        return (_rebuild_parameter, (np.asarray(self._data), self.requires_grad))

    def __deepcopy__(self, memo: dict) -> "Parameter":
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(Tensor._wrap(self._data.copy(), None, False), self.requires_grad)
        if self._grad is not None:
            out._grad = Tensor._wrap(self._grad._data.copy(), None, False)
        memo[id(self)] = out
        return out


def _rebuild_parameter(array: np.ndarray, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._wrap(array, None, False), requires_grad)
