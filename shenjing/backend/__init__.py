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


_INSTALL_HINT = ("install CuPy for your CUDA version with `pip install shenjing[cuda12]` or "
                 "`pip install shenjing[cuda13]` (cupy-cuda12x / cupy-cuda13x)")


def _cupy() -> Any:
    """The cupy module, or a RuntimeError saying how to get it / that no GPU is visible."""
    try:
        import cupy  # noqa: PLC0415
    except ImportError:
        raise RuntimeError(f"shenjing: device 'cuda' needs CuPy and an NVIDIA GPU; "
                           f"{_INSTALL_HINT}") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # cupy present but no driver / no device
        raise RuntimeError(f"shenjing: CuPy is installed but no CUDA GPU is usable ({e})") \
            from None
    if count == 0:
        raise RuntimeError("shenjing: CuPy is installed but found no CUDA GPU")
    return cupy


class device:
    """Where a tensor lives, like ``torch.device``: 'cpu', or 'cuda[:i]' (through CuPy).

    Constructing a cuda device always works, as in PyTorch; using it without CuPy and a GPU
    raises a RuntimeError that says how to install CuPy.
    """

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device | int" = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string, a device or an int, got "
                            f"{type.__class__.__name__}")
        if ":" in type:
            type, idx = type.split(":", 1)
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and \
            (self.index or 0) == (other.index or 0)

    def __hash__(self) -> int:
        return hash((self.type, self.index or 0))


CPU = device("cpu")


def device_of(array: Any) -> device:
    """The device an array lives on: CPU for NumPy, cuda:i for a CuPy array on GPU i."""
    if type(array) is np.ndarray:
        return CPU
    if type(array).__module__.startswith("cupy"):
        return device("cuda", int(getattr(getattr(array, "device", None), "id", 0)))
    return CPU


def module_for(dev: "device | str | None") -> Any:
    """NumPy for the CPU, CuPy (or the install hint) for a cuda device."""
    if dev is None or device(dev).type == "cpu":
        return np
    return _cupy()


def move(array: Any, dev: "device | str") -> Any:
    """``array`` on ``dev`` (the same object when it is already there)."""
    dev = device(dev)
    here = device_of(array)
    if dev.type == "cpu":
        return array if here.type == "cpu" else array.get()
    cupy = _cupy()
    index = dev.index if dev.index is not None else cupy.cuda.runtime.getDevice()
    if here.type == "cuda" and here.index == index:
        return array
    with cupy.cuda.Device(index):
        return cupy.asarray(array)
