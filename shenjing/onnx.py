"""``shenjing.onnx.export``: PyTorch's ``torch.onnx.export`` face over shenjing.io's exporter.

The ``onnx`` package is optional (``pip install shenjing[onnx]``); it is imported only when
:func:`export` runs, so ``import shenjing`` never needs it.
"""
from __future__ import annotations

import os
from typing import Any, Sequence

__all__ = ["export"]


def export(model: Any, args: Any, f: str | os.PathLike | Any,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           dynamic_axes: Any = None, opset_version: int = 17, **kwargs: Any) -> Any:
    """Trace ``model(*args)`` and write ONNX to ``f``; see :func:`shenjing.io.onnx_export.export`.
    """
    from .io.onnx_export import export as _export  # noqa: PLC0415 - onnx is optional

    return _export(model, args, f, input_names=input_names, output_names=output_names,
                   dynamic_axes=dynamic_axes, opset_version=opset_version, **kwargs)
