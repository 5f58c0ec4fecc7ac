"""``keras.layers``: the built-in layers, and serialize / deserialize of their configs."""
from __future__ import annotations

from typing import Any

from .base import InputSpec, KerasTensor, Layer  # noqa: F401
from .convolutional import (  # noqa: F401
    AveragePooling2D, Conv1D, Conv2D, Conv2DTranspose, GlobalAveragePooling2D,
    GlobalMaxPooling2D, MaxPooling2D,
)
from .core import (  # noqa: F401
    Activation, Add, Concatenate, Dense, Dropout, Flatten, Input, InputLayer, Reshape,
)
from .normalization import BatchNormalization, LayerNormalization  # noqa: F401
from .recurrent import GRU, LSTM, Bidirectional, Embedding, SimpleRNN  # noqa: F401

# Keras's aliases
Convolution1D, Convolution2D, Conv2DTransposeAlias = Conv1D, Conv2D, Conv2DTranspose
MaxPool2D, AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D = (
    MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D)
del Conv2DTransposeAlias

_CUSTOM: dict[str, type] = {}


def _registry() -> dict[str, type]:
    out = {k: v for k, v in globals().items()
           if isinstance(v, type) and issubclass(v, Layer)}
    out.update(_CUSTOM)
    return out


def serialize(layer: Layer) -> dict:
    """{'class_name', 'config'} of a layer (what ``deserialize`` rebuilds)."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """Rebuild a layer from ``serialize``'s dict; classes by name, including custom_objects."""
    reg = _registry()
    reg.update(custom_objects or {})
    name = config.get("class_name")
    if name in ("Sequential", "Functional", "Model"):
        from .. import models  # noqa: PLC0415

        return models.model_from_config(config, custom_objects)
    cls = reg.get(name)
    if cls is None:
        raise TypeError(f"Could not locate class '{name}'. Make sure custom classes are "
                        "decorated with `@keras.saving.register_keras_serializable()` or passed "
                        "in `custom_objects`.")
    return cls.from_config(config.get("config", {}))


def register(cls: Any) -> Any:
    """Make a custom Layer class known to deserialize / load_model by its class name."""
    _CUSTOM[cls.__name__] = cls
    return cls


__all__ = [k for k, v in list(globals().items())
           if isinstance(v, type) and issubclass(v, Layer)] + [
    "Input", "serialize", "deserialize"]
