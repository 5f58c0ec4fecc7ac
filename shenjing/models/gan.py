"""Generative adversarial networks: fully connected GAN, DCGAN and a conditional GAN.

A generator G maps noise z ~ N(0, I) to a sample; a discriminator D maps a sample to one logit
(the log-odds that it is real). The discriminators here return logits, not probabilities, so the
trainer can use the numerically stable BCE-with-logits (log sigmoid(l) = -softplus(-l)).

DCGAN (Radford et al. 2016) for an image of side S = s0 * 2^k (s0 in 3..7, e.g. 28 = 7 * 4):

    G: z (N, nz, 1, 1) -> ConvT(nz, c 2^(k-1), s0) BN ReLU -> [ConvT(4, 2, 1) BN ReLU] * (k-1)
       -> ConvT(c, C_out, 4, 2, 1) -> Tanh                        (N, C_out, S, S) in [-1, 1]
    D: x -> Conv(C_in, c, 4, 2, 1) LeakyReLU(0.2) -> [Conv(4, 2, 1) BN LeakyReLU(0.2)] * (k-1)
       -> Conv(c 2^(k-1), 1, s0)                                  (N,) logits

Parameter names follow the PyTorch DCGAN example (``main.<i>``).
The conditional GAN (Mirza & Osindero 2014) feeds a learned label embedding to both networks:
G sees cat(z, e(y)), D sees cat(flatten(x), e(y)).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .. import nn
from ..autograd.tensor import Tensor
from ..ops.creation import from_numpy
from ..ops.shape import cat

__all__ = ["MLPGenerator", "MLPDiscriminator", "DCGANGenerator", "DCGANDiscriminator",
           "ConditionalGenerator", "ConditionalDiscriminator", "dcgan_init_", "dcgan_plan"]

# only builders listed here are registered with get_model (the zoo's parity test walks them)
BUILDERS: dict[str, Callable[..., nn.Module]] = {}

_OUT_ACTIVATIONS = {None: None, "none": None, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def _mlp(sizes: Sequence[int], act: Callable[[], nn.Module], out_act: str | None) -> list:
    """Linear-act stack; the last Linear is followed by ``out_act`` only."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    if out_act not in _OUT_ACTIVATIONS:
        raise ValueError(f"out_activation must be one of None, 'tanh', 'sigmoid', got {out_act!r}")
    if _OUT_ACTIVATIONS[out_act] is not None:
        layers.append(_OUT_ACTIVATIONS[out_act]())
    return layers


def _check_2d(name: str, x: Tensor, features: int, what: str) -> None:
    if x.ndim != 2 or x.shape[1] != features:
        raise RuntimeError(f"{name}: expected {what} of shape (N, {features}), got "
                           f"{tuple(x.shape)}")


class MLPGenerator(nn.Module):
    """Fully connected generator: z (N, latent_dim) -> (N, out_features).

    Args:
        latent_dim: size of the noise vector.
        out_features: size of a sample (2 for points in the plane, 784 for 28x28 images).
        hidden: widths of the hidden layers (ReLU between them).
        out_activation: None (unbounded, e.g. points), 'tanh' (images in [-1, 1]) or 'sigmoid'.

    Shape:
        (N, latent_dim) -> (N, out_features).
    """

    def __init__(self, latent_dim: int = 2, out_features: int = 2,
                 hidden: Sequence[int] = (128, 128), out_activation: str | None = None) -> None:
        super().__init__()
        self.latent_dim, self.out_features = latent_dim, out_features
        self.net = nn.Sequential(*_mlp([latent_dim, *hidden, out_features], nn.ReLU,
                                       out_activation))

    def forward(self, z: Tensor) -> Tensor:
        _check_2d(type(self).__name__, z, self.latent_dim, "noise")
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """Fully connected discriminator: (N, in_features) -> (N,) logits, LeakyReLU(0.2) hidden.

    Shape:
        (N, in_features) or (N, *sample_shape) -> (N,).
    """

    def __init__(self, in_features: int = 2, hidden: Sequence[int] = (128, 128),
                 negative_slope: float = 0.2) -> None:
        super().__init__()
        self.in_features = in_features
        self.net = nn.Sequential(*_mlp([in_features, *hidden, 1],
                                       lambda: nn.LeakyReLU(negative_slope), None))

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1) if x.ndim > 2 else x
        _check_2d(type(self).__name__, x, self.in_features, "input")
        return self.net(x).reshape(-1)


