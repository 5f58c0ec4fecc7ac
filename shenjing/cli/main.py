"""Entry point of the ``shenjing`` command: subcommands registered from one table.

Each subcommand is a module of this package with ``add_arguments(parser)`` and ``run(args)``
(returning an exit status). Optional modules (``gan``, ``report``, ``explain``) are skipped while their file
does not exist, so they can land without editing this file.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .._version import __version__

# name -> (module under shenjing.cli, help, optional)
COMMANDS: list[tuple[str, str, str, bool]] = [
    ("train", "train", "train a model (default: a small CNN on the bundled digits)", False),
    ("experiment", "experiment", "train one setting several ways and compare the curves", False),
    ("evaluate", "evaluate", "test loss, accuracy and confusion matrix of a run", False),
    ("predict", "predict", "classify images, .csv rows or .npy arrays with a run's model", False),
    ("runs", "runs", "list the runs with their best metrics", False),
    ("report", "report", "rewrite a run's report.html and plots", True),
    ("gan", "gan", "train or sample a generative adversarial network", True),
    ("explain", "explain", "show a backward pass step by step, a graph or layer statistics",
     True),
]


def _load(module: str, optional: bool) -> object | None:
    name = f"{__package__}.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if optional and e.name == name:
            return None
        raise


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = argparse.ArgumentParser(prog="shenjing", description="shenjing (神经) deep learning")
    parser.add_argument("--version", action="version", version=f"shenjing {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, object] = {}
    for cmd, module, help_text, optional in COMMANDS:
        mod = _load(module, optional)
        if mod is None or not hasattr(mod, "add_arguments") or not hasattr(mod, "run"):
            continue
        p = sub.add_parser(cmd, help=help_text, description=help_text)
        mod.add_arguments(p)  # type: ignore[attr-defined]
        modules[cmd] = mod
    sub.add_parser("version", help="print the version")
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    if args.command in modules:
        from ..serialization import CheckpointError  # noqa: PLC0415
        from .runs import RunNotFoundError  # noqa: PLC0415

        try:
            status = modules[args.command].run(args)  # type: ignore[attr-defined]
        except (CheckpointError, RunNotFoundError, FileExistsError) as e:
            print(f"shenjing {args.command}: error: {e}", file=sys.stderr)
            return 2
        return int(status or 0)
    if args.command == "version":
        print(f"shenjing {__version__}")
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
