"""Entry point of the ``shenjing`` command."""
from __future__ import annotations

import argparse
import sys

from .._version import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shenjing", description="shenjing (神经) deep learning")
    parser.add_argument("--version", action="version", version=f"shenjing {__version__}")
    sub = parser.add_subparsers(dest="command")
    from . import train  # noqa: PLC0415

    tp = sub.add_parser("train", help="train a model (default: an MLP on the bundled digits)")
    train.add_arguments(tp)
    sub.add_parser("version", help="print the version")
    args = parser.parse_args(argv)
    if args.command == "train":
        train.run(args)
    else:
        print(f"shenjing {__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
