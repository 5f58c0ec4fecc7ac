"""Shared pieces of the Keras loaders: the cache folder and Keras's file origin."""
from __future__ import annotations

import os
from pathlib import Path

from ...datasets._download import shenjing_home

# where Keras keeps its preprocessed data set files (mnist.npz, the Fashion-MNIST IDX files)
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def keras_cache() -> Path:
    """``$SHENJING_HOME/keras/datasets``: our counterpart of Keras's ``~/.keras/datasets``."""
    return shenjing_home() / "keras" / "datasets"


def cache_path(path: str | os.PathLike) -> Path:
    """``path`` relative to the Keras cache folder (an absolute path is kept, as Keras does)."""
    return keras_cache() / Path(path).expanduser()


def torchvision_root() -> Path:
    """The folder shenjing's torchvision-format readers use by default."""
    return shenjing_home() / "datasets"
