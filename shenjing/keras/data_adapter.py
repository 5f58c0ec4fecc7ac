"""From what fit / evaluate / predict are given to NumPy arrays: x, y, sample weights.

Keras takes arrays, lists of arrays (several inputs), dicts, Tensors and an (x, y[, w])
tuple; every form becomes a list of NumPy arrays with one batch dimension (floats as
float32), checked for equal lengths once, before any batch is sliced.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Tensor

__all__ = ["to_arrays", "check_cardinality", "unpack_xy", "class_weights", "split_arrays"]


def to_arrays(data: Any, what: str) -> list[np.ndarray] | None:
    """Flatten x / y / sample_weight to a list of NumPy arrays (floats as float32)."""
    if data is None:
        return None
    if isinstance(data, dict):
        data = list(data.values())
    items = data if isinstance(data, (list, tuple)) and data and not np.isscalar(data[0]) \
        and (isinstance(data[0], (np.ndarray, Tensor, list, tuple))) and not \
        _is_plain_nested_numbers(data) else [data]
    out = []
    for a in items:
        a = a._data if isinstance(a, Tensor) else np.asarray(a)
        if a.dtype.kind == "f" and a.dtype != np.float32:
            a = a.astype(np.float32)
        elif a.dtype.kind == "b":
            a = a.astype(np.float32)
        if a.ndim == 0:
            raise ValueError(f"Expected `{what}` to be an array with a batch dimension, got a "
                             f"scalar: {a!r}")
        out.append(a)
    return out


def _is_plain_nested_numbers(data: Any) -> bool:
    """[[1, 2], [3, 4]] is one array, [array, array] is two inputs."""
    return all(isinstance(d, (list, tuple)) for d in data) and \
        all(np.isscalar(e) for d in data for e in (d[:1] if d else []))


def check_cardinality(xs: list, ys: list | None, sws: list | None) -> int:
    sizes = {len(a) for a in xs + (ys or []) + (sws or [])}
    if len(sizes) > 1:
        msg = "Data cardinality is ambiguous. Make sure all arrays contain the same number " \
              "of samples. "
        for label, arrs in (("x", xs), ("y", ys), ("sample_weight", sws)):
            if arrs:
                msg += f"'{label}' sizes: {', '.join(str(len(a)) for a in arrs)}\n"
        raise ValueError(msg)
    return sizes.pop()


def unpack_xy(x: Any, y: Any, sw: Any) -> tuple:
    """Keras also takes x as a tuple (x, y[, sample_weight])."""
    if y is None and isinstance(x, tuple) and 2 <= len(x) <= 3:
        return x + (None,) * (3 - len(x)) if sw is None else x[:2] + (sw,)
    return x, y, sw


def class_weights(ys: list[np.ndarray], class_weight: dict) -> np.ndarray:
    y = ys[0]
    labels = y.argmax(-1) if y.ndim > 1 and y.shape[-1] > 1 else \
        np.round(y.reshape(len(y), -1)[:, 0]).astype(np.int64)
    table = np.zeros(max(max(class_weight) + 1, int(labels.max()) + 1 if len(labels) else 1),
                     np.float32)
    table[...] = 1.0
    for k, v in class_weight.items():
        table[int(k)] = v
    return table[labels]


def split_arrays(arrs: list | None, lo: int, hi: int) -> list | None:
    return None if arrs is None else [a[lo:hi] for a in arrs]
