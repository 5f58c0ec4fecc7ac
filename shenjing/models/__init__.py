"""The model zoo: classic architectures with torchvision's parameter names.

Every builder takes ``num_classes`` (and the class's other keyword arguments) and returns a
freshly initialised Module whose ``state_dict`` keys and shapes equal torchvision's where
torchvision has the model. ``get_model("resnet18", num_classes=10)`` builds by name;
``list_models()`` lists the names.
"""
from __future__ import annotations

from typing import Any, Callable

from .. import nn
from . import alexnet as _alexnet_mod
from . import lenet as _lenet_mod
from . import preact_resnet as _preact_mod
from . import resnet as _resnet_mod
from . import seed_cnn as _seed_mod
from . import vgg as _vgg_mod
from .alexnet import *  # noqa: F401,F403
from .lenet import *  # noqa: F401,F403
from .preact_resnet import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .seed_cnn import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}
for _mod in (_lenet_mod, _seed_mod, _alexnet_mod, _vgg_mod, _resnet_mod, _preact_mod):
    for _name in _mod.__all__:
        _obj = getattr(_mod, _name)
        # builders are the lower-case functions; classes and helpers are not registered
        if _name.islower() and callable(_obj) and not isinstance(_obj, type) \
                and _name not in ("make_layers", "conv3x3", "conv1x1"):
            _BUILDERS[_name] = _obj


def list_models() -> list[str]:
    """Names accepted by :func:`get_model`, sorted."""
    return sorted(_BUILDERS)


def get_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model called ``name`` (e.g. ``"resnet18"``); kwargs go to its builder."""
    try:
        builder = _BUILDERS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; available: {', '.join(list_models())}") \
            from None
    return builder(**kwargs)


__all__ = (["get_model", "list_models"] + _lenet_mod.__all__ + _seed_mod.__all__
           + _alexnet_mod.__all__ + _vgg_mod.__all__ + _resnet_mod.__all__
           + _preact_mod.__all__)

# Models for other tasks (text, word vectors, generative, super-resolution) export their
# ``__all__`` and register only the builders they list in a ``BUILDERS`` dict.
for _opt in ("text", "word2vec", "gan", "super_resolution"):
    try:
        _mod = __import__(f"shenjing.models.{_opt}", fromlist=["*"])
    except ModuleNotFoundError as _e:  # these land one by one
        if _e.name != f"shenjing.models.{_opt}":
            raise
        continue
    globals().update({k: getattr(_mod, k) for k in _mod.__all__})
    _BUILDERS.update(getattr(_mod, "BUILDERS", {}))
    __all__ = __all__ + list(_mod.__all__)
