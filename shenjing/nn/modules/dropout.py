"""Dropout layers: Dropout, Dropout1d/2d/3d (whole channels) and AlphaDropout (for SELU).

Each is active in training mode only; eval mode passes the input through unchanged.
"""
from __future__ import annotations

from ...autograd.tensor import Tensor
from ...ops import random as R
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 "
                             f"and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training; scale kept ones by 1 / (1 - p).

    Shape:
        any; output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return R.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) input.

    Shape:
        (N, C, L) or (C, L); output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return R.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) input.

    Shape:
        (N, C, H, W) or (N, C, L); output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return R.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input.

    Shape:
        (N, C, D, H, W) or (C, D, H, W); output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return R.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps zero mean and unit variance of SELU activations.

    Shape:
        any; output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return R.alpha_dropout(input, self.p, self.training)
