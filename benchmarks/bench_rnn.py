"""Recurrent training: the issue's LSTM text classifier, side by side with PyTorch.

Embedding(10000, 128) -> LSTM(128, 128, batch_first=True) -> Linear(128, 2) on the last
hidden state; one Adam step on a batch of 64 sequences of length 200.
"""
from __future__ import annotations

import numpy as np
import torch

import shenjing
from harness import Workload

VOCAB, EMB, HIDDEN, LENGTH, BATCH = 10000, 128, 128, 200, 64
# The first ~15 steps from the random start backpropagate gradients that vanish over the 200
# steps into subnormal floats, which Intel CPUs compute 10x slower (measured in both libraries
# alike: ~1.7 s per step, then ~0.1 s). Time the steady state after them.
_WARMUP = 25


def _classifier_step(mod):
    nn = mod.nn
    mod.manual_seed(0)
    emb, lstm, fc = nn.Embedding(VOCAB, EMB), nn.LSTM(EMB, HIDDEN, batch_first=True), \
        nn.Linear(HIDDEN, 2)
    params = list(emb.parameters()) + list(lstm.parameters()) + list(fc.parameters())
    optimizer = mod.optim.Adam(params, lr=1e-3)
    rng = np.random.default_rng(0)
    tokens = mod.tensor(rng.integers(0, VOCAB, (BATCH, LENGTH)).astype(np.int64))
    labels = mod.tensor(rng.integers(0, 2, BATCH).astype(np.int64))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        _, (h, _) = lstm(emb(tokens))
        loss_fn(fc(h[-1]), labels).backward()
        optimizer.step()

    return step


WORKLOADS = [
    Workload("LSTM classifier train step (vocab 10000, emb 128, hidden 128, len 200, batch 64, "
             "Adam)", _classifier_step(shenjing), _classifier_step(torch), unit="ms",
             note="samples/s = 64 / time", warmup=_WARMUP),
]
