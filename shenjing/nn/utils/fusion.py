"""Conv + batch norm fusion for inference, like ``torch.nn.utils.fusion``, and the fused
eval path the model zoo takes.

In eval mode a batch norm is a per-channel affine map, y = x scale + shift with scale =
w / sqrt(running_var + eps) and shift = b - running_mean scale, so after a convolution it
can be folded into the filters (``fuse_conv_bn_eval``, PyTorch's function) or, as
``conv_bn_act`` does, applied with an optional ReLU to each chunk of the conv's output while
that chunk is still in cache: the same numbers up to rounding, without the batch norm's and
the ReLU's own passes over memory.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...autograd.tensor import Tensor
from ...ops._util import elementwise
from ...ops.conv import _conv
from ..modules.activation import ReLU
from ..modules.conv import Conv2d
from ..modules.normalization import BatchNorm2d
from ..modules.pooling import MaxPool2d
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "conv_bn_act", "add_act",
           "relu_after_pool"]


def _scale(rv: Tensor, eps: float, w: Tensor | None, dtype: Any) -> Any:
    """An eval batch norm's per-channel scale w / sqrt(running_var + eps), in ``dtype``."""
    invstd = 1.0 / np.sqrt(rv._data.astype(np.float64) + eps)
    return (invstd if w is None else w._data * invstd).astype(dtype)


def _bn_affine(bn: Any, dtype: Any) -> tuple:
    """(scale, shift) of an eval batch norm over channels, in ``dtype``."""
    scale = _scale(bn.running_var, bn.eps, bn.weight, dtype)
    shift = -bn.running_mean._data * scale
    if bn.bias is not None:
        shift = shift + bn.bias._data
    return scale, shift.astype(dtype)


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple:
    """(weight, bias) Parameters of the conv that computes bn(conv(x)) in eval mode."""
    w = conv_w._data
    scale = _scale(bn_rv, bn_eps, bn_w, w.dtype)
    b = np.zeros(w.shape[1] if transpose else w.shape[0], w.dtype) if conv_b is None \
        else conv_b._data
    shape = (1, -1) + (1,) * (w.ndim - 2) if transpose else (-1,) + (1,) * (w.ndim - 1)
    fused_w = (w * scale.reshape(shape)).astype(w.dtype)
    fused_b = ((b - bn_rm._data) * scale + (0 if bn_b is None else bn_b._data)).astype(w.dtype)
    return (Parameter(fused_w, conv_w.requires_grad),
            Parameter(fused_b, conv_w.requires_grad))


def fuse_conv_bn_eval(conv: Any, bn: Any, transpose: bool = False) -> Any:
    """A copy of ``conv`` with the eval-mode ``bn`` after it folded into its weight and bias."""
    if conv.training or bn.training:
        raise AssertionError("fuse_conv_bn_eval: fusion only for eval!")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fuse_conv_bn_eval: the batch norm keeps no running statistics")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def _hooked(*modules: Any) -> bool:
    return any(m._forward_hooks or m._forward_pre_hooks for m in modules if m is not None)


def conv_bn_act(conv: Any, bn: Any, x: Tensor, act: Any = None) -> Tensor:
    """act(bn(conv(x))) (``act`` None or a ReLU module); with autograd off, ``bn`` in eval
    mode and no hooks on the three, the batch norm and ReLU run inside the conv, per output
    chunk while it is in cache (the zoo's inference path)."""
    if is_grad_enabled() or bn.training or type(conv) is not Conv2d \
            or type(bn) is not BatchNorm2d or bn.running_mean is None \
            or bn.running_var is None or (act is not None and type(act) is not ReLU) \
            or _hooked(conv, bn, act) or conv.out_channels != bn.num_features:
        y = bn(conv(x))
        return y if act is None else act(y)
    conv._check_input(x)
    with no_grad():
        scale, shift = _bn_affine(bn, conv.weight._data.dtype)
        if conv.bias is not None:
            shift = shift + conv.bias._data * scale
        post = (scale, shift, act is not None)
        try:
            return _conv("conv2d", 2, x, conv.weight, None, conv.stride, conv.padding,
                         conv.dilation, conv.groups, conv.padding_mode, post=post)
        except RuntimeError as e:
            raise RuntimeError(f"{conv!r}: {e}") from None


def add_act(out: Tensor, identity: Tensor, act: Any) -> Tensor:
    """act(out + identity), a residual join; with autograd off and ``act`` a hook-free ReLU,
    computed into ``out``'s memory (a temporary the caller owns) block by block, the ReLU
    reading each block while it is in cache."""
    a, b = out._data, identity._data
    if is_grad_enabled() or type(act) is not ReLU or _hooked(act) or type(a) is not np.ndarray \
            or a.shape != b.shape or a.dtype != b.dtype or not a.flags.writeable:
        return act(out + identity)

    def kernel(o: Any, x: Any) -> None:
        np.add(o, x, out=o)
        np.maximum(o, 0, out=o)

    elementwise(kernel, a, b)
    return out


def relu_after_pool(seq: Any, x: Tensor) -> Tensor:
    """``seq(x)`` for a Sequential, with each ReLU directly followed by a MaxPool2d run after
    the pool instead: max pooling commutes with ReLU (a monotone map; windows whose maximum
    is not positive give 0 and a zero gradient either way), so outputs and gradients are
    the same, and the ReLU and its backward touch a quarter of the pixels. Any hook on the
    Sequential or its modules keeps the written order."""
    mods = list(seq)
    if _hooked(seq, *mods):
        return seq(x)
    i = 0
    while i < len(mods):
        if i + 1 < len(mods) and type(mods[i]) is ReLU and type(mods[i + 1]) is MaxPool2d \
                and not mods[i + 1].return_indices:
            x = mods[i](mods[i + 1](x))
            i += 2
        else:
            x = mods[i](x)
            i += 1
    return x
