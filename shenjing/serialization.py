"""save / load: checkpoints in the safetensors layout, never pickle.

File = 8-byte little-endian header length N, N bytes of JSON header, then raw tensor bytes.
The header maps tensor names to ``{"dtype", "shape", "data_offsets"}`` (safetensors), and its
``"__metadata__"`` holds the shenjing format tag, a SHA-256 of the data and a JSON description
of the saved object (nested dicts / lists / tuples of tensors, numbers, strings, None). Loading
only parses JSON and copies bytes, so a hostile file cannot run code; every field is checked.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from typing import Any, BinaryIO, Callable, Mapping, NoReturn

import numpy as np

from .autograd import Tensor
from .backend import device, dtypes, move
from .utils.atomic import atomic_open

__all__ = ["save", "load"]

FORMAT = "shenjing"
VERSION = "1"
_MAX_HEADER = 100 * 1024 * 1024
_CODES = {"float16": "F16", "float32": "F32", "float64": "F64", "int8": "I8", "uint8": "U8",
          "int16": "I16", "int32": "I32", "int64": "I64", "bool": "BOOL"}
_NP_OF = {code: np.dtype(name if name != "bool" else np.bool_) for name, code in _CODES.items()}
_ITEMSIZE = {code: dt.itemsize for code, dt in _NP_OF.items()}


class _Encoder:
    """Turns an object into a JSON-able structure; tensors go to a name -> array table."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._names: dict[int, str] = {}
        self._keep: list[Any] = []  # holds objects so their ids stay unique while encoding

    def encode(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            f = float(obj)
            return f if math.isfinite(f) else {"float": repr(f)}
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, Tensor):
            out = {"tensor": self._add(obj, np.asarray(move(obj._data, "cpu"))),
                   "requires_grad": bool(obj.requires_grad)}
            if type(obj._data) is not np.ndarray and obj.device.type != "cpu":
                out["device"] = str(obj.device)  # loaded back there unless map_location says
            return out
        if isinstance(obj, np.ndarray):
            return {"ndarray": self._add(obj, obj)}
        if isinstance(obj, dtypes.dtype):
            return {"dtype": obj.name}
        if isinstance(obj, dict):
            return {"dict": [[self.encode(k), self.encode(v)] for k, v in obj.items()]}
        if isinstance(obj, tuple):
            return {"tuple": [self.encode(v) for v in obj]}
        if isinstance(obj, list):
            return {"list": [self.encode(v) for v in obj]}
        raise TypeError(
            f"shenjing.save: cannot save an object of type {type(obj).__name__}; checkpoints hold "
            "tensors, numbers, strings, None and dicts / lists / tuples of them")

    def _add(self, owner: Any, arr: np.ndarray) -> str:
        name = self._names.get(id(owner))
        if name is None:  # a tensor saved twice is stored once and loads as one object
            if arr.dtype.name not in _CODES:
                raise TypeError(f"shenjing.save: unsupported dtype {arr.dtype}")
            name = f"t{len(self.arrays)}"
            self._names[id(owner)] = name
            self._keep.append(owner)
            self.arrays[name] = to_le_contiguous(arr)
        return name


def to_le_contiguous(arr: np.ndarray) -> np.ndarray:
    """``arr`` C-contiguous and little-endian (the safetensors layout), copied only if needed."""
    # (np.ascontiguousarray would turn a 0-d array into a 1-d one)
    arr = arr if arr.flags.c_contiguous else arr.copy(order="C")
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False)


def _build_header(obj: Any) -> tuple[bytes, list[np.ndarray]]:
    enc = _Encoder()
    structure = enc.encode(obj)
    header: dict[str, Any] = {}
    arrays, offset, digest = [], 0, hashlib.sha256()
    for name, arr in enc.arrays.items():
        n = arr.nbytes
        header[name] = {"dtype": _CODES[arr.dtype.name], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + n]}
        offset += n
        digest.update(memoryview(arr.reshape(-1)).cast("B") if arr.size else b"")
        arrays.append(arr)
    header["__metadata__"] = {"format": FORMAT, "version": VERSION, "sha256": digest.hexdigest(),
                              "structure": json.dumps(structure, separators=(",", ":"))}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # safetensors pads the header to 8-byte alignment
    return raw, arrays


def _write_arrays(fh: BinaryIO, arrays: list[np.ndarray]) -> None:
    for arr in arrays:
        if arr.size:
            fh.write(memoryview(arr.reshape(-1)).cast("B"))


