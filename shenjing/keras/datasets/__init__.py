"""``keras.datasets``: Keras 3's ``load_data()`` loaders on shenjing's data set readers.

Each returns NumPy arrays with Keras's shapes and dtypes, ``((x_train, y_train), (x_test,
y_test))``. Files are downloaded (checksum-verified, atomically) by shenjing's downloader into
the cache folder ``$SHENJING_HOME`` (Keras's own files under ``keras/datasets``, the
torchvision-format files under ``datasets``); nothing is ever unpickled beyond plain arrays.
"""
from __future__ import annotations

from . import cifar10, cifar100, fashion_mnist, imdb, mnist  # noqa: F401

__all__ = ["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb"]
