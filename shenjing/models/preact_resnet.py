"""Pre-activation ResNet (He et al. 2016, "Identity Mappings in Deep Residual Networks").

Each block computes x + F(x) with F = (BN-ReLU-conv) repeated, so the shortcut path carries
the signal untouched from block to block. When a block changes shape, its ``downsample``
(Sequential(conv1x1(stride)), no BN: the paper's projection) is applied to the pre-activated
input relu(bn1(x)), as in the paper's Fig. 1b / the common CIFAR code.

Layout (names): ``conv1`` (7x7 stride 2 and ``maxpool`` 3x3 stride 2, or with ``cifar_stem``
3x3 stride 1 and Identity), ``layer1``..``layer4`` of PreActBlock / PreActBottleneck (widths 64
.. 512 times ``expansion``, strides 1, 2, 2, 2), then ``bn`` + ``relu`` (the last block's sum
is never normalised otherwise), ``avgpool`` (AdaptiveAvgPool2d((1, 1))) and ``fc``. The stem
conv feeds layer1 directly: the first block's own BN-ReLU pre-activates it.
"""
from __future__ import annotations

from typing import Sequence

from .. import nn
from ..autograd.tensor import Tensor
from .resnet import conv1x1, conv3x3

__all__ = ["PreActResNet", "PreActBlock", "PreActBottleneck", "preact_resnet18",
           "preact_resnet34", "preact_resnet50", "preact_resnet101", "preact_resnet152",
           "preact_resnet18_cifar", "preact_resnet34_cifar", "preact_resnet50_cifar",
           "preact_resnet101_cifar", "preact_resnet152_cifar"]


class PreActBlock(nn.Module):
    """x + conv2(relu(bn2(conv1(relu(bn1(x)))))), two 3x3 convs."""

    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.downsample = None
        if stride != 1 or inplanes != planes * self.expansion:
            self.downsample = nn.Sequential(conv1x1(inplanes, planes * self.expansion, stride))
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(x))
        shortcut = x if self.downsample is None else self.downsample(out)
        out = self.conv1(out)
        out = self.conv2(self.relu(self.bn2(out)))
        return out + shortcut


class PreActBottleneck(nn.Module):
    """x + conv3(a(bn3, conv2(a(bn2, conv1(a(bn1, x)))))), a = BN then ReLU; 1x1, 3x3, 1x1."""

    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.conv1 = conv1x1(inplanes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn3 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.downsample = None
        if stride != 1 or inplanes != planes * self.expansion:
            self.downsample = nn.Sequential(conv1x1(inplanes, planes * self.expansion, stride))
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(x))
        shortcut = x if self.downsample is None else self.downsample(out)
        out = self.conv1(out)
        out = self.conv2(self.relu(self.bn2(out)))
        out = self.conv3(self.relu(self.bn3(out)))
        return out + shortcut


class PreActResNet(nn.Module):
    """A pre-activation residual network of four stages.

    Args:
        block: PreActBlock or PreActBottleneck.
        layers: number of blocks in each stage.
        num_classes: size of the output.
        cifar_stem: 3x3 stride-1 conv1 and no max pool, for 32x32 inputs.
        in_channels: input channels.

    Shape:
        - Input: (N, in_channels, H, W)
        - Output: (N, num_classes)
    """

    def __init__(self, block: type, layers: Sequence[int], num_classes: int = 1000,
                 cifar_stem: bool = False, in_channels: int = 3) -> None:
        super().__init__()
        if cifar_stem:
            self.conv1 = conv3x3(in_channels, 64)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3,
                                   bias=False)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.inplanes = 64
        self.layer1 = self._make_layer(block, 64, layers[0], 1)
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.bn = nn.BatchNorm2d(512 * block.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block: type, planes: int, blocks: int, stride: int) -> nn.Sequential:
        layers = [block(self.inplanes, planes, stride)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(self.relu(self.bn(x))).flatten(1)
        return self.fc(x)


_SPECS = {18: (PreActBlock, [2, 2, 2, 2]), 34: (PreActBlock, [3, 4, 6, 3]),
          50: (PreActBottleneck, [3, 4, 6, 3]), 101: (PreActBottleneck, [3, 4, 23, 3]),
          152: (PreActBottleneck, [3, 8, 36, 3])}


def _make(depth: int, cifar: bool):
    block, layers = _SPECS[depth]
    default = 10 if cifar else 1000
    kind = "32x32 inputs (3x3 stride-1 conv1, no max pool)" if cifar else "224x224 inputs"

    def build(num_classes: int = default, **kwargs) -> PreActResNet:
        return PreActResNet(block, layers, num_classes=num_classes, cifar_stem=cifar, **kwargs)

    build.__name__ = f"preact_resnet{depth}" + ("_cifar" if cifar else "")
    build.__qualname__ = build.__name__
    build.__doc__ = f"Pre-activation ResNet-{depth} ({block.__name__}, {layers}) for {kind}."
    return build


preact_resnet18 = _make(18, False)
preact_resnet34 = _make(34, False)
preact_resnet50 = _make(50, False)
preact_resnet101 = _make(101, False)
preact_resnet152 = _make(152, False)
preact_resnet18_cifar = _make(18, True)
preact_resnet34_cifar = _make(34, True)
preact_resnet50_cifar = _make(50, True)
preact_resnet101_cifar = _make(101, True)
preact_resnet152_cifar = _make(152, True)
