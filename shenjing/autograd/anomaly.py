"""Anomaly detection: name the op that first makes a NaN or Inf, in forward or backward.

Off by default. The hot paths (``Function.apply`` and the engine loop) test one module-level
flag each; only when it is on do they call the checks here. With it on, every recorded node
keeps the stack of the forward call that made it, so a bad gradient in backward can point at
the line of user code that built the node (as PyTorch's anomaly mode does).
"""
from __future__ import annotations

import functools
import traceback
import warnings
from typing import Any, Callable

from . import engine as _engine
from . import function as _function


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on."""
    return _function._anomaly


def _set(mode: bool) -> None:
    # the two flags the hot paths read; kept equal
    _function._anomaly = bool(mode)
    _engine._anomaly = bool(mode)


class set_detect_anomaly:
    """Turn anomaly detection on or off; usable as a call or a context manager.

    ``set_detect_anomaly(True)`` switches it on now; ``with set_detect_anomaly(True): ...``
    restores the previous mode on exit.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.mode = bool(mode) and bool(check_nan)
        _set(self.mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        _set(self.prev)


class detect_anomaly:
    """Context manager (or decorator) that turns anomaly detection on inside its block."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)
        self.prev = False

    def __enter__(self) -> None:
        self.prev = is_anomaly_enabled()
        _set(self.check_nan)

    def __exit__(self, *exc: Any) -> None:
        _set(self.prev)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*a: Any, **k: Any) -> Any:
            with self.__class__(self.check_nan):
                return fn(*a, **k)
        return wrapper


def _bad(arr: Any) -> str | None:
    """'nan' or 'inf' if a floating array holds one, else None."""
    dt = getattr(arr, "dtype", None)
    if dt is None or dt.kind not in "fc":
        return None
    if arr.size == 0:
        return None
    xp = _array_module(arr)
    if bool(xp.isnan(arr).any()):
        return "nan"
    if bool(xp.isinf(arr).any()):
        return "inf"
    return None


def _array_module(arr: Any) -> Any:
    from ..backend import get_array_module  # noqa: PLC0415

    return get_array_module(arr)


def _shapes(fn: Any, inputs: tuple) -> str:
    return str([tuple(t._data.shape) for t in inputs])


def check_forward(fn: Any, out: Any, inputs: tuple) -> None:
    """Raise if ``fn``'s forward output holds NaN/Inf; remember where the node was made."""
    kind = _bad(out)
    if kind is not None:
        raise RuntimeError(f"shenjing anomaly: {type(fn).__name__} produced {kind} in forward "
                           f"(input shapes {_shapes(fn, inputs)})")
    if fn.__dict__.get("inputs") is not None:  # a recorded node: keep its creation stack
        fn._anomaly_stack = traceback.format_stack()[:-3]  # drop apply and the checks


def check_backward(fn: Any, grads: Any) -> None:
    """Raise if a gradient ``fn.backward`` returned holds NaN/Inf, naming the op."""
    if not isinstance(grads, tuple):
        grads = (grads,)
    for i, g in enumerate(grads):
        if g is None:
            continue
        if hasattr(g, "indices") and hasattr(g, "values"):  # a row-sparse gradient
            g = g.values
        kind = _bad(g)
        if kind is None:
            continue
        stack = fn.__dict__.get("_anomaly_stack")
        if stack:
            warnings.warn(f"Error detected in {fn.name()}. Traceback of forward call that caused "
                          f"the error:\n{''.join(stack)}", RuntimeWarning, stacklevel=3)
        shapes = _shapes(fn, fn.inputs) if fn.inputs else "[]"
        raise RuntimeError(f"Function '{fn.name()}' returned {kind} values in its {i}th output. "
                           f"(input shapes {shapes})")
