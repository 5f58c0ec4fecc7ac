"""CIFAR-10 and CIFAR-100 from the python batches, read WITHOUT running arbitrary pickle code.

Each batch is a pickled dict: ``data`` a uint8 array (N, 3072) of planar RGB 32x32 images,
``labels`` (CIFAR-10) or ``fine_labels``/``coarse_labels`` (CIFAR-100) lists of ints,
``filenames`` and ``batch_label``. :class:`RestrictedUnpickler` admits only the globals those
files name (NumPy's array reconstructor, ``ndarray``, ``dtype``, and ``_codecs.encode`` that
protocol-2 pickles use for bytes), each replaced by a checked stand-in; anything else, such as
``os.system``, is refused before it could run.
"""
from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._base import SplitDataset
from ._download import (DatasetError, Resource, check_integrity, download_resources,
                        extract_archive)

__all__ = ["RestrictedUnpickler", "load_pickle", "read_cifar_batch", "CIFAR10", "CIFAR100"]

class _Refused(pickle.UnpicklingError):
    """The pickle asked for something a data set file never holds."""


# NumPy's own __setstate__ is never handed attacker bytes (a crafted dtype state can corrupt
# NumPy's shared dtype singletons). Arrays and dtypes are built as stubs whose __setstate__
# checks the state and makes a fresh array with np.frombuffer; stubs are swapped out after.
_PLAIN = frozenset("b1 i1 u1 i2 u2 i4 u4 i8 u8 f2 f4 f8".split())


class _DtypeStub:
    __slots__ = ("dtype",)

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype

    def __setstate__(self, state: Any) -> None:
        # (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
        if (not isinstance(state, tuple) or len(state) < 5
                or any(v is not None for v in state[2:5]) or state[1] not in "<>|="):
            raise _Refused("only plain numeric dtypes are allowed in a data set batch")
        if state[1] in ("<", ">"):
            self.dtype = self.dtype.newbyteorder(state[1])


class _ArrayStub:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        # (version, shape, dtype, is_fortran, raw bytes); version is missing in old pickles
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise _Refused("malformed array state")
        shape, dt, fortran, raw = state[-4:]
        if isinstance(raw, str):
            raw = raw.encode("latin1")  # py2 str data read with encoding='latin1'
        if not isinstance(dt, _DtypeStub) or not isinstance(raw, (bytes, bytearray)):
            raise _Refused("only plain numeric arrays are allowed (no object arrays)")
        if not isinstance(shape, tuple) or not all(type(d) is int and d >= 0 for d in shape):
            raise _Refused(f"malformed array shape {shape!r}")
        n = dt.dtype.itemsize
        for d in shape:
            n *= d
        if n != len(raw):
            raise ValueError(f"an array of shape {shape} {dt.dtype} needs {n} bytes, the pickle "
                             f"holds {len(raw)}")
        arr = np.frombuffer(raw, dt.dtype).reshape(shape, order="F" if fortran else "C")
        self.value = arr.astype(dt.dtype.newbyteorder("="), order="C")


class _Global:
    """An admitted global: callable, but its state can never be set by the pickle."""

    __slots__ = ("fn", "name")

    def __init__(self, fn: Callable, name: str) -> None:
        self.fn, self.name = fn, name

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def __setstate__(self, state: Any) -> None:
        raise _Refused(f"cannot set state on {self.name}")


def _refuse_call(*args: Any) -> Any:
    raise _Refused("numpy.ndarray may only be named as _reconstruct's first argument")


_NDARRAY = _Global(_refuse_call, "numpy.ndarray")


def _reconstruct(cls: Any, shape: Any = None, code: Any = None) -> _ArrayStub:
    if cls is not _NDARRAY:
        raise _Refused("_reconstruct may only build numpy.ndarray")
    return _ArrayStub()


