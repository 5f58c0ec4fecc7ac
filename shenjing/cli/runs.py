"""Run folders: create one per training run, find one again, list them all.

A run folder holds ``config.json`` (the resolved configuration), ``metrics.csv`` (one row per
epoch), ``checkpoints/`` (``best.safetensors`` and the ``last/`` set), plots, TensorBoard
events, ``summary.txt`` and ``report.html``.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checkpoint import write_atomic

__all__ = ["DEFAULT_ROOT", "METRIC_FIELDS", "RunNotFoundError", "RunInfo", "new_run_dir",
           "resolve_run", "list_runs", "read_config", "write_config", "read_metrics",
           "write_metrics", "add_arguments", "run"]

DEFAULT_ROOT = "runs"
METRIC_FIELDS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]


class RunNotFoundError(FileNotFoundError):
    """No run folder matches what the user named."""


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in str(text))
    return keep.strip("-.") or "data"


def new_run_dir(model: str, data: str, out: str | None = None,
                root: str | os.PathLike = DEFAULT_ROOT) -> Path:
    """Create ``out`` or ``<root>/<model>-<data>-<YYYYmmdd-HHMMSS>`` (suffixed if taken)."""
    if out:
        path = Path(out)
        if (path / "config.json").exists():
            raise FileExistsError(f"run folder {path} already holds a run; pick another --out "
                                  f"or continue it with --resume {path}")
        path.mkdir(parents=True, exist_ok=True)
        return path
    base = f"{_slug(model)}-{_slug(Path(data).stem if os.sep in data else data)}-" \
           f"{time.strftime('%Y%m%d-%H%M%S')}"
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(1000):
        path = root / (base if i == 0 else f"{base}-{i}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a fresh run folder under {root}")


def _is_run(path: Path) -> bool:
    return (path / "config.json").is_file()


def resolve_run(spec: str | os.PathLike, root: str | os.PathLike = DEFAULT_ROOT) -> Path:
    """A run folder from a path, a name under ``root``, a unique name prefix, or ``latest``."""
    spec_s = os.fspath(spec)
    direct = Path(spec_s)
    if _is_run(direct):
        return direct
    root = Path(root)
    if _is_run(root / spec_s):
        return root / spec_s
    runs = [p for p in root.iterdir() if _is_run(p)] if root.is_dir() else []
    if spec_s in ("latest", "last") and runs:
        return max(runs, key=lambda p: (p / "config.json").stat().st_mtime)
    matches = [p for p in runs if p.name.startswith(spec_s)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = ", ".join(sorted(p.name for p in matches)[:5])
        raise RunNotFoundError(f"run {spec_s!r} is ambiguous under {root}: {names}")
    raise RunNotFoundError(f"no run {spec_s!r}: not a run folder (with config.json) and no run "
                           f"of that name under {root}; `shenjing runs --root {root}` lists them")


def read_config(run_dir: str | os.PathLike) -> dict[str, Any]:
    path = Path(run_dir) / "config.json"
    try:
        cfg = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise RunNotFoundError(f"{run_dir} is not a run folder (no config.json)") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return cfg


def write_config(run_dir: str | os.PathLike, cfg: dict[str, Any]) -> None:
    write_atomic(Path(run_dir) / "config.json", json.dumps(cfg, indent=2, sort_keys=True) + "\n")


def read_metrics(run_dir: str | os.PathLike) -> list[dict[str, float]]:
    """The rows of metrics.csv as numbers (empty list if there is none yet)."""
    path = Path(run_dir) / "metrics.csv"
    if not path.is_file():
        return []
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            try:
                rows.append({k: (int(v) if k == "epoch" else float(v)) for k, v in row.items()
                             if k in METRIC_FIELDS})
            except (TypeError, ValueError):
                continue
    return rows


def write_metrics(run_dir: str | os.PathLike, history: list[dict[str, float]]) -> None:
    """Rewrite metrics.csv from the whole history (atomic, so resume never duplicates rows)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=METRIC_FIELDS, lineterminator="\n")
    w.writeheader()
    for row in history:
        w.writerow({k: (f"{row[k]:.6g}" if isinstance(row.get(k), float) else row.get(k))
                    for k in METRIC_FIELDS})
    write_atomic(Path(run_dir) / "metrics.csv", buf.getvalue())


@dataclass
class RunInfo:
    """One line of ``shenjing runs``."""

    path: Path
    model: str
    data: str
    epochs_done: int
    epochs: int
    best_val_acc: float | None
    test_acc: float | None
    status: str


def _info(path: Path) -> RunInfo:
    try:
        cfg = read_config(path)
    except ValueError:
        cfg = {}
    hist = read_metrics(path)
    accs = [r["val_acc"] for r in hist if "val_acc" in r]
    result = cfg.get("result") or {}
    return RunInfo(path=path, model=str(cfg.get("model", "?")), data=str(cfg.get("data", "?")),
                   epochs_done=len(hist), epochs=int(cfg.get("epochs", 0) or 0),
                   best_val_acc=max(accs) if accs else None, test_acc=result.get("test_acc"),
                   status=str(cfg.get("status", "?")))


def list_runs(root: str | os.PathLike = DEFAULT_ROOT) -> list[RunInfo]:
    """Every run folder directly under ``root`` (or nested one level, as experiments are)."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for p in sorted(root.iterdir()):
        if _is_run(p):
            found.append(_info(p))
        elif p.is_dir():
            found.extend(_info(q) for q in sorted(p.iterdir()) if _is_run(q))
    return found


def format_runs(runs: list[RunInfo], root: Path) -> str:
    if not runs:
        return f"no runs under {root}"
    head = f"{'run':<44} {'model':<10} {'data':<12} {'epochs':>7} {'best val':>9} " \
           f"{'test':>7}  status"
    lines = [head]
    for r in runs:
        rel = os.path.relpath(r.path, root)
        bv = f"{r.best_val_acc * 100:.2f}%" if r.best_val_acc is not None else "-"
        te = f"{r.test_acc * 100:.2f}%" if isinstance(r.test_acc, float) else "-"
        lines.append(f"{rel:<44} {r.model:<10} {r.data[-12:]:<12} "
                     f"{f'{r.epochs_done}/{r.epochs}':>7} {bv:>9} {te:>7}  {r.status}")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=DEFAULT_ROOT, help="folder holding the runs (./runs)")


def run(args: argparse.Namespace) -> int:
    root = Path(args.root)
    print(format_runs(list_runs(root), root))
    return 0
