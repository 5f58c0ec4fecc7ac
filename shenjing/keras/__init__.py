"""``from shenjing import keras``: a Keras 3-compatible face on shenjing's core.

Layers are shenjing nn.Modules built lazily from their first input; models train with
shenjing's autograd. ``keras.Sequential``, ``keras.Model``, ``keras.Input``, ``keras.layers``
and the components (activations, losses, metrics, optimizers, callbacks ...) follow Keras 3's
names, defaults and shapes.
"""
from __future__ import annotations

from importlib import import_module as _imp
from types import SimpleNamespace as _NS

from . import layers  # noqa: F401
from .layers import Input, Layer  # noqa: F401
from .layers.base import KerasTensor, clear_session  # noqa: F401
from . import models  # noqa: F401
from .models import Model, Sequential  # noqa: F401
from . import saving  # noqa: F401 - keras.saving.load_model, register_keras_serializable

_LAZY = ("activations", "initializers", "regularizers", "constraints", "losses", "metrics",
         "optimizers", "callbacks", "utils", "datasets", "applications", "ops")


def __getattr__(name: str):
    """keras.losses, keras.datasets ...: imported on first use (they land one by one)."""
    if name in _LAZY:
        try:
            module = _imp(f"shenjing.keras.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"shenjing.keras.{name}":
                raise
            raise AttributeError(f"module 'shenjing.keras' has no attribute '{name}' "
                                 f"(shenjing.keras.{name} is not there yet)") from None
        globals()[name] = module
        return module
    raise AttributeError(f"module 'shenjing.keras' has no attribute '{name}'")


def _floatx() -> str:
    return "float32"


def _image_data_format() -> str:
    return "channels_last"


backend = _NS(clear_session=clear_session, floatx=_floatx, image_data_format=_image_data_format,
              backend=lambda: "shenjing")
version = lambda: "3.0.0 (shenjing)"  # noqa: E731
__version__ = "3.0.0"

__all__ = ["Sequential", "Model", "Input", "Layer", "KerasTensor", "layers", "models",
           "backend", "saving"]
