"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..autograd import Tensor
from .optimizer import Optimizer, _blocked, _grad_of

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update rule:

    g = grad + weight_decay * p;  b = momentum * b + (1 - dampening) * g  (b = g at first step);
    g = g + momentum * b (nesterov) or g = b;  p = p - lr * g.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every param that has a gradient; returns ``closure()`` if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum = float(group["lr"]), group["momentum"]
            wd, damp, nesterov = group["weight_decay"], group["dampening"], group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    _sparse_step(p, lr, group["maximize"], wd, momentum)
                    continue
                g = _grad_of(p, group["maximize"])
                buf = self.state[p].get("momentum_buffer") if momentum != 0 else None
                if buf is not None:  # the common step: in place, block by block
                    _blocked(_momentum_update, p._data, g, buf._data,
                             coef=(lr, momentum, damp, wd, nesterov))
                    continue
                if wd != 0:
                    g = g + wd * p._data
                if momentum != 0:  # the first step: the buffer starts as the gradient
                    buf = Tensor._wrap(g.copy(), None, False)
                    self.state[p]["momentum_buffer"] = buf
                    g = g + momentum * buf._data if nesterov else buf._data
                p._data -= lr * g
        return loss


def _momentum_update(x: Any, g: Any, b: Any, *, coef: tuple) -> None:
    """One momentum step in place on x and its buffer b: b = m b + (1 - d) (g + wd x),
    x -= lr (g + wd x + m b) (Nesterov) or lr b."""
    lr, momentum, damp, wd, nesterov = coef
    if wd != 0:
        g = g + wd * x
    b *= momentum
    b += (1 - damp) * g if damp != 0 else g
    step = g + momentum * b if nesterov else b
    x -= lr * step


def _sparse_step(p: Tensor, lr: float, maximize: bool, wd: float, momentum: float) -> None:
    """p[rows] -= lr * g[rows] for the rows a row-sparse gradient touches (duplicates summed)."""
    if wd != 0 or momentum != 0:
        raise RuntimeError(
            "SGD: sparse gradients are supported only without momentum and weight_decay "
            f"(got momentum={momentum}, weight_decay={wd}); use sparse=False or SparseAdam")
    p.grad._data.add_to(p._data, lr if maximize else -lr)
