"""Convolution and pooling layers, channels_last by default (Keras's layout).

Weights are kept in Keras's layout (Conv kernel (*k, in/groups, filters), Conv2DTranspose
kernel (kh, kw, filters, in)); each call views them in PyTorch's layout and runs the fused
shenjing op on NCHW views of the input. 'same' padding is TensorFlow's: the odd extra pixel
goes at the end (bottom/right).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ...autograd import Tensor
from ...nn import functional as F
from .base import InputSpec, Layer, _identity, serialize_obj, weight_configs

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "MaxPooling2D", "AveragePooling2D",
           "GlobalAveragePooling2D", "GlobalMaxPooling2D"]


def _tuple(v: Any, n: int, name: str) -> tuple:
    t = (int(v),) * n if isinstance(v, (int, np.integer)) else tuple(int(e) for e in v)
    if len(t) != n:
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                         f"Received {name}={v}")
    return t


def _same_pads(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow 'same': total = max((ceil(L/s) - 1) s + d(k-1) + 1 - L, 0), extra at the end."""
    total = max((math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _out_len(size: Any, k: int, s: int, d: int, padding: str) -> Any:
    if size is None:
        return None
    if padding == "same":
        return math.ceil(size / s)
    if padding == "causal":
        return math.ceil(size / s)
    return (size - d * (k - 1) - 1) // s + 1


def _data_format(v: str | None) -> str:
    v = v or "channels_last"
    if v not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'. Received: data_format={v}")
    return v


def _to_first(x: Tensor, rank: int) -> Tensor:
    return x.permute(0, rank + 1, *range(1, rank + 1))


def _to_last(x: Tensor, rank: int) -> Tensor:
    return x.permute(0, *range(2, rank + 2), 1)


def _pad_flat(pads: Sequence[tuple[int, int]]) -> list[int]:
    """F.pad order: last spatial dim first."""
    out: list[int] = []
    for before, after in reversed(pads):
        out += [before, after]
    return out


class _Conv(Layer):
    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        r = self.rank
        if int(filters) <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive "
                             f"value. Received filters={filters}.")
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, r, "kernel_size")
        self.strides = _tuple(strides, r, "strides")
        self.dilation_rate = _tuple(dilation_rate, r, "dilation_rate")
        self.padding = str(padding).lower()
        allowed = ("valid", "same", "causal") if r == 1 else ("valid", "same")
        if self.padding not in allowed:
            raise ValueError(f"The `padding` argument must be one of {allowed}. Received: "
                             f"padding={padding}")
        self.data_format = _data_format(data_format)
        self.groups = int(groups)
        self._set_kernel_options(activation, use_bias, kernel_initializer, bias_initializer,
                                 kernel_regularizer, bias_regularizer, kernel_constraint,
                                 bias_constraint)
        self.input_spec = InputSpec(ndim=r + 2)

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape: Sequence[Any]) -> None:
        ax = self._channel_axis()
        c = input_shape[ax]
        if c is None or c % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {c} channels (full input shape is {input_shape}).")
        self.add_weight(self._kernel_shape(c), self.kernel_initializer, name="kernel",
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight((self.filters,), self.bias_initializer, name="bias",
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={ax: int(c)})
        self.built = True

    def _kernel_shape(self, c: int = 1) -> tuple:
        return self.kernel_size + (c // self.groups, self.filters)

    def _torch_weight(self) -> Tensor:
        r = self.rank  # (*k, in, out) -> (out, in, *k)
        return self.kernel.permute(r + 1, r, *range(r))

    def call(self, inputs: Tensor) -> Tensor:
        r = self.rank
        x = inputs if self.data_format == "channels_first" else _to_first(inputs, r)
        if self.padding == "valid":
            pad: Any = 0
        else:
            sizes = x.shape[2:]
            if self.padding == "causal":
                pads = [(self.dilation_rate[0] * (self.kernel_size[0] - 1), 0)]
            else:
                pads = [_same_pads(n, k, s, d) for n, k, s, d in
                        zip(sizes, self.kernel_size, self.strides, self.dilation_rate)]
            if all(a == b for a, b in pads):
                pad = tuple(a for a, _ in pads)
            else:
                x = F.pad(x, _pad_flat(pads))
                pad = 0
        conv = F.conv1d if r == 1 else F.conv2d
        y = conv(x, self._torch_weight(), self.bias if self.use_bias else None, self.strides,
                 pad, self.dilation_rate, self.groups)
        if self.data_format == "channels_last":
            y = _to_last(y, r)
        return y if self.activation is _identity else self.activation(y)

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        r = self.rank
        spatial = input_shape[1:r + 1] if self.data_format == "channels_last" \
            else input_shape[2:]
        out = tuple(_out_len(n, k, s, d, self.padding) for n, k, s, d in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate), "groups": self.groups,
                "activation": serialize_obj(self.activation, "activations"),
                "use_bias": self.use_bias, **weight_configs(self, ("kernel", "bias"))}


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); kernel (k, in/groups, filters).

    Shape:
        (N, L, C) -> (N, L_out, filters) (channels_last).
    """

    rank = 1


class Conv2D(_Conv):
    """2-D convolution over (batch, H, W, C); kernel (kh, kw, in/groups, filters).

    Shape:
        (N, H, W, C) -> (N, H_out, W_out, filters) (channels_last, the default).
    """

    rank = 2


def _deconv_len(n: Any, k: int, pad: str, op: int | None, s: int, d: int) -> Any:
    if n is None:
        return None
    k = k + (k - 1) * (d - 1)
    if op is None:
        return n * s + max(k - s, 0) if pad == "valid" else n * s
    p = k // 2 if pad == "same" else 0
    return (n - 1) * s + k - 2 * p + op


class Conv2DTranspose(_Conv):
    """Transposed 2-D convolution (the gradient of Conv2D); kernel (kh, kw, filters, in).

    Shape:
        (N, H, W, C) -> (N, H_out, W_out, filters), H_out = H*s + max(kh - s, 0) ('valid')
        or H*s ('same') without output_padding.
    """

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None,
                 dilation_rate: Any = 1, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         **kwargs)
        self.output_padding = None if output_padding is None else \
            _tuple(output_padding, 2, "output_padding")

    def _kernel_shape(self, c: int = 1) -> tuple:
        return self.kernel_size + (self.filters, c)

    def call(self, inputs: Tensor) -> Tensor:
        x = inputs if self.data_format == "channels_first" else _to_first(inputs, 2)
        w = self.kernel.permute(3, 2, 0, 1)  # (kh, kw, out, in) -> (in, out, kh, kw)
        sizes = x.shape[2:]
        ops = self.output_padding or (None, None)
        targets, befores, extra = [], [], []
        for n, k, s, d, op in zip(sizes, self.kernel_size, self.strides, self.dilation_rate, ops):
            t = _deconv_len(n, k, self.padding, op, s, d)
            keff = d * (k - 1) + 1
            before = 0
            if self.padding == "same":  # crop like the gradient of a 'same' conv of size t
                before = max((math.ceil(t / s) - 1) * s + keff - t, 0) // 2
            full = (n - 1) * s + keff
            targets.append(t)
            befores.append(before)
            extra.append(max(before + t - full, 0))
        y = F.conv_transpose2d(x, w, self.bias if self.use_bias else None, self.strides, 0,
                               tuple(extra), 1, self.dilation_rate)
        if any(b != 0 for b in befores) or any(y.shape[2 + i] != targets[i] for i in range(2)):
            y = y[:, :, befores[0]:befores[0] + targets[0], befores[1]:befores[1] + targets[1]]
        if self.data_format == "channels_last":
            y = _to_last(y, 2)
        return y if self.activation is _identity else self.activation(y)

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        spatial = input_shape[1:3] if self.data_format == "channels_last" else input_shape[2:]
        ops = self.output_padding or (None, None)
        out = tuple(_deconv_len(n, k, self.padding, op, s, d) for n, k, op, s, d in
                    zip(spatial, self.kernel_size, ops, self.strides, self.dilation_rate))
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.pop("groups", None)
        cfg["output_padding"] = None if self.output_padding is None else list(self.output_padding)
        return cfg


class _Pool2D(Layer):
    _max = True

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_size = _tuple(pool_size, 2, "pool_size")
        self.strides = self.pool_size if strides is None else _tuple(strides, 2, "strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. "
                             f"Received: padding={padding}")
        self.data_format = _data_format(data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs: Tensor) -> Tensor:
        x = inputs if self.data_format == "channels_first" else _to_first(inputs, 2)
        k, s = self.pool_size, self.strides
        if self.padding == "same":
            pads = [_same_pads(n, kk, ss, 1) for n, kk, ss in zip(x.shape[2:], k, s)]
            if any(a or b for a, b in pads):
                if self._max:
                    x = F.pad(x, _pad_flat(pads), value=float("-inf"))
                    y = F.max_pool2d(x, k, s)
                else:  # TensorFlow averages over the real pixels only
                    y = F.avg_pool2d(F.pad(x, _pad_flat(pads)), k, s)
                    ones = np.ones((1, 1) + tuple(x.shape[2:]), x._data.dtype)
                    cnt = F.avg_pool2d(F.pad(Tensor._wrap(ones, None, False), _pad_flat(pads)),
                                       k, s)
                    y = y / cnt
                return y if self.data_format == "channels_first" else _to_last(y, 2)
        y = F.max_pool2d(x, k, s) if self._max else F.avg_pool2d(x, k, s)
        return y if self.data_format == "channels_first" else _to_last(y, 2)

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        spatial = input_shape[1:3] if self.data_format == "channels_last" else input_shape[2:]
        out = tuple(_out_len(n, k, s, 1, self.padding)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (input_shape[3],)
        return (input_shape[0], input_shape[1]) + out

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding,
                "data_format": self.data_format}


class MaxPooling2D(_Pool2D):
    """Max over pool_size windows (stride = pool_size by default), channels_last."""

    _max = True


class AveragePooling2D(_Pool2D):
    """Mean over pool_size windows (stride = pool_size by default), channels_last."""

    _max = False


class _GlobalPool2D(Layer):
    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=4)

    def _axes(self) -> tuple:
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        ax = self._axes()
        if self.keepdims:
            return tuple(1 if i in ax else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in ax)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPool2D):
    """Mean over the spatial axes: (N, H, W, C) -> (N, C)."""

    def call(self, inputs: Tensor) -> Tensor:
        return inputs.mean(dim=self._axes(), keepdim=self.keepdims)


class GlobalMaxPooling2D(_GlobalPool2D):
    """Max over the spatial axes: (N, H, W, C) -> (N, C)."""

    def call(self, inputs: Tensor) -> Tensor:
        return inputs.amax(dim=self._axes(), keepdim=self.keepdims)
