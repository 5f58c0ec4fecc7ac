"""Optimizers and learning-rate schedulers, with PyTorch's names, defaults and update rules."""
from . import lr_scheduler  # noqa: F401
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

try:
    from .sparse_adam import SparseAdam  # noqa: F401
except ModuleNotFoundError as _e:  # lands with the embedding work
    if _e.name != "shenjing.optim.sparse_adam":
        raise

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler"]
if "SparseAdam" in globals():
    __all__.append("SparseAdam")
