"""Read a PyTorch ``torch.save`` zip file (.pt / .pth) without torch and without running code.

A torch.save file is a zip archive ``<name>/data.pkl`` (the pickled object) beside
``<name>/data/<key>`` (one raw storage per key) and ``<name>/byteorder``. The pickle names
globals (``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``
...) and refers to storages through persistent ids ``('storage', type, key, location, numel)``.

A pickle can call any importable function, so we never let ``pickle`` import anything: a
restricted unpickler maps the handful of names a state_dict needs to our OWN stand-ins that
build NumPy arrays from the storage bytes, and refuses every other global (``os.system``,
``builtins.eval``, ``subprocess.Popen`` ...) with an error naming it, before anything runs.
"""
from __future__ import annotations

import io
import math
import os
import pickle
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from ..autograd import Tensor

__all__ = ["load_torch_pickle", "UnsafePickleError", "TorchFileError"]


class TorchFileError(RuntimeError, ValueError):
    """The file is not a readable torch.save zip archive."""


class UnsafePickleError(TorchFileError, pickle.UnpicklingError):
    """The pickle names a global outside the state_dict allow-list; nothing was run."""


# storage class name -> NumPy dtype ("bfloat16" is widened to float32 on read)
_STORAGES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
             "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2",
             "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
             "BFloat16Storage": "bfloat16"}


class _StorageType:
    """Stand-in for ``torch.FloatStorage`` & co: only names an element type."""
    __slots__ = ("name", "dtype")

    def __init__(self, name: str) -> None:
        self.name, self.dtype = name, _STORAGES[name]

    def __reduce__(self):  # pragma: no cover - never pickled back
        raise TypeError("not picklable")


class _Storage:
    """One storage's bytes read from the archive, viewed as a flat 1-d array."""
    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


class _StateDict(OrderedDict):
    """What ``collections.OrderedDict`` resolves to; BUILD may only set ``_metadata``."""

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2 and state[1] is None:
            state = state[0]
        if not (isinstance(state, dict) and set(state) <= {"_metadata"}):
            raise UnsafePickleError("torch.load (restricted): an OrderedDict may only carry "
                                    "'_metadata' state")
        self.__dict__.update(state)


def _rebuild_tensor_v2(storage: Any, storage_offset: Any, size: Any, stride: Any,
                       requires_grad: Any = False, backward_hooks: Any = None,
                       metadata: Any = None) -> Tensor:
    """Our ``torch._utils._rebuild_tensor_v2``: a strided view of the storage, bounds-checked
    and copied into a fresh contiguous array."""
    if not isinstance(storage, _Storage):
        raise UnsafePickleError("torch.load (restricted): _rebuild_tensor_v2 expects a storage")
    if not (type(storage_offset) is int and isinstance(size, tuple) and isinstance(stride, tuple)
            and len(size) == len(stride)
            and all(type(v) is int and v >= 0 for v in size + stride)
            and storage_offset >= 0):
        raise TorchFileError(f"torch.load: bad tensor geometry offset={storage_offset!r} "
                             f"size={size!r} stride={stride!r}")
    flat = storage.array
    if math.prod(size) == 0:
        arr = np.zeros(size, dtype=flat.dtype)
    else:
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= flat.size:
            raise TorchFileError(f"torch.load: tensor of size {list(size)}, stride "
                                 f"{list(stride)} at offset {storage_offset} reads past its "
                                 f"storage of {flat.size} elements")
        item = flat.itemsize
        arr = np.lib.stride_tricks.as_strided(flat[storage_offset:], shape=size,
                                              strides=tuple(s * item for s in stride)).copy()
    t = Tensor._wrap(arr, None, False)
    if requires_grad is True and arr.dtype.kind == "f":
        t.requires_grad = True
    return t


def _rebuild_parameter(data: Any, requires_grad: Any = True, backward_hooks: Any = None
                       ) -> Tensor:
    """Our ``torch._utils._rebuild_parameter``: the tensor itself (load_state_dict copies)."""
    if not isinstance(data, Tensor):
        raise UnsafePickleError("torch.load (restricted): _rebuild_parameter expects a tensor")
    return data


