"""Super-resolution: metrics against independent computations, bicubic against PyTorch,
SRCNN/ESPCN parity with PyTorch twins, and the bar: ESPCN beats bicubic by >= 1 dB PSNR."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import shenjing
from shenjing.datasets import load_digits
from shenjing.models.sr_metrics import (bicubic_resize, bicubic_upsample, box_downsample,
                                        psnr, ssim)
from shenjing.models.super_resolution import (ESPCN, SRCNN, SRDiscriminator, super_resolve,
                                              train_super_resolution)


@pytest.mark.parametrize("shape,size", [((2, 1, 5, 7), (10, 14)), ((1, 3, 4, 4), (12, 12)),
                                        ((3, 6, 9), (4, 5)), ((1, 1, 1, 6), (3, 2)),
                                        ((2, 2, 8, 8), (8, 8))])
def test_bicubic_matches_torch_interpolate(shape, size):
    x = np.random.default_rng(0).uniform(0, 1, shape).astype(np.float32)
    t = torch.tensor(x if x.ndim == 4 else x[None])
    ref = torch.nn.functional.interpolate(t, size=size, mode="bicubic",
                                          align_corners=False).numpy()
    ours = bicubic_resize(x, size)
    np.testing.assert_allclose(ours, ref if x.ndim == 4 else ref[0], atol=2e-6)


def test_bicubic_upsample_matches_scale_factor_and_box_downsample():
    x = np.random.default_rng(1).uniform(0, 1, (2, 1, 6, 5)).astype(np.float32)
    ref = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=3, mode="bicubic",
                                          align_corners=False).numpy()
    np.testing.assert_allclose(bicubic_upsample(x, 3), ref, atol=2e-6)
    ref = torch.nn.functional.avg_pool2d(torch.tensor(x[..., :6, :4]), 2).numpy()
    np.testing.assert_allclose(box_downsample(x, 2), ref, atol=1e-7)


def test_psnr_against_torch():
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0, 1, (3, 1, 6, 6)), rng.uniform(0, 1, (3, 1, 6, 6))
    mse = torch.nn.functional.mse_loss(torch.tensor(a), torch.tensor(b), reduction="none")
    per = (10 * torch.log10(1.0 / mse.flatten(1).mean(1))).numpy()
    np.testing.assert_allclose(psnr(a, b, reduction="none"), per, rtol=1e-12)
    assert psnr(a, b) == pytest.approx(per.mean(), rel=1e-12)
    assert psnr(a * 255, b * 255, data_range=255) == pytest.approx(per.mean(), rel=1e-9)
    with pytest.raises(ValueError, match="same shape"):
        psnr(a, b[:2])


def _ssim_loops(x: np.ndarray, y: np.ndarray, win: int = 11, sigma: float = 1.5,
                L: float = 1.0) -> float:
    """Wang et al.'s SSIM written out window by window (Gaussian weights, valid positions)."""
    g1 = np.exp(-((np.arange(win) - (win - 1) / 2) ** 2) / (2 * sigma ** 2))
    w = np.outer(g1, g1)
    w /= w.sum()
    c1, c2 = (0.01 * L) ** 2, (0.03 * L) ** 2
    vals = []
    for i in range(x.shape[0] - win + 1):
        for j in range(x.shape[1] - win + 1):
            px, py = x[i:i + win, j:j + win], y[i:i + win, j:j + win]
            mx, my = (w * px).sum(), (w * py).sum()
            vx, vy = (w * (px - mx) ** 2).sum(), (w * (py - my) ** 2).sum()
            cxy = (w * (px - mx) * (py - my)).sum()
            vals.append((2 * mx * my + c1) * (2 * cxy + c2)
                        / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2)))
    return float(np.mean(vals))


def test_ssim_against_window_loops():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (14, 13))
    y = np.clip(x + 0.1 * rng.standard_normal(x.shape), 0, 1)
    assert ssim(x, y) == pytest.approx(_ssim_loops(x, y), rel=1e-10)
    assert ssim(x, x) == pytest.approx(1.0)
    z = rng.uniform(0, 1, (14, 13))
    two = np.stack([np.stack([x, z])])  # (1, 2, H, W): channels averaged
    want = (_ssim_loops(x, y) + _ssim_loops(z, x)) / 2
    assert ssim(two, np.stack([np.stack([y, x])])) == pytest.approx(want, rel=1e-10)
    assert ssim(x * 255, y * 255, data_range=255) == pytest.approx(_ssim_loops(x, y),
                                                                   rel=1e-9)
    with pytest.raises(ValueError, match="smaller than"):
        ssim(x[:8], y[:8])


def _torch_state(model) -> dict:
    return {k: torch.tensor(np.array(v.numpy())) for k, v in model.state_dict().items()}


