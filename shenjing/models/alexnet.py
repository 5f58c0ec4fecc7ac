"""AlexNet: torchvision's single-GPU variant and the 2012 paper's form.

``alexnet`` matches torchvision (Krizhevsky 2014 "one weird trick" channel counts, no LRN):

    features  0 Conv2d(3, 64, 11, stride 4, padding 2)  1 ReLU  2 MaxPool2d(3, 2)
              3 Conv2d(64, 192, 5, padding 2)           4 ReLU  5 MaxPool2d(3, 2)
              6 Conv2d(192, 384, 3, padding 1)          7 ReLU
              8 Conv2d(384, 256, 3, padding 1)          9 ReLU
             10 Conv2d(256, 256, 3, padding 1)         11 ReLU 12 MaxPool2d(3, 2)
    avgpool   AdaptiveAvgPool2d((6, 6))  (so any input >= 63x63 works)
    classifier 0 Dropout 1 Linear(9216, 4096) 2 ReLU 3 Dropout 4 Linear(4096, 4096) 5 ReLU
               6 Linear(4096, num_classes)                    61,100,840 parameters at 1000

``alexnet_paper`` follows Krizhevsky et al. 2012 on one device: 96, 256, 384, 384, 256
channels and LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2) after the first two ReLUs
(features indices: 0 conv, 1 ReLU, 2 LRN, 3 pool, 4 conv, 5 ReLU, 6 LRN, 7 pool, 8 conv, 9 ReLU,
10 conv, 11 ReLU, 12 conv, 13 ReLU, 14 pool). The paper's "224" input only works out as 227:
conv1 has padding 0 for 227x227 inputs and padding 2 for 224x224 (both give 55x55 maps, then
27, 13, 6). Its init is the paper's: weights N(0, 0.01), biases 1 in conv2, conv4, conv5 and
the hidden linears (to feed ReLUs positive inputs early), 0 elsewhere. It keeps the
AdaptiveAvgPool2d((6, 6)) (an identity at 227/224) so its classifier fits other sizes.
"""
from __future__ import annotations

from .. import nn
from ..autograd.tensor import Tensor

__all__ = ["AlexNet", "AlexNetPaper", "alexnet", "alexnet_paper"]


class AlexNet(nn.Module):
    """torchvision's AlexNet: ``features``, ``avgpool``, ``classifier``.

    Shape:
        - Input: (N, 3, H, W) with H, W >= 63
        - Output: (N, num_classes)
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = _classifier(num_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _classifier(num_classes: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Dropout(p=dropout),
        nn.Linear(256 * 6 * 6, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(p=dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(inplace=True),
        nn.Linear(4096, num_classes),
    )


class AlexNetPaper(nn.Module):
    """AlexNet as in Krizhevsky et al. 2012 (single tower, LRN after conv1 and conv2).

    Args:
        num_classes: size of the output.
        input_size: 227 (conv1 padding 0) or 224 (conv1 padding 2).
        dropout: dropout probability in the classifier.

    Shape:
        - Input: (N, 3, input_size, input_size)
        - Output: (N, num_classes)
    """

    def __init__(self, num_classes: int = 1000, input_size: int = 227,
                 dropout: float = 0.5) -> None:
        super().__init__()
        if input_size not in (224, 227):
            raise ValueError(f"alexnet_paper: input_size must be 224 or 227, got {input_size}")
        pad = 0 if input_size == 227 else 2
        lrn = dict(size=5, alpha=1e-4, beta=0.75, k=2.0)
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4, padding=pad),
            nn.ReLU(inplace=True),
            nn.LocalResponseNorm(**lrn),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.LocalResponseNorm(**lrn),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = _classifier(num_classes, dropout)
        self._paper_init()

    def _paper_init(self) -> None:
        """w ~ N(0, 0.01); b = 1 for conv2, conv4, conv5 and the hidden linears, else 0."""
        ones = {"features.4", "features.10", "features.12", "classifier.1", "classifier.4"}
        for name, m in self.named_modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.constant_(m.bias, 1.0 if name in ones else 0.0)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def alexnet(num_classes: int = 1000, **kwargs) -> AlexNet:
    """torchvision's AlexNet (61,100,840 parameters for 1000 classes)."""
    return AlexNet(num_classes=num_classes, **kwargs)


def alexnet_paper(num_classes: int = 1000, **kwargs) -> AlexNetPaper:
    """AlexNet as in the 2012 paper (96/256/384/384/256 channels, LRN)."""
    return AlexNetPaper(num_classes=num_classes, **kwargs)
