"""The computation graph behind a tensor, as Graphviz DOT (and SVG/PNG where Graphviz exists).

One node per Function (its grad_fn name, output shape and dtype) and one per leaf tensor that
requires grad (its name from ``params``, shape, and with ``show_grad`` the norm of its
``.grad``); edges run from each input to the op that consumed it, the way data flows forward.
The walk reads only ``inputs``/``next_fns``/``needs_input_grad``, which the engine keeps after
backward, so the graph can be drawn before or after ``loss.backward()``.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..autograd.tensor import Tensor

_FORMATS = ("svg", "png", "pdf")


@dataclass
class GraphNode:
    """One box of the drawing: an op (``kind='op'``), a leaf, or a constant input."""

    id: str
    kind: str
    label: str
    shape: tuple
    dtype: str
    grad_norm: float | None = None
    name: str | None = None


@dataclass
class Graph:
    """Nodes and edges (``(src_id, dst_id)``, data-flow direction) of one graph."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    root: str | None = None

    def op_names(self) -> list[str]:
        """grad_fn names of the op nodes, in walk order (root first)."""
        return [n.label for n in self.nodes if n.kind == "op"]

    def leaves(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.kind == "leaf"]

    @property
    def dot(self) -> str:
        """The graph as Graphviz DOT text."""
        lines = ["digraph shenjing {", '  graph [rankdir=BT, fontname="Helvetica"];',
                 '  node [shape=box, style="rounded,filled", fillcolor=white, '
                 'fontname="Helvetica", fontsize=10];']
        for n in self.nodes:
            text = [n.label if n.name is None or n.kind != "op" else f"{n.name} = {n.label}"]
            text.append(f"{_shape(n.shape)} {n.dtype}")
            if n.grad_norm is not None:
                text.append(f"|grad| = {n.grad_norm:.4g}")
            color = {"leaf": "lightblue", "const": "lightgrey"}.get(n.kind, "white")
            if n.id == self.root:
                color = "darkolivegreen1"
            lines.append(f'  {n.id} [label="{_esc(chr(10).join(text))}", fillcolor={color}];')
        for a, b in self.edges:
            lines.append(f"  {a} -> {b};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, fmt: str = "svg") -> bytes:
        """The drawing in ``fmt`` (svg, png, pdf) made by Graphviz's ``dot``."""
        if fmt not in _FORMATS:
            raise ValueError(f"explain.graph: cannot render format {fmt!r}; use one of "
                             f"{', '.join(_FORMATS)} (or save as .dot)")
        exe = shutil.which("dot")
        if exe is None:
            raise RuntimeError("explain.graph: rendering needs the Graphviz 'dot' executable, "
                               "which is not on PATH; install Graphviz (e.g. apt-get install "
                               "graphviz) or save the graph as .dot text")
        res = subprocess.run([exe, f"-T{fmt}"], input=self.dot.encode(), capture_output=True,
                             check=False, timeout=60)
        if res.returncode != 0:
            raise RuntimeError(f"explain.graph: dot failed: {res.stderr.decode(errors='replace')}")
        return res.stdout

    def to_svg(self) -> str:
        """The drawing as SVG text (needs Graphviz)."""
        return self.render("svg").decode()

    def save(self, path: str | Path) -> Path:
        """Write the graph; the suffix picks the format (.dot/.gv always, .svg/.png/.pdf
        with Graphviz)."""
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt in ("dot", "gv"):
            path.write_text(self.dot)
        elif fmt in _FORMATS:
            path.write_bytes(self.render(fmt))
        else:
            raise ValueError(f"explain.graph: unknown file type {path.suffix!r} for {path}; "
                             "use .dot, .gv, .svg, .png or .pdf")
        return path

    def _repr_svg_(self) -> str | None:
        return self.to_svg() if shutil.which("dot") else None

    def __str__(self) -> str:
        return self.dot

    def __repr__(self) -> str:
        n_ops = sum(n.kind == "op" for n in self.nodes)
        return f"<Graph: {n_ops} ops, {len(self.nodes) - n_ops} leaves, {len(self.edges)} edges>"


def graph(loss: Tensor, show_grad: bool = False, params: Mapping[str, Tensor] | None = None,
          show_constants: bool = False) -> Graph:
    """The graph that computed ``loss``.

    Args:
        loss: any tensor (usually the scalar loss).
        show_grad: add the norm of ``.grad`` to leaves that have one (after backward).
        params: names for tensors, e.g. ``dict(model.named_parameters())``; a named non-leaf
            tensor names the op that made it.
        show_constants: also draw inputs that do not require grad (data, targets).

    >>> import shenjing as sj
    >>> w = sj.ones(3, requires_grad=True)
    >>> graph((w * 2).sum(), params={"w": w}).op_names()
    ['SumBackward0', 'MulBackward0']
    """
    names = _name_map(params)
    g = Graph()
    ids: dict[int, str] = {}

    def leaf_node(t: Tensor, kind: str) -> str:
        k = id(t)
        if k not in ids:
            ids[k] = f"t{len(ids)}"
            name = names.get(k)
            label = name or ("leaf" if kind == "leaf" else "input")
            gn = _norm(t._grad) if show_grad and t._grad is not None else None
            g.nodes.append(GraphNode(ids[k], kind, label, tuple(t._data.shape),
                                     _dtype(t), gn, name))
        return ids[k]

    if loss.grad_fn is None:
        g.root = leaf_node(loss, "leaf")
        return g
    fns = {id(loss.grad_fn): "f0"}
    outs: dict[int, Tensor] = {id(loss.grad_fn): loss}
    stack, order = [loss.grad_fn], []
    while stack:  # discovery order: each op once, its output found from its consumer
        fn = stack.pop()
        order.append(fn)
        for t, nxt, need in zip(fn.inputs, fn.next_fns, fn.needs_input_grad):
            if nxt is not None and id(nxt) not in fns:
                fns[id(nxt)] = f"f{len(fns)}"
                outs[id(nxt)] = t
                stack.append(nxt)
    fn_names = {id(t.grad_fn): n for n, t in (params or {}).items()
                if isinstance(t, Tensor) and t.grad_fn is not None}
    for fn in order:
        out = outs[id(fn)]
        gn = None
        if show_grad and out._retains_grad and out._grad is not None:
            gn = _norm(out._grad)
        g.nodes.append(GraphNode(fns[id(fn)], "op", fn.name(), tuple(out._data.shape),
                                 _dtype(out), gn, fn_names.get(id(fn))))
    for fn in order:
        dst = fns[id(fn)]
        for t, nxt, need in zip(fn.inputs, fn.next_fns, fn.needs_input_grad):
            if nxt is not None:
                g.edges.append((fns[id(nxt)], dst))
            elif need:
                g.edges.append((leaf_node(t, "leaf"), dst))
            elif show_constants:
                g.edges.append((leaf_node(t, "const"), dst))
    g.root = "f0"
    return g


def _name_map(params: Mapping[str, Any] | None) -> dict[int, str]:
    return {id(t): n for n, t in (params or {}).items() if isinstance(t, Tensor)}


def _norm(t: Any) -> float:
    a = getattr(t, "_data", t)
    if hasattr(a, "to_dense"):
        a = a.to_dense()
    a = a.get() if hasattr(a, "get") else a
    return float(np.sqrt(np.sum(np.square(np.asarray(a, dtype=np.float64)))))


def _dtype(t: Tensor) -> str:
    return str(t._data.dtype)


def _shape(shape: tuple) -> str:
    return str(tuple(int(s) for s in shape))


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
