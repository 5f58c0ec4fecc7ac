"""The array module behind every op (NumPy; CuPy can take its place), dtypes, devices, RNG.

Ops reach arrays only through :func:`get_array_module` / ``xp`` so one kernel serves both.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import (  # noqa: F401
    dtype, to_dtype, get_default_dtype, set_default_dtype,
    float16, float32, float64, int8, uint8, int16, int32, int64, bool_,
)
from .random import Generator, default_generator, manual_seed, rng_of  # noqa: F401

xp = np


def get_array_module(*arrays: Any):
    """NumPy, or CuPy when any argument is a CuPy array."""
    for a in arrays:
        if type(a) is np.ndarray:
            continue
        mod = type(a).__module__
        if mod.startswith("cupy"):
            import cupy  # noqa: PLC0415

            return cupy
    return np


class device:
    """Where a tensor lives, like ``torch.device``; only 'cpu' in this build."""

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device" = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if ":" in type:
            type, idx = type.split(":", 1)
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        if type == "cuda":
            raise RuntimeError(
                "shenjing: device 'cuda' needs CuPy and an NVIDIA GPU; "
                "install it with `pip install shenjing[cuda12]` (or [cuda13])")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type

    def __hash__(self) -> int:
        return hash(self.type)


CPU = device("cpu")
