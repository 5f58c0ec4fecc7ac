"""Attach ops to Tensor as methods and operators (the tensor module never imports ops).

Each op family module lists in ``TENSOR_METHODS`` the functions whose first argument is the
tensor; they become methods of the same name.
"""
from __future__ import annotations

from types import ModuleType

from ..autograd.tensor import Tensor
from . import elementwise as ew
from .transfer import to_device


def _swap(fn):
    def r(self, other):
        return fn(other, self)

    return r


def install(modules: list[ModuleType]) -> None:
    for mod in modules:
        for name in getattr(mod, "TENSOR_METHODS", ()):
            setattr(Tensor, name, getattr(mod, name))
    ops = {
        "__add__": ew.add, "__radd__": _swap(ew.add), "__sub__": ew.sub, "__rsub__": _swap(ew.sub),
        "__mul__": ew.mul, "__rmul__": _swap(ew.mul), "__truediv__": ew.div,
        "__rtruediv__": _swap(ew.div), "__floordiv__": ew.floor_divide,
        "__rfloordiv__": _swap(ew.floor_divide), "__mod__": ew.remainder, "__pow__": ew.pow,
        "__rpow__": _swap(ew.pow), "__neg__": ew.neg, "__abs__": ew.abs,
        "__eq__": ew.eq, "__ne__": ew.ne, "__lt__": ew.lt, "__le__": ew.le, "__gt__": ew.gt,
        "__ge__": ew.ge, "__and__": ew.bitwise_and, "__or__": ew.bitwise_or,
        "__xor__": ew.bitwise_xor, "__invert__": ew.bitwise_not,
        "__rand__": _swap(ew.bitwise_and), "__ror__": _swap(ew.bitwise_or),
    }
    for name, fn in ops.items():
        setattr(Tensor, name, fn)
    Tensor.__pos__ = lambda self: self
    Tensor._cast = ew.cast
    Tensor._move = to_device
    Tensor.__hash__ = object.__hash__