_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): _StateDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in _STORAGES},
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str, path: str) -> None:
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix, self.path = archive, prefix, path
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except (KeyError, TypeError):
            raise UnsafePickleError(
                f"torch.load (restricted): refusing to load {self.path!r}: its pickle names the "
                f"global '{module}.{name}', which a state_dict never needs (only tensors, "
                f"storages and OrderedDicts are admitted). Nothing was executed. If you trust "
                f"the file, convert it to safetensors with PyTorch first.") from None

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)
                and type(pid[4]) is int and pid[4] >= 0):
            raise UnsafePickleError(f"torch.load (restricted): unsupported persistent id "
                                    f"{str(pid)[:80]!r} in {self.path!r}")
        stype, key, numel = pid[1], pid[2], pid[4]
        if key in self.storages:
            return self.storages[key]
        member = f"{self.prefix}data/{key}"
        try:
            raw = self.archive.read(member)
        except KeyError:
            raise TorchFileError(f"torch.load: storage {member!r} is missing from "
                                 f"{self.path!r}") from None
        except Exception as e:  # BadZipFile, zlib.error ... on a damaged member
            raise TorchFileError(f"torch.load: storage {member!r} of {self.path!r} is "
                                 f"damaged ({e})") from None
        itemsize = 2 if stype.dtype == "bfloat16" else np.dtype(stype.dtype).itemsize
        if len(raw) < numel * itemsize:
            raise TorchFileError(f"torch.load: storage {member!r} has {len(raw)} bytes, but "
                                 f"{numel} elements of {stype.name} need {numel * itemsize}")
        raw = raw[:numel * itemsize]
        if stype.dtype == "bfloat16":  # top half of a float32: widen exactly
            arr = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, stype.dtype)
            arr = arr.astype(arr.dtype.newbyteorder("="), copy=False)
        self.storages[key] = st = _Storage(arr)
        return st


def _open(path: Any) -> tuple[zipfile.ZipFile, str]:
    name = path if isinstance(path, str) else getattr(path, "name", "<file>")
    if hasattr(path, "read"):
        data = path.read()
    else:
        with open(os.fspath(path), "rb") as fh:
            data = fh.read()
    if data[:1] == b"\x80":  # a bare pickle: the legacy format starts with a pickled magic
        raise TorchFileError(
            f"torch.load: {name!r} is in PyTorch's legacy (pre-1.6, non-zip) format, which "
            "shenjing does not read; re-save it with a current torch.save or as safetensors")
    if data[:4] != b"PK\x03\x04":
        raise TorchFileError(f"torch.load: {name!r} is not a torch.save zip archive "
                             f"(starts with {data[:8]!r})")
    try:
        return zipfile.ZipFile(io.BytesIO(data)), str(name)
    except (zipfile.BadZipFile, EOFError, ValueError) as e:
        raise TorchFileError(f"torch.load: {name!r} is a damaged zip archive ({e})") from None


def load_torch_pickle(path: str | os.PathLike | Any) -> Any:
    """Load the object a ``torch.save`` zip file holds, tensors as shenjing Tensors.

    Only state_dict-shaped content is admitted (dicts, OrderedDicts, lists, tuples, numbers,
    strings and tensors); any other global in the pickle raises :class:`UnsafePickleError`.
    """
    archive, name = _open(path)
    try:
        pkl = [n for n in archive.namelist() if n.endswith("data.pkl") and n.count("/") <= 1]
    except Exception as e:  # pragma: no cover - zipfile raises many kinds on garbage
        raise TorchFileError(f"torch.load: cannot list {name!r} ({e})") from None
    if len(pkl) != 1:
        raise TorchFileError(f"torch.load: {name!r} has no single <archive>/data.pkl entry; "
                             "it is not a torch.save file")
    prefix = pkl[0][:-len("data.pkl")]
    try:
        order = archive.read(prefix + "byteorder").decode() if \
            prefix + "byteorder" in archive.namelist() else "little"
        data = archive.read(pkl[0])
    except Exception as e:  # BadZipFile, zlib.error, EOFError ... on a damaged archive
        raise TorchFileError(f"torch.load: {name!r} is a damaged zip archive ({e})") from None
    if order != "little":
        raise TorchFileError(f"torch.load: {name!r} was written on a {order}-endian machine; "
                             "only little-endian files are supported")
    unpickler = _RestrictedUnpickler(data, archive, prefix, name)
    try:
        obj = unpickler.load()
    except TorchFileError:
        raise
    except (zipfile.BadZipFile, EOFError) as e:
        raise TorchFileError(f"torch.load: {name!r} is damaged ({e})") from None
    except Exception as e:  # malformed pickle streams raise many kinds
        raise TorchFileError(f"torch.load: cannot read the pickle in {name!r} "
                             f"({type(e).__name__}: {e})") from None
    return _plain(obj)


def _plain(obj: Any) -> Any:
    """Turn our _StateDict stand-ins into plain OrderedDicts (keeping ``_metadata``)."""
    if isinstance(obj, _StateDict):
        out = OrderedDict((k, _plain(v)) for k, v in obj.items())
        if "_metadata" in obj.__dict__:
            out._metadata = obj.__dict__["_metadata"]  # type: ignore[attr-defined]
        return out
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    if isinstance(obj, (_Storage, _StorageType)):
        raise TorchFileError("torch.load: a bare storage is not supported (save tensors)")
    return obj
