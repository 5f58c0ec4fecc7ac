"""``keras.datasets.mnist.load_data()``: MNIST digits as Keras gives them.

Keras's own ``mnist.npz`` (from Keras's storage, sha256-checked) is used when it is in the
cache or can be downloaded; MNIST's IDX files already in shenjing's cache (fetched through
``shenjing.datasets.MNIST``) are used instead of downloading anything. The ``.npz`` is read
with ``allow_pickle=False``: it holds plain uint8 arrays only.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ...datasets import MNIST
from ...datasets._download import (DatasetError, DownloadError, Resource, check_integrity,
                                   download_resources)
from ._common import KERAS_ORIGIN, cache_path, torchvision_root

__all__ = ["load_data"]

SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_KEYS = ("x_train", "y_train", "x_test", "y_test")

Split = tuple[np.ndarray, np.ndarray]


def read_npz(path: Path, side: int = 28, name: str = "MNIST") -> tuple[Split, Split]:
    """Read a Keras-format ``.npz`` of uint8 images (N, side, side) and uint8 labels (N,)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in _KEYS if k not in f.files]
            if missing:
                raise DatasetError(f"{path}: expected the arrays {', '.join(_KEYS)} in the "
                                   f".npz, missing {', '.join(missing)}")
            arrays = {k: f[k] for k in _KEYS}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        if isinstance(e, DatasetError):
            raise
        raise DatasetError(f"{path}: not a readable .npz of plain arrays ({e}); delete it and "
                           "download it again") from e
    for split in ("train", "test"):
        x, y = arrays["x_" + split], arrays["y_" + split]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (side, side):
            raise DatasetError(f"{path}: expected x_{split} uint8 of shape (N, {side}, {side}) "
                               f"({name} images), got {x.dtype} {x.shape}")
        if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "iu":
            raise DatasetError(f"{path}: expected y_{split} integer labels of shape "
                               f"({len(x)},), got {y.dtype} {y.shape}")
    return ((arrays["x_train"], arrays["y_train"].astype(np.uint8)),
            (arrays["x_test"], arrays["y_test"].astype(np.uint8)))


def idx_files_present(cls: type[MNIST], root: Path) -> bool:
    """True when all four IDX files of ``cls`` (raw or .gz) are in shenjing's cache."""
    raw = root / cls.__name__ / "raw"
    return all((raw / name).is_file() or (raw / name[:-3]).is_file()
               for name, _ in cls.resources)


def read_idx_dataset(cls: type[MNIST], root: Path) -> tuple[Split, Split]:
    """Both splits of a torchvision-format IDX data set as Keras's uint8 arrays."""
    out = []
    for train in (True, False):
        ds = cls(root, train=train)
        out.append((ds.data.numpy(), ds.targets.numpy().astype(np.uint8)))
    return out[0], out[1]


def load_data(path: str | os.PathLike = "mnist.npz") -> tuple[Split, Split]:
    """MNIST as ``(x_train, y_train), (x_test, y_test)``.

    x: uint8 (60000, 28, 28) and (10000, 28, 28), values 0-255; y: uint8 (N,) digits 0-9.
    ``path`` is where the ``.npz`` is cached, relative to ``$SHENJING_HOME/keras/datasets``.
    """
    dest = cache_path(path)
    if check_integrity(dest, "sha256:" + SHA256):
        return read_npz(dest)
    root = torchvision_root()
    if idx_files_present(MNIST, root):
        return read_idx_dataset(MNIST, root)
    res = Resource(dest.name, (KERAS_ORIGIN + "mnist.npz",), "sha256:" + SHA256)
    try:
        download_resources([res], dest.parent, "MNIST (Keras's mnist.npz)")
    except DownloadError as e:
        if "checksum mismatch" in str(e):
            raise
        raise DownloadError(f"{e}\nAlternatively put MNIST's four IDX files "
                            f"(train-images-idx3-ubyte.gz ...) in {root / 'MNIST' / 'raw'} "
                            "(shenjing.datasets.MNIST(download=True) fetches them).") from e
    return read_npz(dest)
