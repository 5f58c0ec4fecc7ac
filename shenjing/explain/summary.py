"""A per-layer summary of a network: output shape, parameters, receptive field and jump.

Like torchinfo's or Keras's ``summary()``: one forward pass on zeros with hooks on every leaf
module. The receptive field ``rf`` and jump ``j`` (distance in input pixels between adjacent
output positions) follow each tensor through the network:

    j_out = j_in * stride;   rf_out = rf_in + (dilation * (kernel - 1)) * j_in
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn.modules.module import Module
from ..ops.creation import zeros


@dataclass
class LayerInfo:
    name: str
    kind: str
    output_shape: tuple
    params: int
    trainable: int
    rf: tuple | None = None
    jump: tuple | None = None


@dataclass
class ModelSummary:
    """The table ``summary`` builds; ``str()`` prints it, the fields serve tests and reports."""

    model_name: str
    input_shape: tuple
    layers: list[LayerInfo] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def __str__(self) -> str:
        rows = [("Layer (type)", "Output Shape", "Param #", "RF", "Jump")]
        for li in self.layers:
            rows.append((f"{li.name} ({li.kind})", str(list(li.output_shape)), f"{li.params:,}",
                         _fmt(li.rf), _fmt(li.jump)))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        line = "=" * (sum(widths) + 8)
        out = [f"{self.model_name} — input {list(self.input_shape)}", line]
        for k, r in enumerate(rows):
            out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(r, widths))))
            if k == 0:
                out.append("-" * len(line))
        out += [line, f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}"]
        return "\n".join(out)

    __repr__ = __str__


def _fmt(v: tuple | None) -> str:
    if v is None:
        return "-"
    return "x".join(str(x) for x in v) if len(set(v)) > 1 else str(v[0])


def _pair(v: Any, n: int) -> tuple:
    if isinstance(v, (tuple, list)):
        return tuple(int(x) for x in v)
    return (int(v),) * n


def _window(m: Module, n: int) -> tuple[tuple, tuple, tuple] | None:
    """(kernel, stride, dilation) per spatial axis of a windowed layer, else None."""
    k = getattr(m, "kernel_size", None)
    if k is None:
        return None
    stride = getattr(m, "stride", None)
    stride = k if stride is None or stride == () else stride
    return _pair(k, n), _pair(stride, n), _pair(getattr(m, "dilation", 1), n)


def _first_tensor(x: Any) -> Tensor | None:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (tuple, list)):
        for v in x:
            t = _first_tensor(v)
            if t is not None:
                return t
    return None


def summary(model: Module, input_size: Sequence[int] | None = None, *,
            input_data: Any = None, batch_size: int = 1) -> ModelSummary:
    """Run ``model`` once on zeros of ``(batch_size, *input_size)`` (or ``input_data``) and
    tabulate every leaf layer.

    Shape:
        input_size excludes the batch dimension, e.g. ``(3, 32, 32)``.
    """
    if input_data is None:
        if input_size is None:
            raise ValueError("summary: pass input_size (without the batch dimension) or input_data")
        input_data = zeros(batch_size, *input_size)
    x = _first_tensor(input_data)
    if x is None:
        raise TypeError("summary: input_data must be a Tensor or a tuple of Tensors")
    n_spatial = max(x.ndim - 2, 1)
    info = ModelSummary(type(model).__name__, tuple(x.shape))
    fields: dict[int, tuple[tuple, tuple]] = {id(x): ((1,) * n_spatial, (1,) * n_spatial)}
    last = [fields[id(x)]]
    handles = []
    names = {id(m): n for n, m in model.named_modules()}

    def hook(m: Module, args: tuple, out: Any) -> None:
        inp, o = _first_tensor(args), _first_tensor(out)
        rf, jump = fields.get(id(inp), last[0]) if inp is not None else last[0]
        win = _window(m, n_spatial)
        if win is not None:
            k, s, d = win
            rf = tuple(r + dd * (kk - 1) * j for r, j, kk, dd in zip(rf, jump, k, d))
            jump = tuple(j * ss for j, ss in zip(jump, s))
        if o is not None:
            fields[id(o)] = (rf, jump)
        last[0] = (rf, jump)
        params = list(m.parameters(recurse=False))
        info.layers.append(LayerInfo(
            names.get(id(m), "") or type(m).__name__, type(m).__name__,
            tuple(o.shape) if o is not None else (), sum(p.numel() for p in params),
            sum(p.numel() for p in params if p.requires_grad),
            rf if x.ndim > 2 else None, jump if x.ndim > 2 else None))

    for m in model.modules():
        if not list(m.children()):
            handles.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(*input_data) if isinstance(input_data, (tuple, list)) else model(input_data)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    info.total_params = sum(p.numel() for p in model.parameters())
    info.trainable_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return info
