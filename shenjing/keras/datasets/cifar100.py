"""``keras.datasets.cifar100.load_data()``: CIFAR-100 as Keras gives it (channels_last)."""
from __future__ import annotations

import numpy as np

from ...datasets import CIFAR100
from .cifar10 import load_cifar
from .mnist import Split

__all__ = ["load_data"]


def load_data(label_mode: str = "fine") -> tuple[Split, Split]:
    """CIFAR-100 as ``(x_train, y_train), (x_test, y_test)``.

    x: uint8 (50000, 32, 32, 3) and (10000, 32, 32, 3), channels_last; y: int64 (N, 1) (as
    Keras: the labels come from a list), 100 fine classes or, with ``label_mode="coarse"``,
    20 superclasses.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError('`label_mode` must be one of `"fine"`, `"coarse"`. '
                         f"Received: label_mode={label_mode}.")
    train, test = load_cifar(CIFAR100)

    def labels(ds: CIFAR100) -> np.ndarray:
        y = ds.targets if label_mode == "fine" else ds.coarse_targets
        return np.asarray(y, np.int64).reshape(-1, 1)

    return (train.data, labels(train)), (test.data, labels(test))
