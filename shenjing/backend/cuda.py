"""``shenjing.cuda``: is a GPU there, how many, and seeding them, like ``torch.cuda``.

Every function works without CuPy: ``is_available()`` is then False and ``device_count()`` 0.
"""
from __future__ import annotations

from typing import Any

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "manual_seed", "manual_seed_all"]


def _cupy_or_none() -> Any:
    try:
        import cupy  # noqa: PLC0415
    except ImportError:
        return None
    return cupy


def device_count() -> int:
    """Number of CUDA GPUs CuPy can see (0 without CuPy or a driver)."""
    cupy = _cupy_or_none()
    if cupy is None:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # no driver, no device
        return 0


def is_available() -> bool:
    """True when CuPy is installed and at least one GPU is usable."""
    return device_count() > 0


def _need() -> Any:
    from . import _cupy  # noqa: PLC0415

    return _cupy()


def current_device() -> int:
    return int(_need().cuda.runtime.getDevice())


def set_device(device: Any) -> None:
    from . import device as Device  # noqa: PLC0415

    d = Device(device)
    _need().cuda.runtime.setDevice(d.index or 0)


def synchronize(device: Any = None) -> None:
    """Wait for every kernel queued on the GPU (timings need this)."""
    _need().cuda.runtime.deviceSynchronize()


def get_device_name(device: Any = None) -> str:
    from . import device as Device  # noqa: PLC0415

    index = 0 if device is None else (Device(device).index or 0)
    props = _need().cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def manual_seed(seed: int) -> None:
    """Seed the GPU generators (shenjing.manual_seed seeds them too)."""
    from .random import default_generator  # noqa: PLC0415

    default_generator.manual_seed_devices(seed)


manual_seed_all = manual_seed
