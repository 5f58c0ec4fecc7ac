"""shenjing dtypes: thin named wrappers over NumPy dtypes, printed as PyTorch prints them."""
from __future__ import annotations

from typing import Any

import numpy as np


class dtype:
    """A tensor element type (``shenjing.float32`` ...), comparable with NumPy dtypes."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype: Any) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"shenjing.{self.name}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dtype):
            return self.np == other.np
        try:
            return self.np == np.dtype(other)  # type: ignore[arg-type]
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.np)

    def __reduce__(self):
        return (to_dtype, (self.name,))


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
uint8 = dtype("uint8", np.uint8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool_)
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)

_default_float = float32


def to_dtype(d: Any) -> dtype:
    """Resolve a shenjing dtype, NumPy dtype, Python type or name to a shenjing dtype."""
    if isinstance(d, dtype):
        return d
    if isinstance(d, str):
        if d in _BY_NAME:
            return _BY_NAME[d]
        d = d.replace("torch.", "").replace("shenjing.", "")
        if d in _BY_NAME:
            return _BY_NAME[d]
    if d is builtins_float:
        return _default_float
    if d is builtins_int:
        return int64
    if d is builtins_bool:
        return bool_
    try:
        npd = np.dtype(d)
    except TypeError:
        raise TypeError(f"unsupported dtype {d!r}") from None
    if npd not in _BY_NP:
        raise TypeError(f"unsupported dtype {npd}: shenjing supports {', '.join(_BY_NAME)}")
    return _BY_NP[npd]


def get_default_dtype() -> dtype:
    """The floating dtype that new float tensors get (float32 unless changed)."""
    return _default_float


def set_default_dtype(d: Any) -> None:
    """Set the floating dtype that new float tensors get; float32 or float64."""
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating dtypes are supported, got {d}")
    _default_float = d


import builtins as _b  # noqa: E402

builtins_float, builtins_int, builtins_bool = _b.float, _b.int, _b.bool
