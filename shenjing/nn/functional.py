"""``shenjing.nn.functional``: the functional forms, with PyTorch's signatures.

Gathers the names each op family lists in its ``FUNCTIONAL`` tuple (activations, linear,
losses, normalisation, dropout ...).
"""
from importlib import import_module as _imp

for _name in ("activation", "linalg", "loss", "norm", "random", "shape", "elementwise",
              "conv", "pool", "resample", "embedding", "recurrent", "distance"):
    try:
        _m = _imp(f"shenjing.ops.{_name}")
    except ModuleNotFoundError as _e:
        if _e.name != f"shenjing.ops.{_name}":
            raise
        continue
    globals().update({k: getattr(_m, k) for k in getattr(_m, "FUNCTIONAL", ())})