def _dtype(obj: Any, align: Any = False, copy: Any = False) -> _DtypeStub:
    name = obj.decode("latin1") if isinstance(obj, bytes) else obj
    if not isinstance(name, str) or name.lstrip("<>|=") not in _PLAIN:
        raise _Refused(f"dtype {obj!r} is not allowed (plain numeric dtypes only)")
    return _DtypeStub(np.dtype(name.lstrip("<>|=")))


def _codecs_encode(obj: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    # protocol 2 stores bytes as _codecs.encode(str, 'latin1'); only text codecs are admitted
    if (not isinstance(obj, str) or not isinstance(encoding, str) or errors != "strict"
            or encoding.lower().replace("-", "") not in ("latin1", "utf8", "ascii")):
        raise _Refused(f"_codecs.encode({type(obj).__name__}, {encoding!r}) is not allowed")
    return obj.encode(encoding)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _Global(_reconstruct, "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): _Global(_reconstruct, "_reconstruct"),
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _Global(_dtype, "numpy.dtype"),
    ("_codecs", "encode"): _Global(_codecs_encode, "_codecs.encode"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only builds plain NumPy arrays, strings, numbers and containers."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise _Refused(
                f"global '{module}.{name}' is not allowed: a data set batch holds only arrays, "
                "lists, dicts and strings (the file may be malicious)") from None

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused("persistent ids are not allowed in a data set batch")


def _resolve(obj: Any) -> Any:
    """Swap every stub for the array or dtype it built."""
    if isinstance(obj, _ArrayStub):
        if obj.value is None:
            raise _Refused("an array without its data")
        return obj.value
    if isinstance(obj, _DtypeStub):
        return obj.dtype
    if isinstance(obj, _Global):
        raise _Refused(f"a bare {obj.name} is not data")
    if isinstance(obj, dict):
        return {_resolve(k): _resolve(v) for k, v in obj.items()}
    if isinstance(obj, list):
        if all(type(v) in (int, float, str, bytes) for v in obj):
            return obj
        return [_resolve(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_resolve(v) for v in obj)
    return obj


def load_pickle(raw: bytes, name: str = "<bytes>") -> Any:
    """Unpickle ``raw`` with :class:`RestrictedUnpickler`; any failure is a DatasetError."""
    try:
        obj = _resolve(RestrictedUnpickler(io.BytesIO(raw), encoding="latin1").load())
    except _Refused as e:
        raise DatasetError(f"{name}: refused to unpickle: {e}") from e
    except MemoryError as e:
        raise DatasetError(f"{name}: the pickle asks for more memory than exists") from e
    except Exception as e:  # noqa: BLE001 - corrupt bytes can raise anything inside pickle
        raise DatasetError(f"{name}: not a readable pickle (truncated or corrupt): "
                           f"{type(e).__name__}: {e}") from e
    if not isinstance(obj, dict):
        raise DatasetError(f"{name}: expected a pickled dict, got {type(obj).__name__}")
    # py2 batches read with latin1 have str keys; py3 ones may have bytes keys
    return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in obj.items()}


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise DatasetError(f"{path}: cannot read the file ({e})") from e


def _int_list(value: Any, n: int, key: str, name: str, high: int) -> list[int]:
    try:
        arr = np.asarray(value)
        ok = arr.ndim == 1 and len(arr) == n and (arr.dtype.kind in "iu" or n == 0)
    except Exception:  # noqa: BLE001
        ok = False
    if not ok:
        raise DatasetError(f"{name}: expected {key!r} a list of {n} ints (one per image), got "
                           f"{type(value).__name__} of length {_len(value)}")
    if n and (arr.min() < 0 or arr.max() >= high):
        raise DatasetError(f"{name}: {key!r} holds labels outside [0, {high})")
    return arr.astype(np.int64).tolist()


def _len(value: Any) -> Any:
    try:
        return len(value)
    except TypeError:
        return "?"


def read_cifar_batch(raw: bytes, name: str = "<bytes>",
                     label_keys: tuple[str, ...] = ("labels",),
                     num_classes: tuple[int, ...] = (10,)) -> tuple[np.ndarray, list[list[int]]]:
    """Decode one batch: images uint8 (N, 32, 32, 3) (HWC, like torchvision) and label lists."""
    d = load_pickle(raw, name)
    data = d.get("data")
    if (not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2
            or data.shape[1] != 3072):
        got = (f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray)
               else type(data).__name__)
        raise DatasetError(f"{name}: expected 'data' a uint8 array of shape (N, 3072) "
                           f"(N images of 3x32x32), got {got}")
    n = len(data)
    labels = []
    for key, high in zip(label_keys, num_classes):
        if key not in d:
            raise DatasetError(f"{name}: missing key {key!r} (keys: {sorted(map(str, d))})")
        labels.append(_int_list(d[key], n, key, name, high))
    images = data.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    return images, labels


class CIFAR10(SplitDataset):
    """CIFAR-10, like ``torchvision.datasets.CIFAR10``.

    ``data`` is a uint8 NumPy array (N, 32, 32, 3) and ``targets`` a list of ints; a sample is
    ``(image, target)`` with the image a uint8 HWC array (or what ``transform`` makes of it).
    The batches live in ``root/cifar-10-batches-py``; ``download=True`` fetches and checks
    the archive and every batch.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    label_keys: tuple[str, ...] = ("labels",)
    num_classes: tuple[int, ...] = (10,)

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform, download)
        folder = self.root / self.base_folder
        entries = self.train_list if train else self.test_list
        missing = [n for n, _ in entries + [[self.meta["filename"], None]]
                   if not (folder / n).is_file()]
        if missing:
            raise DatasetError(
                f"{type(self).__name__}: {', '.join(missing)} not found in {folder}; use "
                f"download=True, or download {self.url} (md5 {self.tgz_md5}) and unpack it "
                f"into {self.root}")
        images: list[np.ndarray] = []
        labels: list[list[int]] = [[] for _ in self.label_keys]
        for n, _ in entries:
            path = folder / n
            x, lab = read_cifar_batch(_read(path), str(path), self.label_keys, self.num_classes)
            images.append(x)
            for acc, part in zip(labels, lab):
                acc.extend(part)
        self.data = np.concatenate(images) if images else np.zeros((0, 32, 32, 3), np.uint8)
        self.targets = labels[0]
        if len(labels) > 1:
            self.coarse_targets = labels[1]
        self._load_meta(folder / self.meta["filename"])

    def _load_meta(self, path: Path) -> None:
        d = load_pickle(_read(path), str(path))
        names = d.get(self.meta["key"])
        if (not isinstance(names, list) or len(names) != self.num_classes[0]
                or not all(isinstance(c, (str, bytes)) for c in names)):
            raise DatasetError(f"{path}: expected {self.meta['key']!r} a list of "
                               f"{self.num_classes[0]} class names")
        self.classes = [c.decode("latin1") if isinstance(c, bytes) else c for c in names]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _check_integrity(self) -> bool:
        folder = self.root / self.base_folder
        files = self.train_list + self.test_list + [[self.meta["filename"], self.meta["md5"]]]
        return all(check_integrity(folder / n, "md5:" + md5) for n, md5 in files)

    def download(self) -> None:
        """Fetch and unpack the archive unless every batch is already there with its md5."""
        if self._check_integrity():
            return
        res = Resource(self.filename, (self.url,), "md5:" + self.tgz_md5)
        (archive,) = download_resources([res], self.root, type(self).__name__)
        extract_archive(archive, self.root, top=self.base_folder)
        if not self._check_integrity():
            raise DatasetError(f"{type(self).__name__}: the unpacked batches in "
                               f"{self.root / self.base_folder} do not match their md5s")

    def __len__(self) -> int:
        return len(self.data)

    def _sample(self, index: int) -> tuple[Any, Any]:
        return self.data[index], self.targets[index]


class CIFAR100(CIFAR10):
    """CIFAR-100: 100 fine classes (``targets``) grouped into 20 coarse ones."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
    label_keys = ("fine_labels", "coarse_labels")
    num_classes = (100, 20)
