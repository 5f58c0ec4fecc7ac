"""Test-only oracle: plain-PyTorch twins of the zoo's architectures (our own code).

torchvision is not installed here, so these mirror torchvision's module structure and names
(and, for models torchvision lacks, the zoo's documented layout) so that state_dicts line up
key for key. They are written independently of shenjing/models so a layout slip on either side
shows up as a key, shape or output mismatch.
"""
from __future__ import annotations

import torch
from torch import nn

VGG_CFGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M"] + [256] * 3 + ["M"] + [512] * 3 + ["M"] + [512] * 3
    + ["M"],
    19: [64, 64, "M", 128, 128, "M"] + [256] * 4 + ["M"] + [512] * 4 + ["M"] + [512] * 4
    + ["M"],
}


def _head(num_classes: int, alexnet: bool) -> nn.Sequential:
    if alexnet:  # Dropout, Linear, ReLU, Dropout, Linear, ReLU, Linear
        return nn.Sequential(nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(),
                             nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes))
    return nn.Sequential(nn.Linear(25088, 4096), nn.ReLU(), nn.Dropout(),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
                         nn.Linear(4096, num_classes))


class TorchAlexNet(nn.Module):
    def __init__(self, num_classes: int = 1000, paper: bool = False) -> None:
        super().__init__()
        if paper:
            widths, lrn = (96, 256, 384, 384, 256), True
        else:
            widths, lrn = (64, 192, 384, 256, 256), False
        c1, c2, c3, c4, c5 = widths
        first = [nn.Conv2d(3, c1, 11, 4, 0 if paper else 2), nn.ReLU()]
        second = [nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU()]
        if lrn:
            first.append(nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0))
            second.append(nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0))
        self.features = nn.Sequential(
            *first, nn.MaxPool2d(3, 2), *second, nn.MaxPool2d(3, 2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(), nn.Conv2d(c3, c4, 3, padding=1),
            nn.ReLU(), nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d(6)
        self.classifier = _head(num_classes, alexnet=True)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class TorchVGG(nn.Module):
    def __init__(self, depth: int, bn: bool = False, num_classes: int = 1000) -> None:
        super().__init__()
        mods, c = [], 3
        for v in VGG_CFGS[depth]:
            if v == "M":
                mods.append(nn.MaxPool2d(2, 2))
            else:
                mods += [nn.Conv2d(c, v, 3, padding=1)] + ([nn.BatchNorm2d(v)] if bn else []) \
                    + [nn.ReLU()]
                c = v
        self.features = nn.Sequential(*mods)
        self.avgpool = nn.AdaptiveAvgPool2d(7)
        self.classifier = _head(num_classes, alexnet=False)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class TorchBasic(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int, down) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = down

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


class TorchBottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int, down, groups: int = 1,
                 base_width: int = 64) -> None:
        super().__init__()
        w = planes * base_width // 64 * groups
        self.conv1 = nn.Conv2d(cin, w, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.conv2 = nn.Conv2d(w, w, 3, stride, 1, groups=groups, bias=False)  # v1.5 stride
        self.bn2 = nn.BatchNorm2d(w)
        self.conv3 = nn.Conv2d(w, 4 * planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * planes)
        self.relu = nn.ReLU()
        self.downsample = down

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


RESNET_SPECS = {18: ("basic", [2, 2, 2, 2]), 34: ("basic", [3, 4, 6, 3]),
                50: ("bottle", [3, 4, 6, 3]), 101: ("bottle", [3, 4, 23, 3]),
                152: ("bottle", [3, 8, 36, 3])}


class TorchResNet(nn.Module):
    def __init__(self, depth: int, num_classes: int = 1000, cifar: bool = False,
                 groups: int = 1, base_width: int = 64) -> None:
        super().__init__()
        kind, counts = RESNET_SPECS[depth]
        block = TorchBasic if kind == "basic" else TorchBottleneck
        extra = {} if kind == "basic" else {"groups": groups, "base_width": base_width}
        if cifar:
            self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        cin = 64
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), counts)):
            stride = 1 if i == 0 else 2
            blocks = []
            for j in range(n):
                s = stride if j == 0 else 1
                down = None
                if s != 1 or cin != planes * block.expansion:
                    down = nn.Sequential(
                        nn.Conv2d(cin, planes * block.expansion, 1, s, bias=False),
                        nn.BatchNorm2d(planes * block.expansion))
                blocks.append(block(cin, planes, s, down, **extra))
                cin = planes * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


class TorchPreActBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False))
                           if stride != 1 or cin != planes else None)

    def forward(self, x):
        a = self.relu(self.bn1(x))
        sc = x if self.downsample is None else self.downsample(a)
        return self.conv2(self.relu(self.bn2(self.conv1(a)))) + sc


class TorchPreActBottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, 4 * planes, 1, bias=False)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, 4 * planes, 1, stride, bias=False))
                           if stride != 1 or cin != 4 * planes else None)

    def forward(self, x):
        a = self.relu(self.bn1(x))
        sc = x if self.downsample is None else self.downsample(a)
        y = self.conv2(self.relu(self.bn2(self.conv1(a))))
        return self.conv3(self.relu(self.bn3(y))) + sc


class TorchPreActResNet(nn.Module):
    def __init__(self, depth: int, num_classes: int = 1000, cifar: bool = False) -> None:
        super().__init__()
        kind, counts = RESNET_SPECS[depth]
        block = TorchPreActBlock if kind == "basic" else TorchPreActBottleneck
        if cifar:
            self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), counts)):
            blocks = []
            for j in range(n):
                blocks.append(block(cin, planes, (1 if i == 0 else 2) if j == 0 else 1))
                cin = planes * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.bn = nn.BatchNorm2d(cin)
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(torch.flatten(self.avgpool(self.relu(self.bn(x))), 1))


class TorchLeNet(nn.Module):
    def __init__(self, num_classes: int = 10, padding: int = 0) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=padding), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                                      nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                                        nn.ReLU(), nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class TorchSeedCNN(nn.Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 3, input_size: int = 32):
        super().__init__()
        mods, c = [], in_channels
        for w in (32, 64, 128):
            mods += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c = w
        self.features = nn.Sequential(*mods)
        side = input_size // 8
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(128 * side * side, 128),
                                        nn.ReLU(), nn.Linear(128, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))