def _write(fh: BinaryIO, header: bytes, arrays: list[np.ndarray]) -> None:
    fh.write(len(header).to_bytes(8, "little"))
    fh.write(header)
    _write_arrays(fh, arrays)


def save(obj: Any, f: str | os.PathLike | BinaryIO) -> None:
    """Save ``obj`` (a tensor or a nested state dict) to a path or a binary file object.

    A path is written atomically: to a temporary file in the same folder, flushed and fsynced,
    then renamed over the target, so a failure midway leaves any previous file intact.
    """
    header, arrays = _build_header(obj)
    if hasattr(f, "write"):
        _write(f, header, arrays)  # type: ignore[arg-type]
        return
    with atomic_open(f, "wb") as fh:
        _write(fh, header, arrays)


class CheckpointError(RuntimeError, ValueError):
    """The file is not a valid shenjing checkpoint (truncated, tampered or another format)."""


def _fail(msg: str) -> NoReturn:
    raise CheckpointError(f"shenjing.load: {msg}")


def read_bytes(f: Any, who: str) -> bytes:
    """All bytes of a path or a binary file object; ``who`` names the caller in errors."""
    if hasattr(f, "read"):
        data = f.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"{who}: the file object must be opened in binary mode")
        return bytes(data)
    with open(os.fspath(f), "rb") as fh:
        return fh.read()


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, weights_only: bool = True,
         **kwargs: Any) -> Any:
    """Load what :func:`save` wrote. Validates the whole file before building any tensor.

    ``map_location``: None (each tensor back on the device it was saved from), 'cpu',
    'cuda[:i]', a device, a dict {saved device: device} or a callable(tensor, saved device)
    returning the tensor to use. ``weights_only`` is accepted for compatibility: no code is
    ever unpickled.
    """
    if isinstance(map_location, (str, device)):
        device(map_location)  # a bad device string fails before reading
    data = read_bytes(f, "shenjing.load")
    ours = len(data) >= 9 and data[8:9] == b"{" and 8 + int.from_bytes(data[:8], "little") \
        <= len(data)  # a header length whose first byte is 0x80 must not look like a pickle
    if not ours and data[:1] == b"\x80":
        _fail("this is a Python pickle; shenjing never unpickles files because a pickle can run "
              "arbitrary code. Re-save it with shenjing.save (or convert it to safetensors)")
    if data[:4] == b"PK\x03\x04":
        _fail("this is a zip archive (a torch.save file?); shenjing reads only its own "
              "safetensors-layout checkpoints, never pickles")
    header, body = parse_header(data, _fail, "a shenjing checkpoint")
    meta = header.pop("__metadata__", None)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        _fail("no shenjing metadata in the header: this safetensors file was not written by "
              "shenjing.save (read plain safetensors with shenjing.io)")
    if meta.get("version") != VERSION:
        _fail(f"unsupported checkpoint version {meta.get('version')!r} (this build reads "
              f"{VERSION!r})")
    arrays = {name: array_from_bytes(header[name]["dtype"], header[name]["shape"], body[a:b])
              for a, b, name in tensor_spans(header, body, _ITEMSIZE, _fail)}
    if hashlib.sha256(body).hexdigest() != meta.get("sha256"):
        _fail("checksum mismatch: the tensor data was modified or corrupted")
    try:
        structure = json.loads(meta.get("structure", ""))
    except (TypeError, ValueError):
        _fail("the structure description is not valid JSON")
    return _Decoder(arrays, map_location).decode(structure)


def parse_header(data: bytes, fail: Callable[[str], NoReturn], what: str
                 ) -> tuple[dict, memoryview]:
    """Split a safetensors-layout file into its JSON header (a dict) and its data section.

    ``fail(msg)`` raises the caller's error; ``what`` names the expected kind of file.
    """
    if len(data) < 8:
        fail(f"file is too short ({len(data)} bytes) to be {what}")
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER or 8 + n > len(data):
        fail(f"header length {n} does not fit in a file of {len(data)} bytes "
             f"(truncated or not {what})")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        fail(f"header is not valid JSON (corrupted or not {what})")
    if not isinstance(header, dict):
        fail("header is not a JSON object")
    return header, memoryview(data)[8 + n:]


