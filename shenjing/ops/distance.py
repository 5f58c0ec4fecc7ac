"""Vector similarity and distance: normalize, cosine_similarity, pairwise_distance, cdist,
dist. Each is a composition of differentiable ops, so its gradient comes from theirs (a zero
norm's gradient is zero, as in PyTorch)."""
from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .elementwise import clamp_min
from .reduce import norm, sum as _sum
from .shape import unsqueeze


def _need(op: str, t: Any, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Any = None) -> Tensor:
    """input / max(||input||_p over ``dim``, eps): unit vectors along ``dim``."""
    _need("normalize", input, "input")
    return input / clamp_min(norm(input, p, dim, keepdim=True), eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """(x1 / max(||x1||, eps)) . (x2 / max(||x2||, eps)) along ``dim`` (the inputs
    broadcast): each side normalised first, as PyTorch computes it."""
    _need("cosine_similarity", x1, "x1")
    _need("cosine_similarity", x2, "x2")
    u1 = x1 / clamp_min(norm(x1, 2, dim, keepdim=True), eps)
    u2 = x2 / clamp_min(norm(x2, 2, dim, keepdim=True), eps)
    return _sum(u1 * u2, dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim, row by row (the inputs broadcast)."""
    _need("pairwise_distance", x1, "x1")
    _need("pairwise_distance", x2, "x2")
    return norm(x1 - x2 + eps, p, -1, keepdim=keepdim)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between every row of x1 (*, P, M) and every row of x2 (*, R, M):
    (*, P, R)."""
    _need("cdist", x1, "x1")
    _need("cdist", x2, "x2")
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    diff = unsqueeze(x1, -2) - unsqueeze(x2, -3)  # (*, P, R, M)
    return norm(diff, p, -1)


def dist(input: Tensor, other: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm of input - other (broadcast), a 0-d tensor."""
    _need("dist", input, "input")
    return norm(input - other, p)


__all__ = ["cdist", "dist"]
TENSOR_METHODS = ("dist",)
FUNCTIONAL = ("normalize", "cosine_similarity", "pairwise_distance")
