"""shenjing (神经): a deep learning framework written from first principles on NumPy.

``import shenjing as torch`` gives the PyTorch face; ``from shenjing import keras`` the Keras one.
"""
from ._version import __version__  # noqa: F401
from .backend import (  # noqa: F401
    Generator, default_generator, device, dtype, get_default_dtype, manual_seed, set_default_dtype,
    float16, float32, float64, int8, uint8, int16, int32, int64, bool_ as bool,
)
from .backend.dtypes import half, double, short, long  # noqa: F401
from .backend.dtypes import float as float, int as int  # noqa: F401,PLC0414
from .backend.random import initial_seed, seed, get_rng_state, set_rng_state  # noqa: F401
from .backend.fpenv import set_flush_denormal  # noqa: F401
from .backend.threads import get_num_threads, set_num_threads  # noqa: F401
from .backend.layout import (  # noqa: F401
    memory_format, contiguous_format, channels_last, channels_last_3d, preserve_format,
)
from .backend.memory import keep_freed_memory as _keep_freed_memory
_keep_freed_memory()
from . import autograd  # noqa: F401
from .backend import cuda  # noqa: F401
from .autograd import (  # noqa: F401
    Size, Tensor, detect_anomaly, enable_grad, inference_mode, is_anomaly_enabled,
    is_grad_enabled, no_grad, set_detect_anomaly, set_grad_enabled,
)
from .ops import install as _install
from .ops import elementwise as _elementwise
from .ops.creation import *  # noqa: F401,F403
from .ops.creation import tensor, zeros  # noqa: F401
from .ops.elementwise import *  # noqa: F401,F403
from .ops.elementwise import abs, pow, round, cast as _cast  # noqa: F401

_FAMILIES = [_elementwise]
for _name in ("reduce", "shape", "indexing", "linalg", "activation", "inplace", "loss", "norm",
              "random", "conv", "pool", "resample", "embedding", "recurrent", "factory", "sort",
              "composite", "repeat", "mathfn", "distance", "algebra",
              "index_update", "lookup", "grid", "scatter_reduce",
              "stats", "views"):
    try:
        _FAMILIES.append(__import__(f"shenjing.ops.{_name}", fromlist=["*"]))
    except ModuleNotFoundError as _e:  # families land one by one
        if _e.name != f"shenjing.ops.{_name}":
            raise
for _m in _FAMILIES[1:]:
    globals().update({k: getattr(_m, k) for k in getattr(_m, "__all__", ())})
_install.install(_FAMILIES)

FloatTensor = DoubleTensor = LongTensor = Tensor


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


from . import backends, linalg, nn, onnx, optim, special, utils  # noqa: E402,F401
try:
    from .serialization import load, save  # noqa: E402,F401
except ModuleNotFoundError as _e:
    if _e.name != "shenjing.serialization":
        raise