def tensor_spans(header: dict, body: memoryview, itemsize: Mapping[str, int],
                 fail: Callable[[str], NoReturn]) -> list[tuple[int, int, str]]:
    """Check every tensor entry of a safetensors header (``__metadata__`` already removed).

    Each entry needs exactly dtype (a key of ``itemsize``), shape (non-negative ints) and
    data_offsets spanning prod(shape) * itemsize bytes; together the spans must tile ``body``
    exactly. Returns (start, end, name) sorted by start.
    """
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            fail(f"tensor {name!r}: entry must have exactly dtype, shape and data_offsets")
        code, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(code, str) or code not in itemsize:
            fail(f"tensor {name!r}: unknown dtype {code!r} "
                 f"(supported: {', '.join(sorted(itemsize))})")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            fail(f"tensor {name!r}: shape must be a list of non-negative ints, got {shape!r}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(type(o) is int for o in offs)
                and 0 <= offs[0] <= offs[1]):
            fail(f"tensor {name!r}: bad data_offsets {offs!r}")
        nbytes = math.prod(shape) * itemsize[code]
        if offs[1] - offs[0] != nbytes:
            fail(f"tensor {name!r}: data_offsets span {offs[1] - offs[0]} bytes but dtype "
                 f"{code} and shape {shape} need {nbytes}")
        spans.append((offs[0], offs[1], name))
    spans.sort()
    pos = 0
    for start, end, name in spans:
        if start != pos:
            fail(f"tensor {name!r}: data is not contiguous (starts at {start}, expected {pos})")
        pos = end
    if pos != len(body):
        fail(f"data section has {len(body)} bytes but the header describes {pos} "
             "(truncated or extended file)")
    return spans


def array_from_bytes(code: str, shape: list, raw: memoryview) -> np.ndarray:
    """A native-byte-order copy of little-endian tensor bytes of safetensors dtype ``code``."""
    arr = np.frombuffer(raw, dtype=_NP_OF[code].newbyteorder("<")).reshape(tuple(shape))
    return arr.astype(arr.dtype.newbyteorder("="), copy=True)


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray], map_location: Any = None) -> None:
        self.arrays = arrays
        self.made: dict[str, Any] = {}
        self.map_location = map_location

    def place(self, t: Tensor, saved: str) -> Tensor:
        """Put a loaded tensor where ``map_location`` says (default: where it was saved)."""
        loc = self.map_location
        if callable(loc) and not isinstance(loc, (str, device)):
            out = loc(t, saved)
            return t if out is None else out
        if isinstance(loc, dict):
            loc = loc.get(saved, saved)
        target = device(saved if loc is None else loc)
        if target.type == "cpu":
            return t
        t._data = move(t._data, target)
        return t

    def decode(self, s: Any) -> Any:
        if s is None or isinstance(s, (bool, int, float, str)):
            return s
        if isinstance(s, list):
            _fail("bad structure: a bare list where a tagged value was expected")
        if not isinstance(s, dict) or len(s) == 0:
            _fail(f"bad structure entry {str(s)[:80]!r}")
        if "tensor" in s or "ndarray" in s:
            key = "tensor" if "tensor" in s else "ndarray"
            name = s[key]
            if name not in self.arrays:
                _fail(f"structure refers to tensor {name!r} that is not in the file")
            if name not in self.made:
                arr = self.arrays[name]
                if key == "ndarray":
                    self.made[name] = arr
                else:
                    t = self.place(Tensor._wrap(arr, None, False), s.get("device", "cpu"))
                    if s.get("requires_grad") is True and arr.dtype.kind == "f":
                        t.requires_grad = True
                    self.made[name] = t
            return self.made[name]
        if len(s) != 1:
            _fail(f"bad structure entry {str(s)[:80]!r}")
        (tag, val), = s.items()
        if tag == "float" and val in ("inf", "-inf", "nan"):
            return float(val)
        if tag == "dtype" and isinstance(val, str):
            try:
                return dtypes.to_dtype(val)
            except TypeError:
                _fail(f"unknown dtype {val!r} in structure")
        if not isinstance(val, list):
            _fail(f"bad structure entry {str(s)[:80]!r}")
        if tag == "list":
            return [self.decode(v) for v in val]
        if tag == "tuple":
            return tuple(self.decode(v) for v in val)
        if tag == "dict":
            out = {}
            for kv in val:
                if not isinstance(kv, list) or len(kv) != 2:
                    _fail("bad structure: dict items must be [key, value] pairs")
                k = self.decode(kv[0])
                try:
                    out[k] = self.decode(kv[1])
                except TypeError:
                    _fail("bad structure: unhashable dict key")
            return out
        _fail(f"unknown structure tag {tag!r}")
