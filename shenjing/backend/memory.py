"""Reusing freed memory instead of handing it back to the OS after every op.

Training allocates and frees the same large arrays (activations, im2col columns, gradients)
every step. glibc's malloc serves arrays over its mmap threshold with fresh pages and trims
freed memory at the top of its heap, so each step page-faults its working set in again:
about 5,600 faults (22 MB) and a quarter of a seed-CNN training step on this machine. At
import, shenjing raises the mmap and trim thresholds (and pads heap growth) with glibc's
``mallopt``, so freed arrays are reused the way PyTorch's caching allocators reuse blocks.

The cost: memory freed by the process is kept for reuse rather than returned to the OS
while the process lives (peak use does not grow). Set ``SHENJING_KEEP_MEMORY=0``, or any
``MALLOC_*`` tuning of your own, to leave malloc as it is. Elsewhere than glibc: no-op.
"""
from __future__ import annotations

import ctypes
import functools
import os
import sys

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_MMAP_THRESHOLD = 256 << 20  # arrays up to this size come from (and return to) the heap
_TRIM_THRESHOLD = 1 << 30  # free memory kept at the top of the heap before trimming
_TOP_PAD = 64 << 20  # heap growth in steps of at least this (untouched pages cost nothing)

@functools.lru_cache(maxsize=None)
def keep_freed_memory() -> bool:
    """Tune glibc malloc to reuse freed memory (once); True when the tuning is in effect."""
    if not sys.platform.startswith("linux") or os.environ.get("SHENJING_KEEP_MEMORY") == "0" \
            or any(k.startswith(("MALLOC_", "GLIBC_TUNABLES")) for k in os.environ):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl, another libc)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all([mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD),
                mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD), mallopt(_M_TOP_PAD, _TOP_PAD)])
