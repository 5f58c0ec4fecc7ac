"""Turn ``--data`` (a data-set name, an image folder or a .csv path) into train/val/test arrays.

Images come out float32 (N, C, H, W) in [0, 1]; tables float32 (N, F) standardised with the
training split's mean and std (kept in ``Data.info`` so ``predict`` applies the same). Labels
are int64. The named sets and ImageFolder come from :mod:`shenjing.datasets`, imported only
when asked for; digits and CSV tables also work with NumPy alone.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Data", "load_data", "NAMED", "image_to_array"]

# --data name -> class name in shenjing.datasets
NAMED = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "fashion_mnist": "FashionMNIST",
         "cifar10": "CIFAR10", "cifar-10": "CIFAR10", "cifar100": "CIFAR100",
         "cifar-100": "CIFAR100"}
_IMAGE_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}


@dataclass
class Data:
    """The three splits plus what a model and ``predict`` need to know about them."""

    name: str
    kind: str  # "image" or "table"
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    input_shape: tuple[int, ...]
    class_names: list[str]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def _split(x: np.ndarray, y: np.ndarray, fraction: float, seed: int
           ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A seeded random (rest, fraction) split."""
    order = np.random.default_rng(seed).permutation(len(x))
    n = int(round(len(x) * fraction))
    a, b = order[n:], order[:n]
    return (x[a], y[a]), (x[b], y[b])


def _digits(seed: int) -> Data:
    from ..datasets import load_digits  # noqa: PLC0415

    d = load_digits(seed=seed)
    splits = [(x.reshape(-1, 1, 8, 8), y) for x, y in (d["train"], d["val"], d["test"])]
    return Data("digits", "image", *splits, input_shape=(1, 8, 8),
                class_names=[str(i) for i in range(10)])


def image_to_array(img: Any, size: tuple[int, int] | None = None,
                   channels: int | None = None) -> np.ndarray:
    """A PIL image, an array (H, W[, C]) / (C, H, W) or a Tensor as float32 (C, H, W) in [0, 1]."""
    if hasattr(img, "convert") and hasattr(img, "size"):  # PIL
        if channels is not None:
            img = img.convert("L" if channels == 1 else "RGB")
        if size is not None and tuple(img.size) != (size[1], size[0]):
            img = img.resize((size[1], size[0]))
        arr = np.asarray(img)
    else:
        arr = np.asarray(getattr(img, "_data", img))
    scale = 255.0 if arr.dtype == np.uint8 or (arr.size and arr.max() > 1.5) else 1.0
    arr = arr.astype(np.float32) / scale
    if arr.ndim == 2:
        arr = arr[None]
    elif arr.ndim == 3 and arr.shape[-1] in (1, 3, 4) and arr.shape[0] not in (1, 3):
        arr = arr.transpose(2, 0, 1)
    if arr.ndim != 3:
        raise ValueError(f"data: expected an image of shape (H, W), (H, W, C) or (C, H, W), "
                         f"got {arr.shape}")
    if channels is not None and arr.shape[0] != channels:
        arr = arr.mean(0, keepdims=True) if channels == 1 else np.repeat(arr[:1], channels, 0)
    if size is not None and arr.shape[1:] != tuple(size):
        raise ValueError(f"data: image of size {arr.shape[1:]} where {tuple(size)} was expected")
    return np.ascontiguousarray(arr)


