"""One-call numerical check of every parameter's gradient of a whole model.

On a float64 copy of the model (the model itself is untouched), backward gives the analytic
gradient; central differences give the numerical one on a random subset of each parameter's
entries:

    dL/dp_i ~ (L(p + eps e_i) - L(p - eps e_i)) / (2 eps)

An entry passes when |analytic - numeric| <= atol + rtol * |numeric|. An entry whose two
one-sided differences, (L(p + eps) - L(p)) / eps and (L(p) - L(p - eps)) / eps, disagree by more
than that sits on a kink (ReLU at 0, a max-pool tie) where no derivative exists: it is counted
as ``kinks`` and not judged. eps defaults to 1e-6 (as PyTorch's gradcheck): in float64 the
rounding error is ~1e-10, and a small step rarely straddles a ReLU/max-pool kink, which at 1e-3
happens often enough in a conv net to fail correct gradients. The random generator is
re-seeded before every forward, so dropout draws the same mask each time.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..backend.random import get_rng_state, manual_seed, set_rng_state
from ..nn.modules.module import Module
from .stats import default_loss


@dataclass
class ParamCheck:
    """One parameter's result: entries checked and the worst errors among them."""

    name: str
    shape: tuple
    checked: int
    max_abs_err: float
    max_rel_err: float
    ok: bool
    worst: tuple = ()  # (index, analytic, numeric) of the worst entry
    kinks: int = 0  # entries skipped because a one-sided difference saw a kink


@dataclass
class GradcheckReport:
    """Per-parameter results; ``ok`` is True when every checked entry passed."""

    params: list[ParamCheck] = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.params)

    def failed(self) -> list[str]:
        return [p.name for p in self.params if not p.ok]

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        rows = [("parameter", "shape", "checked", "kinks", "max abs err", "max rel err",
                 "result")]
        for p in self.params:
            rows.append((p.name, str(p.shape), str(p.checked), str(p.kinks),
                         f"{p.max_abs_err:.2e}", f"{p.max_rel_err:.2e}", "ok" if p.ok else "FAIL"))
        widths = [max(len(r[i]) for r in rows) for i in range(7)]
        lines = []
        for k, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(r, widths))))
            if k == 0:
                lines.append("-" * len(lines[0]))
        for p in self.params:
            if not p.ok and p.worst:
                i, a, n = p.worst
                lines.append(f"{p.name}{list(i)}: analytic {a:.6g} vs numeric {n:.6g}")
        verdict = "PASSED" if self.ok else f"FAILED ({len(self.failed())} parameters)"
        lines.append(f"gradcheck {verdict}: float64, eps {self.eps:g}, pass if |a - n| <= "
                     f"{self.atol:g} + {self.rtol:g} |n|")
        return "\n".join(lines)


def _as64(v: Any) -> Any:
    if isinstance(v, Tensor) and v._data.dtype.kind == "f":
        return v.double()
    if isinstance(v, tuple):
        return tuple(_as64(a) for a in v)
    return v


def gradcheck_model(model: Module, x: Any, y: Any = None, loss_fn: Callable | None = None,
                    eps: float = 1e-6, max_per_param: int = 20, seed: int = 0,
                    atol: float = 1e-5, rtol: float = 1e-3) -> GradcheckReport:
    """Compare backward's gradients with central differences for every parameter.

    Args:
        model: the model; a deep copy is made and cast to float64.
        x, y: one batch (floating tensors are cast to float64; integer targets kept).
        loss_fn: ``loss_fn(output, y)``; default as in ``layer_stats`` (cross-entropy for
            integer targets, MSE for float targets, the output's mean without a target).
        eps: the finite-difference step (on the float64 copy).
        max_per_param: entries checked per parameter (a random subset, all if fewer).
        seed: picks the entries, and seeds the generator before every forward.
        atol, rtol: the pass test |analytic - numeric| <= atol + rtol |numeric|.
    """
    net = copy.deepcopy(model).double()
    xd, yd = _as64(x), _as64(y)
    saved = get_rng_state()

    def loss_value() -> Tensor:
        manual_seed(seed)
        out = net(*xd) if isinstance(xd, tuple) else net(xd)
        return default_loss(out, yd, loss_fn)

    try:
        params = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
        for _, p in params:
            p.grad = None
        base = loss_value()
        if params and base.requires_grad:  # else every analytic gradient is zero
            base.backward()
        l0 = float(base._data)
        report = GradcheckReport(eps=eps, atol=atol, rtol=rtol)
        rng = np.random.default_rng(seed)
        with no_grad():
            for name, p in params:
                report.params.append(_check(name, p, loss_value, l0, rng, eps,
                                            max_per_param, atol, rtol))
    finally:
        set_rng_state(saved)
    return report


def _check(name: str, p: Any, loss_value: Callable, l0: float, rng: np.random.Generator,
           eps: float, k: int, atol: float, rtol: float) -> ParamCheck:
    if not p._data.flags.c_contiguous:
        p._data = p._data.copy()
    data = p._data
    flat = data.reshape(-1)  # a view: writing it perturbs the parameter in place
    n = flat.size
    idx = np.arange(n) if n <= k else np.sort(rng.choice(n, size=k, replace=False))
    g = p.grad
    analytic = np.zeros(n) if g is None else np.asarray(g._data, dtype=np.float64).reshape(-1)
    worst_abs, worst_rel, worst = 0.0, 0.0, ()
    ok, kinks = True, 0
    for i in idx:
        old = flat[i].copy()
        flat[i] = old + eps
        up = float(loss_value()._data)
        flat[i] = old - eps
        down = float(loss_value()._data)
        flat[i] = old
        num = (up - down) / (2 * eps)
        a = float(analytic[i])
        err = abs(a - num)
        rel = err / max(abs(a), abs(num), 1e-12)
        tol = atol + rtol * abs(num)
        if err > tol:
            if abs((up - l0) - (l0 - down)) / eps > tol:  # one-sided slopes differ: a kink
                kinks += 1
                continue
            ok = False
        if err >= worst_abs:
            worst = (tuple(int(v) for v in np.unravel_index(int(i), data.shape)), a, num)
        worst_abs, worst_rel = max(worst_abs, err), max(worst_rel, rel)
    return ParamCheck(name, tuple(data.shape), len(idx), worst_abs, worst_rel, ok, worst,
                      kinks)
