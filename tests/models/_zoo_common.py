"""Shared pieces of the model-zoo tests: the name -> torch reference map and weight copying."""
from __future__ import annotations

import numpy as np
import torch

import shenjing
from torch_reference import (TorchAlexNet, TorchLeNet, TorchPreActResNet, TorchResNet,
                             TorchSeedCNN, TorchVGG)


def reference(name: str, num_classes: int) -> torch.nn.Module:
    """The torch twin of the zoo model ``name`` (default arguments) with ``num_classes``."""
    if name in ("lenet", "lenet5"):
        return TorchLeNet(num_classes)
    if name == "seed_cnn":
        return TorchSeedCNN(num_classes)
    if name == "alexnet":
        return TorchAlexNet(num_classes)
    if name == "alexnet_paper":
        return TorchAlexNet(num_classes, paper=True)
    if name.startswith("vgg"):
        return TorchVGG(int(name[3:5]), name.endswith("_bn"), num_classes)
    if name == "resnext50_32x4d":
        return TorchResNet(50, num_classes, groups=32, base_width=4)
    if name == "wide_resnet50_2":
        return TorchResNet(50, num_classes, base_width=128)
    cifar = name.endswith("_cifar")
    base = name.removesuffix("_cifar")
    if base.startswith("preact_resnet"):
        return TorchPreActResNet(int(base[len("preact_resnet"):]), num_classes, cifar)
    if base.startswith("resnet"):
        return TorchResNet(int(base[len("resnet"):]), num_classes, cifar)
    raise KeyError(name)


def n_params(model) -> int:
    return sum(int(np.prod(p.shape)) for p in model.parameters())


def key_shapes(model) -> list:
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def randomize_(ref: torch.nn.Module, seed: int = 0) -> None:
    """Give every BN non-trivial affine parameters and running statistics (so eval mode
    exercises them), keeping activations in a sane range."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in ref.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=g))
                m.bias.copy_(0.2 * torch.randn(c, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))


def copy_into(ours, ref: torch.nn.Module) -> None:
    """Load the torch model's state (as NumPy arrays) into ours, strictly."""
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in ref.state_dict().items()})


def forward_both(ours, ref, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eval-mode outputs of both models on the same input."""
    ours.eval()
    ref.eval()
    with shenjing.no_grad():
        a = ours(shenjing.tensor(x)).numpy()
    with torch.no_grad():
        b = ref(torch.tensor(x)).numpy()
    return np.asarray(a), b


def assert_rel_close(a: np.ndarray, b: np.ndarray, tol: float = 1e-4, what: str = "",
                     floor: float = 1.0) -> None:
    """|a - b| <= tol * max(floor, max|b|) elementwise (relative to the array's scale)."""
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    scale = max(floor, float(np.abs(b).max()) if b.size else floor)
    err = float(np.abs(a - b).max()) if b.size else 0.0
    assert err <= tol * scale, f"{what}: max |diff| {err:.3g} > {tol} * {scale:.3g}"