def dcgan_plan(image_size: int) -> tuple[int, int]:
    """(s0, k) with image_size = s0 * 2**k, 3 <= s0 <= 7 and k >= 1 (28 -> (7, 2), 16 -> (4, 2))."""
    s, k = int(image_size), 0
    while s > 7 and s % 2 == 0:
        s, k = s // 2, k + 1
    if k < 1 or not 3 <= s <= 7:
        raise ValueError(f"DCGAN: image_size must be s0 * 2**k with 3 <= s0 <= 7 and k >= 1 "
                         f"(e.g. 8, 16, 28, 32, 64), got {image_size}")
    return s, k


def dcgan_init_(module: nn.Module) -> nn.Module:
    """DCGAN initialisation: conv weights ~ N(0, 0.02); batch-norm gamma ~ N(1, 0.02), beta = 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


class DCGANGenerator(nn.Module):
    """DCGAN generator: ConvTranspose2d + BatchNorm2d + ReLU blocks, Tanh output.

    Args:
        latent_dim: noise size nz.
        out_channels: image channels (1 grey, 3 colour).
        base_channels: width of the last hidden block; earlier blocks double it.
        image_size: output side, s0 * 2**k (8, 16, 28, 32, 64, ...).

    Shape:
        (N, nz) or (N, nz, 1, 1) -> (N, out_channels, image_size, image_size), values in [-1, 1].
    """

    def __init__(self, latent_dim: int = 100, out_channels: int = 1, base_channels: int = 64,
                 image_size: int = 28) -> None:
        super().__init__()
        s0, k = dcgan_plan(image_size)
        self.latent_dim, self.image_size = latent_dim, image_size
        c = base_channels * 2 ** (k - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim, c, s0, 1, 0, bias=False),
                                   nn.BatchNorm2d(c), nn.ReLU(True)]
        for _ in range(k - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2),
                       nn.ReLU(True)]
            c //= 2
        layers += [nn.ConvTranspose2d(c, out_channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim == 2:
            z = z.reshape(z.shape[0], z.shape[1], 1, 1)
        if z.ndim != 4 or z.shape[1] != self.latent_dim or z.shape[2:] != (1, 1):
            raise RuntimeError(f"DCGANGenerator: expected noise of shape (N, {self.latent_dim}) "
                               f"or (N, {self.latent_dim}, 1, 1), got {tuple(z.shape)}")
        return self.main(z)


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: strided Conv2d + BatchNorm2d + LeakyReLU(0.2), one logit out.

    No batch norm on the first block (as in the paper). Returns logits; apply a sigmoid for
    probabilities.

    Shape:
        (N, in_channels, image_size, image_size) -> (N,).
    """

    def __init__(self, in_channels: int = 1, base_channels: int = 64,
                 image_size: int = 28) -> None:
        super().__init__()
        s0, k = dcgan_plan(image_size)
        self.in_channels, self.image_size = in_channels, image_size
        c = base_channels
        layers: list[nn.Module] = [nn.Conv2d(in_channels, c, 4, 2, 1, bias=False),
                                   nn.LeakyReLU(0.2, True)]
        for _ in range(k - 1):
            layers += [nn.Conv2d(c, c * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c * 2),
                       nn.LeakyReLU(0.2, True)]
            c *= 2
        layers.append(nn.Conv2d(c, 1, s0, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, x: Tensor) -> Tensor:
        s = self.image_size
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.in_channels, s, s):
            raise RuntimeError(f"DCGANDiscriminator: expected input of shape "
                               f"(N, {self.in_channels}, {s}, {s}), got {tuple(x.shape)}")
        return self.main(x).reshape(-1)


