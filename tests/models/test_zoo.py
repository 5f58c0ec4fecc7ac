"""The model zoo against plain-PyTorch twins (tests/models/torch_reference.py).

(a) parameter counts equal torchvision's published numbers; (b) state_dict keys and shapes
equal the twin's, for every registered model; (c) with the twin's weights loaded, eval-mode
outputs agree, and for resnet18_cifar a train-mode step's input and parameter gradients too.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import shenjing
from shenjing import models
from _zoo_common import (assert_rel_close, copy_into, forward_both, key_shapes, n_params,
                         randomize_, reference)

# torchvision's numbers (1000 classes)
TORCHVISION_PARAMS = {
    "alexnet": 61_100_840, "vgg11": 132_863_336, "vgg16": 138_357_544,
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
    "resnext50_32x4d": 25_028_904, "wide_resnet50_2": 68_883_240,
}
# models with over ~30M parameters take seconds to build and initialise
BIG = {"alexnet", "alexnet_paper", "resnet101", "resnet152", "preact_resnet101",
       "preact_resnet152", "wide_resnet50_2"} | {n for n in models.list_models()
                                                if n.startswith("vgg")}
DEEP = {"resnet101_cifar", "resnet152_cifar", "preact_resnet101_cifar",
        "preact_resnet152_cifar"}


def _marks(name: str) -> list:
    return [pytest.mark.slow] if name in BIG or name in DEEP else []


ALL = [pytest.param(n, marks=_marks(n)) for n in models.list_models()]


@pytest.mark.parametrize("name", ALL)
def test_state_dict_keys_shapes_and_counts(name):
    """Keys (in order) and shapes equal the twin's; counts equal torchvision's where known."""
    classes = 1000 if name in TORCHVISION_PARAMS else 7
    shenjing.manual_seed(0)
    ours = models.get_model(name, num_classes=classes)
    with torch.device("meta"):  # keys and shapes without allocating the twin's weights
        ref = reference(name, classes)
    assert key_shapes(ours) == key_shapes(ref)
    assert n_params(ours) == n_params(ref)
    if name in TORCHVISION_PARAMS:
        assert n_params(ours) == TORCHVISION_PARAMS[name]
    out = [k for k, _ in key_shapes(ours)][-1]
    assert ours.state_dict()[out].shape == (classes,)


def _check_forward(name: str, x: np.ndarray, tol: float = 1e-4, **kw) -> None:
    torch.manual_seed(1)
    ref = reference(name, 10)
    randomize_(ref, seed=2)
    ours = models.get_model(name, num_classes=10, **kw)
    copy_into(ours, ref)
    a, b = forward_both(ours, ref, x)
    assert np.isfinite(b).all() and np.abs(b).max() > 0
    assert_rel_close(a, b, tol, name)


def _img(n: int, c: int, s: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, c, s, s)).astype(np.float32)


@pytest.mark.parametrize("name,shape", [
    ("lenet", (2, 1, 32, 32)),
    ("seed_cnn", (2, 3, 32, 32)),
    ("resnet18", (2, 3, 64, 64)),
    ("resnet18_cifar", (2, 3, 32, 32)),
    ("preact_resnet18", (2, 3, 64, 64)),
    ("preact_resnet18_cifar", (2, 3, 32, 32)),
    pytest.param("alexnet", (2, 3, 64, 64), marks=pytest.mark.slow),
    pytest.param("resnet50", (2, 3, 64, 64), marks=pytest.mark.slow),
    pytest.param("vgg11_bn", (2, 3, 32, 32), marks=pytest.mark.slow),
])
def test_forward_matches_torch(name, shape):
    _check_forward(name, _img(shape[0], shape[1], shape[2]))


@pytest.mark.slow
def test_alexnet_paper_forward_matches_torch_at_227():
    _check_forward("alexnet_paper", _img(1, 3, 227))


def test_lenet_28_with_padding_2_matches_torch():
    torch.manual_seed(0)
    from torch_reference import TorchLeNet
    ref = TorchLeNet(10, padding=2)
    ours = models.lenet(10, input_size=28)
    copy_into(ours, ref)
    a, b = forward_both(ours, ref, _img(3, 1, 28))
    assert_rel_close(a, b, 1e-4, "lenet 28x28")


def test_seed_cnn_sizes_and_channels():
    """16x16 single-channel inputs give a 128*2*2 flatten; padding=0 is the seed's 'valid'."""
    from torch_reference import TorchSeedCNN
    torch.manual_seed(0)
    ref = TorchSeedCNN(4, in_channels=1, input_size=16)
    ours = models.seed_cnn(4, in_channels=1, input_size=16)
    assert ours.classifier[1].in_features == 128 * 2 * 2
    copy_into(ours, ref)
    a, b = forward_both(ours, ref, _img(2, 1, 16))
    assert_rel_close(a, b, 1e-4, "seed_cnn 1x16x16")
    valid = models.seed_cnn(10, padding=0)
    assert valid.classifier[1].in_features == 128 * 2 * 2
    assert tuple(valid(shenjing.zeros(1, 3, 32, 32)).shape) == (1, 10)


