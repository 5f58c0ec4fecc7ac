"""ResNet (He et al. 2015) with torchvision's names, layout (v1.5) and init.

Names: ``conv1`` (7x7 stride 2, no bias), ``bn1``, ``relu``, ``maxpool`` (3x3 stride 2 pad 1),
``layer1``..``layer4`` (Sequentials of blocks; widths 64, 128, 256, 512 times the block's
``expansion``; the first block of layers 2-4 has stride 2), ``avgpool``
(AdaptiveAvgPool2d((1, 1))), ``fc``. A block whose input shape differs from its output gets
``downsample`` = Sequential(conv1x1(stride), BatchNorm2d). Bottleneck puts the stride on its
3x3 conv (v1.5, as torchvision), not on the first 1x1 as the paper did.

CIFAR variants (``resnet18_cifar`` ...): the same blocks and names, but ``conv1`` is 3x3
stride 1 padding 1 and ``maxpool`` is Identity, so a 32x32 input runs the four stages at 32, 16,
8 and 4 pixels before the global average pool (the layout of the common CIFAR ResNet-18 with
~11.2M parameters at 10 classes).

Init (torchvision): conv kaiming_normal_(fan_out, relu); bn weight 1, bias 0; fc keeps the
Linear default. ``zero_init_residual`` zeroes each block's last bn weight, so every residual
branch starts as zero and each block as the identity. ResNet-18 has 11,689,512 parameters.
"""
from __future__ import annotations

from typing import Callable, Sequence

from .. import nn
from ..autograd.tensor import Tensor
from ..nn.utils.fusion import add_act, conv_bn_act

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "conv3x3", "conv1x1", "resnet18",
           "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
           "wide_resnet50_2", "resnet18_cifar", "resnet34_cifar", "resnet50_cifar",
           "resnet101_cifar", "resnet152_cifar"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding = dilation (keeps the size at stride 1), no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


def _shortcut(downsample: nn.Module, x: Tensor) -> Tensor:
    """The projection shortcut: Sequential(conv1x1, BatchNorm2d), its pair fused in eval."""
    if type(downsample) is nn.Sequential and len(downsample) == 2 \
            and not (downsample._forward_hooks or downsample._forward_pre_hooks):
        return conv_bn_act(downsample[0], downsample[1], x)
    return downsample(x)


class BasicBlock(nn.Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), two 3x3 convs."""

    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else _shortcut(self.downsample, x)
        out = conv_bn_act(self.conv1, self.bn1, x, self.relu)
        out = conv_bn_act(self.conv2, self.bn2, out)
        return add_act(out, identity, self.relu)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carries the stride), 1x1 expand by 4, plus the shortcut."""

    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else _shortcut(self.downsample, x)
        out = conv_bn_act(self.conv1, self.bn1, x, self.relu)
        out = conv_bn_act(self.conv2, self.bn2, out, self.relu)
        out = conv_bn_act(self.conv3, self.bn3, out)
        return add_act(out, identity, self.relu)


class ResNet(nn.Module):
    """A residual network of four stages of ``block``s, ``layers[i]`` blocks in stage i.

    Args:
        block: BasicBlock or Bottleneck.
        layers: number of blocks in each of the four stages.
        num_classes: size of the output.
        zero_init_residual: start each block's last bn weight at zero.
        groups, width_per_group: grouped (ResNeXt) or wide bottlenecks.
        replace_stride_with_dilation: for stages 2-4, dilate instead of striding.
        norm_layer: the normalisation layer (BatchNorm2d).
        cifar_stem: 3x3 stride-1 conv1 and no max pool, for 32x32 inputs.
        in_channels: input channels.

    Shape:
        - Input: (N, in_channels, H, W)
        - Output: (N, num_classes)
    """

    def __init__(self, block: type, layers: Sequence[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, groups: int = 1, width_per_group: int = 64,
                 replace_stride_with_dilation: Sequence[bool] | None = None,
                 norm_layer: Callable | None = None, cifar_stem: bool = False,
                 in_channels: int = 3) -> None:
        super().__init__()
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element "
                             f"tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        if cifar_stem:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1,
                                   bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3,
                                   bias=False)
        self.bn1 = self._norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = (nn.Identity() if cifar_stem
                        else nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block: type, planes: int, blocks: int, stride: int = 1,
                    dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(conv_bn_act(self.conv1, self.bn1, x, self.relu))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


_SPECS = {18: (BasicBlock, [2, 2, 2, 2]), 34: (BasicBlock, [3, 4, 6, 3]),
          50: (Bottleneck, [3, 4, 6, 3]), 101: (Bottleneck, [3, 4, 23, 3]),
          152: (Bottleneck, [3, 8, 36, 3])}


def _resnet(depth: int, num_classes: int, **kwargs) -> ResNet:
    block, layers = _SPECS[depth]
    return ResNet(block, layers, num_classes=num_classes, **kwargs)


def resnet18(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-18 (BasicBlock, [2, 2, 2, 2]); 11,689,512 parameters at 1000 classes."""
    return _resnet(18, num_classes, **kwargs)


def resnet34(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-34 (BasicBlock, [3, 4, 6, 3]); 21,797,672 parameters."""
    return _resnet(34, num_classes, **kwargs)


def resnet50(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-50 (Bottleneck, [3, 4, 6, 3]); 25,557,032 parameters."""
    return _resnet(50, num_classes, **kwargs)


def resnet101(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-101 (Bottleneck, [3, 4, 23, 3])."""
    return _resnet(101, num_classes, **kwargs)


def resnet152(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-152 (Bottleneck, [3, 8, 36, 3])."""
    return _resnet(152, num_classes, **kwargs)


def resnext50_32x4d(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNeXt-50 32x4d: ResNet-50 with 32 groups of width 4 in each bottleneck 3x3."""
    return _resnet(50, num_classes, groups=32, width_per_group=4, **kwargs)


def wide_resnet50_2(num_classes: int = 1000, **kwargs) -> ResNet:
    """Wide ResNet-50-2: ResNet-50 with bottlenecks twice as wide."""
    return _resnet(50, num_classes, width_per_group=128, **kwargs)


def resnet18_cifar(num_classes: int = 10, **kwargs) -> ResNet:
    """ResNet-18 for 32x32 inputs: 3x3 stride-1 conv1, no max pool."""
    return _resnet(18, num_classes, cifar_stem=True, **kwargs)


def resnet34_cifar(num_classes: int = 10, **kwargs) -> ResNet:
    """ResNet-34 for 32x32 inputs: 3x3 stride-1 conv1, no max pool."""
    return _resnet(34, num_classes, cifar_stem=True, **kwargs)


def resnet50_cifar(num_classes: int = 10, **kwargs) -> ResNet:
    """ResNet-50 for 32x32 inputs: 3x3 stride-1 conv1, no max pool."""
    return _resnet(50, num_classes, cifar_stem=True, **kwargs)


def resnet101_cifar(num_classes: int = 10, **kwargs) -> ResNet:
    """ResNet-101 for 32x32 inputs: 3x3 stride-1 conv1, no max pool."""
    return _resnet(101, num_classes, cifar_stem=True, **kwargs)


def resnet152_cifar(num_classes: int = 10, **kwargs) -> ResNet:
    """ResNet-152 for 32x32 inputs: 3x3 stride-1 conv1, no max pool."""
    return _resnet(152, num_classes, cifar_stem=True, **kwargs)
