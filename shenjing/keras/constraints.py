"""Keras weight constraints: ``c(w)`` -> the projected weight, applied after each update.

Norms are taken over ``axis`` of the kernel (axis 0 of a Dense kernel (in, out) gives one
norm per output unit), divided with Keras's epsilon 1e-7 added to the norm.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Tensor

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg",
           "unit_norm", "min_max_norm", "get", "serialize", "deserialize"]

EPSILON = 1e-7


def _apply(w: Any, fn: Any) -> Any:
    """Run ``fn`` on the array of ``w``; give back the kind that came (Tensor or array)."""
    if isinstance(w, Tensor):
        return Tensor._wrap(fn(w._data).astype(w._data.dtype, copy=False), None, False)
    a = np.asarray(w)
    return fn(a).astype(a.dtype if a.dtype.kind == "f" else np.float32, copy=False)


def _norms(a: np.ndarray, axis: Any) -> np.ndarray:
    return np.sqrt(np.sum(np.square(a), axis=axis, keepdims=True))


class Constraint:
    """Base class: the identity projection."""

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Constraint":
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """w * clip(n, 0, max_value) / (eps + n), n = ||w|| over ``axis``."""

    def __init__(self, max_value: float = 2, axis: Any = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w: Any) -> Any:
        def f(a: np.ndarray) -> np.ndarray:
            n = _norms(a, self.axis)
            return a * (np.clip(n, 0, self.max_value) / (EPSILON + n))
        return _apply(w, f)

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """max(w, 0)."""

    def __call__(self, w: Any) -> Any:
        return _apply(w, lambda a: np.maximum(a, 0))


class UnitNorm(Constraint):
    """w / (eps + ||w||) over ``axis``."""

    def __init__(self, axis: Any = 0) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        return _apply(w, lambda a: a / (EPSILON + _norms(a, self.axis)))

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Norms pulled into [min_value, max_value] at ``rate`` (1 = all the way)."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: Any = 0) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w: Any) -> Any:
        def f(a: np.ndarray) -> np.ndarray:
            n = _norms(a, self.axis)
            desired = self.rate * np.clip(n, self.min_value, self.max_value) + (1 - self.rate) * n
            return a * (desired / (EPSILON + n))
        return _apply(w, f)

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_BY_NAME = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
            "min_max_norm": MinMaxNorm, "MaxNorm": MaxNorm, "NonNeg": NonNeg,
            "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm}


def get(identifier: Any) -> Any:
    """None, or a constraint from a name ('max_norm'), a config dict, an instance or callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")


def serialize(constraint: Constraint) -> dict:
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config: dict) -> Constraint:
    cls = _BY_NAME.get(config.get("class_name", ""))
    if cls is None:
        raise ValueError(f"Could not interpret constraint config: {config!r}")
    return cls.from_config(config.get("config", {}))
