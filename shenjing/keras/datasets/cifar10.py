"""``keras.datasets.cifar10.load_data()``: CIFAR-10 as Keras gives it (channels_last).

Read from the python batches by ``shenjing.datasets.CIFAR10`` (a restricted unpickler: nothing
but plain arrays, lists and strings can come out of the files) in shenjing's cache; the archive
is downloaded and md5-checked when the batches are missing.
"""
from __future__ import annotations

import numpy as np

from ...datasets import CIFAR10
from ._common import torchvision_root
from .mnist import Split

__all__ = ["load_data"]


def batches_present(cls: type[CIFAR10]) -> bool:
    """True when every batch and the meta file of ``cls`` are in shenjing's cache."""
    folder = torchvision_root() / cls.base_folder
    names = [n for n, _ in cls.train_list + cls.test_list] + [cls.meta["filename"]]
    return all((folder / n).is_file() for n in names)


def load_cifar(cls: type[CIFAR10]) -> tuple[CIFAR10, CIFAR10]:
    """The train and test splits of ``cls`` (downloading the archive if a batch is missing)."""
    root = torchvision_root()
    train = cls(root, train=True, download=not batches_present(cls))
    return train, cls(root, train=False)


def load_data() -> tuple[Split, Split]:
    """CIFAR-10 as ``(x_train, y_train), (x_test, y_test)``.

    x: uint8 (50000, 32, 32, 3) and (10000, 32, 32, 3), channels_last; y: uint8 (N, 1) classes
    0-9 (airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck).
    """
    train, test = load_cifar(CIFAR10)
    return tuple((ds.data, np.asarray(ds.targets, np.uint8).reshape(-1, 1))  # type: ignore
                 for ds in (train, test))
