"""Training an MLP 784-256-128-10 (ReLU, Adam, cross-entropy, batch 128, synthetic data)."""
from __future__ import annotations

import numpy as np
import torch

import shenjing
from harness import Workload

BATCH = 128


def _step(mod, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = mod.tensor(rng.standard_normal((BATCH, 784)).astype(np.float32))
    y = mod.tensor(rng.integers(0, 10, BATCH).astype(np.int64))
    mod.manual_seed(0)
    nn = mod.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    opt = mod.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def _infer(mod):
    rng = np.random.default_rng(1)
    x = mod.tensor(rng.standard_normal((BATCH, 784)).astype(np.float32))
    nn = mod.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))

    def run():
        with mod.no_grad():
            model(x)

    return run


WORKLOADS = [
    Workload("MLP 784-256-128-10 train step (Adam, batch 128)", _step(shenjing), _step(torch),
             unit="ms", note=f"samples/s = {BATCH} / time"),
    Workload("MLP 784-256-128-10 inference (batch 128)", _infer(shenjing), _infer(torch),
             unit="ms"),
]
