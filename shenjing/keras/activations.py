"""Keras activations: functions Tensor -> Tensor, looked up by name with :func:`get`.

Keras 3's defaults, which differ from PyTorch's in places: ``leaky_relu`` has slope 0.2,
``softmax`` and ``log_softmax`` work on the last axis, ``gelu`` is exact unless asked.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import Tensor
from ..ops import activation as _act
from ..ops import elementwise as _ew

__all__ = ["get", "serialize", "deserialize", "relu", "leaky_relu", "relu6", "sigmoid", "tanh",
           "softmax", "log_softmax", "linear", "elu", "selu", "celu", "gelu", "softplus",
           "softsign", "silu", "swish", "exponential", "hard_sigmoid", "hard_silu",
           "hard_swish", "hard_tanh", "mish", "log_sigmoid", "tanh_shrink"]


def _t(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor._wrap(np.asarray(x, dtype=np.float32), None, False)


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """max(x, 0); with Keras's options: a slope below ``threshold`` and a cap ``max_value``."""
    x = _t(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return _act.relu(x)
    y = _act.relu(x - threshold) + threshold * (x > threshold).to(x.dtype)
    if negative_slope:
        y = y - negative_slope * _act.relu(threshold - x)
    if max_value is not None:
        y = _ew.clamp(y, max=max_value)
    return y


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    return _act.leaky_relu(_t(x), negative_slope)


def relu6(x: Any) -> Tensor:
    return _act.relu6(_t(x))


def sigmoid(x: Any) -> Tensor:
    return _act.sigmoid(_t(x))


def tanh(x: Any) -> Tensor:
    return _act.tanh(_t(x))


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (the last by default, the class axis in Keras)."""
    return _act.softmax(_t(x), dim=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    return _act.log_softmax(_t(x), dim=axis)


def linear(x: Any) -> Tensor:
    """The identity: what ``activation=None`` means."""
    return _t(x)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    return _act.elu(_t(x), alpha)


def selu(x: Any) -> Tensor:
    return _act.selu(_t(x))


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    return _act.celu(_t(x), alpha)


def gelu(x: Any, approximate: bool = False) -> Tensor:
    return _act.gelu(_t(x), "tanh" if approximate else "none")


def softplus(x: Any) -> Tensor:
    return _act.softplus(_t(x))


def softsign(x: Any) -> Tensor:
    return _act.softsign(_t(x))


def silu(x: Any) -> Tensor:
    """x * sigmoid(x), also called swish."""
    return _act.silu(_t(x))


swish = silu


def exponential(x: Any) -> Tensor:
    return _ew.exp(_t(x))


def hard_sigmoid(x: Any) -> Tensor:
    """relu6(x + 3) / 6 (Keras 3's definition)."""
    return _act.hardsigmoid(_t(x))


def hard_silu(x: Any) -> Tensor:
    return _act.hardswish(_t(x))


hard_swish = hard_silu


def hard_tanh(x: Any) -> Tensor:
    return _act.hardtanh(_t(x))


def mish(x: Any) -> Tensor:
    return _act.mish(_t(x))


def log_sigmoid(x: Any) -> Tensor:
    return _act.logsigmoid(_t(x))


def tanh_shrink(x: Any) -> Tensor:
    return _act.tanhshrink(_t(x))


_BY_NAME: dict[str, Callable] = {f.__name__: f for f in (
    relu, leaky_relu, relu6, sigmoid, tanh, softmax, log_softmax, linear, elu, selu, celu, gelu,
    softplus, softsign, silu, exponential, hard_sigmoid, hard_silu, hard_tanh, mish,
    log_sigmoid, tanh_shrink)}
_BY_NAME.update(swish=silu, hard_swish=hard_silu)


def get(identifier: Any) -> Callable[[Tensor], Tensor]:
    """The activation named by ``identifier`` (a string, None for linear, or a callable)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:
            raise ValueError(
                f"Could not interpret activation function identifier: {identifier!r}. "
                f"Known names: {sorted(_BY_NAME)}")
        return fn
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation: Callable) -> str:
    """The name of a built-in activation (what ``get`` takes back)."""
    name = getattr(activation, "__name__", None)
    if name in _BY_NAME:
        return name
    raise ValueError(f"serialize: {activation!r} is not a built-in Keras activation")


def deserialize(config: Any) -> Callable:
    if isinstance(config, dict):
        config = config.get("config", config.get("class_name"))
    return get(config)
