"""CNN training and inference: the seed CIFAR-10 CNN (batch 64, Adam) and CIFAR ResNet-18
(batch 32, SGD momentum, batch norm), side by side with the same architectures in PyTorch.

The PyTorch twins are the test suite's reference implementations (tests/models).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

import shenjing
from harness import Workload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "models"))
from _zoo_common import reference  # noqa: E402

from shenjing import models  # noqa: E402


def _model(mod, name: str):
    return models.get_model(name, num_classes=10) if mod is shenjing else reference(name, 10)


def _train(mod, name: str, batch: int, opt: str):
    rng = np.random.default_rng(0)
    x = mod.tensor(rng.standard_normal((batch, 3, 32, 32)).astype(np.float32))
    y = mod.tensor(rng.integers(0, 10, batch).astype(np.int64))
    model = _model(mod, name)
    model.train()
    if opt == "adam":
        optimizer = mod.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = mod.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = mod.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    return step


def _infer(mod, name: str, batch: int):
    x = mod.tensor(np.random.default_rng(1).standard_normal((batch, 3, 32, 32)).astype(np.float32))
    model = _model(mod, name)
    model.eval()

    def run():
        with mod.no_grad():
            model(x)

    return run


WORKLOADS = [
    Workload("seed CIFAR CNN train step (Adam, batch 64)", _train(shenjing, "seed_cnn", 64, "adam"),
             _train(torch, "seed_cnn", 64, "adam"), unit="ms", note="samples/s = 64 / time"),
    Workload("seed CIFAR CNN inference (batch 64)", _infer(shenjing, "seed_cnn", 64),
             _infer(torch, "seed_cnn", 64), unit="ms"),
    Workload("CIFAR ResNet-18 train step (SGD momentum, batch 32)",
             _train(shenjing, "resnet18_cifar", 32, "sgd"),
             _train(torch, "resnet18_cifar", 32, "sgd"), unit="ms", note="samples/s = 32 / time"),
    Workload("CIFAR ResNet-18 inference (batch 32)", _infer(shenjing, "resnet18_cifar", 32),
             _infer(torch, "resnet18_cifar", 32), unit="ms"),
]


def _seed_cnn_step(mod):
    return _train(mod, "seed_cnn", 64, "adam")


def _resnet_step(mod):
    return _train(mod, "resnet18_cifar", 32, "sgd")
