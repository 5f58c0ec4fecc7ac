"""GANs: shapes and errors, parity of DCGAN with a PyTorch twin, the trainer's files, and two
measured bars: mode coverage on a ring of 8 Gaussians and classifier confidence on DCGAN digits.
"""
from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import torch

import shenjing
from shenjing import nn
from shenjing.datasets import load_digits
from shenjing.models.gan import (ConditionalDiscriminator, ConditionalGenerator,
                                 DCGANDiscriminator, DCGANGenerator, MLPDiscriminator,
                                 MLPGenerator, dcgan_plan)
from shenjing.models.gan_training import GANTrainer, plot_curves


def _torch_state(model) -> dict:
    return {k: torch.tensor(np.array(v.numpy())) for k, v in model.state_dict().items()}


def _torch_dcgan_g(nz, c_out, base, size):
    s0, k = dcgan_plan(size)
    tn = torch.nn
    c = base * 2 ** (k - 1)
    layers = [tn.ConvTranspose2d(nz, c, s0, 1, 0, bias=False), tn.BatchNorm2d(c), tn.ReLU(True)]
    for _ in range(k - 1):
        layers += [tn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), tn.BatchNorm2d(c // 2),
                   tn.ReLU(True)]
        c //= 2
    layers += [tn.ConvTranspose2d(c, c_out, 4, 2, 1, bias=False), tn.Tanh()]
    m = tn.Module()
    m.main = tn.Sequential(*layers)
    m.forward = lambda z: m.main(z.reshape(z.shape[0], nz, 1, 1))
    return m


def _torch_dcgan_d(c_in, base, size):
    s0, k = dcgan_plan(size)
    tn = torch.nn
    c = base
    layers = [tn.Conv2d(c_in, c, 4, 2, 1, bias=False), tn.LeakyReLU(0.2, True)]
    for _ in range(k - 1):
        layers += [tn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), tn.BatchNorm2d(2 * c),
                   tn.LeakyReLU(0.2, True)]
        c *= 2
    layers.append(tn.Conv2d(c, 1, s0, 1, 0, bias=False))
    m = tn.Module()
    m.main = tn.Sequential(*layers)
    m.forward = lambda x: m.main(x).reshape(-1)
    return m


def test_dcgan_plan_and_shapes():
    assert dcgan_plan(28) == (7, 2) and dcgan_plan(16) == (4, 2) and dcgan_plan(8) == (4, 1)
    with pytest.raises(ValueError, match="image_size"):
        dcgan_plan(30)
    shenjing.manual_seed(0)
    g, d = DCGANGenerator(16, 3, 8, 16), DCGANDiscriminator(3, 8, 16)
    x = g(shenjing.randn(5, 16))
    assert tuple(x.shape) == (5, 3, 16, 16) and float(x.abs().max().item()) <= 1.0
    assert tuple(d(x).shape) == (5,)
    with pytest.raises(RuntimeError, match="DCGANGenerator"):
        g(shenjing.randn(5, 15))
    with pytest.raises(RuntimeError, match="DCGANDiscriminator"):
        d(shenjing.randn(5, 3, 8, 8))


@pytest.mark.parametrize("size", [8, 16, 28])
@pytest.mark.parametrize("training", [True, False])
def test_dcgan_parity_with_torch(size, training):
    """Same weights (through state_dict) -> same outputs and same weight gradients."""
    shenjing.manual_seed(1)
    g, d = DCGANGenerator(12, 1, 4, size), DCGANDiscriminator(1, 4, size)
    tg, td = _torch_dcgan_g(12, 1, 4, size), _torch_dcgan_d(1, 4, size)
    tg.load_state_dict(_torch_state(g))
    td.load_state_dict(_torch_state(d))
    for m in (g, d, tg, td):
        m.train(training)
    z = np.random.default_rng(0).standard_normal((6, 12)).astype(np.float32)
    out, tout = d(g(shenjing.tensor(z))), td(tg(torch.tensor(z)))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    out.sum().backward()
    tout.sum().backward()
    for (name, p), tp in zip(g.named_parameters(), tg.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-3, atol=1e-5,
                                   err_msg=name)


def test_mlp_gan_and_conditional_shapes_and_errors():
    shenjing.manual_seed(0)
    g, d = MLPGenerator(4, 2, (8,)), MLPDiscriminator(2, (8,))
    assert tuple(d(g(shenjing.randn(3, 4))).shape) == (3,)
    with pytest.raises(RuntimeError, match="MLPGenerator"):
        g(shenjing.randn(3, 5))
    with pytest.raises(ValueError, match="out_activation"):
        MLPGenerator(out_activation="relu")
    cg, cd = ConditionalGenerator(4, 3, (1, 4, 4), 5, (16,)), ConditionalDiscriminator(
        (1, 4, 4), 3, 5, (16,))
    z = shenjing.randn(1, 4).expand(3, 4)
    y = shenjing.tensor([0, 1, 2])
    x = cg(z, y)
    assert tuple(x.shape) == (3, 1, 4, 4)
    a = x.detach().numpy()
    assert not np.allclose(a[0], a[1]) and not np.allclose(a[1], a[2])  # the label matters
    out = cd(x, y)
    assert tuple(out.shape) == (3,)
    out.sum().backward()
    assert cg.label_emb.weight.grad is not None
    assert np.abs(cg.label_emb.weight.grad.numpy()).sum() > 0
    with pytest.raises(IndexError, match="label out of range"):
        cg(z, shenjing.tensor([0, 1, 3]))
    with pytest.raises(RuntimeError, match="labels of shape"):
        cd(x, shenjing.tensor([0, 1]))


