"""Keras optimizers with Keras 3's exact update rules (epsilon outside the square root in
Adam, inside it in RMSprop and Adagrad; SGD momentum as velocity = m v - lr g)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import schedules  # noqa: F401
from .base import Optimizer

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "get", "serialize",
           "deserialize", "schedules"]


class SGD(Optimizer):
    """v <- momentum v - lr g; w <- w + v (nesterov: w <- w + momentum v - lr g)."""

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 name: str = "SGD", **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, **kwargs)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self._slot_names = ("momentum",) if self.momentum else ()

    def _coefficients(self, lr, step, t):
        return t(lr), t(self.momentum)

    def _update(self, g, w, slots, coef):
        lr, mom = coef
        a, b = self._scratch(w, 2)
        np.multiply(g, lr, out=a)  # lr g
        if not self.momentum:
            w -= a
            return
        m = slots["momentum"]
        m *= mom
        m -= a
        if self.nesterov:
            np.multiply(m, mom, out=b)
            b -= a
            w += b  # w + momentum v - lr g
        else:
            w += m

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
    w -= m * lr sqrt(1 - b2^t) / (1 - b1^t) / (sqrt(v) + eps)."""

    _slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, name: str = "adam",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        if amsgrad:
            self._slot_names = ("momentum", "velocity", "velocity_hat")

    def _coefficients(self, lr, step, t):
        # alpha = lr sqrt(1 - b2^t) / (1 - b1^t), in double precision, then the weights' dtype
        alpha = lr * math.sqrt(1.0 - self.beta_2 ** step) / (1.0 - self.beta_1 ** step)
        return t(alpha), t(1 - self.beta_1), t(1 - self.beta_2), t(self.epsilon)

    def _update(self, g, w, slots, coef):
        alpha, c1, c2, eps = coef
        m, v = slots["momentum"], slots["velocity"]
        a, b = self._scratch(w, 2)
        np.subtract(g, m, out=a)
        a *= c1
        m += a  # m += (g - m)(1 - b1)
        np.multiply(g, g, out=a)
        a -= v
        a *= c2
        v += a  # v += (g^2 - v)(1 - b2)
        if self.amsgrad:
            vh = slots["velocity_hat"]
            np.maximum(vh, v, out=vh)
            v = vh
        np.sqrt(v, out=a)
        a += eps
        np.multiply(m, alpha, out=b)
        b /= a
        w -= b  # w -= m alpha / (sqrt(v) + eps)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay w -= w * weight_decay * lr before each update."""

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, name: str = "adamw", **kwargs: Any) -> None:
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    """v = rho v + (1 - rho) g^2 (centered: minus the squared running mean of g);
    step = lr g / sqrt(v + eps); with momentum m = momentum m + step; w -= m (or step)."""

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, name: str = "rmsprop",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        self._slot_names = ("velocity",) + (("momentum",) if momentum > 0 else ()) + (
            ("average_gradient",) if centered else ())

    def _coefficients(self, lr, step, t):
        return t(lr), t(self.rho), t(1 - self.rho), t(self.epsilon), t(self.momentum)

    def _update(self, g, w, slots, coef):
        lr, rho, c, eps, mom = coef
        v = slots["velocity"]
        a, b = self._scratch(w, 2)
        v *= rho
        np.multiply(g, g, out=a)
        a *= c
        v += a  # v = rho v + (1 - rho) g^2
        if self.centered:
            ag = slots["average_gradient"]
            ag *= rho
            np.multiply(g, c, out=a)
            ag += a
            np.multiply(ag, ag, out=a)
            np.subtract(v, a, out=a)
            a += eps  # v - mean(g)^2 + eps
        else:
            np.add(v, eps, out=a)
        np.sqrt(a, out=a)
        np.multiply(g, lr, out=b)
        b /= a  # lr g / sqrt(...)
        if self.momentum > 0:
            m = slots["momentum"]
            m *= mom
            m += b
            w -= m
        else:
            w -= b

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(Optimizer):
    """acc += g^2; w -= lr g / sqrt(acc + eps); acc starts at ``initial_accumulator_value``."""

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, name: str = "adagrad", **kwargs: Any) -> None:
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _slots(self, a: np.ndarray) -> dict:
        return {"accumulator": np.full_like(a, self.initial_accumulator_value)}

    def _coefficients(self, lr, step, t):
        return t(lr), t(self.epsilon)

    def _update(self, g, w, slots, coef):
        lr, eps = coef
        acc = slots["accumulator"]
        a, b = self._scratch(w, 2)
        np.multiply(g, g, out=a)
        acc += a
        np.add(acc, eps, out=a)
        np.sqrt(a, out=a)
        np.multiply(g, lr, out=b)
        b /= a
        w -= b  # w -= lr g / sqrt(acc + eps)

    def get_config(self) -> dict:
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(identifier: Any) -> Optimizer:
    """An optimizer from a name ('sgd', 'adam', ...: Keras's defaults), a config or itself."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. "
                             f"Known names: {sorted(_BY_NAME)}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer: Optimizer) -> dict:
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict) -> Optimizer:
    cls = _BY_NAME.get(str(config.get("class_name", "")).lower())
    if cls is None:
        raise ValueError(f"Could not interpret optimizer config: {config!r}")
    return cls.from_config(config.get("config", {}))
