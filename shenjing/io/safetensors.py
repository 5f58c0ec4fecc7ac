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
import math
import os
import tempfile
from collections import OrderedDict
from typing import Any, BinaryIO, Mapping

import numpy as np

from ..autograd import Tensor
from ..backend import move
from ..serialization import _CODES, _NP_OF, CheckpointError, _umask

__all__ = ["save_file", "load_file", "load_metadata", "SafetensorsError"]

_MAX_HEADER = 100 * 1024 * 1024
_ITEMSIZE = {**{c: d.itemsize for c, d in _NP_OF.items()}, "BF16": 2}


class SafetensorsError(CheckpointError):
    """The file is not a valid safetensors file (truncated, corrupted or another format)."""


def _fail(msg: str) -> None:
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
    arr = arr if arr.flags.c_contiguous else arr.copy(order="C")
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False)


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


def _write(fh: BinaryIO, raw: bytes, arrays: list[np.ndarray]) -> None:
    fh.write(len(raw).to_bytes(8, "little"))
    fh.write(raw)
    for arr in arrays:
        if arr.size:
            fh.write(memoryview(arr.reshape(-1)).cast("B"))


def atomic_write(path: str | os.PathLike, writer: Any) -> None:
    """Call ``writer(fh)`` on a temporary file beside ``path``, fsync it, rename it over
    ``path``: a failure midway leaves any previous file intact."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=folder)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_file(tensors: Mapping[str, Any], filename: str | os.PathLike | BinaryIO,
              metadata: Mapping[str, str] | None = None) -> None:
    """Write a flat dict name -> Tensor / ndarray as a safetensors file (atomically for a path).

    Same name and argument order as ``safetensors.torch.save_file``.
    """
    raw, arrays = _header(tensors, metadata)
    if hasattr(filename, "write"):
        _write(filename, raw, arrays)  # type: ignore[arg-type]
    else:
        atomic_write(filename, lambda fh: _write(fh, raw, arrays))


def _read(f: Any) -> bytes:
    if hasattr(f, "read"):
        data = f.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("safetensors: the file object must be opened in binary mode")
        return bytes(data)
    with open(os.fspath(f), "rb") as fh:
        return fh.read()


def _parse(data: bytes) -> tuple[dict, dict | None, memoryview]:
    if len(data) < 8:
        _fail(f"file is too short ({len(data)} bytes) to be a safetensors file")
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER or 8 + n > len(data):
        _fail(f"header length {n} does not fit in a file of {len(data)} bytes "
              "(truncated or not a safetensors file)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        _fail("header is not valid UTF-8 JSON (corrupted or not a safetensors file)")
    if not isinstance(header, dict):
        _fail("header is not a JSON object")
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in meta.items())):
        _fail("__metadata__ must be a JSON object of strings")
    return header, meta, memoryview(data)[8 + n:]


def _check(header: dict, body: memoryview) -> list[tuple[int, int, str]]:
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            _fail(f"tensor {name!r}: entry must have exactly dtype, shape and data_offsets")
        code, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if code not in _ITEMSIZE:
            _fail(f"tensor {name!r}: unsupported dtype {code!r} "
                  f"(supported: {', '.join(sorted(_ITEMSIZE))})")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            _fail(f"tensor {name!r}: shape must be a list of non-negative ints, got {shape!r}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(type(o) is int for o in offs)
                and 0 <= offs[0] <= offs[1]):
            _fail(f"tensor {name!r}: bad data_offsets {offs!r}")
        nbytes = math.prod(shape) * _ITEMSIZE[code]
        if offs[1] - offs[0] != nbytes:
            _fail(f"tensor {name!r}: data_offsets span {offs[1] - offs[0]} bytes but dtype "
                  f"{code} and shape {shape} need {nbytes}")
        spans.append((offs[0], offs[1], name))
    spans.sort()
    pos = 0
    for start, end, name in spans:
        if start != pos:
            _fail(f"tensor {name!r}: data is not contiguous (starts at {start}, expected {pos})")
        pos = end
    if pos != len(body):
        _fail(f"data section has {len(body)} bytes but the header describes {pos} "
              "(truncated or extended file)")
    return spans


def _array(code: str, shape: list, raw: memoryview) -> np.ndarray:
    if code == "BF16":  # bfloat16 is the top half of a float32: widen exactly
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(tuple(shape))
    arr = np.frombuffer(raw, dtype=_NP_OF[code].newbyteorder("<")).reshape(tuple(shape))
    return arr.astype(arr.dtype.newbyteorder("="), copy=True)


def load_file(filename: str | os.PathLike | BinaryIO, device: str = "cpu"
              ) -> "OrderedDict[str, Tensor]":
    """Read a safetensors file into an OrderedDict name -> Tensor (in file order).

    Validates the whole header (dtypes, shapes, offsets that tile the data exactly) before
    building any tensor.
    """
    header, _, body = _parse(_read(filename))
    spans = _check(header, body)
    out: OrderedDict[str, Tensor] = OrderedDict()
    for start, end, name in spans:
        info = header[name]
        t = Tensor._wrap(_array(info["dtype"], info["shape"], body[start:end]), None, False)
        out[name] = t if device == "cpu" else t.to(device)
    return out


def load_metadata(filename: str | os.PathLike | BinaryIO) -> dict[str, str] | None:
    """The file's ``__metadata__`` (str -> str), or None when it has none."""
    header, meta, body = _parse(_read(filename))
    _check(header, body)
    return meta
