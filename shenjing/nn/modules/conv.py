"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d.

Thin modules over ``shenjing.ops.conv``: they hold weight (and bias) with PyTorch's shapes and
initialisation, check the input against the layer's settings, and print like PyTorch.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd.tensor import Tensor
from ...backend import dtypes
from ...ops.conv import _conv, conv_transpose1d, conv_transpose2d
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(v: Any, n: int) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    t = tuple(int(e) for e in v)
    return t * n if len(t) == 1 else t


def _empty(shape: tuple, dtype: Any) -> Tensor:
    np_dtype = dtypes.get_default_dtype().np if dtype is None else dtypes.to_dtype(dtype).np
    return Tensor._wrap(np.empty(shape, dtype=np_dtype), None, False)


class _ConvNd(Module):
    _nd = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 output_padding: Any = 0) -> None:
        super().__init__()
        nd, name = self._nd, type(self).__name__
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _MODES:
            raise ValueError(f"padding_mode must be one of {set(_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        if isinstance(padding, str):
            if self._transposed:
                raise ValueError(f"{name}: padding must be an int or a tuple of ints, got "
                                 f"padding={padding!r}")
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in _ntuple(stride, nd)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _ntuple(kernel_size, nd)
        self.stride, self.dilation = _ntuple(stride, nd), _ntuple(dilation, nd)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, nd)
        self.output_padding = _ntuple(output_padding, nd)
        self.transposed, self.padding_mode = self._transposed, padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(_empty(shape, dtype))
        if bias:
            self.bias = Parameter(_empty((out_channels,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """W ~ U(+-1/sqrt(fan_in)) (kaiming_uniform_ with a=sqrt(5)), b ~ U(+-1/sqrt(fan_in))."""
        init.reset_weight_and_bias_(self.weight, self.bias)

    def extra_repr(self) -> str:
        nd = self._nd
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
            f"stride={self.stride}"
        if isinstance(self.padding, str):
            s += f", padding={self.padding}"
        elif self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check_input(self, input: Tensor) -> None:
        nd = self._nd
        shape = tuple(input.shape)
        if len(shape) not in (nd + 1, nd + 2):
            raise RuntimeError(f"{self!r}: expected {nd + 1}D (unbatched) or {nd + 2}D "
                               f"(batched) input, got input of shape {shape}")
        c = shape[-nd - 1]
        if c != self.in_channels:
            raise RuntimeError(f"{self!r}: expected input with {self.in_channels} channels, "
                               f"got input of shape {shape}")


class _Conv(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        op = "conv1d" if self._nd == 1 else "conv2d"
        try:
            return _conv(op, self._nd, input, self.weight, self.bias, self.stride, self.padding,
                         self.dilation, self.groups, self.padding_mode)
        except RuntimeError as e:
            raise RuntimeError(f"{self!r}: {e}") from None


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L).

    Shape:
        - Input: (N, C_in, L) or (C_in, L)
        - Output: (N, C_out, L_out), L_out = (L + 2p - d(K-1) - 1) // s + 1
    """

    _nd = 1


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W).

    Shape:
        - Input: (N, C_in, H, W) or (C_in, H, W)
        - Output: (N, C_out, H_out, W_out), H_out = (H + 2p - d(KH-1) - 1) // s + 1
    """

    _nd = 2


class _ConvT(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        self._check_input(input)
        opad = self.output_padding
        if output_size is not None:  # pick the output_padding that reaches output_size
            want = tuple(output_size)[-self._nd:]
            sizes = tuple(input.shape)[-self._nd:]
            opad = tuple(o - ((s - 1) * st - 2 * p + d * (k - 1) + 1) for o, s, st, p, d, k in
                         zip(want, sizes, self.stride, self.padding, self.dilation,
                             self.kernel_size))
        fn = conv_transpose1d if self._nd == 1 else conv_transpose2d
        try:
            return fn(input, self.weight, self.bias, self.stride, self.padding, opad,
                      self.groups, self.dilation)
        except RuntimeError as e:
            raise RuntimeError(f"{self!r}: {e}") from None


class ConvTranspose1d(_ConvT):
    """1-D transposed convolution; weight (C_in, C_out/groups, K).

    Shape:
        - Input: (N, C_in, L) or (C_in, L)
        - Output: (N, C_out, (L-1)s - 2p + d(K-1) + output_padding + 1)
    """

    _nd = 1


class ConvTranspose2d(_ConvT):
    """2-D transposed convolution; weight (C_in, C_out/groups, KH, KW).

    Shape:
        - Input: (N, C_in, H, W) or (C_in, H, W)
        - Output: (N, C_out, H_out, W_out), H_out = (H-1)s - 2p + d(KH-1) + output_padding + 1
    """

    _nd = 2

