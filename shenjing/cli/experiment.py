"""``shenjing experiment``: train one setting several ways and put their curves on one chart.

``shenjing experiment --lr 0.001 0.01 0.1`` trains one run per learning rate (every option
given several values is swept; several swept options give their product) into
``runs/experiment-<time>/<label>/`` and writes experiment.png, experiment.html and
experiment.csv there, as the seed documents compare learning rates.
"""
from __future__ import annotations

import argparse
import csv
import io
import itertools
import time
from pathlib import Path
from typing import Any

from .checkpoint import write_atomic
from .runs import read_metrics

__all__ = ["add_arguments", "run", "SWEEPABLE"]

SWEEPABLE = ("model", "batch_size", "optimizer", "lr", "schedule", "weight_decay", "seed")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from .train import add_arguments as train_arguments  # noqa: PLC0415

    train_arguments(p, multi=True)
    p.add_argument("--out", default=None, help="experiment folder (default runs/experiment-"
                                               "<time>)")


def _label(setting: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in setting.items()) or "default"


def run(args: argparse.Namespace) -> int:
    from .train import DEFAULTS, Interrupted, fit, resolve_config  # noqa: PLC0415

    swept = {k: getattr(args, k) for k in SWEEPABLE if getattr(args, k, None) is not None}
    fixed = {k: getattr(args, k, None) for k in DEFAULTS if k not in SWEEPABLE}
    single = {k: v[0] for k, v in swept.items() if len(v) == 1}
    grid = {k: v for k, v in swept.items() if len(v) > 1}
    out = Path(args.out) if args.out else Path(args.root) / \
        f"experiment-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    settings = [dict(zip(grid, combo)) for combo in itertools.product(*grid.values())] or [{}]
    print(f"shenjing experiment: {len(settings)} runs -> {out}")
    curves: dict[str, list[dict[str, float]]] = {}
    summary = []
    for setting in settings:
        label = _label(setting)
        cfg = resolve_config({**fixed, **single, **setting})
        run_dir = out / label.replace("=", "-").replace(",", "_")
        run_dir.mkdir(parents=True, exist_ok=True)
        cfg.update(created=time.strftime("%Y-%m-%d %H:%M:%S"), experiment=str(out))
        print(f"--- {label}")
        try:
            result = fit(cfg, run_dir, quiet=args.quiet)
        except Interrupted:
            print("experiment interrupted; finished runs are kept")
            break
        curves[label] = read_metrics(run_dir)
        best = max((r["val_acc"] for r in curves[label]), default=float("nan"))
        summary.append({"label": label, "run": run_dir.name, "best_val_acc": best,
                        "test_acc": result["test_acc"], "seconds": result["seconds"]})
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["label", "run", "best_val_acc", "test_acc", "seconds"],
                       lineterminator="\n")
    w.writeheader()
    w.writerows(summary)
    write_atomic(out / "experiment.csv", buf.getvalue())
    if curves:
        _chart(out, curves)
    for s in summary:
        print(f"{s['label']:<30} best val acc {s['best_val_acc']:.4f}  test acc "
              f"{s['test_acc']:.4f}  {s['seconds']:.1f}s")
    print(f"chart: {out / 'experiment.png'}")
    return 0


def _chart(out: Path, curves: dict[str, list[dict[str, float]]]) -> None:
    try:
        from .report import write_experiment_report  # noqa: PLC0415
    except ImportError:
        from ..utils.plot import line_chart_png  # noqa: PLC0415

        series = {k: ([r["epoch"] for r in rows], [r["val_acc"] for r in rows])
                  for k, rows in curves.items()}
        line_chart_png(out / "experiment.png", series, title="validation accuracy",
                       xlabel="epoch", ylabel="accuracy")
        return
    write_experiment_report(out, curves, title="experiment")
