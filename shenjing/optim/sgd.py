"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..autograd import Tensor
from ..autograd.tensor import scatter_add_rows
from .optimizer import Optimizer, _grad_of

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
                if wd != 0:
                    g = g + wd * p._data
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor._wrap(g.copy(), None, False)
                        state["momentum_buffer"] = buf
                    else:
                        b = buf._data
                        b *= momentum
                        b += (1 - damp) * g
                    g = g + momentum * buf._data if nesterov else buf._data
                p._data -= lr * g
        return loss


def _sparse_step(p: Tensor, lr: float, maximize: bool, wd: float, momentum: float) -> None:
    """p[rows] -= lr * g[rows] for the rows a row-sparse gradient touches (duplicates summed)."""
    if wd != 0 or momentum != 0:
        raise RuntimeError(
            "SGD: sparse gradients are supported only without momentum and weight_decay "
            f"(got momentum={momentum}, weight_decay={wd}); use sparse=False or SparseAdam")
    rows = p.grad._data
    step = rows.values.astype(p._data.dtype, copy=False) * (lr if maximize else -lr)
    scatter_add_rows(p._data, rows.indices, step)
