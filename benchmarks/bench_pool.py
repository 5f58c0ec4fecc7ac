"""Pooling on (64, 64, 32, 32) float32: max_pool2d 2x2 and 3x3/stride 2 forward+backward,
adaptive_avg_pool2d to 1x1 forward+backward."""
from __future__ import annotations

import numpy as np
import torch

import shenjing
from harness import Workload

SHAPE = (64, 64, 32, 32)


def _fb(mod, fn):
    x = mod.tensor(np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32),
                   requires_grad=True)

    def run():
        y = fn(mod)(x)
        y.backward(mod.ones_like(y))
        x.grad = None

    return run


def _max2(mod):
    return lambda x: mod.nn.functional.max_pool2d(x, 2)


def _max3(mod):
    return lambda x: mod.nn.functional.max_pool2d(x, 3, stride=2)


def _gap(mod):
    return lambda x: mod.nn.functional.adaptive_avg_pool2d(x, 1)


WORKLOADS = [
    Workload("max_pool2d 2x2 fwd+bwd (64,64,32,32)", _fb(shenjing, _max2), _fb(torch, _max2)),
    Workload("max_pool2d 3x3/s2 fwd+bwd (64,64,32,32)", _fb(shenjing, _max3), _fb(torch, _max3)),
    Workload("adaptive_avg_pool2d 1x1 fwd+bwd (64,64,32,32)", _fb(shenjing, _gap),
             _fb(torch, _gap)),
]
