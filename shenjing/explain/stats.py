"""Per-layer activation and gradient statistics, with vanishing/exploding flags.

One forward with a hook on every layer (a module with no children, or with parameters of its
own) records its output's mean, std and fraction of zeros; one backward (``autograd.grad``, so
no ``.grad`` is touched) gives each layer's parameter gradients. Flags:

    vanishing  ||g|| < 1e-7, or rms(g) < 1e-4 * rms(g_out)
    exploding  ||g|| > 1e3,  or rms(g) > 1e3 * rms(g_out)
    dead       at least 99% of the layer's outputs are exactly zero

where g is all of a layer's own parameter gradients together, rms(g) = ||g|| / sqrt(n), and
g_out is that of the output layer (the last one called in forward that has parameters): the
gradient shrinking or growing by 10^4 / 10^3 on its way back to a layer is the signal.
A module called several times (an RNN cell in a loop, a shared layer) pools all its calls.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..autograd.engine import grad as autograd_grad
from ..autograd.tensor import Tensor
from ..nn.modules.module import Module
from ..ops.loss import cross_entropy, mse_loss

VANISH_ABS, VANISH_REL = 1e-7, 1e-4
EXPLODE_ABS, EXPLODE_REL = 1e3, 1e3
DEAD_FRACTION = 0.99


@dataclass
class LayerStat:
    """One layer's row of the table (None where the layer has no output or no parameters)."""

    name: str
    kind: str
    act_mean: float | None = None
    act_std: float | None = None
    act_zeros: float | None = None
    params: int = 0
    grad_mean: float | None = None
    grad_std: float | None = None
    grad_norm: float | None = None
    grad_rms: float | None = None
    weight_norm: float | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class LayerStats:
    """The table ``layer_stats`` returns; ``print()`` it, or read ``layers``."""

    layers: list[LayerStat]
    loss: float
    output_layer: str | None = None

    def __getitem__(self, name: str) -> LayerStat:
        for row in self.layers:
            if row.name == name:
                return row
        raise KeyError(f"no layer {name!r}; layers: {[r.name for r in self.layers]}")

    def flagged(self, flag: str) -> list[str]:
        """Names of the layers carrying ``flag`` ('vanishing', 'exploding' or 'dead')."""
        return [r.name for r in self.layers if flag in r.flags]

    def __str__(self) -> str:
        head = ("layer", "type", "act mean", "act std", "zeros", "params", "grad mean",
                "grad std", "grad norm", "flags")
        rows = [head]
        for r in self.layers:
            rows.append((r.name, r.kind, _f(r.act_mean), _f(r.act_std),
                         "" if r.act_zeros is None else f"{r.act_zeros:.1%}", f"{r.params:,}",
                         _f(r.grad_mean), _f(r.grad_std), _f(r.grad_norm), ",".join(r.flags)))
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        lines = []
        for k, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) if i in (0, 1, 9) else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))).rstrip())
            if k == 0:
                lines.append("-" * len(lines[0]))
        lines.append(f"loss {self.loss:.6g}; vanishing: |g| < {VANISH_ABS:g} or rms(g) < "
                     f"{VANISH_REL:g} rms(g_out); exploding: |g| > {EXPLODE_ABS:g} or rms(g) > "
                     f"{EXPLODE_REL:g} rms(g_out); dead: >= {DEAD_FRACTION:.0%} zeros "
                     f"(g_out: output layer {self.output_layer or '-'})")
        return "\n".join(lines)


def _f(v: float | None) -> str:
    return "" if v is None else f"{v:.3g}"


def default_loss(out: Any, y: Any, loss_fn: Callable | None) -> Tensor:
    """``loss_fn(out, y)``; without one, cross-entropy for integer targets, MSE for float
    targets, and the mean of the output when there is no target."""
    out = _first(out)
    if loss_fn is not None:
        return loss_fn(out) if y is None else loss_fn(out, y)
    if y is None:
        return out.mean()
    if y._data.dtype.kind in "iu":
        return cross_entropy(out, y)
    return mse_loss(out, y.reshape(out.shape) if y.numel() == out.numel() else y)


def _first(out: Any) -> Any:
    """The first tensor of a module's output (an RNN returns (output, h))."""
    while isinstance(out, (tuple, list)) and out:
        out = out[0]
    return out


