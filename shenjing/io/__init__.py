"""Interop with the PyTorch ecosystem: safetensors, torch.save files (read only), ONNX export.

``load_torch_state_dict(path)`` reads a state_dict saved by PyTorch (a .pt/.pth zip through a
restricted unpickler, or a .safetensors file) for ``model.load_state_dict``;
``save_torch_compatible(state_dict, path)`` writes safetensors that PyTorch loads with
``safetensors.torch.load_file``; ``export_onnx(model, args, f)`` writes an ONNX graph (needs
the optional ``onnx`` package).
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Mapping

from ..autograd import Tensor
from . import safetensors
from .safetensors import SafetensorsError, load_file, load_metadata, save_file
from .torch_pickle import TorchFileError, UnsafePickleError, load_torch_pickle

__all__ = ["load_torch_state_dict", "save_torch_compatible", "export_onnx", "load_file",
           "save_file", "load_metadata", "load_torch_pickle", "SafetensorsError",
           "TorchFileError", "UnsafePickleError", "safetensors"]


def _head(path: Any) -> bytes:
    if hasattr(path, "read"):
        pos = path.tell()
        head = path.read(9)
        path.seek(pos)
        return head
    with open(os.fspath(path), "rb") as fh:
        return fh.read(9)


def load_torch_state_dict(path: str | os.PathLike | Any) -> "OrderedDict[str, Tensor]":
    """Read a PyTorch state_dict from a .pt/.pth (torch.save zip) or .safetensors file.

    The format is told by the file's first bytes, not its name. Returns an OrderedDict
    name -> Tensor ready for ``model.load_state_dict``. torch is not needed.
    """
    head = _head(path)
    if head[:4] == b"PK\x03\x04" or head[:1] == b"\x80" and head[8:9] != b"{":
        obj = load_torch_pickle(path)
    else:
        return load_file(path)
    if not isinstance(obj, Mapping):
        raise TorchFileError(f"load_torch_state_dict: the file holds a {type(obj).__name__}, "
                             "not a state_dict (a dict of name -> tensor)")
    bad = [k for k, v in obj.items() if not isinstance(v, Tensor)]
    if bad:
        raise TorchFileError(
            f"load_torch_state_dict: entries {bad[:5]} are not tensors; this looks like a "
            f"checkpoint dict (keys {list(obj)[:5]}); pass its state_dict part instead, e.g. "
            f"load_torch_pickle(path)['model']")
    return OrderedDict(obj)


def save_torch_compatible(state_dict: Mapping[str, Any], path: str | os.PathLike | Any,
                          metadata: Mapping[str, str] | None = None) -> None:
    """Write ``state_dict`` as safetensors with ``{"format": "pt"}`` metadata, the form
    ``safetensors.torch.load_file`` reads; ``torch_model.load_state_dict`` then accepts it
    for the same architecture. Non-tensor entries are refused."""
    meta = {"format": "pt", **(dict(metadata) if metadata else {})}
    save_file(OrderedDict((k, v.detach() if isinstance(v, Tensor) else v)
                          for k, v in state_dict.items()), path, metadata=meta)


def export_onnx(model: Any, args: Any, f: Any, **kwargs: Any) -> Any:
    """Alias of :func:`shenjing.io.onnx_export.export` (needs ``pip install shenjing[onnx]``)."""
    from .onnx_export import export  # noqa: PLC0415 - onnx is optional

    return export(model, args, f, **kwargs)
