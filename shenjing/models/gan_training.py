"""Training a GAN: alternating discriminator and generator steps, with progress images.

Discriminator step (real target t_r = 1 - label_smoothing, fake target 0; l = D logits):

    L_D = BCE(l(x), t_r) + BCE(l(G(z)), 0)           BCE(l, t) = softplus(l) - t l

Generator step, ``loss='non_saturating'`` (Goodfellow et al. 2014, section 3) or ``'minimax'``:

    non-saturating:  L_G = BCE(l(G(z)), 1) = -log sigmoid(l)       (strong gradient early on)
    minimax:         L_G = -BCE(l(G(z)), 0) = log(1 - sigmoid(l))  (the original game value)

A fixed noise batch (and fixed labels for a conditional GAN) is drawn once, so the per-epoch
sample grids ``samples_epoch_XXX.png`` show the same z's evolving. ``losses.csv`` holds the
per-epoch means and ``losses.png`` the per-step curves (discriminator blue, generator orange).
"""
from __future__ import annotations

import csv
import os
from typing import Any, Sequence

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn import functional as F
from ..ops.creation import from_numpy
from ..utils.image import make_grid, write_png

__all__ = ["GANTrainer", "train_gan", "plot_curves"]

_LOSSES = ("non_saturating", "minimax")
_COLOURS = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40]],
                    np.float32) / 255.0


def plot_curves(series: dict[str, Sequence[float]], path: str | None = None, width: int = 640,
                height: int = 320, margin: int = 16) -> np.ndarray:
    """Rasterise line plots of ``series`` (one colour each, shared axes) into an RGB image.

    Each polyline is resampled every half pixel along its length (np.interp on the cumulative
    length), so steep segments stay connected; lines are 2 px thick. Written to ``path`` if given.
    """
    img = np.ones((height, width, 3), np.float32)
    x0, x1, y0, y1 = margin, width - margin - 1, margin, height - margin - 1
    img[y0:y1 + 1, [x0, x1]] = 0.0  # axes box
    img[[y0, y1], x0:x1 + 1] = 0.0
    vals = [np.asarray(v, np.float64) for v in series.values() if len(v)]
    finite = np.concatenate([v[np.isfinite(v)] for v in vals]) if vals else np.zeros(0)
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        hi = hi if hi > lo else lo + 1.0
        for i, v in enumerate(series.values()):
            v = np.nan_to_num(np.asarray(v, np.float64), nan=lo, posinf=hi, neginf=lo)
            if v.size == 0:
                continue
            px = x0 + 2 + (x1 - x0 - 4) * (np.arange(v.size) / max(v.size - 1, 1))
            py = y1 - 2 - (y1 - y0 - 4) * (v - lo) / (hi - lo)
            seg = np.hypot(np.diff(px), np.diff(py))
            s = np.concatenate([[0.0], np.cumsum(seg)])
            t = np.arange(0.0, s[-1] + 0.5, 0.5)
            cx = np.rint(np.interp(t, s, px)).astype(np.int64)
            cy = np.rint(np.interp(t, s, py)).astype(np.int64)
            for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
                img[np.clip(cy + dy, 0, height - 1), np.clip(cx + dx, 0, width - 1)] = \
                    _COLOURS[i % len(_COLOURS)]
    if path is not None:
        write_png(path, img)
    return img


