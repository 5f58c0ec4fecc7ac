"""Keras 3's ``model.summary()`` table: layers, output shapes, parameter counts, totals."""
from __future__ import annotations

import textwrap
from typing import Any

from .layers.base import Layer, shape_str
from .layers.core import InputLayer

__all__ = ["summary_text"]


def _memory(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if nbytes / 1024 < 1:
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} PB"


def _is_chain(model: Any) -> bool:
    if not model._graph_outputs:
        return True
    if len(model._graph_inputs) > 1 or len(model._graph_outputs) > 1:
        return False
    seen = set()
    for node in model._nodes:
        if len(node.input_tensors) > 1 or id(node.layer) in seen:
            return False
        seen.add(id(node.layer))
    return True


def _connections(model: Any, layer: Layer) -> str:
    nodes = {id(n) for n in model._nodes}
    out = []
    for node in layer._inbound_nodes:
        if id(node) in nodes:
            for kt in node.input_tensors:
                src, ni, ti = kt._keras_history
                out.append(f"{src.name}[{ni}][{ti}]")
    return ", ".join(out) or "-"


def _fmt_shape(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_fmt_shape(s) for s in shape) + "]"
    return shape_str(tuple(shape))


def summary_text(model: Any, line_length: int | None = None) -> str:
    """Keras 3's summary table as plain text (box drawing, wrapped cells, totals)."""
    chain = _is_chain(model)
    length = line_length or 76
    positions = [0.45, 0.80, 1.0] if chain else [0.3, 0.56, 0.74, 1.0]
    bounds, cur = [], 0
    for p in positions:
        w = int(p * length) - cur
        bounds.append(w)
        cur += w
    segs = [w - 1 for w in bounds]
    segs[-2] -= sum(segs) - (length - len(segs) - 1)
    heads = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    right = {2}
    rows = []
    for layer in model.layers:
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        shape = layer._output_shape if not isinstance(layer, InputLayer) else layer.batch_shape
        row = [f"{layer.name} ({type(layer).__name__})", _fmt_shape(shape), params]
        if not chain:
            row.append(_connections(model, layer))
        rows.append(row)

    def line(l: str, m: str, r: str, fill: str) -> str:
        return l + m.join(fill * s for s in segs) + r

    def cells(values: list, sep: str) -> list[str]:
        wrapped = [textwrap.wrap(v, s - 2, break_on_hyphens=False) or [""]
                   for v, s in zip(values, segs)]
        out = []
        for k in range(max(len(w) for w in wrapped)):
            parts = []
            for i, (w, s) in enumerate(zip(wrapped, segs)):
                text = w[k] if k < len(w) else ""
                parts.append(" " + (text.rjust(s - 2) if i in right else text.ljust(s - 2)) + " ")
            out.append(sep + sep.join(parts) + sep)
        return out

    text = [f'Model: "{model.name}"', line("┏", "┳", "┓", "━")]
    text += cells(heads, "┃")
    text.append(line("┡", "╇", "┩", "━"))
    for i, row in enumerate(rows):
        if i:
            text.append(line("├", "┼", "┤", "─"))
        text += cells(row, "│")
    text.append(line("└", "┴", "┘", "─"))
    tw, ntw = model.trainable_weights, model.non_trainable_weights
    tc, nc = sum(w._data.size for w in tw), sum(w._data.size for w in ntw)
    tb, nb = sum(w._data.nbytes for w in tw), sum(w._data.nbytes for w in ntw)
    text.append(f" Total params: {tc + nc:,} ({_memory(tb + nb)})")
    text.append(f" Trainable params: {tc:,} ({_memory(tb)})")
    text.append(f" Non-trainable params: {nc:,} ({_memory(nb)})")
    return "\n".join(text)
