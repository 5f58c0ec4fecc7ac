"""The seed documents' CIFAR-10 CNN, in PyTorch form.

The seed's Keras model is Conv2D(32,3)-MaxPool(2)-Conv2D(64,3)-MaxPool(2)-Conv2D(128,3)-
MaxPool(2)-Flatten-Dense(128, relu)-Dense(10, softmax). Here each conv has padding=1 ("same"),
so a 32x32 input halves cleanly to 4x4 and the flatten is 128*4*4 = 2048; ``padding=0``
gives the seed's "valid" convs (32 -> 30 -> 15 -> 13 -> 6 -> 4 -> 2, flatten 128*2*2). The
softmax is left to the loss (CrossEntropyLoss takes logits).

    features:   [Conv2d(c, 32, 3), ReLU, MaxPool2d(2)] x 3 with 32, 64, 128 channels
    classifier: Flatten, Linear(128*s*s, 128), ReLU, Linear(128, num_classes)
"""
from __future__ import annotations

from .. import nn
from ..autograd.tensor import Tensor
from ..nn.utils.fusion import relu_after_pool

__all__ = ["SeedCNN", "seed_cnn"]


def _side(size: int, padding: int) -> int:
    """Spatial size after three conv3x3(padding) + maxpool(2) blocks."""
    for _ in range(3):
        size = (size + 2 * padding - 2) // 2
    return size


class SeedCNN(nn.Module):
    """Three conv-ReLU-maxpool blocks (32/64/128 channels) and a two-layer classifier.

    Args:
        num_classes: size of the output.
        in_channels: input channels (3 for CIFAR-10, 1 for digits).
        input_size: height = width of the input (32 for CIFAR-10; 16 works too).
        padding: conv padding; 1 keeps sizes ("same"), 0 is the seed's Keras default "valid".
        hidden: width of the hidden fully connected layer.

    Shape:
        - Input: (N, in_channels, input_size, input_size)
        - Output: (N, num_classes)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 3, input_size: int = 32,
                 padding: int = 1, hidden: int = 128) -> None:
        super().__init__()
        side = _side(input_size, padding)
        if side < 1:
            raise ValueError(f"SeedCNN: input_size {input_size} is too small for three "
                             f"conv3x3(padding={padding}) + maxpool(2) blocks")
        layers: list = []
        c = in_channels
        for width in (32, 64, 128):
            layers += [nn.Conv2d(c, width, kernel_size=3, padding=padding),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * side * side, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        # each block as conv, pool, ReLU: the same numbers, the ReLU on a quarter of the pixels
        return self.classifier(relu_after_pool(self.features, x))


def seed_cnn(num_classes: int = 10, **kwargs) -> SeedCNN:
    """The seed documents' CIFAR-10 CNN; kwargs go to :class:`SeedCNN`."""
    return SeedCNN(num_classes=num_classes, **kwargs)
