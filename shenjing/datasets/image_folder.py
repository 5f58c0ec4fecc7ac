"""ImageFolder: one sub-folder per class, images decoded with Pillow; corrupt files skipped.

    root/cat/001.png, root/dog/xyz.jpg, ...  ->  classes ['cat', 'dog'], targets 0, 1, ...

A file that fails to decode is reported (a :class:`CorruptImageWarning` naming it) and
skipped: the sample at the next index is returned instead, so a training loop goes on.
``verify()`` (or ``check_files=True``) decodes every file up front and lists the bad ones.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Callable

import numpy as np

from ..utils.data import Dataset
from ._download import DatasetError

__all__ = ["ImageFolder", "DatasetFolder", "IMG_EXTENSIONS", "pil_loader",
           "CorruptImageWarning"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


class CorruptImageWarning(UserWarning):
    """An image file could not be decoded and was skipped."""


def _pil():
    try:
        from PIL import Image  # noqa: PLC0415
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ImportError("ImageFolder decodes images with Pillow: pip install "
                          "'shenjing[images]' (or pip install pillow)") from e
    return Image


def pil_loader(path: str | os.PathLike) -> np.ndarray:
    """Decode an image file into a uint8 RGB array (H, W, 3)."""
    Image = _pil()
    with open(path, "rb") as f:
        img = Image.open(f)
        return np.asarray(img.convert("RGB"))


def _decode_errors() -> tuple[type[BaseException], ...]:
    Image = _pil()
    # Pillow raises UnidentifiedImageError (an OSError) for unknown data, OSError for
    # truncation, SyntaxError/ValueError/struct.error from some decoders, and a bomb error
    return (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError,
            Image.DecompressionBombError, DatasetError)


class DatasetFolder(Dataset):
    """Samples arranged as ``root/<class>/<file>``; ``loader`` decodes one file."""

    def __init__(self, root: str | os.PathLike, loader: Callable[[str], Any],
                 extensions: tuple[str, ...] | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 is_valid_file: Callable[[str], bool] | None = None, allow_empty: bool = False,
                 check_files: bool = False) -> None:
        self.root = str(root)
        self.loader = loader
        self.extensions = extensions
        self.transform = transform
        self.target_transform = target_transform
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, self.class_to_idx, extensions,
                                         is_valid_file, allow_empty)
        self.bad_files: dict[str, str] = {}
        if check_files:
            bad = self.verify()
            if bad:
                warnings.warn(f"{len(bad)} unreadable image(s) skipped in {self.root}: "
                              + ", ".join(p for p, _ in bad), CorruptImageWarning, stacklevel=2)
                drop = {p for p, _ in bad}
                self.samples = [s for s in self.samples if s[0] not in drop]

    @property
    def targets(self) -> list[int]:
        return [t for _, t in self.samples]

    @property
    def imgs(self) -> list[tuple[str, int]]:
        return self.samples

    @staticmethod
    def find_classes(directory: str) -> tuple[list[str], dict[str, int]]:
        """Class names are the sub-folder names, sorted; indices follow that order."""
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"ImageFolder: {directory} is not a folder")
        classes = sorted(e.name for e in os.scandir(directory) if e.is_dir()
                         and not e.name.startswith("."))
        if not classes:
            raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
        return classes, {c: i for i, c in enumerate(classes)}

    @staticmethod
    def make_dataset(directory: str, class_to_idx: dict[str, int],
                     extensions: tuple[str, ...] | None = None,
                     is_valid_file: Callable[[str], bool] | None = None,
                     allow_empty: bool = False) -> list[tuple[str, int]]:
        """(path, class index) for every accepted file, classes in order, files sorted."""
        if (extensions is None) == (is_valid_file is None):
            raise ValueError("Both extensions and is_valid_file cannot be None or not None at "
                             "the same time")
        if is_valid_file is None:
            exts = tuple(e.lower() for e in extensions)  # type: ignore[union-attr]
            is_valid_file = lambda p: p.lower().endswith(exts)  # noqa: E731
        samples, empty = [], []
        for cls in sorted(class_to_idx):
            base = os.path.join(directory, cls)
            found = 0
            for dirpath, _, files in sorted(os.walk(base, followlinks=True)):
                for f in sorted(files):
                    p = os.path.join(dirpath, f)
                    if is_valid_file(p):
                        samples.append((p, class_to_idx[cls]))
                        found += 1
            if not found:
                empty.append(cls)
        if empty and not allow_empty:
            msg = f"Found no valid file for the classes {', '.join(empty)}. "
            if extensions is not None:
                msg += f"Supported extensions are: {', '.join(extensions)}"
            raise FileNotFoundError(msg)
        return samples

    def verify(self) -> list[tuple[str, str]]:
        """Decode every file; return ``(path, reason)`` for each one that fails."""
        bad = []
        errors = _decode_errors() if self.loader is pil_loader else (Exception,)
        for path, _ in self.samples:
            try:
                self.loader(path)
            except errors as e:  # noqa: PERF203 - the error path only
                bad.append((path, f"{type(e).__name__}: {e}"))
                self.bad_files[path] = f"{type(e).__name__}: {e}"
        return bad

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        n = len(self.samples)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a data set of {n} samples")
        errors = _decode_errors() if self.loader is pil_loader else (Exception,)
        for step in range(n):
            path, target = self.samples[(index + step) % n]
            if path in self.bad_files:
                continue
            try:
                sample = self.loader(path)
            except errors as e:
                self.bad_files[path] = f"{type(e).__name__}: {e}"
                warnings.warn(f"skipping unreadable image {path} ({type(e).__name__}: {e})",
                              CorruptImageWarning, stacklevel=2)
                continue
            if self.transform is not None:
                sample = self.transform(sample)
            if self.target_transform is not None:
                target = self.target_transform(target)
            return sample, target
        raise DatasetError(f"ImageFolder: none of the {n} files in {self.root} could be decoded")


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/``, like ``torchvision.datasets.ImageFolder``.

    A sample is ``(image, target)``: the image a uint8 RGB array (H, W, 3) from
    :func:`pil_loader` (or what ``transform`` makes of it), the target the class index.
    """

    def __init__(self, root: str | os.PathLike, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = pil_loader,
                 is_valid_file: Callable[[str], bool] | None = None, allow_empty: bool = False,
                 check_files: bool = False) -> None:
        if loader is pil_loader:
            _pil()  # fail early with the install hint
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform, target_transform, is_valid_file, allow_empty, check_files)
