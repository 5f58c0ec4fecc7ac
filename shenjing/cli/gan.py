"""``shenjing gan``: train a DCGAN on the bundled digits (``--task dcgan``, sample grids per
epoch) or a super-resolution network on downscaled digits (``--task sr``, PSNR vs bicubic)."""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from ..backend import manual_seed


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", choices=["dcgan", "sr"], default="dcgan")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--out", default="gan_run", help="output folder (grids, losses.csv/png)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latent-dim", type=int, default=32)
    p.add_argument("--base-channels", type=int, default=32)
    p.add_argument("--image-size", type=int, choices=[8, 16], default=8,
                   help="DCGAN on the 8x8 digits as they are, or bicubic-upsampled to 16x16")
    p.add_argument("--loss", choices=["non_saturating", "minimax"], default="non_saturating")
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--sr-model", choices=["espcn", "srcnn"], default="espcn")
    p.add_argument("--adversarial-weight", type=float, default=0.0,
                   help="> 0: SRGAN-style pixel + adversarial loss")
    p.add_argument("--quiet", action="store_true")


def _digits(seed: int) -> dict:
    from ..datasets import load_digits  # noqa: PLC0415

    return load_digits(seed=seed)


def run_dcgan(args: argparse.Namespace) -> dict:
    from ..models.gan import DCGANDiscriminator, DCGANGenerator  # noqa: PLC0415
    from ..models.gan_training import GANTrainer  # noqa: PLC0415
    from ..models.sr_metrics import bicubic_resize  # noqa: PLC0415

    data = _digits(args.seed)
    x = np.concatenate([data[k][0] for k in ("train", "val", "test")]).reshape(-1, 1, 8, 8)
    if args.image_size != 8:
        x = np.clip(bicubic_resize(x, (args.image_size, args.image_size)), 0, 1)
    x = x * 2 - 1  # tanh range
    g = DCGANGenerator(args.latent_dim, 1, args.base_channels, args.image_size)
    d = DCGANDiscriminator(1, args.base_channels, args.image_size)
    trainer = GANTrainer(g, d, args.latent_dim, loss=args.loss, lr_g=args.lr, lr_d=args.lr,
                         label_smoothing=args.label_smoothing, out_dir=args.out,
                         seed=args.seed, verbose=not args.quiet)
    print(f"shenjing gan: DCGAN on {len(x)} digits at {args.image_size}x{args.image_size}, "
          f"{args.epochs} epochs -> {args.out}")
    t0 = time.perf_counter()
    hist = trainer.fit(x, epochs=args.epochs, batch_size=args.batch_size)
    print(f"done in {time.perf_counter() - t0:.1f}s: sample grids "
          f"{os.path.basename(hist['samples'][-1]) if hist['samples'] else '-'}, "
          f"losses.csv and losses.png in {args.out}")
    return hist


def run_sr(args: argparse.Namespace) -> dict:
    from ..models.sr_metrics import (bicubic_resize, bicubic_upsample,  # noqa: PLC0415
                                     box_downsample, psnr, ssim)
    from ..models.super_resolution import (ESPCN, SRCNN, super_resolve,  # noqa: PLC0415
                                           train_super_resolution)

    data = _digits(args.seed)

    def hr(x: np.ndarray) -> np.ndarray:  # 16x16 targets from the 8x8 digits
        return np.clip(bicubic_resize(x.reshape(-1, 1, 8, 8), (16, 16)), 0, 1)

    htr = hr(np.concatenate([data["train"][0], data["val"][0]]))
    hte = hr(data["test"][0])
    ltr, lte = box_downsample(htr, 2), box_downsample(hte, 2)
    model = SRCNN() if args.sr_model == "srcnn" else ESPCN(2, residual=True)
    print(f"shenjing gan --task sr: {args.sr_model} 2x on digits 8x8 -> 16x16, "
          f"{len(ltr)} train / {len(lte)} test" + (
              f", adversarial weight {args.adversarial_weight}" if args.adversarial_weight
              else ""))
    hist = train_super_resolution(model, ltr, htr, epochs=args.epochs,
                                  batch_size=args.batch_size, lr=args.lr,
                                  adversarial_weight=args.adversarial_weight, seed=args.seed,
                                  verbose=not args.quiet)
    out = np.clip(super_resolve(model, lte), 0, 1)
    bic = np.clip(bicubic_upsample(lte, 2), 0, 1)
    res = {"psnr": psnr(out, hte), "psnr_bicubic": psnr(bic, hte), "ssim": ssim(out, hte),
           "ssim_bicubic": ssim(bic, hte)}
    print(f"test PSNR {res['psnr']:.2f} dB (bicubic {res['psnr_bicubic']:.2f} dB, "
          f"{res['psnr'] - res['psnr_bicubic']:+.2f} dB)  SSIM {res['ssim']:.4f} "
          f"(bicubic {res['ssim_bicubic']:.4f})")
    if args.out:
        from ..utils.image import make_grid, write_png  # noqa: PLC0415

        os.makedirs(args.out, exist_ok=True)
        rows = np.concatenate([bic[:8], out[:8], hte[:8]])  # bicubic / network / truth
        write_png(os.path.join(args.out, "sr_comparison.png"), make_grid(rows, nrow=8))
    hist.update(res)
    return hist


def run(args: argparse.Namespace) -> dict:
    manual_seed(args.seed)
    return run_sr(args) if args.task == "sr" else run_dcgan(args)
