"""Data sets: the embedded digits, MNIST/Fashion-MNIST, CIFAR-10/100, IMDB, text8, image folders
and CSV tables, with checked downloads into the cache folder ($SHENJING_HOME), and transforms."""
from . import transforms  # noqa: F401
from ._download import (DatasetError, DownloadError, check_integrity, download_url,  # noqa: F401
                        shenjing_home)
from .cifar import CIFAR10, CIFAR100  # noqa: F401
from .csv_table import CSVDataset  # noqa: F401
from .digits import load_digits  # noqa: F401
from .image_folder import CorruptImageWarning, DatasetFolder, ImageFolder  # noqa: F401
from .imdb import IMDB, load_imdb  # noqa: F401
from .mnist import MNIST, FashionMNIST  # noqa: F401
from .text8 import load_text8  # noqa: F401

__all__ = ["load_digits", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "IMDB", "load_imdb",
           "load_text8", "ImageFolder", "DatasetFolder", "CSVDataset", "CorruptImageWarning",
           "DatasetError", "DownloadError", "shenjing_home", "download_url", "check_integrity",
           "transforms"]
