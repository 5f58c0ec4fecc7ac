"""Memory formats (PyTorch's ``torch.memory_format``): how an N-D tensor's values lie in
memory. Values never depend on it; kernels read it to pick their fast paths (convs leave
their outputs channels-last, the layout their GEMMs produce)."""
from __future__ import annotations

from typing import Any


class memory_format:
    """A memory layout tag: ``contiguous_format``, ``channels_last`` (4-D, NHWC memory),
    ``channels_last_3d`` (5-D, NDHWC) or ``preserve_format``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"shenjing.{self.name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

_RANK = {"channels_last": 4, "channels_last_3d": 5}


def order(fmt: Any, ndim: int) -> tuple | None:
    """The axis order whose C-contiguous memory ``fmt`` means for an ``ndim``-D tensor
    (None for ``preserve_format``)."""
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format must be a shenjing.memory_format, got "
                        f"{type(fmt).__name__}")
    if fmt is preserve_format:
        return None
    rank = _RANK.get(fmt.name)
    if rank is None:
        return tuple(range(ndim))
    if ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
    return (0,) + tuple(range(2, ndim)) + (1,)


def inverse(perm: tuple) -> tuple:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def is_in(arr: Any, fmt: Any) -> bool:
    """Whether ``arr``'s memory is ``fmt`` (C-contiguous in that axis order)."""
    perm = order(fmt, arr.ndim)
    return perm is None or bool(arr.transpose(perm).flags.c_contiguous)


def to(arr: Any, fmt: Any) -> Any:
    """``arr`` itself if already in ``fmt``, else a copy laid out that way."""
    perm = order(fmt, arr.ndim)
    if perm is None or arr.transpose(perm).flags.c_contiguous:
        return arr
    return arr.transpose(perm).copy().transpose(inverse(perm))
