"""LeNet-5 (LeCun et al. 1998) in its modern form: ReLU and max pooling.

The 1998 network used scaled tanh and trainable sub-sampling (average pooling with a weight and
bias per map); today's "LeNet-5" swaps those for ReLU and 2x2 max pooling and keeps the shape:

    input 1x32x32 (or 1x28x28 with padding=2 on the first conv)
    conv 6@5x5 -> 6x28x28, ReLU, maxpool 2 -> 6x14x14
    conv 16@5x5 -> 16x10x10, ReLU, maxpool 2 -> 16x5x5
    flatten 400 -> fc 120, ReLU -> fc 84, ReLU -> fc num_classes

Parameter names: ``features.{0,3}`` (convs), ``classifier.{0,2,4}`` (linears).
"""
from __future__ import annotations

from .. import nn
from ..autograd.tensor import Tensor

__all__ = ["LeNet", "lenet", "lenet5"]


class LeNet(nn.Module):
    """LeNet-5 with ReLU and max pooling.

    Args:
        num_classes: size of the output.
        in_channels: input channels (1 for grey digits).
        input_size: height = width of the input; 32 (classic) or 28 (MNIST).
        padding: first-conv padding; None picks 2 for 28x28 inputs (so the maps match the
            32x32 network) and 0 otherwise.

    Shape:
        - Input: (N, in_channels, input_size, input_size)
        - Output: (N, num_classes)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size: int = 32,
                 padding: int | None = None) -> None:
        super().__init__()
        if padding is None:
            padding = 2 if input_size == 28 else 0
        # spatial size: conv5 (s + 2p - 4), pool /2, conv5 (-4), pool /2
        side = ((input_size + 2 * padding - 4) // 2 - 4) // 2
        if side < 1:
            raise ValueError(f"LeNet: input_size {input_size} with padding {padding} is too "
                             "small (need at least 16 after padding)")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * side * side, 120),
            nn.ReLU(inplace=True),
            nn.Linear(120, 84),
            nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        return self.classifier(x.flatten(1))


def lenet(num_classes: int = 10, **kwargs) -> LeNet:
    """LeNet-5 (ReLU / max-pool form); kwargs go to :class:`LeNet`."""
    return LeNet(num_classes=num_classes, **kwargs)


lenet5 = lenet
