"""Convolutions, forward + backward (input, weight and bias grads), at typical CNN sizes."""
from __future__ import annotations

import numpy as np
import torch

import shenjing
from harness import Workload


def _conv(mod, n, c, oc, hw, k=3, stride=1, padding=1, groups=1, transposed=False):
    rng = np.random.default_rng(0)
    x = mod.tensor(rng.standard_normal((n, c, hw, hw)).astype(np.float32), requires_grad=True)
    wshape = (c, oc // groups, k, k) if transposed else (oc, c // groups, k, k)
    w = mod.tensor((rng.standard_normal(wshape) * 0.1).astype(np.float32), requires_grad=True)
    b = mod.tensor(np.zeros(oc, np.float32), requires_grad=True)
    f = mod.nn.functional
    if transposed:
        def fwd():
            return f.conv_transpose2d(x, w, b, stride=stride, padding=padding,
                                      output_padding=stride - 1, groups=groups)
    else:
        def fwd():
            return f.conv2d(x, w, b, stride=stride, padding=padding, groups=groups)
    g = mod.tensor(rng.standard_normal(tuple(fwd().shape)).astype(np.float32))

    def step():
        x.grad = w.grad = b.grad = None
        fwd().backward(g)

    return step


def _pair(name, note="", **kw):
    return Workload(name, _conv(shenjing, **kw), _conv(torch, **kw), unit="ms", note=note)


WORKLOADS = [
    _pair("conv2d 64x32x32x32 -> 64, 3x3 pad 1, fwd+bwd", n=64, c=32, oc=64, hw=32),
    _pair("conv2d 64x32x16x16 -> 64, 3x3 pad 1, fwd+bwd", n=64, c=32, oc=64, hw=16),
    _pair("conv2d 32x64x32x32 -> 64, 3x3 pad 1, fwd+bwd", n=32, c=64, oc=64, hw=32),
    _pair("conv2d 32x64x32x32 -> 64, 3x3 stride 2, fwd+bwd", n=32, c=64, oc=64, hw=32, stride=2),
    _pair("conv2d depthwise 32x64x32x32, 3x3 pad 1, fwd+bwd", n=32, c=64, oc=64, hw=32,
          groups=64),
    _pair("conv_transpose2d 32x64x16x16 -> 32, 3x3 stride 2, fwd+bwd", n=32, c=64, oc=32, hw=16,
          stride=2, transposed=True),
]
