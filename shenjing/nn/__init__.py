"""Neural-network building blocks: Module, Parameter, layers, losses, init, functional."""
from importlib import import_module as _imp

from . import functional, init  # noqa: F401

_MODULE_FILES = ("module", "container", "linear", "activation", "normalization", "dropout", "loss",
                 "conv", "pooling", "upsampling", "sparse", "rnn")
for _name in _MODULE_FILES:
    try:
        _m = _imp(f"shenjing.nn.modules.{_name}")
    except ModuleNotFoundError as _e:  # files land one by one
        if _e.name != f"shenjing.nn.modules.{_name}":
            raise
        continue
    globals().update({k: getattr(_m, k) for k in getattr(_m, "__all__", ())})
try:
    utils = _imp("shenjing.nn.utils")
except ModuleNotFoundError as _e:
    if _e.name != "shenjing.nn.utils":
        raise
