"""Printing tensors the way PyTorch prints them: ``tensor([2., 2., 2.], requires_grad=True)``."""
from __future__ import annotations

import numpy as np

_DEFAULT_SUFFIXLESS = {"float32", "int64", "bool"}


def _float_formatter(a: np.ndarray):
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v}"
    absmax, absmin = np.abs(finite).max(), np.abs(finite).min()
    if np.all(finite == np.round(finite)) and absmax < 1e8:
        width = max(len(f"{v:.0f}.") for v in (finite.max(), finite.min()))
        return lambda v: (_special(v) or f"{v:.0f}.").rjust(width)
    sci = absmax > 1e8 or (absmin > 0 and (absmin < 1e-4 or absmax / absmin > 1e3))
    fmt = "{:.4e}" if sci else "{:.4f}"
    width = max(len(fmt.format(v)) for v in (finite.max(), finite.min()))
    return lambda v: (_special(v) or fmt.format(v)).rjust(width)


def _special(v: float) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def tensor_repr(t) -> str:
    a = np.asarray(t._data)
    prefix = "tensor("
    suffix = []
    if a.size == 0 and a.ndim != 1:
        body = "[]"
        suffix.append(f"size={tuple(a.shape)}")
    elif a.dtype.kind == "f":
        fmt = _float_formatter(a.astype(np.float64))
        body = np.array2string(a, separator=", ", prefix=prefix, threshold=1000, edgeitems=3,
                               max_line_width=80, formatter={"float_kind": fmt})
    else:
        body = np.array2string(a, separator=", ", prefix=prefix, threshold=1000, edgeitems=3,
                               max_line_width=80)
    name = t.dtype.name
    if name not in _DEFAULT_SUFFIXLESS or (a.size == 0 and name != "float32"):
        suffix.append(f"dtype=shenjing.{name}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffix) + ")"
