"""MNIST and Fashion-MNIST from their IDX files (gzip or raw), with torchvision's class API.

IDX format: 2 zero bytes, a type code (0x08 uint8 ... 0x0E float64), the number of dims, then
one big-endian uint32 per dim, then the values big-endian in row-major order.
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..autograd import Tensor
from ._base import SplitDataset
from ._download import DatasetError, Resource, download_resources

__all__ = ["read_idx", "MNIST", "FashionMNIST"]

_IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DatasetError(f"{path}: cannot read the file ({e})") from e
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DatasetError(f"{path}: truncated or corrupt gzip data ({e}); delete it and "
                               "download it again") from e
    return raw


def parse_idx(raw: bytes, name: str = "<bytes>", ndim: int | None = None) -> np.ndarray:
    """Decode IDX bytes into an array, checking the magic number and that the sizes agree."""
    if len(raw) < 4:
        raise DatasetError(f"{name}: not an IDX file: {len(raw)} bytes, shorter than the 4-byte "
                           "magic number")
    zero, code, nd = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00" or code not in _IDX_TYPES:
        raise DatasetError(f"{name}: not an IDX file: magic number 0x{raw[:4].hex()}, expected "
                           "0x0000 then a type code 08/09/0b/0c/0d/0e and the number of dims "
                           "(MNIST images 0x00000803, labels 0x00000801)")
    if ndim is not None and nd != ndim:
        raise DatasetError(f"{name}: expected an IDX file of {ndim} dims (magic 0x000008"
                           f"{ndim:02x}), got {nd} dims (magic 0x{raw[:4].hex()})")
    head = 4 + 4 * nd
    if len(raw) < head:
        raise DatasetError(f"{name}: truncated IDX header: {nd} dims need {head} bytes, the file "
                           f"holds {len(raw)}")
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd))
    dtype = _IDX_TYPES[code]
    want = dtype.itemsize
    for d in dims:
        want *= d
    got = len(raw) - head
    if got != want:
        raise DatasetError(f"{name}: IDX header says shape {dims} of {dtype.name} = {want} bytes "
                           f"of data, but the file holds {got} (truncated or altered)")
    arr = np.frombuffer(raw, dtype=dtype, offset=head).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a NumPy array of native byte order."""
    path = Path(path)
    return parse_idx(_read_bytes(path), str(path), ndim)


class MNIST(SplitDataset):
    """MNIST handwritten digits, like ``torchvision.datasets.MNIST``.

    ``data`` is a uint8 tensor (N, 28, 28) and ``targets`` an int64 tensor (N,). A sample is
    ``(image, target)``: the image a uint8 (28, 28) NumPy array (or what ``transform`` makes of
    it, e.g. ``ToTensor()`` gives a float32 (1, 28, 28) tensor), the target an int.

    Files are looked for in ``root/<ClassName>/raw`` as ``train-images-idx3-ubyte`` (or
    ``.gz``) etc.; ``download=True`` fetches missing ones and checks their md5. ``root=None``
    uses the cache folder (``$SHENJING_HOME/datasets``).
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform, download)
        images, labels = self._load()
        self.data = Tensor._wrap(images, None, False)
        self.targets = Tensor._wrap(labels, None, False)
        self._images = images
        self._labels = labels

    @property
    def raw_folder(self) -> Path:
        return self.root / type(self).__name__ / "raw"

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _resources(self) -> list[Resource]:
        return [Resource(name, tuple(m + name for m in self.mirrors), "md5:" + md5)
                for name, md5 in self.resources]

    def download(self) -> None:
        """Fetch the four files into ``raw_folder`` unless they are already there intact."""
        download_resources(self._resources(), self.raw_folder, type(self).__name__)

    def _find(self, stem: str) -> Path:
        for name in (stem, stem + ".gz"):
            p = self.raw_folder / name
            if p.is_file():
                return p
        files = "\n".join(f"  {r.filename} from {r.urls[0]}" for r in self._resources())
        raise DatasetError(f"{type(self).__name__}: {stem}[.gz] not found in {self.raw_folder}; "
                           f"use download=True, or put these files there:\n{files}")

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        split = "train" if self.train else "t10k"
        ipath = self._find(f"{split}-images-idx3-ubyte")
        lpath = self._find(f"{split}-labels-idx1-ubyte")
        images = read_idx(ipath, ndim=3)
        labels = read_idx(lpath, ndim=1)
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise DatasetError(f"{ipath.name}/{lpath.name}: expected uint8 IDX data (type code "
                               f"0x08), got {images.dtype} images and {labels.dtype} labels")
        if len(images) != len(labels):
            raise DatasetError(f"{ipath} holds {len(images)} images but {lpath} holds "
                               f"{len(labels)} labels")
        if labels.size and int(labels.max()) >= len(self.classes):
            raise DatasetError(f"{lpath}: label {int(labels.max())} out of range for "
                               f"{len(self.classes)} classes")
        return images, labels.astype(np.int64)

    def __len__(self) -> int:
        return len(self._images)

    def _sample(self, index: int) -> tuple[Any, Any]:
        return self._images[index], int(self._labels[index])


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: the same IDX layout as MNIST, ten kinds of clothing."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
