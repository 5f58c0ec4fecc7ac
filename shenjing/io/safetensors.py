"""Plain safetensors files: a flat dict name -> tensor, readable by the ``safetensors`` library.

Layout: 8-byte little-endian header length N, N bytes of JSON (padded with spaces to 8-byte
alignment), then the raw little-endian tensor bytes. The header maps each name to
``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets relative to the data section)
and may hold ``"__metadata__"``: a dict of str -> str. Reading only parses JSON and copies
bytes, so a hostile file cannot run code; every field and every offset is checked first.
BF16 tensors (NumPy has no bfloat16) are widened to float32 on read, exactly.
"""
from __future__ import annotations

import json
import os
from collections import OrderedDict
from typing import Any, BinaryIO, Mapping, NoReturn

import numpy as np

from ..autograd import Tensor
from ..backend import move
from ..serialization import (_CODES, _ITEMSIZE as _PLAIN_ITEMSIZE, CheckpointError, _write,
                             array_from_bytes, parse_header, read_bytes, tensor_spans,
                             to_le_contiguous)
from ..utils.atomic import atomic_open

__all__ = ["save_file", "load_file", "load_metadata", "SafetensorsError"]

_ITEMSIZE = {**_PLAIN_ITEMSIZE, "BF16": 2}  # BF16 is read (widened to float32), never written


class SafetensorsError(CheckpointError):
    """The file is not a valid safetensors file (truncated, corrupted or another format)."""


def _fail(msg: str) -> NoReturn:
    raise SafetensorsError(f"safetensors: {msg}")


def _as_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        arr = np.asarray(move(value.detach()._data, "cpu"))
    elif isinstance(value, np.ndarray):
        arr = value
    else:
        raise TypeError(f"safetensors.save_file: value for {name!r} must be a Tensor or a NumPy "
                        f"array, got {type(value).__name__}")
    if arr.dtype.name not in _CODES:
        raise TypeError(f"safetensors.save_file: tensor {name!r} has unsupported dtype "
                        f"{arr.dtype} (supported: {', '.join(sorted(_CODES))})")
    return to_le_contiguous(arr)


def _header(tensors: Mapping[str, Any], metadata: Mapping[str, str] | None
            ) -> tuple[bytes, list[np.ndarray]]:
    header: dict[str, Any] = {}
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("safetensors.save_file: metadata must map str to str")
        header["__metadata__"] = dict(metadata)
    arrays, offset = [], 0
    for name, value in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise TypeError(f"safetensors.save_file: tensor names must be strings other than "
                            f"'__metadata__', got {name!r}")
        arr = _as_array(name, value)
        header[name] = {"dtype": _CODES[arr.dtype.name], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
        arrays.append(arr)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return raw, arrays


def save_file(tensors: Mapping[str, Any], filename: str | os.PathLike | BinaryIO,
              metadata: Mapping[str, str] | None = None) -> None:
    """Write a flat dict name -> Tensor / ndarray as a safetensors file (atomically for a path).

    Same name and argument order as ``safetensors.torch.save_file``.
    """
    raw, arrays = _header(tensors, metadata)
    if hasattr(filename, "write"):
        _write(filename, raw, arrays)  # type: ignore[arg-type]
    else:
        with atomic_open(filename, "wb") as fh:
            _write(fh, raw, arrays)


def _parse(data: bytes) -> tuple[dict, dict | None, memoryview]:
    header, body = parse_header(data, _fail, "a safetensors file")
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in meta.items())):
        _fail("__metadata__ must be a JSON object of strings")
    return header, meta, body


def _array(code: str, shape: list, raw: memoryview) -> np.ndarray:
    if code == "BF16":  # bfloat16 is the top half of a float32: widen exactly
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(tuple(shape))
    return array_from_bytes(code, shape, raw)


def load_file(filename: str | os.PathLike | BinaryIO, device: str = "cpu"
              ) -> "OrderedDict[str, Tensor]":
    """Read a safetensors file into an OrderedDict name -> Tensor (in file order).

    Validates the whole header (dtypes, shapes, offsets that tile the data exactly) before
    building any tensor.
    """
    header, _, body = _parse(read_bytes(filename, "safetensors"))
    spans = tensor_spans(header, body, _ITEMSIZE, _fail)
    out: OrderedDict[str, Tensor] = OrderedDict()
    for start, end, name in spans:
        info = header[name]
        t = Tensor._wrap(_array(info["dtype"], info["shape"], body[start:end]), None, False)
        out[name] = t if device == "cpu" else t.to(device)
    return out


def load_metadata(filename: str | os.PathLike | BinaryIO) -> dict[str, str] | None:
    """The file's ``__metadata__`` (str -> str), or None when it has none."""
    header, meta, body = _parse(read_bytes(filename, "safetensors"))
    tensor_spans(header, body, _ITEMSIZE, _fail)
    return meta
