"""Core benchmarks: per-op overhead on tiny tensors, and a large matmul (forward + backward)."""
from __future__ import annotations

import numpy as np
import torch

import shenjing
from harness import Workload

N_OPS = 20  # ops in the chain below (forward), each with its backward


def _chain(m, x, y):
    """Twenty small ops; the same code runs on shenjing and torch tensors."""
    a = x + y            # 1
    b = a * x            # 2
    c = b.exp()          # 3
    d = c.tanh()         # 4
    e = d - y            # 5
    f = e * 0.5          # 6
    g = f.sigmoid()      # 7
    h = g / (x + 2.0)    # 8, 9
    i = h.relu()         # 10
    j = i + d            # 11
    k = j * j            # 12
    l_ = k.sqrt() if hasattr(k, "sqrt") else k  # 13
    n = -l_              # 14
    o = n.abs()          # 15
    p = o @ y            # 16
    q = p.log1p()        # 17
    r = q.sum(1)         # 18
    s = r * 3.0          # 19
    return s.sum()       # 20


def _overhead(mod):
    rng = np.random.default_rng(0)
    xa = rng.uniform(0.1, 1, (4, 4)).astype(np.float32)
    ya = rng.uniform(0.1, 1, (4, 4)).astype(np.float32)
    x = mod.tensor(xa, requires_grad=True)
    y = mod.tensor(ya, requires_grad=True)

    def step():
        x.grad = None
        y.grad = None
        _chain(mod, x, y).backward()

    return step


def _forward_only(mod):
    rng = np.random.default_rng(0)
    x = mod.tensor(rng.uniform(0.1, 1, (4, 4)).astype(np.float32))
    y = mod.tensor(rng.uniform(0.1, 1, (4, 4)).astype(np.float32))
    return lambda: _chain(mod, x, y)


def _matmul(mod, n=2048):
    rng = np.random.default_rng(1)
    a = mod.tensor(rng.standard_normal((n, n)).astype(np.float32), requires_grad=True)
    b = mod.tensor(rng.standard_normal((n, n)).astype(np.float32), requires_grad=True)
    g = mod.tensor(rng.standard_normal((n, n)).astype(np.float32))

    def step():
        a.grad = None
        b.grad = None
        (a @ b).backward(g)

    return step


WORKLOADS = [
    Workload("per-op overhead, 4x4, fwd+bwd (per op)", _overhead(shenjing), _overhead(torch),
             per=N_OPS, unit="us", note=f"chain of {N_OPS} ops, time / {N_OPS}"),
    Workload("per-op overhead, 4x4, forward only (per op)", _forward_only(shenjing),
             _forward_only(torch), per=N_OPS, unit="us"),
    Workload("matmul 2048x2048 fwd+bwd", _matmul(shenjing), _matmul(torch), unit="ms",
             note="3 GEMMs"),
]
