"""SparseAdam: lazy Adam for row-sparse gradients (moments move only on the touched rows)."""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable

from ..backend import get_array_module
from ..ops._util import split_range
from .optimizer import Optimizer, _state_array

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Adam applied only to the rows a sparse gradient touches, PyTorch's update rule.

    For touched rows (gradient coalesced): m += (g - m)(1 - beta1);
    v += (g^2 - v)(1 - beta2);  p -= lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps).
    Untouched rows keep their parameters and moments.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False) -> None:
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))
        bad = [[i, j] for i, g in enumerate(self.param_groups)
               for j, p in enumerate(g["params"]) if p.is_sparse]
        if bad:
            raise ValueError(
                f"Sparse params at indices {bad}: SparseAdam requires dense parameter tensors")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One lazy Adam update of every param with a (sparse) gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), group["eps"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if not p.grad.is_sparse:
                    raise RuntimeError(
                        "SparseAdam does not support dense gradients, please consider Adam "
                        "instead")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = _state_array(p._data)
                    state["exp_avg_sq"] = _state_array(p._data)
                state["step"] += 1
                rows = p.grad._data
                if group["maximize"]:
                    rows = -rows
                rows = rows.coalesce()
                idx, g = rows.indices, rows.values
                if idx.shape[0] == 0:
                    continue
                dt = p._data.dtype
                t = state["step"]
                step_size = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
                consts = (dt.type(1 - beta1), dt.type(1 - beta2), dt.type(eps),
                          dt.type(-step_size))
                m_all, v_all = state["exp_avg"]._data, state["exp_avg_sq"]._data
                g = g.astype(dt, copy=False)
                xp = get_array_module(g)
                # ~16 row-sized reads and writes (gathers, math, scatters): the work estimate
                split_range(lambda lo, hi: _adam_rows(xp, p._data, m_all, v_all, idx[lo:hi],
                                                      g[lo:hi], consts),
                            xp, idx.shape[0], 16 * g.nbytes)
        return loss


def _adam_rows(xp: Any, p: Any, m_all: Any, v_all: Any, idx: Any, g: Any, consts: tuple) -> None:
    """The Adam update of the (distinct) rows ``idx``: read each row once, write it once."""
    c1, c2, eps, neg_step = consts
    m, v = m_all.take(idx, axis=0), v_all.take(idx, axis=0)
    tmp = g - m
    tmp *= c1
    m += tmp  # m + (g - m)(1 - beta1)
    xp.multiply(g, g, out=tmp)
    tmp -= v
    tmp *= c2
    v += tmp  # v + (g^2 - v)(1 - beta2)
    m_all[idx] = m
    v_all[idx] = v
    xp.sqrt(v, out=tmp)
    tmp += eps
    xp.divide(m, tmp, out=m)
    m *= neg_step
    p[idx] += m