def test_resnet18_cifar_train_step_grads_match_torch():
    """Train mode (batch statistics): output, input grad, every parameter grad, running stats."""
    torch.manual_seed(3)
    ref = reference("resnet18_cifar", 10)
    randomize_(ref, seed=4)
    ours = models.resnet18_cifar(10)
    copy_into(ours, ref)
    ours.train()
    ref.train()
    x = _img(4, 3, 16, seed=5)
    up = np.random.default_rng(6).standard_normal((4, 10)).astype(np.float32)
    xs = shenjing.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ys, yt = ours(xs), ref(xt)
    assert_rel_close(ys.detach().numpy(), yt.detach().numpy(), 1e-4, "train output")
    (ys * shenjing.tensor(up)).sum().backward()
    (yt * torch.tensor(up)).sum().backward()
    assert_rel_close(xs.grad.numpy(), xt.grad.numpy(), 1e-3, "input grad", floor=1e-6)
    theirs = dict(ref.named_parameters())
    for k, p in ours.named_parameters():
        g = theirs[k].grad.numpy()
        assert_rel_close(p.grad.numpy(), g, 1e-3, k, floor=1e-6)
    ref_buf = dict(ref.named_buffers())
    for k, b in ours.named_buffers():
        assert_rel_close(np.asarray(b.numpy()), ref_buf[k].numpy(), 1e-4, k)


def test_torchvision_init_statistics():
    """VGG/ResNet init: conv ~ N(0, 2/fan_out), linear ~ N(0, 0.01^2), zero biases, bn 1/0."""
    shenjing.manual_seed(0)
    net = models.resnet18_cifar(10)
    w = net.layer3[0].conv1.weight.detach().numpy()  # fan_out = 256 * 3 * 3
    assert abs(w.std() - np.sqrt(2 / (256 * 9))) < 0.05 * np.sqrt(2 / (256 * 9))
    assert (net.bn1.weight.detach().numpy() == 1).all()
    assert (net.bn1.bias.detach().numpy() == 0).all()
    z = models.resnet18_cifar(10, zero_init_residual=True)
    assert (z.layer1[0].bn2.weight.detach().numpy() == 0).all()
    assert (z.layer1[0].bn1.weight.detach().numpy() == 1).all()
    z50 = models.resnet50_cifar(10, zero_init_residual=True)
    assert (z50.layer2[1].bn3.weight.detach().numpy() == 0).all()


def test_bottleneck_strides_on_3x3():
    net = models.resnet50_cifar(10)
    blk = net.layer2[0]
    assert tuple(blk.conv1.stride) == (1, 1) and tuple(blk.conv2.stride) == (2, 2)
    assert tuple(blk.downsample[0].stride) == (2, 2)


@pytest.mark.slow
def test_vgg_and_alexnet_paper_init():
    shenjing.manual_seed(0)
    net = models.vgg11(10)
    lin = net.classifier[0].weight.detach().numpy()
    assert abs(lin.std() - 0.01) < 5e-4 and (net.classifier[0].bias.detach().numpy() == 0).all()
    conv = net.features[0].weight.detach().numpy()  # fan_out = 64 * 9
    assert abs(conv.std() - np.sqrt(2 / 576)) < 0.1 * np.sqrt(2 / 576)
    paper = models.alexnet_paper(10)
    assert (paper.features[4].bias.detach().numpy() == 1).all()
    assert (paper.features[0].bias.detach().numpy() == 0).all()
    assert abs(paper.features[8].weight.detach().numpy().std() - 0.01) < 5e-4


def test_registry():
    names = models.list_models()
    for want in ("lenet", "seed_cnn", "alexnet", "alexnet_paper", "vgg16_bn", "resnet152",
                 "preact_resnet18", "resnet18_cifar", "resnet152_cifar"):
        assert want in names
    assert names == sorted(names)
    net = models.get_model("ResNet18_CIFAR", num_classes=3)
    assert isinstance(net, models.ResNet) and net.fc.out_features == 3
    with pytest.raises(ValueError, match="Unknown model 'resnet9'"):
        models.get_model("resnet9")


def test_bad_sizes_raise_clear_errors():
    with pytest.raises(ValueError, match="LeNet: input_size 8"):
        models.lenet(input_size=8)
    with pytest.raises(ValueError, match="SeedCNN: input_size 4"):
        models.seed_cnn(input_size=4)
    with pytest.raises(ValueError, match="alexnet_paper: input_size must be 224 or 227"):
        models.alexnet_paper(input_size=200)
