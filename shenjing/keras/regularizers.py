"""Keras weight regularizers: ``reg(weight)`` -> a scalar penalty Tensor added to the loss.

Keras's penalties have no 1/2: L2 is ``l2 * sum(w ** 2)``, L1 is ``l1 * sum(|w|)``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import Tensor
from ..ops import elementwise as _ew
from ..ops import reduce as _red

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize",
           "deserialize"]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x, np.float32), None, False)


def _check(name: str, value: Any) -> float:
    if value is None:
        return 0.0
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"Value for argument `{name}` must be a non-negative finite number. "
                         f"Received: {name}={value}")
    return value


class Regularizer:
    """Base class: ``__call__(x)`` returns the penalty of weight ``x`` (0 by default)."""

    def __call__(self, x: Any) -> Any:
        return 0.0

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = _check("l1", l1), _check("l2", l2)

    def __call__(self, x: Any) -> Tensor:
        x = _t(x)
        out = Tensor._wrap(np.zeros((), x._data.dtype), None, False)
        if self.l1:
            out = out + self.l1 * _red.sum(_ew.abs(x))
        if self.l2:
            out = out + self.l2 * _red.sum(_ew.square(x))
        return out

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _check("l1", l1)

    def __call__(self, x: Any) -> Tensor:
        return self.l1 * _red.sum(_ew.abs(_t(x)))

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _check("l2", l2)

    def __call__(self, x: Any) -> Tensor:
        return self.l2 * _red.sum(_ew.square(_t(x)))

    def get_config(self) -> dict:
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2  # Keras 3's aliases (l1_l2 defaults both factors to 0)


_BY_NAME: dict[str, Callable[[], Regularizer]] = {
    "l1": L1, "l2": L2, "l1_l2": l1_l2, "L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier: Any) -> Any:
    """None, or a regularizer from a name ('l2'), a config dict, an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")


def serialize(regularizer: Regularizer) -> dict:
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def deserialize(config: dict) -> Regularizer:
    cls = {"L1": L1, "L2": L2, "L1L2": L1L2}.get(config.get("class_name", ""))
    if cls is None:
        raise ValueError(f"Could not interpret regularizer config: {config!r}")
    return cls.from_config(config.get("config", {}))
