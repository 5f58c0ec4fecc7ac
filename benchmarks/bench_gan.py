"""DCGAN training step (batch 64, 1x28x28): one discriminator and one generator Adam step,
shenjing's DCGANGenerator/DCGANDiscriminator against the same networks written in PyTorch.

G: z (100) -> ConvT 7x7 (128 @ 7x7) BN ReLU -> ConvT 4/2/1 (64 @ 14x14) BN ReLU
   -> ConvT 4/2/1 (1 @ 28x28) Tanh.   D: Conv 4/2/1 (64) LReLU -> Conv 4/2/1 (128) BN LReLU
   -> Conv 7x7 (1 logit). Losses: BCE with logits, real target 0.9, non-saturating G loss.
"""
from __future__ import annotations

import numpy as np
import torch

import shenjing
from harness import Workload
from shenjing.models.gan import DCGANDiscriminator, DCGANGenerator

BATCH, NZ = 64, 100


def _torch_nets():
    tn = torch.nn
    g = tn.Sequential(tn.ConvTranspose2d(NZ, 128, 7, 1, 0, bias=False), tn.BatchNorm2d(128),
                      tn.ReLU(True), tn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False),
                      tn.BatchNorm2d(64), tn.ReLU(True),
                      tn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False), tn.Tanh())
    d = tn.Sequential(tn.Conv2d(1, 64, 4, 2, 1, bias=False), tn.LeakyReLU(0.2, True),
                      tn.Conv2d(64, 128, 4, 2, 1, bias=False), tn.BatchNorm2d(128),
                      tn.LeakyReLU(0.2, True), tn.Conv2d(128, 1, 7, 1, 0, bias=False))
    return (lambda z: g(z.reshape(BATCH, NZ, 1, 1))), (lambda x: d(x).reshape(-1)), g, d


def _step(mod):
    rng = np.random.default_rng(0)
    real = mod.tensor(rng.uniform(-1, 1, (BATCH, 1, 28, 28)).astype(np.float32))
    z = mod.tensor(rng.standard_normal((BATCH, NZ)).astype(np.float32))
    if mod is shenjing:
        g, d = DCGANGenerator(NZ, 1, 64, 28), DCGANDiscriminator(1, 64, 28)
        gf, df = g, d
    else:
        gf, df, g, d = _torch_nets()
    opt_g = mod.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = mod.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = mod.nn.functional.binary_cross_entropy_with_logits
    t_real = mod.tensor(np.full(BATCH, 0.9, np.float32))
    t_fake = mod.tensor(np.zeros(BATCH, np.float32))
    t_one = mod.tensor(np.ones(BATCH, np.float32))

    def step():
        fake = gf(z)
        opt_d.zero_grad()
        (bce(df(real), t_real) + bce(df(fake.detach()), t_fake)).backward()
        opt_d.step()
        d.requires_grad_(False)
        opt_g.zero_grad()
        bce(df(fake), t_one).backward()
        opt_g.step()
        d.requires_grad_(True)

    return step


WORKLOADS = [
    Workload("DCGAN train step, D + G (Adam, batch 64, 28x28)", _step(shenjing), _step(torch),
             unit="ms", note="samples/s = 64 / time"),
]
