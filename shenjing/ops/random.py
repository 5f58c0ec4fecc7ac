"""Dropout family: random masks drawn from shenjing's generator (``manual_seed``).

y = x * m with m = keep / (1 - p), keep ~ Bernoulli(1 - p), so E[y] = x; the mask is
drawn outside the Function and the backward is dL/dx = dL/dy * m.
"""
from __future__ import annotations

import math

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from ..backend.random import rng_like
from ..autograd import grad_mode


class MaskMul(Function):
    """y = x * m (+ shift); the mask m is a constant attr broadcast against x."""

    def forward(self, x, mask, shift):
        self.mask = mask
        y = x * mask
        return y + shift if shift is not None else y

    def backward(self, g):
        return g * self.mask


def _check_p(op: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(x: Tensor, p: float, shape: tuple) -> object:
    """Bernoulli(1 - p) keep mask of ``shape`` in x's dtype, scaled by 1 / (1 - p)."""
    dt = x._data.dtype
    if p == 1.0:
        return get_array_module(x._data).zeros(shape, dtype=dt)
    u = rng_like(None, x._data).random(shape, dtype=dt if dt.kind == "f" and dt.itemsize >= 4 else None)
    return (u >= p).astype(dt) * dt.type(1.0 / (1.0 - p))


def _apply(x: Tensor, mask: object, inplace: bool, shift: object = None) -> Tensor:
    """x * mask (+ shift), in place when asked: the tensor then takes the result's data and node."""
    if not inplace:
        return MaskMul.apply(x, mask=mask, shift=shift)
    if not (x.requires_grad and grad_mode.state.enabled):
        x._data *= mask
        if shift is not None:
            x._data += shift
        return x
    if x.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    old = Tensor._wrap(x._data, x.grad_fn, True)  # x as it was, so the graph stays acyclic
    out = MaskMul.apply(old, mask=mask, shift=shift)
    x._data, x.grad_fn = out._data, out.grad_fn
    return x


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p).

    Shape:
        any; output like input. Identity when ``training`` is False or p == 0.
    """
    _check_p("dropout", p)
    if not training or p == 0.0:
        return input
    return _apply(input, _keep_mask(input, p, input._data.shape), inplace)


def _feature_dropout(op: str, input: Tensor, p: float, training: bool, inplace: bool,
                     dims: tuple) -> Tensor:
    _check_p(op, p)
    if input.ndim not in dims:
        raise RuntimeError(f"{op}: expected {' or '.join(f'{d}D' for d in dims)} input "
                           f"(got {input.ndim}D input)")
    if not training or p == 0.0:
        return input
    # one draw per (sample, channel); an unbatched input is (C, *spatial)
    lead = 1 if input.ndim == min(dims) else 2
    shape = input.shape[:lead] + (1,) * (input.ndim - lead)
    return _apply(input, _keep_mask(input, p, tuple(shape)), inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    return _feature_dropout("dropout1d", input, p, training, inplace, (2, 3))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input with probability ``p``.

    A 3D input is read as (N, C, L), as PyTorch does today.
    """
    _check_p("dropout2d", p)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"dropout2d: expected 3D or 4D input (got {input.ndim}D input)")
    if not training or p == 0.0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _apply(input, _keep_mask(input, p, shape), inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    return _feature_dropout("dropout3d", input, p, training, inplace, (4, 5))


_SELU_ALPHA_SCALE = 1.7580993408473766  # selu's scale * alpha: the value a dropped unit takes


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance.

    Dropped units take -alpha'; then y = a (x m + -alpha' (1 - m)) + b with
    a = ((1 - p)(1 + p alpha'^2))^-1/2 and b = a alpha' p.
    """
    _check_p("alpha_dropout", p)
    if not training or p == 0.0:
        return input
    x = input._data
    if p == 1.0:
        return MaskMul.apply(input, mask=x.dtype.type(0), shift=None)
    al = _SELU_ALPHA_SCALE
    a = 1.0 / math.sqrt((al * al * p + 1) * (1 - p))
    keep = (rng_like(None, x).random(x.shape) >= p).astype(x.dtype)
    shift = (a * al * (keep - 1 + p)).astype(x.dtype)  # a (-alpha'(1 - m)) + a alpha' p
    return _apply(input, keep * x.dtype.type(a), inplace, shift)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.feature_dropout: channel dropout over dim 1 of a batched input."""
    _check_p("feature_dropout", p)
    if not train or p == 0.0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _apply(input, _keep_mask(input, p, shape), False)


__all__ = ["dropout", "alpha_dropout", "feature_dropout"]
TENSOR_METHODS = ()
FUNCTIONAL = ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout")
