"""RMSprop: gradients scaled by a running root mean square, optionally centered."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .adam import _lerp_, _reject_sparse
from .optimizer import Optimizer, _grad_of, _new_step, _state_array

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton), PyTorch's rule:

    v = alpha * v + (1 - alpha) * g^2;  centered: a = lerp(a, g, 1 - alpha), v' = v - a^2;
    d = sqrt(v') + eps;  momentum: b = momentum * b + g / d, p = p - lr * b;
    else p = p - lr * g / d.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One RMSprop update of every param that has a gradient."""
        loss = self._closure_loss(closure)
        _reject_sparse(self)
        for group in self.param_groups:
            lr, alpha, eps = float(group["lr"]), group["alpha"], group["eps"]
            wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["square_avg"] = _state_array(p._data)
                    if momentum > 0:
                        state["momentum_buffer"] = _state_array(p._data)
                    if centered:
                        state["grad_avg"] = _state_array(p._data)
                st = state["step"]._data
                st += 1
                g = _grad_of(p, group["maximize"])
                if wd != 0:
                    g = g + wd * p._data
                v = state["square_avg"]._data
                v *= alpha
                v += ((1 - alpha) * g) * g
                if centered:
                    a = state["grad_avg"]._data
                    _lerp_(a, g, 1 - alpha)
                    avg = np.sqrt(v - a * a)
                else:
                    avg = np.sqrt(v)
                avg += eps
                if momentum > 0:
                    b = state["momentum_buffer"]._data
                    b *= momentum
                    b += g / avg
                    p._data -= lr * b
                else:
                    upd = -lr * g
                    upd /= avg
                    p._data += upd
        return loss
