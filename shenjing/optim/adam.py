"""Adam and AdamW (decoupled weight decay), PyTorch's plain-loop update rule."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .optimizer import Optimizer, _blocked, _grad_of, _new_step, _state_array

__all__ = ["Adam", "AdamW"]


def _lerp_(a: np.ndarray, b: np.ndarray, w: float) -> None:
    """a <- a + w * (b - a), in the two-branch form PyTorch uses for accuracy."""
    if abs(w) < 0.5:
        a += w * (b - a)
    else:
        d = b - a
        d *= 1 - w
        np.subtract(b, d, out=a)


def _adam_update(x: Any, g: Any, m: Any, v: Any, vmax: Any, *, coef: tuple) -> None:
    """One Adam step in place on x, m, v (and vmax for AMSGrad)."""
    beta1, beta2, step_size, bc2_sqrt, eps = coef
    _lerp_(m, g, 1 - beta1)
    v *= beta2
    v += ((1 - beta2) * g) * g
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
        denom = np.sqrt(vmax)
    else:
        denom = np.sqrt(v)
    denom /= bc2_sqrt
    denom += eps
    upd = -step_size * m
    upd /= denom
    x += upd


def _reject_sparse(opt: Optimizer) -> None:
    """PyTorch's error for a row-sparse ``.grad`` (Embedding(sparse=True)), before any update."""
    for group in opt.param_groups:
        for p in group["params"]:
            if p.grad is not None and p.grad.is_sparse:
                raise RuntimeError(f"{type(opt).__name__} does not support sparse gradients, "
                                   "please consider SparseAdam instead")


class Adam(Optimizer):
    """Adam (Kingma & Ba), with optional AMSGrad, L2 or decoupled weight decay, maximize.

    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2;
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam update of every param that has a gradient; returns ``closure()`` if given."""
        loss = self._closure_loss(closure)
        _reject_sparse(self)
        for group in self.param_groups:
            lr, eps, wd = float(group["lr"]), group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            amsgrad, decoupled = group["amsgrad"], group.get("decoupled_weight_decay", False)
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _grad_of(p, group["maximize"])
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["exp_avg"] = _state_array(p._data)
                    state["exp_avg_sq"] = _state_array(p._data)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _state_array(p._data)
                st = state["step"]._data
                st += 1
                t = float(st)
                x = p._data
                if wd != 0:
                    if decoupled:
                        x *= 1 - lr * wd
                    else:
                        g = g + wd * x
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                vmax = state["max_exp_avg_sq"]._data if amsgrad else None
                coef = (beta1, beta2, lr / (1 - beta1 ** t), (1 - beta2 ** t) ** 0.5, eps)
                _blocked(_adam_update, x, g, m, v, vmax, coef=coef)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay: p = p * (1 - lr * weight_decay) before the Adam step."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
