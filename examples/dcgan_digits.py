"""Train a DCGAN on the bundled 8x8 digits and write a grid of samples after every epoch.

The generator maps 32-d noise to an 8x8 digit (ConvTranspose2d + BatchNorm + ReLU, Tanh out);
the discriminator is a strided Conv2d with LeakyReLU(0.2). Writes samples_epoch_XXX.png,
losses.csv and losses.png (discriminator blue, generator orange) into the output folder.
Run: python examples/dcgan_digits.py [--epochs 20] [--out dcgan_digits] [--image-size 16]
"""
from __future__ import annotations

import argparse

from shenjing.cli import gan


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    gan.add_arguments(p)
    p.set_defaults(task="dcgan", out="dcgan_digits")
    return gan.run(p.parse_args(argv))


if __name__ == "__main__":
    main()