def _np64(a: Any) -> np.ndarray:
    a = a.get() if hasattr(a, "get") else a
    return np.asarray(a, dtype=np.float64)


def _layers(model: Module) -> list[tuple[str, Module]]:
    out = []
    for name, m in model.named_modules():
        has_own = any(True for _ in m.parameters(recurse=False))
        is_leaf = not any(True for _ in m.children())
        if (is_leaf or has_own) and (name or is_leaf or has_own):
            out.append((name or type(m).__name__, m))
    return out


def layer_stats(model: Module, x: Any, y: Any = None, loss_fn: Callable | None = None,
                print_table: bool = False) -> LayerStats:
    """Activation and gradient statistics of every layer for one batch ``(x, y)``.

    Args:
        model: any Module; its mode (train/eval) is left as it is.
        x: the input (a tensor, or a tuple of tensors passed as arguments).
        y: the target; see ``default_loss`` for the loss used without ``loss_fn``.
        loss_fn: ``loss_fn(output, y)`` (or ``loss_fn(output)`` when y is None).
        print_table: also print the table.
    """
    layers = _layers(model)
    acc: dict[int, list[float]] = {id(m): [0.0, 0.0, 0.0, 0.0] for _, m in layers}
    calls: list[int] = []  # forward call order, to find the output layer

    def hook(m: Module, args: tuple, out: Any) -> None:
        calls.append(id(m))
        t = _first(out)
        if not isinstance(t, Tensor) or t._data.dtype.kind not in "fc" or t._data.size == 0:
            return
        a = _np64(t._data)
        s = acc[id(m)]  # n, mean, sum of squared deviations, zeros; pooled over calls
        nb, mb = a.size, float(a.mean())
        m2b = float(((a - mb) ** 2).sum())
        n = s[0] + nb
        delta = mb - s[1]
        s[2] += m2b + delta * delta * s[0] * nb / n
        s[1] += delta * nb / n
        s[0] = n
        s[3] += float((a == 0).sum())

    handles = [m.register_forward_hook(hook) for _, m in layers]
    try:
        out = model(*x) if isinstance(x, tuple) else model(x)
    finally:
        for h in handles:
            h.remove()
    loss = default_loss(out, y, loss_fn)
    owned = [(name, m, [p for p in m.parameters(recurse=False) if p.requires_grad])
             for name, m in layers]
    flat = [p for _, _, ps in owned for p in ps]
    grads = autograd_grad(loss, flat, allow_unused=True) if flat else ()
    gmap = {id(p): g for p, g in zip(flat, grads)}
    rows = []
    for name, m, ps in owned:
        row = LayerStat(name, type(m).__name__)
        n, mean, m2, z = acc[id(m)]
        if n:
            row.act_mean, row.act_std, row.act_zeros = mean, float(np.sqrt(m2 / n)), z / n
        row.params = sum(p.numel() for p in m.parameters(recurse=False))
        gs = [_np64(gmap[id(p)]._data).ravel() for p in ps if gmap.get(id(p)) is not None]
        if gs:
            g = np.concatenate(gs)
            row.grad_mean, row.grad_std = float(g.mean()), float(g.std())
            row.grad_norm = float(np.sqrt((g * g).sum()))
            row.grad_rms = row.grad_norm / np.sqrt(max(g.size, 1))
            w = np.concatenate([_np64(p._data).ravel() for p in ps])
            row.weight_norm = float(np.sqrt((w * w).sum()))
        rows.append(row)
    by_id = {id(m): row for (_, m, _), row in zip(owned, rows)}
    ref = next((by_id[k] for k in reversed(calls) if by_id[k].grad_rms is not None), None)
    _flag(rows, ref)
    res = LayerStats(rows, float(_np64(loss._data)), ref.name if ref else None)
    if print_table:
        print(res)
    return res


def _flag(rows: list[LayerStat], ref: LayerStat | None) -> None:
    top = ref.grad_rms if ref is not None else 0.0
    for r in rows:
        if r.grad_norm is not None:
            if r.grad_norm < VANISH_ABS or r.grad_rms < VANISH_REL * top:
                r.flags.append("vanishing")
            elif r.grad_norm > EXPLODE_ABS or (top > 0 and r.grad_rms > EXPLODE_REL * top):
                r.flags.append("exploding")
        if r.act_zeros is not None and r.act_zeros >= DEAD_FRACTION:
            r.flags.append("dead")
