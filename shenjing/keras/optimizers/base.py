"""The Keras optimizer base: learning rate (float or schedule), iterations, clipping, weight
decay and per-variable slots, updating variables' arrays in place.

One ``apply_gradients`` follows Keras 3's order: drop None gradients, build slots if needed,
clip (clipnorm per gradient, or global_clipnorm, or clipvalue), decay weights
(w -= w * weight_decay * lr), run each variable's update rule with the learning rate at
``iterations``, apply a variable's ``constraint`` if it has one, then count the step.
Each rule updates the arrays in place, its temporaries in reused scratch arrays.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ...autograd import Tensor
from . import schedules as _schedules

__all__ = ["Optimizer"]


def _array(v: Any) -> np.ndarray:
    """The array a variable's updates write into (a Tensor's storage, or the array itself)."""
    if isinstance(v, Tensor):
        return v._data
    if isinstance(v, np.ndarray):
        return v
    raise TypeError(f"optimizer: expected a shenjing Parameter/Tensor or a NumPy array as a "
                    f"variable, got {type(v).__name__}")


class Optimizer:
    """Base class of the Keras-face optimizers; subclasses write ``_slots`` and ``_update``."""

    _slot_names: tuple = ()

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        for k in kwargs:
            if k not in ("use_ema", "ema_momentum", "ema_overwrite_frequency",
                         "loss_scale_factor", "gradient_accumulation_steps"):
                raise TypeError(f"{type(self).__name__}: unexpected keyword argument {k!r}")
        if kwargs.get("use_ema"):
            raise NotImplementedError(f"{type(self).__name__}: use_ema is not supported")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        if not (isinstance(learning_rate, _schedules.LearningRateSchedule)
                or callable(learning_rate)):
            learning_rate = self._check_lr(learning_rate)
        self._learning_rate = learning_rate
        self.weight_decay, self.clipnorm = weight_decay, clipnorm
        self.clipvalue, self.global_clipnorm = clipvalue, global_clipnorm
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self.built = False
        self._state: dict[int, dict[str, np.ndarray]] = {}
        self._variables: list = []
        self._buffers: dict[tuple, list[np.ndarray]] = {}  # scratch, not state

    @staticmethod
    def _check_lr(lr: Any) -> float:
        lr = float(lr)
        if not np.isfinite(lr) or lr < 0:
            raise ValueError(f"Invalid learning_rate: {lr} (expected a non-negative number)")
        return lr

    # ---------------------------------------------------------------- learning rate
    @property
    def learning_rate(self) -> float:
        """The rate for the next step: a schedule is evaluated at ``iterations``."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(self.iterations))
        if callable(lr):
            return float(lr())
        return lr

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule) and not isinstance(
                value, _schedules.LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable.")
        if not (isinstance(value, _schedules.LearningRateSchedule) or callable(value)):
            value = self._check_lr(value)
        self._learning_rate = value

    lr = learning_rate

    # ---------------------------------------------------------------- state
    def build(self, variables: Iterable[Any]) -> None:
        """Create each variable's slots (momenta, ...) as zeros of its shape and dtype."""
        for v in variables:
            if id(v) not in self._state:
                a = _array(v)
                self._state[id(v)] = self._slots(a)
                self._variables.append(v)
        self.built = True

    def _slots(self, a: np.ndarray) -> dict[str, np.ndarray]:
        return {name: np.zeros_like(a) for name in self._slot_names}

    @property
    def variables(self) -> list[np.ndarray]:
        """Every slot array, variable by variable in build order (for saving)."""
        return [s for v in self._variables for s in self._state[id(v)].values()]

    # ---------------------------------------------------------------- applying
    def apply_gradients(self, grads_and_vars: Iterable[tuple]) -> int:
        """Update each variable from its gradient (NumPy array or Tensor; None is skipped)."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            return self.iterations
        grads = [np.asarray(g._data if isinstance(g, Tensor) else g) for g, _ in pairs]
        variables = [v for _, v in pairs]
        if not self.built or any(id(v) not in self._state for v in variables):
            self.build(variables)
        arrays = [_array(v) for v in variables]
        for g, a, v in zip(grads, arrays, variables):
            if g.shape != a.shape:
                name = getattr(v, "name", None) or type(v).__name__
                raise ValueError(f"{type(self).__name__}: gradient of shape {g.shape} does not "
                                 f"match variable {name} of shape {a.shape}")
        grads = [g.astype(a.dtype, copy=False) for g, a in zip(grads, arrays)]
        return self._apply(grads, arrays, variables)

    def _apply(self, grads: list, arrays: list, variables: list) -> int:
        """Clip, decay, then each variable's rule with coefficients computed once per step."""
        grads = self._clip(grads)
        lr = self.learning_rate
        if self.weight_decay:
            for a, v in zip(arrays, variables):
                if self._use_weight_decay(v):
                    a -= a * (self.weight_decay * lr)  # w <- w - w * wd * lr
        step = self.iterations + 1
        coefs: dict = {}
        for g, a, v in zip(grads, arrays, variables):
            coef = coefs.get(a.dtype)
            if coef is None:
                coef = coefs[a.dtype] = self._coefficients(lr, step, a.dtype.type)
            self._update(g, a, self._state[id(v)], coef)
            constraint = getattr(v, "constraint", None)
            if constraint is not None:
                a[...] = np.asarray(_array(constraint(v)) if isinstance(v, Tensor)
                                    else constraint(a))
        self.iterations = step
        return self.iterations

    def apply(self, grads: list, trainable_variables: list | None = None) -> int:
        return self.apply_gradients(zip(grads, trainable_variables or self._variables))

    def step(self, variables: Iterable[Any]) -> int:
        """Apply each variable's ``.grad`` (those without one are left alone).

        The training loop's path: autograd already gives each gradient its variable's shape
        and dtype, so nothing is checked or copied here.
        """
        pairs = [(v._grad, v) for v in variables if v._grad is not None]
        if not pairs:
            return self.iterations
        state = self._state
        if any(id(v) not in state for _, v in pairs):
            self.build([v for _, v in pairs])
        return self._apply([g._data for g, _ in pairs], [v._data for _, v in pairs],
                           [v for _, v in pairs])

    def _scratch(self, a: np.ndarray, k: int) -> list[np.ndarray]:
        """``k`` reusable arrays of ``a``'s shape and dtype for the rule's temporaries."""
        key = (a.shape, a.dtype.str)
        bufs = self._buffers.get(key)
        if bufs is None or len(bufs) < k:
            bufs = self._buffers[key] = [np.empty_like(a) for _ in range(k)]
        return bufs

    def _use_weight_decay(self, v: Any) -> bool:
        excluded = getattr(self, "_exclude_from_weight_decay", ())
        return id(v) not in excluded

    def exclude_from_weight_decay(self, var_list: list | None = None,
                                  var_names: list | None = None) -> None:
        """Keep these variables (or those whose name contains one of ``var_names``) undecayed."""
        ids = {id(v) for v in var_list or ()}
        if var_names:
            ids |= {id(v) for v in self._variables
                    if any(n in (getattr(v, "name", "") or "") for n in var_names)}
        self._exclude_from_weight_decay = ids

    def _clip(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        if self.clipnorm and self.clipnorm > 0:
            out = []
            for g in grads:
                n = float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))
                out.append(g * (self.clipnorm / max(n, self.clipnorm)) if n > 0 else g)
            return out
        if self.global_clipnorm and self.global_clipnorm > 0:
            n = float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads)))
            scale = self.global_clipnorm * min(1.0 / n if n else np.inf,
                                               1.0 / self.global_clipnorm)
            return [g * g.dtype.type(scale) for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _coefficients(self, lr: float, step: int, t: type) -> tuple:
        """The rule's step-wide scalars in the variables' dtype ``t`` (computed once a step)."""
        return (t(lr),)

    def _update(self, g: np.ndarray, w: np.ndarray, slots: dict,
                coef: tuple) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} learning_rate={self.learning_rate:g}>"