class GANTrainer:
    """Alternating D/G training of a (conditional) GAN with Adam, progress grids and curves.

    Args:
        generator: maps z (N, latent_dim) [and labels (N,)] to samples.
        discriminator: maps samples [and labels] to (N,) logits.
        latent_dim: noise size.
        loss: 'non_saturating' (default) or 'minimax' generator loss.
        lr_g, lr_d, betas: Adam settings for each network (DCGAN: 2e-4, (0.5, 0.999)).
        label_smoothing: one-sided smoothing; the real target is 1 - label_smoothing (0.9).
        num_classes: set for a conditional GAN (G and D then take labels).
        n_fixed: size of the fixed noise batch used for the progress grids.
        out_dir: folder for samples_epoch_XXX.png, losses.csv and losses.png (None: no files).
        image_range: value range of image samples, mapped to [0, 1] for the PNG grids.
        seed: seeds the noise stream.
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module, latent_dim: int, *,
                 loss: str = "non_saturating", lr_g: float = 2e-4, lr_d: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999), label_smoothing: float = 0.1,
                 num_classes: int | None = None, n_fixed: int = 64, out_dir: str | None = None,
                 image_range: tuple[float, float] = (-1.0, 1.0), seed: int = 0,
                 verbose: bool = False) -> None:
        if loss not in _LOSSES:
            raise ValueError(f"GANTrainer: loss must be one of {_LOSSES}, got {loss!r}")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"GANTrainer: label_smoothing must be in [0, 1), got "
                             f"{label_smoothing}")
        self.G, self.D, self.latent_dim = generator, discriminator, latent_dim
        self.loss, self.real_target = loss, 1.0 - label_smoothing
        self.num_classes, self.out_dir, self.image_range = num_classes, out_dir, image_range
        self.verbose = verbose
        self.opt_g = optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
        self.opt_d = optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
        self.rng = np.random.default_rng(seed)
        self.fixed_z = self._noise(n_fixed)
        self.fixed_labels = (np.arange(n_fixed) % num_classes).astype(np.int64) \
            if num_classes else None
        self.history: dict[str, list] = {k: [] for k in (
            "d_loss", "g_loss", "d_real", "d_fake", "step_d_loss", "step_g_loss", "samples")}

    def _noise(self, n: int) -> Tensor:
        return from_numpy(self.rng.standard_normal((n, self.latent_dim)).astype(np.float32))

    def _g(self, z: Tensor, y: Tensor | None) -> Tensor:
        return self.G(z) if y is None else self.G(z, y)

    def _d(self, x: Tensor, y: Tensor | None) -> Tensor:
        return self.D(x) if y is None else self.D(x, y)

    def step(self, real: Tensor, labels: Tensor | None = None) -> tuple[float, ...]:
        """One D step then one G step on a real batch; returns (L_D, L_G, D(x), D(G(z)))."""
        n = real.shape[0]
        z = self._noise(n)
        y_fake = None
        if self.num_classes:
            y_fake = from_numpy(self.rng.integers(0, self.num_classes, n).astype(np.int64))
        fake = self._g(z, y_fake)
        # discriminator: real -> t_r, fake (detached: no gradient into G) -> 0
        self.opt_d.zero_grad()
        l_real = self._d(real, labels)
        l_fake = self._d(fake.detach(), y_fake)
        d_loss = (F.binary_cross_entropy_with_logits(l_real, _full(l_real, self.real_target))
                  + F.binary_cross_entropy_with_logits(l_fake, _full(l_fake, 0.0)))
        d_loss.backward()
        self.opt_d.step()
        # generator: D's weights are constants here, so skip their gradients
        self.D.requires_grad_(False)
        try:
            self.opt_g.zero_grad()
            l_gen = self._d(fake, y_fake)
            if self.loss == "non_saturating":
                g_loss = F.binary_cross_entropy_with_logits(l_gen, _full(l_gen, 1.0))
            else:
                g_loss = -F.binary_cross_entropy_with_logits(l_gen, _full(l_gen, 0.0))
            g_loss.backward()
            self.opt_g.step()
        finally:
            self.D.requires_grad_(True)
        sig = lambda t: float(np.mean(1.0 / (1.0 + np.exp(-t.detach().numpy()))))  # noqa: E731
        return float(d_loss.item()), float(g_loss.item()), sig(l_real), sig(l_fake)

    def sample(self, n: int | None = None, labels: Any = None) -> np.ndarray:
        """Samples as a NumPy array: from the fixed noise if n is None, else n fresh draws."""
        z = self.fixed_z if n is None else self._noise(n)
        y = None
        if self.num_classes:
            y = self.fixed_labels if labels is None and n is None else labels
            if y is None:
                y = self.rng.integers(0, self.num_classes, n)
            y = from_numpy(np.asarray(y, np.int64))
        with no_grad():
            return self._g(z, y).numpy()

    def _save_epoch(self, epoch: int) -> None:
        if self.out_dir is None:
            return
        s = self.sample()
        if s.ndim == 4:  # images: one grid tile per fixed z
            lo, hi = self.image_range
            grid = make_grid((s - lo) / (hi - lo), nrow=int(np.ceil(np.sqrt(len(s)))))
            path = os.path.join(self.out_dir, f"samples_epoch_{epoch:03d}.png")
            write_png(path, np.clip(grid, 0.0, 1.0))
            self.history["samples"].append(path)

    def fit(self, data: np.ndarray, labels: np.ndarray | None = None, epochs: int = 10,
            batch_size: int = 64) -> dict[str, list]:
        """Train for ``epochs`` passes over ``data`` (N, *sample_shape) in shuffled batches."""
        data = np.asarray(data, np.float32)
        if self.num_classes and labels is None:
            raise ValueError("GANTrainer.fit: a conditional GAN (num_classes set) needs labels")
        if self.out_dir is not None:
            os.makedirs(self.out_dir, exist_ok=True)
        n = len(data)
        h = self.history
        for epoch in range(1, epochs + 1):
            order = self.rng.permutation(n)
            sums = np.zeros(4)
            steps = 0
            for start in range(0, n - batch_size + 1 if n >= batch_size else 1, batch_size):
                idx = order[start:start + batch_size]
                y = None if labels is None or not self.num_classes else \
                    from_numpy(np.asarray(labels)[idx].astype(np.int64))
                r = self.step(from_numpy(data[idx]), y)
                h["step_d_loss"].append(r[0])
                h["step_g_loss"].append(r[1])
                sums += r
                steps += 1
            for key, v in zip(("d_loss", "g_loss", "d_real", "d_fake"), sums / max(steps, 1)):
                h[key].append(float(v))
            self._save_epoch(epoch)
            if self.verbose:
                print(f"epoch {epoch}/{epochs}  D loss {h['d_loss'][-1]:.4f}  G loss "
                      f"{h['g_loss'][-1]:.4f}  D(x) {h['d_real'][-1]:.3f}  D(G(z)) "
                      f"{h['d_fake'][-1]:.3f}", flush=True)
        self._save_curves()
        return h

    def _save_curves(self) -> None:
        if self.out_dir is None:
            return
        h = self.history
        with open(os.path.join(self.out_dir, "losses.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["epoch", "d_loss", "g_loss", "d_real", "d_fake"])
            for i, row in enumerate(zip(h["d_loss"], h["g_loss"], h["d_real"], h["d_fake"]), 1):
                w.writerow([i, *(f"{v:.6g}" for v in row)])
        plot_curves({"discriminator": h["step_d_loss"], "generator": h["step_g_loss"]},
                    os.path.join(self.out_dir, "losses.png"))


def _full(like: Tensor, value: float) -> Tensor:
    return from_numpy(np.full(tuple(like.shape), value, like._data.dtype))


def train_gan(generator: nn.Module, discriminator: nn.Module, data: np.ndarray,
              latent_dim: int, epochs: int = 10, batch_size: int = 64,
              labels: np.ndarray | None = None, **kwargs: Any) -> tuple[GANTrainer, dict]:
    """Build a :class:`GANTrainer` (kwargs go to it) and fit it; returns (trainer, history)."""
    trainer = GANTrainer(generator, discriminator, latent_dim, **kwargs)
    return trainer, trainer.fit(data, labels, epochs=epochs, batch_size=batch_size)