class _OneHotEmbedding(nn.Module):
    """Label lookup as one_hot(y) @ weight (stands in for nn.Embedding; same ``weight`` key)."""

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = nn.Parameter(from_numpy(np.zeros((num_embeddings, embedding_dim),
                                                       np.float32)))
        nn.init.normal_(self.weight)  # N(0, 1) like nn.Embedding

    def forward(self, labels: Tensor) -> Tensor:
        y = np.asarray(labels.numpy() if isinstance(labels, Tensor) else labels).astype(np.int64)
        onehot = np.zeros((y.size, self.num_embeddings), self.weight._data.dtype)
        onehot[np.arange(y.size), y.reshape(-1)] = 1
        return from_numpy(onehot) @ self.weight


def _label_embedding(num_classes: int, dim: int) -> nn.Module:
    emb = getattr(nn, "Embedding", None)
    return emb(num_classes, dim) if emb is not None else _OneHotEmbedding(num_classes, dim)


def _check_labels(name: str, labels: Any, n: int, num_classes: int) -> Tensor:
    y = labels if isinstance(labels, Tensor) else from_numpy(np.asarray(labels, np.int64))
    arr = y.numpy()
    if arr.shape != (n,) or arr.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected integer labels of shape ({n},), got "
                           f"{tuple(arr.shape)} {arr.dtype}")
    if n and (arr.min() < 0 or arr.max() >= num_classes):
        raise IndexError(f"{name}: label out of range [0, {num_classes}): got "
                         f"[{arr.min()}, {arr.max()}]")
    return y


class ConditionalGenerator(nn.Module):
    """Class-conditioned fully connected generator: (z, y) -> sample of ``out_shape``.

    Args:
        latent_dim: noise size.
        num_classes: number of labels.
        out_shape: shape of one sample, e.g. (2,) for points or (1, 8, 8) for images.
        embed_dim: label embedding size (concatenated to z).
        hidden: hidden widths; out_activation as in :class:`MLPGenerator`.

    Shape:
        z (N, latent_dim), labels (N,) int64 -> (N, *out_shape).
    """

    def __init__(self, latent_dim: int = 16, num_classes: int = 10,
                 out_shape: Sequence[int] = (1, 8, 8), embed_dim: int = 10,
                 hidden: Sequence[int] = (128, 256), out_activation: str | None = "tanh") -> None:
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.out_shape = tuple(int(s) for s in out_shape)
        self.label_emb = _label_embedding(num_classes, embed_dim)
        out = int(np.prod(self.out_shape))
        self.net = nn.Sequential(*_mlp([latent_dim + embed_dim, *hidden, out], nn.ReLU,
                                       out_activation))

    def forward(self, z: Tensor, labels: Any) -> Tensor:
        _check_2d(type(self).__name__, z, self.latent_dim, "noise")
        y = _check_labels(type(self).__name__, labels, z.shape[0], self.num_classes)
        h = self.net(_cat(z, self.label_emb(y)))
        return h.reshape(z.shape[0], *self.out_shape)


class ConditionalDiscriminator(nn.Module):
    """Class-conditioned discriminator: (x, y) -> (N,) logits from cat(flatten(x), e(y)).

    Shape:
        x (N, *in_shape), labels (N,) int64 -> (N,).
    """

    def __init__(self, in_shape: Sequence[int] = (1, 8, 8), num_classes: int = 10,
                 embed_dim: int = 10, hidden: Sequence[int] = (256, 128),
                 negative_slope: float = 0.2) -> None:
        super().__init__()
        self.in_shape, self.num_classes = tuple(int(s) for s in in_shape), num_classes
        self.in_features = int(np.prod(self.in_shape))
        self.label_emb = _label_embedding(num_classes, embed_dim)
        self.net = nn.Sequential(*_mlp([self.in_features + embed_dim, *hidden, 1],
                                       lambda: nn.LeakyReLU(negative_slope), None))

    def forward(self, x: Tensor, labels: Any) -> Tensor:
        name = type(self).__name__
        flat = x.reshape(x.shape[0], -1) if x.ndim != 2 else x
        _check_2d(name, flat, self.in_features, "input (flattened)")
        y = _check_labels(name, labels, x.shape[0], self.num_classes)
        return self.net(_cat(flat, self.label_emb(y))).reshape(-1)


def _cat(a: Tensor, b: Tensor) -> Tensor:
    return cat([a, b], 1)
