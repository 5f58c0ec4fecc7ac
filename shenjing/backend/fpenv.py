"""The CPU's floating-point environment: flushing subnormal ("denormal") floats to zero.

Arithmetic on subnormal floats (below ~1.2e-38 in float32) is 10-100x slower on x86 CPUs.
Gradients that vanish through many layers or time steps land there (the first steps of an
LSTM over 200 steps spend ~90% of their time on them). ``set_flush_denormal(True)``, like
``torch.set_flush_denormal``, sets the SSE control bits FTZ (results flush to zero) and DAZ
(inputs read as zero) on the calling thread; shenjing's intra-op workers take the caller's
setting for each parallel region. BLAS threads of their own (a multi-threaded GEMM outside
those regions) keep theirs. Only x86-64 Linux with glibc is supported; elsewhere the call
returns False and changes nothing, as PyTorch's does on unsupported CPUs.
"""
from __future__ import annotations

import ctypes
import platform
import threading
from typing import Any

__all__ = ["set_flush_denormal", "get_mxcsr", "set_mxcsr", "follow_flush_mode"]

_FTZ_DAZ = (1 << 15) | (1 << 6)  # MXCSR flush-to-zero and denormals-are-zero
_ENV_BYTES, _MXCSR_AT = 32, 28  # glibc's x86-64 fenv_t: x87 environment, then MXCSR
_LIBM: list[Any] = []
_MODE: list[bool | None] = [None]  # the mode last set by set_flush_denormal (None: never)
_LOCAL = threading.local()  # .mode: the mode this thread has applied


def _libm() -> Any:
    """glibc's fegetenv/fesetenv, or None where the layout above is not known to hold."""
    if not _LIBM:
        lib = None
        if platform.system() == "Linux" and platform.machine() in ("x86_64", "AMD64") \
                and platform.libc_ver()[0] == "glibc":
            try:
                lib = ctypes.CDLL("libm.so.6")
                for name in ("fegetenv", "fesetenv"):
                    getattr(lib, name).argtypes = [ctypes.c_void_p]
                    getattr(lib, name).restype = ctypes.c_int
            except (OSError, AttributeError):
                lib = None
        _LIBM.append(lib)
    return _LIBM[0]


def _env() -> tuple[Any, Any] | None:
    """(libm, this thread's fenv_t as read by fegetenv), or None where unsupported."""
    lib = _libm()
    if lib is None:
        return None
    env = ctypes.create_string_buffer(_ENV_BYTES)
    return (lib, env) if lib.fegetenv(env) == 0 else None


def get_mxcsr() -> int | None:
    """The calling thread's MXCSR register, or None where it cannot be read."""
    got = _env()
    return None if got is None else int.from_bytes(got[1].raw[_MXCSR_AT:_MXCSR_AT + 4],
                                                    "little")


def set_mxcsr(value: int) -> bool:
    """Set the calling thread's MXCSR (the x87 state is written back unchanged)."""
    got = _env()
    if got is None:
        return False
    lib, env = got
    ctypes.memmove(ctypes.addressof(env) + _MXCSR_AT, int(value).to_bytes(4, "little"), 4)
    return lib.fesetenv(env) == 0


def _apply(mode: bool) -> bool:
    """Set or clear FTZ and DAZ on the calling thread; whether it took."""
    mx = get_mxcsr()
    if mx is None or not set_mxcsr(mx | _FTZ_DAZ if mode else mx & ~_FTZ_DAZ):
        return False
    _LOCAL.mode = mode
    return True


def set_flush_denormal(mode: bool) -> bool:
    """Flush subnormal floats to zero on the CPU (``mode=True``) or stop (``False``), like
    ``torch.set_flush_denormal``; returns whether this CPU and C library support it."""
    if not _apply(bool(mode)):
        return False
    _MODE[0] = bool(mode)
    return True


def follow_flush_mode() -> None:
    """In a worker thread: apply the mode last set by set_flush_denormal, if any (once)."""
    mode = _MODE[0]
    if mode is not None and getattr(_LOCAL, "mode", None) != mode:
        _apply(mode)
