"""The backward pass, step by step: each chain-rule step of a real ``loss.backward()``.

``backward(loss)`` runs the engine itself (so the order, hooks and gradients are exactly those
of ``loss.backward()``), with each node's ``backward`` watched for one call. For every op it
records the upstream gradient g = dL/d(out), the op's local derivative as a formula, and the
gradient it passes to each input, dL/d(in) = g * d(out)/d(in); at leaves, the finished
gradient. The result prints as text and keeps every number as an array, so a test (or a
student) can check each factor of a hand derivation such as

    dL/dw1 = dL/dy_pred * dy_pred/dh1 * dh1/dw1
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Mapping, TextIO

import numpy as np

from ..autograd.engine import unbroadcast
from ..autograd.tensor import Tensor
from .formulas import local_derivative

SMALL = 8  # arrays with at most this many elements print in full


@dataclass
class GradFlow:
    """The gradient one op passes to one of its inputs (after unbroadcasting)."""

    input: int
    target: str
    grad: np.ndarray | None
    leaf: bool


@dataclass
class Step:
    """One op's backward: upstream gradient in, local derivative, gradients out."""

    index: int
    op: str
    name: str
    shape: tuple
    upstream: np.ndarray
    local: str
    flows: list[GradFlow] = field(default_factory=list)
    leaves: list[tuple[str, np.ndarray]] = field(default_factory=list)

    def grad_to(self, target: str) -> np.ndarray | None:
        """The gradient this step passed to the input labelled ``target``."""
        found = [f.grad for f in self.flows if f.target == target]
        if not found:
            raise KeyError(f"step {self.index} ({self.op}) passes nothing to {target!r}; its "
                           f"inputs are {[f.target for f in self.flows]}")
        return found[0]


@dataclass
class BackwardTrace:
    """Every step of one backward pass; ``grads`` maps leaf names to their gradients."""

    steps: list[Step] = field(default_factory=list)
    grads: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> Step:
        return self.steps[i]

    def __iter__(self):
        return iter(self.steps)

    def step(self, name: str) -> Step:
        """The step of the op whose output is labelled ``name`` (e.g. 'h1' or 'o1')."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(f"no step produces {name!r}; steps: {[s.name for s in self.steps]}")

    def format(self, max_steps: int | None = None) -> str:
        lines = []
        shown = self.steps if max_steps is None else self.steps[:max_steps]
        for s in shown:
            lines.append(f"[{s.index}] {s.op} -> {s.name}  {tuple(s.shape)}")
            lines.append(f"    upstream  dL/d{_d(s.name)} = {fmt_array(s.upstream)}")
            lines.append(f"    local     {s.local}")
            for f in s.flows:
                val = "None" if f.grad is None else fmt_array(f.grad)
                lines.append(f"    to {f.target:<10} dL/d{_d(f.target)} = {val}")
            for name, g in s.leaves:
                lines.append(f"    => {name}.grad += {fmt_array(g)}")
        if len(shown) < len(self.steps):
            lines.append(f"... {len(self.steps) - len(shown)} more steps")
        lines.append("leaf gradients:")
        for name, g in self.grads.items():
            lines.append(f"    {name:<12} {fmt_array(g)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _d(name: str) -> str:
    return name if name.replace(".", "_").replace("_", "a").isalnum() else f"({name})"


def fmt_array(a: Any) -> str:
    """Values when small, else shape / mean / std / norm."""
    if not hasattr(a, "shape") or not hasattr(a, "dtype"):
        return f"<{type(a).__name__}>"
    a = _np(a)
    if a.size <= SMALL:
        if a.ndim == 0:
            return f"{a.item():.6g}"
        return np.array2string(a, precision=6, separator=", ").replace("\n", "")
    f = a.astype(np.float64)
    return (f"shape {tuple(a.shape)} mean {f.mean():.4g} std {f.std():.4g} "
            f"norm {np.sqrt((f * f).sum()):.4g}")


def _np(a: Any) -> np.ndarray:
    """A NumPy copy of an array (CuPy, or row-sparse gradients made dense)."""
    if isinstance(a, Tensor):
        a = a.to_dense()._data if hasattr(a, "to_dense") else a._data
    if hasattr(a, "indices") and hasattr(a, "values"):  # SparseRows: scatter-add the rows
        out = np.zeros(a.shape, dtype=a.dtype)
        np.add.at(out, _np(a.indices), _np(a.values))
        return out
    a = a.get() if hasattr(a, "get") else a  # CuPy -> NumPy
    return np.array(a, copy=True)


def backward(loss: Tensor, params: Mapping[str, Tensor] | None = None, file: TextIO | None = None,
             max_steps: int | None = None, retain_graph: bool = False,
             quiet: bool = False) -> BackwardTrace:
    """Run ``loss.backward()`` and print (and return) each chain-rule step in order.

    Args:
        loss: a scalar tensor with a grad_fn.
        params: names for tensors: leaves (e.g. ``dict(model.named_parameters())``) and,
            optionally, intermediate results (``{"h1": h1}``), which name the op making them.
        file: where to print (default stdout).
        max_steps: print only the first ``max_steps`` steps (all are still run and returned).
        retain_graph: as in ``loss.backward``.
        quiet: return the trace without printing.

    Leaves accumulate into ``.grad`` exactly as ``loss.backward()`` would.
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"explain.backward: expected a Tensor loss, got {type(loss).__name__}")
    if loss.grad_fn is None:
        raise RuntimeError("explain.backward: the loss has no grad_fn (it does not depend on any "
                           "tensor that requires grad)")
    leaf_names = {id(t): n for n, t in (params or {}).items()
                  if isinstance(t, Tensor) and t.grad_fn is None}
    fn_names = {id(t.grad_fn): n for n, t in (params or {}).items()
                if isinstance(t, Tensor) and t.grad_fn is not None}
    fns, leaves = _walk(loss)
    labels: dict[int, str] = {}
    for k, t in enumerate(leaves):
        labels[id(t)] = leaf_names.get(id(t), f"leaf{k}")
    for k, fn in enumerate(fns):
        if id(fn) in fn_names:
            labels[id(fn)] = fn_names[id(fn)]
        elif fn is loss.grad_fn:
            labels[id(fn)] = "loss"
        else:
            labels[id(fn)] = _expr(fn, labels) or f"{_short(fn)}{k}"

    trace = BackwardTrace()
    for fn in fns:
        fn.backward = _watch(fn, trace, labels)  # the instance attribute shadows the method
    handles = []
    for t in leaves:
        had = t._hooks
        handles.append((t, had, t.register_hook(_leaf_hook(t, trace, labels))))
    try:
        loss.backward(retain_graph=retain_graph)
    finally:
        for fn in fns:
            fn.__dict__.pop("backward", None)
        for t, had, h in handles:
            h.remove()
            if had is None and not t._hooks:
                t._hooks = None
    if not quiet:
        print(trace.format(max_steps), file=file or sys.stdout)
    return trace


