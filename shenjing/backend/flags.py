"""Switches that choose among kernels, and PyTorch's ``torch.backends`` flags.

``winograd.enabled`` (default True) lets deep 3x3 stride-1 convolutions run as Winograd
F(4x4, 3x3) (ops/conv_wino.py): several times fewer multiplies, float32 results within about
1e-5 of the output's scale of a direct convolution. Set it False for im2col everywhere.
The cudnn / mkldnn / mps flags exist so that code written for PyTorch runs unchanged: this
CPU/NumPy build has none of those libraries, so their ``is_available()`` is False and
their settings change nothing (as cudnn's do not for a PyTorch model on the CPU).
"""
from __future__ import annotations

from typing import Any


class Flags:
    """A named set of boolean switches: ``flags.name = True/False``."""

    def __init__(self, name: str, available: bool = True, **defaults: bool) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_available", available)
        object.__setattr__(self, "_values", dict(defaults))

    def __getattr__(self, key: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if key in values:
            return values[key]
        raise AttributeError(f"backends.{self._name} has no flag {key!r}; flags: "
                             f"{', '.join(sorted(values))}")

    def __setattr__(self, key: str, value: Any) -> None:
        if key not in self._values:
            raise AttributeError(f"backends.{self._name} has no flag {key!r}; flags: "
                                 f"{', '.join(sorted(self._values))}")
        if not isinstance(value, bool):
            raise TypeError(f"backends.{self._name}.{key} must be a bool, got "
                            f"{type(value).__name__} {value!r}")
        self._values[key] = value

    def is_available(self) -> bool:
        """Whether the library behind these flags is present in this build."""
        return self._available

    def __repr__(self) -> str:
        return f"backends.{self._name}({', '.join(f'{k}={v}' for k, v in self._values.items())})"


winograd = Flags("winograd", enabled=True)
cudnn = Flags("cudnn", available=False, enabled=True, benchmark=False, deterministic=False,
              allow_tf32=True)
mkldnn = Flags("mkldnn", available=False, enabled=True)
mps = Flags("mps", available=False)


class _Cuda:
    """``backends.cuda``: its ``matmul`` precision flags (TF32, reduced-precision sums)."""

    matmul = Flags("cuda.matmul", available=False, allow_tf32=False,
                   allow_fp16_reduced_precision_reduction=True,
                   allow_bf16_reduced_precision_reduction=True)

    @staticmethod
    def is_built() -> bool:
        """Whether this build has CUDA kernels of its own (it has not: CuPy is the GPU path)."""
        return False


cuda = _Cuda()
