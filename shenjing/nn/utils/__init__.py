"""Gradient clipping and parameter/vector conversion, like ``torch.nn.utils``."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from ...autograd.tensor import Tensor
from ...ops.shape import cat

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters"]

_Params = "Tensor | Iterable[Tensor]"


def _as_list(tensors: _Params) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _norm_of(arrays: list[np.ndarray], norm_type: float) -> float:
    """The p-norm of the concatenation of ``arrays`` (= the p-norm of their p-norms)."""
    if norm_type == math.inf:
        return max(float(np.max(np.abs(a))) if a.size else 0.0 for a in arrays)
    if norm_type == -math.inf:
        return min(float(np.min(np.abs(a))) if a.size else math.inf for a in arrays)
    if norm_type == 0:
        return float(sum(np.count_nonzero(a) for a in arrays))
    if norm_type == 2.0:
        s = sum(float(np.vdot(a.ravel(), a.ravel())) for a in arrays)
        return math.sqrt(s)
    s = sum(float(np.sum(np.abs(a.astype(np.float64)) ** norm_type)) for a in arrays)
    return s ** (1.0 / norm_type)


def get_total_norm(tensors: _Params, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The norm of all ``tensors`` together, as if they were one vector."""
    arrays = [t._data for t in _as_list(tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32), None, False)
    dtype = np.result_type(*arrays)
    total = _norm_of(arrays, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._wrap(np.asarray(total, dtype=dtype), None, False)


def clip_grads_with_norm_(parameters: _Params, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)) in place."""
    grads = [p._grad for p in _as_list(parameters) if p._grad is not None]
    if not grads:
        return
    coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
    for g in grads:
        c = g._data.dtype.type(coef)
        with np.errstate(invalid="ignore"):  # inf * 0 -> nan, as in PyTorch
            if g._data.flags.writeable:
                g._data *= c
            else:
                g._data = g._data * c


def clip_grad_norm_(parameters: _Params, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Rescale gradients so their joint ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor).
    """
    params = _as_list(parameters)
    grads = [p._grad for p in params if p._grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_norm(parameters: _Params, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_`."""
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters: _Params, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient into [-clip_value, clip_value] in place."""
    c = float(clip_value)
    for p in _as_list(parameters):
        if p._grad is not None:
            g = p._grad._data
            p._grad._data = np.clip(g, -c, c, out=g if g.flags.writeable else None)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (differentiable)."""
    params = list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected torch.Tensor, but got: {type(p).__name__}")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    need = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != need:
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vector of {need} elements, "
                           f"got shape {tuple(vec.shape)}")
    at = 0
    for p in params:
        n = p.numel()
        p._data = vec._data[at:at + n].reshape(p._data.shape).astype(p._data.dtype, copy=False)
        at += n


fusion = __import__("shenjing.nn.utils.fusion", fromlist=["*"])
try:
    rnn = __import__("shenjing.nn.utils.rnn", fromlist=["*"])
except ModuleNotFoundError as _e:  # lands with the recurrent layers
    if _e.name != "shenjing.nn.utils.rnn":
        raise
