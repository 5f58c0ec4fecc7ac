"""The face MNIST and CIFAR share with torchvision: root/train/transforms/download, the repr."""
from __future__ import annotations

import os
from typing import Any, Callable

from ..utils.data import Dataset
from ._download import default_root


class SplitDataset(Dataset):
    """A train or test split of (image, target) samples read from files under ``root``.

    Subclasses define ``download()``, ``__len__`` and ``_sample(index)`` (the raw pair);
    ``__getitem__`` applies ``transform`` to the image and ``target_transform`` to the target.
    """

    def __init__(self, root: str | os.PathLike | None, train: bool,
                 transform: Callable | None, target_transform: Callable | None,
                 download: bool) -> None:
        self.root = default_root(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()

    def download(self) -> None:
        raise NotImplementedError

    def _sample(self, index: int) -> tuple[Any, Any]:
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self._sample(index)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {split}")
