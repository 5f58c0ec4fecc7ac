"""Shared pieces of the interop tests: the zoo twins (tests/models) and input sizes."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))

from shenjing import models  # noqa: E402
from _zoo_common import assert_rel_close, forward_both, randomize_, reference  # noqa: E402,F401

# the quick models; every other one takes seconds to build, save, read and run (slow-marked)
FAST = {"lenet", "lenet5", "seed_cnn", "resnet18", "resnet18_cifar", "preact_resnet18_cifar"}
SLOW = set(models.list_models()) - FAST
BIG = ({"alexnet", "alexnet_paper", "wide_resnet50_2"}
       | {n for n in models.list_models() if n.startswith("vgg") or "101" in n or "152" in n})


def input_for(name: str, seed: int = 0, batch: int | None = None) -> np.ndarray:
    """The smallest sensible input for zoo model ``name`` (NCHW float32)."""
    if name in ("lenet", "lenet5"):
        shape = (1, 32, 32)
    elif name == "alexnet_paper":
        shape = (3, 227, 227)
    elif name == "alexnet":
        shape = (3, 64, 64)
    else:
        shape = (3, 32, 32)
    n = batch if batch is not None else (1 if name in BIG else 2)
    return np.random.default_rng(seed).standard_normal((n,) + shape).astype(np.float32)


# one model of each remaining family and block type runs in CI; every zoo model runs with
# SHENJING_FULL_ZOO=1 (deeper variants only repeat the blocks these cover)
REPRESENTATIVE = {"alexnet", "alexnet_paper", "vgg11_bn", "resnet50", "resnext50_32x4d",
                  "wide_resnet50_2", "preact_resnet50_cifar", "resnet34_cifar"}


def zoo_params() -> list:
    full = os.environ.get("SHENJING_FULL_ZOO") == "1"
    return [pytest.param(n, marks=[pytest.mark.slow] if n in SLOW else [])
            for n in models.list_models() if full or n in FAST or n in REPRESENTATIVE]
