"""keras.utils: one-hot labels, normalising, and PNG plots of training curves (History)."""
from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import numpy as np

from ..utils.image import write_png
from ..utils.plot import line_chart

__all__ = ["to_categorical", "normalize", "plot_history", "plot_histories", "history_image"]


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot float32 rows of integer labels ``x``; a trailing axis of size 1 is dropped.

    Shape:
        (...,) or (..., 1) -> (..., num_classes); num_classes defaults to max(x) + 1.
    """
    y = np.asarray(x._data if hasattr(x, "_data") else x)
    if y.size and y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise ValueError("to_categorical: expected integer class labels, got non-integer "
                         f"values such as {y.reshape(-1)[np.mod(y.reshape(-1), 1) != 0][0]}")
    y = y.astype(np.int64)
    shape = y.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        bad = int(y.min()) if y.min() < 0 else int(y.max())
        raise ValueError(f"to_categorical: label {bad} is outside [0, {num_classes}) "
                         f"(num_classes={num_classes})")
    out = np.zeros((y.size, num_classes), np.float32)
    out[np.arange(y.size), y] = 1.0
    return out.reshape(tuple(shape) + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left as they are)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def _history_dict(history: Any) -> dict[str, list]:
    h = getattr(history, "history", history)
    if not isinstance(h, Mapping):
        raise TypeError(f"plot_history: expected a History or a dict of lists, "
                        f"got {type(history).__name__}")
    return {k: list(v) for k, v in h.items()}


def _panels(runs: Mapping[str, dict], keys: Sequence[str] | None, width: int,
            height: int, title: str) -> np.ndarray:
    names = []
    for h in runs.values():
        names += [k for k in h if k not in names and not k.startswith("val_")
                  and k not in ("lr", "learning_rate")]
    if keys is not None:
        names = [k for k in keys if not k.startswith("val_")]
    if not names:
        raise ValueError("plot_history: the history has no curves to plot")
    images = []
    for key in names:
        series = {}
        for run, h in runs.items():
            for k in (key, "val_" + key):
                if k in h and len(h[k]):
                    label = k if len(runs) == 1 else f"{run} {k}"
                    ys = np.asarray(h[k], np.float64)
                    series[label] = (np.arange(1, len(ys) + 1), ys)
        if series:
            text = f"{title} {key}".strip()
            images.append(line_chart(series, title=text, xlabel="epoch", ylabel=key,
                                     width=width, height=height,
                                     dashed=[s for s in series if "val_" in s]))
    return np.concatenate(images, axis=0)


def history_image(history: Any, keys: Sequence[str] | None = None, width: int = 640,
                  height: int = 360, title: str = "") -> np.ndarray:
    """(H, W, 3) uint8 image: one panel per metric (loss first), validation curves dashed."""
    return _panels({"": _history_dict(history)}, keys, width, height, title)


def plot_history(history: Any, path: str | os.PathLike | None = None,
                 keys: Sequence[str] | None = None, title: str = "") -> np.ndarray:
    """Plot a History's curves (one panel per metric) and write them to ``path`` as a PNG."""
    img = history_image(history, keys, title=title)
    if path is not None:
        write_png(path, img)
    return img


def plot_histories(histories: Mapping[str, Any], path: str | os.PathLike | None = None,
                   keys: Sequence[str] | None = None, title: str = "") -> np.ndarray:
    """Compare runs: ``{label: History}`` drawn together, one panel per metric, to a PNG."""
    runs = {label: _history_dict(h) for label, h in histories.items()}
    img = _panels(runs, keys, 640, 360, title)
    if path is not None:
        write_png(path, img)
    return img
