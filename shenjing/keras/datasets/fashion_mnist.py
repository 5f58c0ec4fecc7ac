"""``keras.datasets.fashion_mnist.load_data()``: Fashion-MNIST as Keras gives them.

Keras reads the four IDX ``.gz`` files of Zalando's release; so do we, through
``shenjing.datasets.FashionMNIST`` in shenjing's cache (``$SHENJING_HOME/datasets/FashionMNIST/
raw``). Missing files are downloaded from Zalando's mirror, then Keras's, md5-checked.
"""
from __future__ import annotations

from ...datasets import FashionMNIST
from ...datasets._download import Resource, download_resources
from ._common import KERAS_ORIGIN, torchvision_root
from .mnist import Split, idx_files_present, read_idx_dataset

__all__ = ["load_data"]


def load_data() -> tuple[Split, Split]:
    """Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``.

    x: uint8 (60000, 28, 28) and (10000, 28, 28); y: uint8 (N,) classes 0-9 (T-shirt/top,
    Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot).
    """
    root = torchvision_root()
    if not idx_files_present(FashionMNIST, root):
        mirrors = [*FashionMNIST.mirrors, KERAS_ORIGIN]
        res = [Resource(name, tuple(m + name for m in mirrors), "md5:" + md5)
               for name, md5 in FashionMNIST.resources]
        download_resources(res, root / "FashionMNIST" / "raw", "Fashion-MNIST")
    return read_idx_dataset(FashionMNIST, root)