def _as_arrays(ds: Any, size: tuple[int, int] | None = None,
               channels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of a torchvision-style data set: its .data/.targets, else item by item."""
    data, targets = getattr(ds, "data", None), getattr(ds, "targets", None)
    if isinstance(data, np.ndarray) and targets is not None and size is None:
        x = data.astype(np.float32) / (255.0 if data.dtype == np.uint8 else 1.0)
        x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(x), np.asarray(targets, dtype=np.int64)
    xs, ys = [], []
    for i in range(len(ds)):
        img, label = ds[i]
        xs.append(image_to_array(img, size, channels))
        ys.append(int(label))
    if not xs:
        raise ValueError("data: the data set is empty")
    return np.stack(xs), np.asarray(ys, dtype=np.int64)


def _named(name: str, seed: int, val_fraction: float, root: str | None, download: bool) -> Data:
    import shenjing.datasets as dsets  # noqa: PLC0415

    cls = getattr(dsets, NAMED[name], None)
    if cls is None:
        raise ValueError(f"data: shenjing.datasets has no {NAMED[name]} in this build; "
                         "use --data digits, an image folder or a .csv file")
    kw: dict[str, Any] = {"download": download}
    if root:
        kw["root"] = root
    train, test = cls(train=True, **kw), cls(train=False, **kw)
    xtr, ytr = _as_arrays(train)
    xte, yte = _as_arrays(test)
    tr, va = _split(xtr, ytr, val_fraction, seed)
    names = [str(c) for c in getattr(train, "classes", [])] or \
        [str(i) for i in range(int(max(ytr.max(), yte.max())) + 1)]
    return Data(name, "image", tr, va, (xte, yte), tuple(xtr.shape[1:]), names)


def _image_folder(path: Path, seed: int, val_fraction: float, test_fraction: float,
                  size: int) -> Data:
    try:
        from ..datasets import ImageFolder, transforms  # noqa: PLC0415
        ds = ImageFolder(str(path), transform=transforms.Resize((size, size)),
                         check_files=True)  # unreadable files are reported and dropped
        classes = [str(c) for c in ds.classes]
    except ImportError:  # the datasets module without ImageFolder: walk the tree with Pillow
        ds, classes = _walk_folder(path)
    first = ds[0][0]
    mode_rgb = getattr(first, "mode", "RGB") not in ("L", "1", "I", "I;16") if hasattr(
        first, "mode") else image_to_array(first).shape[0] == 3
    channels = 3 if mode_rgb else 1
    x, y = _as_arrays(ds, (size, size), channels)
    rest, test = _split(x, y, test_fraction, seed)
    tr, va = _split(*rest, val_fraction / max(1e-9, 1 - test_fraction), seed + 1)
    return Data(path.name, "image", tr, va, test, (channels, size, size), classes,
                {"image_size": size, "source": str(path)})


def _walk_folder(path: Path) -> tuple[list[tuple[Any, int]], list[str]]:
    from PIL import Image  # noqa: PLC0415

    classes = sorted(p.name for p in path.iterdir() if p.is_dir())
    items = []
    for k, c in enumerate(classes):
        for f in sorted((path / c).iterdir()):
            if f.suffix.lower() in _IMAGE_EXT:
                try:
                    with Image.open(f) as im:
                        items.append((im.convert("RGB"), k))
                except OSError as e:
                    print(f"data: skipping unreadable image {f}: {e}")
    if not items:
        raise ValueError(f"data: no images in class sub-folders of {path}")
    return items, classes


def read_csv_table(path: Path, target: str | None) -> tuple[list[str], np.ndarray, list[str]]:
    """(feature names, float32 features, raw target strings) of a CSV file with a header."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValueError(f"data: {path} needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if target is None:
        target = header_target(path)
    if target not in header:
        raise ValueError(f"data: target column {target!r} is not in {path}'s header {header}")
    t = header.index(target)
    feats = [h for i, h in enumerate(header) if i != t]
    x = np.empty((len(rows) - 1, len(feats)), dtype=np.float32)
    labels = []
    for n, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise ValueError(f"data: {path} line {n} has {len(r)} fields, the header has "
                             f"{len(header)}")
        try:
            x[n - 2] = [float(v) for i, v in enumerate(r) if i != t]
        except ValueError:
            raise ValueError(f"data: {path} line {n}: a feature is not a number: {r}") from None
        labels.append(r[t].strip())
    return feats, x, labels


def header_target(path: Path) -> str:
    """The column :func:`read_csv_table` picks as the target when none is named."""
    with open(path, newline="", encoding="utf-8") as fh:
        header = [h.strip() for h in next(csv.reader(fh))]
    lower = [h.lower() for h in header]
    return next((header[lower.index(n)] for n in ("target", "label", "class", "y")
                 if n in lower), header[-1])


def _table(path: Path, seed: int, val_fraction: float, test_fraction: float,
           target: str | None) -> Data:
    feats, x, labels = read_csv_table(path, target)
    try:
        keys = sorted(set(labels), key=float)
    except ValueError:
        keys = sorted(set(labels))
    index = {k: i for i, k in enumerate(keys)}
    y = np.array([index[v] for v in labels], dtype=np.int64)
    rest, test = _split(x, y, test_fraction, seed)
    tr, va = _split(*rest, val_fraction / max(1e-9, 1 - test_fraction), seed + 1)
    mean, std = tr[0].mean(0), tr[0].std(0) + 1e-6
    norm = [((a - mean) / std).astype(np.float32) for a in (tr[0], va[0], test[0])]
    info = {"features": feats, "target": target or header_target(path), "mean": mean.tolist(),
            "std": std.tolist(), "source": str(path)}
    return Data(path.stem, "table", (norm[0], tr[1]), (norm[1], va[1]), (norm[2], test[1]),
                (len(feats),), keys, info)


def load_data(spec: str = "digits", seed: int = 0, val_fraction: float = 0.1,
              test_fraction: float = 0.2, root: str | None = None, download: bool = False,
              target: str | None = None, image_size: int = 32) -> Data:
    """Resolve ``--data``: digits, mnist, fashion-mnist, cifar10, cifar100, a folder, a .csv."""
    key = spec.lower()
    if key == "digits":
        return _digits(seed)
    if key in NAMED:
        return _named(key, seed, val_fraction, root, download)
    path = Path(os.path.expanduser(spec))
    if path.is_dir():
        return _image_folder(path, seed, val_fraction, test_fraction, image_size)
    if path.suffix.lower() == ".csv":
        if not path.is_file():
            raise FileNotFoundError(f"data: no CSV file {path}")
        return _table(path, seed, val_fraction, test_fraction, target)
    raise ValueError(f"data: unknown data set {spec!r}; use digits, "
                     f"{', '.join(sorted(set(NAMED) - {'fashion_mnist', 'cifar-10', 'cifar-100'}))}"
                     ", a folder of images (one sub-folder per class) or a .csv file")
