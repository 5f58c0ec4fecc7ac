"""default_collate / default_convert: merge samples into batches the way PyTorch does.

Tensors and NumPy arrays are stacked along a new first dim; Python floats become a float64
tensor, ints an int64 tensor; strings stay a list; dicts, namedtuples, tuples and lists recurse
(a tuple sample gives a list of batches, as in PyTorch).
"""
from __future__ import annotations

import collections.abc as cabc
from typing import Any

import numpy as np

from ...autograd import Tensor
from ...backend import get_default_dtype

__all__ = ["default_collate", "default_convert"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _wrap(a: np.ndarray) -> Tensor:
    return Tensor._wrap(a, None, False)


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    shape = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(a.shape)} at entry {i}")
    return np.stack(arrays)


def default_collate(batch: list[Any]) -> Any:
    """Merge a list of samples into a batch (see the module docstring for the rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _wrap(_stack([b._data for b in batch]))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SUOa":
            raise TypeError(_ERR.format(elem.dtype))
        return _wrap(_stack([np.asarray(b) for b in batch]))
    if isinstance(elem, np.generic):
        if elem.dtype.kind in "SUOa":
            raise TypeError(_ERR.format(elem.dtype))
        return _wrap(np.array(batch))
    if isinstance(elem, float):
        return _wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, (int, bool)):
        arr = np.array(batch)
        if arr.dtype.kind == "f":
            arr = arr.astype(get_default_dtype().np)
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
        return _wrap(arr)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, cabc.Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, cabc.Sequence):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        collated = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return collated
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays (recursively) into tensors, leaving everything else as it is."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "SUOa":
        return _wrap(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "SUOa":
        return _wrap(np.asarray(data))
    if isinstance(data, cabc.Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(out)
        except TypeError:
            return out
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, cabc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