def _walk(loss: Tensor) -> tuple[list[Any], list[Tensor]]:
    """Every node, inputs before the ops that use them, and every leaf that requires grad."""
    fns, leaves = [], []
    seen, seen_t = {id(loss.grad_fn)}, set()
    stack = [(loss.grad_fn, False)]
    while stack:  # iterative post-order
        fn, done = stack.pop()
        if done:
            fns.append(fn)
            continue
        stack.append((fn, True))
        for t, nxt, need in zip(fn.inputs, fn.next_fns, fn.needs_input_grad):
            if nxt is not None and id(nxt) not in seen:
                seen.add(id(nxt))
                stack.append((nxt, False))
            elif nxt is None and need and id(t) not in seen_t:
                seen_t.add(id(t))
                leaves.append(t)
    return fns, leaves


_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/"}


def _expr(fn: Any, labels: dict[int, str]) -> str | None:
    """A short expression such as 'w5*h1' for an unnamed binary arithmetic node."""
    sym = _SYMBOLS.get(type(fn).__name__)
    if sym is None or len(fn.inputs) != 2:
        return None
    parts = []
    for t, nxt in zip(fn.inputs, fn.next_fns):
        if nxt is not None:
            lab = labels.get(id(nxt), "?")
        elif id(t) in labels:
            lab = labels[id(t)]
        elif t._data.size == 1:
            v = float(_np(t._data).reshape(()))
            lab = f"{v:g}" if v >= 0 else f"({v:g})"
        else:
            return None
        wrap = sym in "*/" and any(c in lab for c in "+-") and not lab.startswith("(")
        parts.append(f"({lab})" if wrap else lab)
    text = sym.join(parts)
    return text if len(text) <= 28 else None


def _short(fn: Any) -> str:
    return type(fn).__name__.lower()


def _watch(fn: Any, trace: BackwardTrace, labels: dict[int, str]) -> Any:
    """A stand-in for ``fn.backward`` that records its call, then runs the real rule."""
    real = type(fn).backward

    def watched(g: Any) -> Any:
        local = local_derivative(fn)  # before backward, while the saved state exists
        out = real(fn, g)
        grads = out if isinstance(out, tuple) else (out,)
        step = Step(len(trace.steps) + 1, fn.name(), labels[id(fn)], tuple(g.shape), _np(g),
                    local)
        for i, (t, nxt, need) in enumerate(zip(fn.inputs, fn.next_fns, fn.needs_input_grad)):
            if not need:
                continue
            ig = grads[i] if i < len(grads) else None
            if ig is not None and hasattr(ig, "shape") and ig.shape != t._data.shape:
                ig = unbroadcast(ig, t._data.shape, fn)
            target = labels[id(t)] if nxt is None else labels[id(nxt)]
            step.flows.append(GradFlow(i, target, None if ig is None else _np(ig), nxt is None))
        trace.steps.append(step)
        return out

    return watched


def _leaf_hook(t: Tensor, trace: BackwardTrace, labels: dict[int, str]) -> Any:
    def hook(g: Tensor) -> None:
        arr = _np(g)
        name = labels[id(t)]
        trace.grads[name] = trace.grads[name] + arr if name in trace.grads else arr
        if trace.steps:
            trace.steps[-1].leaves.append((name, arr))
        return None

    return hook