def test_trainer_files_history_and_losses(tmp_path):
    """One epoch of a tiny image GAN writes a grid per epoch, the CSV and the curve PNG."""
    shenjing.manual_seed(0)
    data = np.random.default_rng(0).uniform(-1, 1, (40, 1, 4, 4)).astype(np.float32)
    g = MLPGenerator(3, 16, (8,), out_activation="tanh")
    reshape = nn.Unflatten(1, (1, 4, 4))
    gen = nn.Sequential(g, reshape)
    gen.latent_dim = 3
    out = tmp_path / "run"
    tr = GANTrainer(gen, MLPDiscriminator(16, (8,)), 3, loss="minimax", n_fixed=9,
                    out_dir=str(out))
    h = tr.fit(data, epochs=2, batch_size=16)
    assert len(h["d_loss"]) == 2 and len(h["step_g_loss"]) == 4
    assert all(v < 0 for v in h["step_g_loss"])  # minimax: log(1 - D(G(z))) < 0
    for e in (1, 2):
        with open(out / f"samples_epoch_{e:03d}.png", "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.reader(open(out / "losses.csv")))
    assert rows[0] == ["epoch", "d_loss", "g_loss", "d_real", "d_fake"] and len(rows) == 3
    assert os.path.getsize(out / "losses.png") > 100
    assert tr.sample().shape == (9, 1, 4, 4)
    with pytest.raises(ValueError, match="loss must be one of"):
        GANTrainer(gen, MLPDiscriminator(16), 3, loss="wasserstein")


def test_plot_curves_draws_each_series():
    img = plot_curves({"a": [0, 1, 0.5], "b": [1, 1, 1]}, width=60, height=40)
    assert img.shape == (40, 60, 3)
    blue = np.all(np.isclose(img, np.array([31, 119, 180]) / 255.0, atol=1e-3), axis=2)
    orange = np.all(np.isclose(img, np.array([255, 127, 14]) / 255.0, atol=1e-3), axis=2)
    assert blue.sum() > 20 and orange.sum() > 20
    rows = np.nonzero(orange)[0]
    assert rows.max() - rows.min() <= 2  # a constant series is a flat line


# ----------------------------------------------------------------------------- the bars
RING_STD = 0.05


def _ring(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    a = 2 * np.pi * np.arange(8) / 8
    centres = np.stack([2 * np.cos(a), 2 * np.sin(a)], 1)
    k = rng.integers(0, 8, n)
    return (centres[k] + RING_STD * rng.standard_normal((n, 2))).astype(np.float32), centres


@pytest.mark.slow
def test_gan_covers_modes_of_eight_gaussians():
    """Bar: >= 6 of 8 modes covered; a mode is covered when >= 2% of 2000 samples (a sixth
    of its fair 12.5% share) fall within 3 std (0.15) of its centre."""
    rng = np.random.default_rng(0)
    data, centres = _ring(1500 * 128, rng)
    shenjing.manual_seed(0)
    tr = GANTrainer(MLPGenerator(8, 2, (128, 128)), MLPDiscriminator(2, (128, 128)), 8,
                    loss="minimax", lr_g=1e-3, lr_d=1e-3, seed=0)
    tr.fit(data, epochs=1, batch_size=128)
    s = tr.sample(2000)
    dist = np.linalg.norm(s[:, None] - centres[None], axis=2)
    near = dist.min(1) < 3 * RING_STD
    share = np.array([np.mean(near & (dist.argmin(1) == i)) for i in range(8)])
    print(f"mode shares {np.round(share, 3)}, covered {(share >= 0.02).sum()}/8")
    assert (share >= 0.02).sum() >= 6, share


def _digits() -> tuple[np.ndarray, np.ndarray]:
    d = load_digits(seed=0)
    x = np.concatenate([d[k][0] for k in ("train", "val", "test")]).reshape(-1, 1, 8, 8)
    y = np.concatenate([d[k][1] for k in ("train", "val", "test")])
    return x * 2 - 1, y


@pytest.mark.slow
def test_dcgan_digits_fool_a_classifier():
    """Bar: a classifier trained on the real digits (>= 95% accurate on them) gives max
    softmax probability > 0.5 to more than 60% of 500 DCGAN samples (8x8 DCGAN, 20 epochs)."""
    conf, share = 0.5, 0.6
    x, y = _digits()
    shenjing.manual_seed(0)
    g, d = DCGANGenerator(32, 1, 32, 8), DCGANDiscriminator(1, 32, 8)
    tr = GANTrainer(g, d, 32, lr_g=1e-3, lr_d=1e-3, seed=0)
    tr.fit(x, epochs=20, batch_size=64)
    clf = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = shenjing.optim.Adam(clf.parameters(), 1e-3)
    rng = np.random.default_rng(0)
    flat = x.reshape(len(x), -1).astype(np.float32)
    for _ in range(30):
        order = rng.permutation(len(x))
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(clf(shenjing.tensor(flat[idx])),
                                        shenjing.tensor(y[idx])).backward()
            opt.step()
    with shenjing.no_grad():
        assert (clf(shenjing.tensor(flat)).numpy().argmax(1) == y).mean() >= 0.95
        s = tr.sample(500).reshape(500, -1)
        p = shenjing.softmax(clf(shenjing.tensor(s)), 1).numpy()
    print(f"share of samples with max prob > {conf}: {(p.max(1) > conf).mean():.3f}")
    assert (p.max(1) > conf).mean() > share, (p.max(1) > conf).mean()
    assert len(np.unique(p.argmax(1))) >= 8  # and not one class only
