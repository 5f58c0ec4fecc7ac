"""Single-image super-resolution: SRCNN, ESPCN (sub-pixel) and an SRGAN-style trainer.

SRCNN (Dong et al. 2014) refines a bicubic-upsampled image with three convolutions, 9-1-5:

    x_up (N, C, rH, rW) -> Conv 9x9 (n1) ReLU -> Conv 1x1 (n2) ReLU -> Conv 5x5 (C)

ESPCN (Shi et al. 2016) works at low resolution and upsamples once, at the end, by a
sub-pixel convolution: the last conv makes C r^2 channels and PixelShuffle(r) rearranges
(N, C r^2, H, W) -> (N, C, rH, rW). With ``residual=True`` it predicts the correction to the
bicubic upsampling: y = bicubic(x) + f(x).

SRGAN-style training (Ledig et al. 2017, with a pixel loss in place of the VGG loss): the
generator minimises  MSE(G(x), y) + lambda * BCE(D(G(x)), 1)  while a small discriminator
learns to tell G(x) from y.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn import functional as F
from ..ops.creation import from_numpy
from .sr_metrics import bicubic_upsample

__all__ = ["SRCNN", "ESPCN", "SRDiscriminator", "train_super_resolution", "super_resolve"]

# only builders listed here are registered with get_model (the zoo's parity test walks them)
BUILDERS: dict[str, Callable[..., nn.Module]] = {}


def _check_image(name: str, x: Tensor, channels: int) -> None:
    if x.ndim != 4 or x.shape[1] != channels:
        raise RuntimeError(f"{name}: expected input of shape (N, {channels}, H, W), got "
                           f"{tuple(x.shape)}")


class SRCNN(nn.Module):
    """SRCNN 9-1-5 on a bicubic-upsampled input (same size in and out).

    Args:
        num_channels: image channels.
        n1, n2: widths of the first two convolutions (64, 32 in the paper).
        kernel_sizes: (f1, f2, f3), 9-1-5 in the paper; padding keeps the size.

    Shape:
        (N, C, H, W) -> (N, C, H, W); feed bicubic_upsample(low_res, r).
    """

    pre_upsample = True  # the trainer feeds bicubic-upsampled images

    def __init__(self, num_channels: int = 1, n1: int = 64, n2: int = 32,
                 kernel_sizes: Sequence[int] = (9, 1, 5)) -> None:
        super().__init__()
        f1, f2, f3 = kernel_sizes
        self.num_channels = num_channels
        self.body = nn.Sequential(
            nn.Conv2d(num_channels, n1, f1, padding=f1 // 2), nn.ReLU(True),
            nn.Conv2d(n1, n2, f2, padding=f2 // 2), nn.ReLU(True),
            nn.Conv2d(n2, num_channels, f3, padding=f3 // 2))

    def forward(self, x: Tensor) -> Tensor:
        _check_image(type(self).__name__, x, self.num_channels)
        return self.body(x)


class ESPCN(nn.Module):
    """ESPCN: convolutions at low resolution, then a sub-pixel (PixelShuffle) upsampling.

    Args:
        upscale_factor: r.
        num_channels: image channels.
        features: widths of the two hidden convolutions (64, 32 in the paper).
        residual: add the bicubic upsampling of the input, so the network learns the detail.

    Shape:
        (N, C, H, W) -> (N, C, rH, rW).
    """

    pre_upsample = False

    def __init__(self, upscale_factor: int = 2, num_channels: int = 1,
                 features: Sequence[int] = (64, 32), residual: bool = False) -> None:
        super().__init__()
        if upscale_factor < 1:
            raise ValueError(f"ESPCN: upscale_factor must be >= 1, got {upscale_factor}")
        f1, f2 = features
        r, c = upscale_factor, num_channels
        self.upscale_factor, self.num_channels, self.residual = r, c, residual
        self.body = nn.Sequential(
            nn.Conv2d(c, f1, 5, padding=2), nn.Tanh(),
            nn.Conv2d(f1, f2, 3, padding=1), nn.Tanh(),
            nn.Conv2d(f2, c * r * r, 3, padding=1))
        self.shuffle = nn.PixelShuffle(r)

    def forward(self, x: Tensor) -> Tensor:
        _check_image(type(self).__name__, x, self.num_channels)
        y = self.shuffle(self.body(x))
        if self.residual:
            y = y + F.interpolate(x, scale_factor=self.upscale_factor, mode="bicubic",
                                  align_corners=False)
        return y

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}, residual={self.residual}"


class SRDiscriminator(nn.Module):
    """A small SRGAN-style discriminator: strided convs, LeakyReLU(0.2), global pooling.

    Shape:
        (N, C, H, W) -> (N,) logits.
    """

    def __init__(self, num_channels: int = 1, width: int = 32) -> None:
        super().__init__()
        self.num_channels = num_channels
        self.features = nn.Sequential(
            nn.Conv2d(num_channels, width, 3, 1, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width, width, 3, 2, 1), nn.BatchNorm2d(width), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width, 2 * width, 3, 2, 1), nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2, True), nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(2 * width, 1)

    def forward(self, x: Tensor) -> Tensor:
        _check_image(type(self).__name__, x, self.num_channels)
        return self.classifier(self.features(x).flatten(1)).reshape(-1)


def _inputs(model: nn.Module, low_res: np.ndarray, scale: int) -> np.ndarray:
    x = np.asarray(low_res, np.float32)
    return bicubic_upsample(x, scale) if getattr(model, "pre_upsample", False) else x


def super_resolve(model: nn.Module, low_res: np.ndarray, scale: int = 2,
                  batch_size: int = 256) -> np.ndarray:
    """Run ``model`` in eval mode on (N, C, h, w) low-resolution images; returns (N, C, rh, rw)."""
    was = model.training
    model.eval()
    x = _inputs(model, low_res, scale)
    try:
        with no_grad():
            out = [model(from_numpy(x[i:i + batch_size])).numpy()
                   for i in range(0, len(x), batch_size)]
    finally:
        model.train(was)
    return np.concatenate(out) if out else np.zeros((0,), np.float32)


def train_super_resolution(model: nn.Module, low_res: np.ndarray, high_res: np.ndarray,
                           epochs: int = 20, batch_size: int = 32, lr: float = 1e-3,
                           scale: int = 2, adversarial_weight: float = 0.0,
                           discriminator: nn.Module | None = None, seed: int = 0,
                           verbose: bool = False) -> dict[str, list]:
    """Fit ``model`` to map ``low_res`` to ``high_res`` with Adam on the pixel MSE.

    With ``adversarial_weight`` > 0 (SRGAN-style) a discriminator (SRDiscriminator by default)
    is trained alongside and the generator loss becomes MSE + weight * BCE(D(G(x)), 1).
    Returns a history with per-epoch 'loss' (pixel MSE), 'adv_loss' and 'd_loss'.
    """
    x_all = _inputs(model, low_res, scale)
    y_all = np.asarray(high_res, np.float32)
    if len(x_all) != len(y_all):
        raise ValueError(f"train_super_resolution: {len(x_all)} low-resolution images but "
                         f"{len(y_all)} high-resolution ones")
    adv = adversarial_weight > 0
    if adv and discriminator is None:
        discriminator = SRDiscriminator(y_all.shape[1])
    opt = optim.Adam(model.parameters(), lr=lr)
    opt_d = optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999)) if adv else None
    rng = np.random.default_rng(seed)
    hist: dict[str, list] = {"loss": [], "adv_loss": [], "d_loss": []}
    model.train()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_all))
        sums, steps = np.zeros(3), 0
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            x, y = from_numpy(x_all[idx]), from_numpy(y_all[idx])
            out = model(x)
            d_loss = adv_loss = 0.0
            if adv:  # D: real HR -> 1, G's output (detached) -> 0
                opt_d.zero_grad()
                lr_, lf = discriminator(y), discriminator(out.detach())
                dl = (F.binary_cross_entropy_with_logits(lr_, _full(lr_, 1.0))
                      + F.binary_cross_entropy_with_logits(lf, _full(lf, 0.0)))
                dl.backward()
                opt_d.step()
                d_loss = float(dl.item())
            opt.zero_grad()
            pix = F.mse_loss(out, y)
            loss = pix
            if adv:
                discriminator.requires_grad_(False)
                lg = discriminator(out)
                a = F.binary_cross_entropy_with_logits(lg, _full(lg, 1.0))
                loss = pix + adversarial_weight * a
                adv_loss = float(a.item())
            loss.backward()
            opt.step()
            if adv:
                discriminator.requires_grad_(True)
            sums += (float(pix.item()), adv_loss, d_loss)
            steps += 1
        for k, v in zip(("loss", "adv_loss", "d_loss"), sums / max(steps, 1)):
            hist[k].append(float(v))
        if verbose:
            print(f"epoch {epoch}/{epochs}  pixel MSE {hist['loss'][-1]:.5f}"
                  + (f"  adv {hist['adv_loss'][-1]:.4f}  D {hist['d_loss'][-1]:.4f}"
                     if adv else ""), flush=True)
    return hist


def _full(like: Tensor, value: float) -> Tensor:
    return from_numpy(np.full(tuple(like.shape), value, like._data.dtype))
