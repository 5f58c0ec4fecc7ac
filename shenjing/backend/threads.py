"""Intra-op threads: how many an op may use, and running its independent pieces on them.

NumPy runs copies and element-wise passes on one core while its BLAS uses all of them, so on
a CPU the memory-bound half of a convolution (im2col, col2im) or a pooling layer leaves the
other cores idle. Ops whose work splits into independent pieces (batch chunks, channel
slices) hand them to :func:`parallel_map`, which runs them on a small pool of threads with
BLAS held to one thread meanwhile: every core then does the whole of its own piece, copies
and GEMMs alike. NumPy releases the GIL in both.

The thread count follows the BLAS library's own setting (``OPENBLAS_NUM_THREADS``,
``threadpoolctl``), or :func:`set_num_threads` like ``torch.set_num_threads``. Where the BLAS
is not an OpenBLAS that can be found and held (MKL, Accelerate), ops stay serial rather than
oversubscribe the cores.
"""
from __future__ import annotations

import contextvars
import ctypes
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

from . import fpenv

__all__ = ["get_num_threads", "set_num_threads", "workers", "parallel_map", "parallel_range"]

# OpenBLAS's thread-count getters and setters (NumPy's wheels ship it as scipy_openblas, with
# a 64_ suffix on the ILP64 build).
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")
_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_TIMEOUT = "4"  # OPENBLAS_THREAD_TIMEOUT: its idle threads sleep after 2^4 cycles


class _Blas:
    """NumPy's OpenBLAS: its thread-count getter and setter, found through /proc/self/maps.

    OpenBLAS's idle threads spin for about 2^28 cycles (~0.1 s) after each threaded call;
    next to our own threads that steals half a core, so unless the user chose
    OPENBLAS_THREAD_TIMEOUT, the timeout is shortened (re-read from the environment, the
    threads restarted) once, here. Small GEMMs measured no slower for it.
    """

    def __init__(self) -> None:
        self.get: Callable[[], int] | None = None
        self.set: Callable[[int], None] | None = None
        try:
            import numpy  # noqa: F401, PLC0415 - make sure NumPy's BLAS is loaded
            with open("/proc/self/maps") as f:
                paths = {ln.split()[-1] for ln in f if ".so" in ln}
        except (OSError, IndexError):
            return
        for path in sorted(p for p in paths if "openblas" in os.path.basename(p)):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            get = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
            set_ = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
            if get is None or set_ is None:
                continue
            get.restype, get.argtypes = ctypes.c_int, []
            set_.restype, set_.argtypes = None, [ctypes.c_int]
            self.get, self.set = get, set_
            self._short_timeout(lib)
            return

    @staticmethod
    def _short_timeout(lib: Any) -> None:
        if "OPENBLAS_THREAD_TIMEOUT" in os.environ or not all(
                hasattr(lib, n) for n in ("openblas_read_env", "blas_thread_shutdown_")):
            return
        os.environ["OPENBLAS_THREAD_TIMEOUT"] = _TIMEOUT
        try:
            lib.openblas_read_env()
        finally:
            del os.environ["OPENBLAS_THREAD_TIMEOUT"]  # child processes keep their default
        lib.blas_thread_shutdown_()  # restarted on the next threaded call, with the timeout


_S: dict[str, Any] = {"blas": None, "threads": None, "pool": None, "pool_size": 0}
_LOCK = threading.Lock()


def _after_fork_in_child() -> None:
    """A forked child (a DataLoader worker) has none of the parent's pool threads: start
    afresh rather than queue work that no thread would ever take."""
    global _LOCK
    _S["pool"], _S["pool_size"] = None, 0
    _LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _blas() -> _Blas:
    if _S["blas"] is None:
        _S["blas"] = _Blas()
    return _S["blas"]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def get_num_threads() -> int:
    """The number of threads an op may use: :func:`set_num_threads`'s value, else the BLAS's."""
    if _S["threads"] is not None:
        return _S["threads"]
    b = _blas()
    return max(1, int(b.get())) if b.get is not None else 1


def set_num_threads(n: int) -> None:
    """Use ``n`` threads inside ops (BLAS included), like ``torch.set_num_threads``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {n!r}")
    _S["threads"] = n
    b = _blas()
    if b.set is not None:
        b.set(n)


def workers() -> int:
    """Threads a parallel region may use now: 1 where the BLAS cannot be held to one."""
    if _blas().set is None:
        return 1
    return min(get_num_threads(), _cores())


def parallel_map(fn: Callable[[Any], Any], parts: Sequence[Any]) -> list:
    """``[fn(p) for p in parts]``, the parts spread over the intra-op threads.

    Parts must be independent (each writes only its own output). Runs serially with one
    thread, one part, inside another parallel region, or while another thread holds the
    pool. BLAS runs single-threaded in each worker for the duration.
    """
    w = min(len(parts), workers())
    if w <= 1 or not _LOCK.acquire(blocking=False):
        return [fn(p) for p in parts]
    b = _blas()
    try:
        if _S["pool_size"] < w - 1:
            if _S["pool"] is not None:
                _S["pool"].shutdown(wait=True)
            _S["pool"] = ThreadPoolExecutor(w - 1, thread_name_prefix="shenjing-op")
            _S["pool_size"] = w - 1
        prev = int(b.get())
        b.set(1)
        try:
            # part i goes to thread i mod w; this thread takes thread 0's share
            def share(k: int) -> list:
                if k:
                    fpenv.follow_flush_mode()  # the caller's set_flush_denormal, if any
                return [(i, fn(parts[i])) for i in range(k, len(parts), w)]

            # workers run in copies of the caller's context: NumPy's errstate (a context
            # variable) and any other context state hold inside the region as outside it
            futures = [_S["pool"].submit(contextvars.copy_context().run, share, k)
                       for k in range(1, w)]
            try:
                done = share(0)
            finally:  # never leave a worker running past the region, even on an error
                rest = [f.result() for f in futures]
            for r in rest:
                done += r
        finally:
            b.set(prev)
    finally:
        _LOCK.release()
    out: list = [None] * len(parts)
    for i, r in done:
        out[i] = r
    return out


RANGE_BYTES = 1 << 23  # bytes an op touches (in and out) below which one thread does it


def parallel_range(fn: Callable[[int, int], Any], n: int, nbytes: int) -> None:
    """``fn(lo, hi)`` over balanced slices of ``range(n)``, one per intra-op thread, when the
    op touches at least 8 MiB (``nbytes``); smaller ops run as one call."""
    w = min(n, workers()) if nbytes >= RANGE_BYTES else 1
    if w <= 1:
        fn(0, n)
        return
    bounds = [n * i // w for i in range(w + 1)]
    parallel_map(lambda r: fn(r[0], r[1]), [(bounds[i], bounds[i + 1]) for i in range(w)])