class _TorchSRCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        tn = torch.nn
        self.body = tn.Sequential(tn.Conv2d(1, 64, 9, padding=4), tn.ReLU(),
                                  tn.Conv2d(64, 32, 1), tn.ReLU(), tn.Conv2d(32, 1, 5, padding=2))

    def forward(self, x):
        return self.body(x)


class _TorchESPCN(torch.nn.Module):
    def __init__(self, r, c, residual):
        super().__init__()
        tn = torch.nn
        self.r, self.residual = r, residual
        self.body = tn.Sequential(tn.Conv2d(c, 64, 5, padding=2), tn.Tanh(),
                                  tn.Conv2d(64, 32, 3, padding=1), tn.Tanh(),
                                  tn.Conv2d(32, c * r * r, 3, padding=1))
        self.shuffle = tn.PixelShuffle(r)

    def forward(self, x):
        y = self.shuffle(self.body(x))
        if self.residual:
            y = y + torch.nn.functional.interpolate(x, scale_factor=self.r, mode="bicubic",
                                                    align_corners=False)
        return y


@pytest.mark.parametrize("name", ["srcnn", "espcn2", "espcn3_rgb_residual"])
def test_sr_networks_match_torch(name):
    shenjing.manual_seed(0)
    if name == "srcnn":
        ours, ref, shape = SRCNN(), _TorchSRCNN(), (2, 1, 12, 10)
    elif name == "espcn2":
        ours, ref, shape = ESPCN(2), _TorchESPCN(2, 1, False), (2, 1, 6, 5)
    else:
        ours, ref, shape = ESPCN(3, 3, residual=True), _TorchESPCN(3, 3, True), (1, 3, 4, 4)
    ref.load_state_dict(_torch_state(ours))
    x = np.random.default_rng(0).uniform(0, 1, shape).astype(np.float32)
    xs, xt = shenjing.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(xs), ref(xt)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-5,
                               rtol=1e-4)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), atol=1e-4, rtol=1e-3)
    with pytest.raises(RuntimeError, match=type(ours).__name__):
        ours(shenjing.randn(1, 2, 4, 4))


def _digit_pairs() -> tuple:
    """HR: digits bicubic-upsampled 8x8 -> 16x16 (clipped to [0, 1]); LR: 2x2 box means."""
    d = load_digits(seed=0)

    def hr(x):
        return np.clip(bicubic_resize(x.reshape(-1, 1, 8, 8), (16, 16)), 0, 1)

    htr = hr(np.concatenate([d["train"][0], d["val"][0]]))
    hte = hr(d["test"][0])
    return box_downsample(htr, 2), htr, box_downsample(hte, 2), hte


@pytest.mark.slow
def test_espcn_beats_bicubic_by_one_db():
    """Bar: on 359 held-out digits (16x16 from 8x8, 2x), ESPCN's PSNR >= bicubic's + 1 dB
    after 2 epochs; SSIM is higher too."""
    ltr, htr, lte, hte = _digit_pairs()
    shenjing.manual_seed(0)
    model = ESPCN(2, residual=True)
    hist = train_super_resolution(model, ltr, htr, epochs=2, batch_size=32, lr=1e-3)
    assert hist["loss"][-1] < hist["loss"][0]
    out = np.clip(super_resolve(model, lte), 0, 1)
    bic = np.clip(bicubic_upsample(lte, 2), 0, 1)
    gain = psnr(out, hte) - psnr(bic, hte)
    print(f"PSNR {psnr(out, hte):.2f} dB vs bicubic {psnr(bic, hte):.2f} dB (+{gain:.2f})")
    assert gain >= 1.0, gain
    assert ssim(out, hte) > ssim(bic, hte)


def test_srgan_option_and_srcnn_training_run():
    """SRGAN-style: pixel + adversarial loss with a discriminator; SRCNN gets bicubic input."""
    rng = np.random.default_rng(0)
    hr = rng.uniform(0, 1, (16, 1, 8, 8)).astype(np.float32)
    lr = box_downsample(hr, 2)
    shenjing.manual_seed(0)
    h = train_super_resolution(ESPCN(2, features=(8, 8)), lr, hr, epochs=2, batch_size=8,
                               adversarial_weight=1e-2, discriminator=SRDiscriminator(1, 4))
    assert len(h["d_loss"]) == 2 and all(v > 0 for v in h["d_loss"] + h["adv_loss"])
    srcnn = SRCNN(n1=4, n2=4)
    h = train_super_resolution(srcnn, lr, hr, epochs=1, batch_size=8)
    assert h["adv_loss"] == [0.0]
    assert super_resolve(srcnn, lr).shape == hr.shape
    with pytest.raises(ValueError, match="low-resolution images"):
        train_super_resolution(srcnn, lr[:3], hr, epochs=1)
