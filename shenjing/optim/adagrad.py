"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .optimizer import Optimizer, _grad_of, _new_step, _state_array

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), PyTorch's rule:

    clr = lr / (1 + (t - 1) * lr_decay);  s = s + g^2;  p = p - clr * g / (sqrt(s) + eps).
    State is created up front, with ``sum`` filled with ``initial_accumulator_value``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _new_step()
                state["sum"] = _state_array(p._data, group["initial_accumulator_value"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adagrad update of every param that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lr_decay, eps, wd = (float(group["lr"]), group["lr_decay"], group["eps"],
                                     group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:  # a param group added after construction
                    state["step"] = _new_step()
                    state["sum"] = _state_array(p._data, group["initial_accumulator_value"])
                st = state["step"]._data
                st += 1
                t = float(st)
                if p.grad.is_sparse:
                    _sparse_step(p, state["sum"]._data, lr / (1 + (t - 1) * lr_decay), eps, wd,
                                 group["maximize"])
                    continue
                g = _grad_of(p, group["maximize"])
                if wd != 0:
                    g = g + wd * p._data
                clr = lr / (1 + (t - 1) * lr_decay)
                s = state["sum"]._data
                s += g * g
                std = np.sqrt(s)
                std += eps
                upd = -clr * g
                upd /= std
                p._data += upd
        return loss


def _sparse_step(p: Any, s: np.ndarray, clr: float, eps: float, wd: float,
                 maximize: bool) -> None:
    """PyTorch's sparse Adagrad: on the touched rows r only (duplicates summed first),
    s[r] += g_r^2;  p[r] -= clr * g_r / (sqrt(s[r]) + eps)."""
    if wd != 0:
        raise RuntimeError("weight_decay option is not compatible with sparse gradients")
    rows = p.grad._data.coalesce()
    idx = rows.indices
    g = rows.values.astype(p._data.dtype, copy=False)
    if maximize:
        g = -g
    s[idx] += g * g
    std = np.sqrt(s[idx])
    std += eps
    p._data[idx] -= clr * g / std
