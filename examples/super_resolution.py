"""2x super-resolution of digits: ESPCN (sub-pixel, PixelShuffle) or SRCNN against bicubic.

High-resolution targets are the 8x8 digits upsampled to 16x16; the inputs are their 2x2 box
means. Prints test PSNR/SSIM of the network and of bicubic upsampling and writes
sr_comparison.png (rows: bicubic, network, truth). ``--adversarial-weight 0.01`` trains
SRGAN-style (pixel loss + adversarial loss from a small discriminator).
Run: python examples/super_resolution.py [--epochs 5] [--sr-model srcnn]
"""
from __future__ import annotations

import argparse

from shenjing.cli import gan


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    gan.add_arguments(p)
    p.set_defaults(task="sr", out="super_resolution", epochs=5, batch_size=32)
    return gan.run(p.parse_args(argv))


if __name__ == "__main__":
    main()
