"""The run report: curves and confusion-matrix PNGs plus one self-contained ``report.html``.

``write_report(run_dir)`` reads what a run folder holds (config.json, metrics.csv, summary.txt,
confusion.json, test.json; any of them may be missing or partial) and writes curves_loss.png,
curves_acc.png, confusion.png and report.html. The HTML needs nothing else: inline CSS, charts
as inline SVG, no scripts, no external resources. Everything read from files is HTML-escaped.
``write_experiment_report`` draws several runs' curves on one chart (e.g. one per learning rate).
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import math
import os
from html import escape
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..utils.atomic import atomic_write
from ..utils.image import write_png
from ..utils.plot import (confusion_matrix_png, confusion_matrix_svg, curves_from_metrics,
                          line_chart, line_chart_svg)

__all__ = ["write_report", "write_confusion", "write_experiment_report", "read_metrics_rows",
           "add_arguments", "run"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1320px;
color:#222;background:#fafafa;padding:0 16px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.sub{color:#666;margin:0 0 12px} .charts{display:flex;flex-wrap:wrap;gap:12px}
.charts svg,.cm svg{background:#fff;border:1px solid #ddd;height:auto}
.charts svg{flex:1 1 480px;max-width:640px}
table{border-collapse:collapse;font-size:13px;background:#fff}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right} th{background:#f0f0f0}
td.k,th.k{text-align:left} .best{font-weight:bold;background:#eef6ee}
pre{background:#fff;border:1px solid #ddd;padding:10px;overflow-x:auto;font-size:12px}
.note{color:#a33}
"""


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _fmt(key: str, v: Any) -> str:
    """A metric for a table: accuracies in [0, 1] as percent, other floats to 4 significant."""
    x = _num(v)
    if math.isnan(x):
        return "" if v in (None, "") else str(v)
    if key == "epoch" or (x == int(x) and abs(x) < 1e9 and "loss" not in key):
        return str(int(x))
    if "acc" in key and 0.0 <= x <= 1.0:
        return f"{100 * x:.2f}%"
    return format(x, ".4g")


def read_metrics_rows(path: str | os.PathLike) -> list[dict[str, str]]:
    """Rows of a metrics CSV as dicts of strings (extra or missing columns are fine)."""
    with open(path, newline="", encoding="utf-8") as f:
        return [dict(r) for r in csv.DictReader(f)]


def write_confusion(run_dir: str | os.PathLike, cm: Any,
                    labels: Sequence[Any] | None = None) -> Path:
    """Write ``confusion.json`` ({"labels", "matrix"}) and ``confusion.png``; returns the JSON."""
    run_dir = Path(run_dir)
    m = np.asarray(cm)
    names = [str(s) for s in labels] if labels is not None else [str(i) for i in range(len(m))]
    confusion_matrix_png(run_dir / "confusion.png", m, names)   # validates the matrix too
    path = run_dir / "confusion.json"
    atomic_write(path, json.dumps({"labels": names, "matrix": m.tolist()}) + "\n", fsync=False)
    return path


def _read(run_dir: Path) -> tuple[dict[str, Any], list[str]]:
    """Everything the report shows; problems become notes instead of errors."""
    got: dict[str, Any] = {"config": {}, "rows": [], "summary": "", "cm": None, "test": {}}
    notes: list[str] = []
    for key, name, load in (
            ("config", "config.json", lambda p: json.loads(p.read_text("utf-8"))),
            ("rows", "metrics.csv", read_metrics_rows),
            ("summary", "summary.txt", lambda p: p.read_text("utf-8", errors="replace")),
            ("cm", "confusion.json", lambda p: json.loads(p.read_text("utf-8"))),
            ("test", "test.json", lambda p: json.loads(p.read_text("utf-8")))):
        path = run_dir / name
        if path.is_file():
            try:
                got[key] = load(path)
            except (OSError, ValueError, csv.Error) as e:
                notes.append(f"could not read {name}: {e}")
    for key, kind in (("config", dict), ("test", dict), ("cm", (dict, type(None)))):
        if not isinstance(got[key], kind):
            notes.append(f"{key} file does not hold a JSON object; ignored")
            got[key] = {} if kind is dict else None
    return got, notes


def _table(header: Sequence[str], rows: Sequence[Sequence[str]],
           marked: set[int] | None = None) -> str:
    """An HTML table; cells are already-escaped strings, rows in ``marked`` are highlighted."""
    head = "".join(f'<th class="{"k" if i == 0 else ""}">{h}</th>' for i, h in enumerate(header))
    body = []
    for r, row in enumerate(rows):
        cls = ' class="best"' if marked and r in marked else ""
        cells = "".join(f'<td class="{"k" if i == 0 else ""}">{c}</td>' for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _inline(svg: str) -> str:
    """SVG for inline use in HTML5, where the namespace declaration is implied."""
    return svg.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)


def _results(rows: list[dict[str, Any]], test: Mapping[str, Any]) -> tuple[str, set[int]]:
    """Best and final metrics (and test metrics) as a table; the best epoch's row index."""
    out: list[list[str]] = []
    best: set[int] = set()
    acc = np.array([_num(r.get("val_acc")) for r in rows])
    loss = np.array([_num(r.get("val_loss")) for r in rows])
    epoch = [escape(str(r.get("epoch", i + 1))) for i, r in enumerate(rows)]
    if np.isfinite(acc).any():
        i = int(np.nanargmax(acc))
        best.add(i)
        out.append(["best val accuracy", _fmt("val_acc", acc[i]), epoch[i]])
    if np.isfinite(loss).any():
        i = int(np.nanargmin(loss))
        out.append(["lowest val loss", _fmt("val_loss", loss[i]), epoch[i]])
    if rows:
        last = rows[-1]
        for k in ("train_loss", "train_acc", "val_loss", "val_acc"):
            if not math.isnan(_num(last.get(k))):
                out.append([f"final {k.replace('_', ' ')}", _fmt(k, last[k]),
                            escape(str(last.get("epoch", len(rows))))])
    for k, v in test.items():
        out.append([escape(str(k).replace("_", " ")), escape(_fmt(str(k), v)), "test"])
    if not out:
        return "<p>No metrics yet.</p>", best
    return _table(["metric", "value", "epoch"], out), best


def write_report(run_dir: str | os.PathLike) -> Path:
    """Write the PNG plots and the self-contained ``report.html`` of a run folder; returns it."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"write_report: no run folder at {run_dir}")
    got, notes = _read(run_dir)
    cfg, rows = got["config"], got["rows"]
    model = cfg.get("model", "model")
    data = cfg.get("data", cfg.get("dataset", "data"))
    title = f"{model} on {data}"
    parts = [f"<h1>{escape(title)}</h1>",
             f'<p class="sub">run {escape(run_dir.resolve().name)} &middot; {len(rows)} epochs '
             f"&middot; report written {datetime.datetime.now():%Y-%m-%d %H:%M}</p>"]
    parts += [f'<p class="note">{escape(n)}</p>' for n in notes]
    results, best = _results(rows, got["test"])
    parts += ["<h2>Results</h2>", results]

    loss, acc = curves_from_metrics(rows) if rows else ({}, {})
    charts = []
    for name, series, ylabel in (("loss", loss, "loss"), ("acc", acc, "accuracy")):
        if series:
            kw = dict(title=ylabel, xlabel="epoch", ylabel=ylabel)
            write_png(run_dir / f"curves_{name}.png", line_chart(series, **kw))
            charts.append(_inline(line_chart_svg(series, **kw)))
    if charts:
        parts += ["<h2>Curves</h2>", f'<div class="charts">{"".join(charts)}</div>']

    cm = got["cm"]
    if cm is not None:
        try:
            confusion_matrix_png(run_dir / "confusion.png", cm.get("matrix"), cm.get("labels"))
            svg = _inline(confusion_matrix_svg(cm.get("matrix"), cm.get("labels")))
            parts += ["<h2>Confusion matrix</h2>", f'<div class="cm">{svg}</div>']
        except ValueError as e:
            parts.append(f'<p class="note">confusion.json: {escape(str(e))}</p>')

    if cfg:
        kv = [[escape(str(k)), escape(v if isinstance(v, str) else json.dumps(v))]
              for k, v in cfg.items()]
        parts += ["<h2>Configuration</h2>", _table(["setting", "value"], kv)]
    if rows:
        cols = list(dict.fromkeys(k for r in rows for k in r if k is not None))
        body = [[escape(_fmt(c, r.get(c))) for c in cols] for r in rows]
        parts += ["<h2>Metrics per epoch</h2>", _table([escape(c) for c in cols], body, best)]
    if got["summary"]:
        parts += ["<h2>Model summary</h2>", f"<pre>{escape(got['summary'])}</pre>"]
    path = run_dir / "report.html"
    atomic_write(path, _page(f"shenjing: {title}", parts), fsync=False)
    return path


def _page(title: str, parts: Sequence[str]) -> str:
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def write_experiment_report(out_dir: str | os.PathLike,
                            runs: Mapping[str, Sequence[Mapping[str, Any]]],
                            title: str = "experiment") -> Path:
    """Every run's train (dashed) and val (solid) curves on one loss and one accuracy chart.

    ``runs`` maps a label (e.g. ``"lr=0.01"``) to its metrics rows. Writes experiment.png (the
    two charts side by side) and experiment.html (the charts and a table of best metrics).
    """
    out_dir = Path(out_dir)
    if not runs:
        raise ValueError("write_experiment_report: expected at least one run, got none")
    out_dir.mkdir(parents=True, exist_ok=True)
    merged: list[dict[str, Any]] = [{}, {}]
    colors: dict[str, int] = {}
    dashed: list[str] = []
    table = []
    for i, (label, rows) in enumerate(runs.items()):
        for out, curves in zip(merged, curves_from_metrics(rows) if rows else ({}, {})):
            for split, xy in curves.items():
                name = f"{label} {split}"
                out[name], colors[name] = xy, i
                if split == "train":
                    dashed.append(name)
        res = {k: np.array([_num(r.get(k)) for r in rows]) for k in ("val_acc", "val_loss")}
        best_acc = np.nanmax(res["val_acc"]) if np.isfinite(res["val_acc"]).any() else ""
        low = np.nanmin(res["val_loss"]) if np.isfinite(res["val_loss"]).any() else ""
        last = rows[-1] if rows else {}
        table.append([escape(str(label)), str(len(rows)), _fmt("val_acc", best_acc),
                      _fmt("val_loss", low), _fmt("val_acc", last.get("val_acc"))])
    images, svgs = [], []
    for series, ylabel in zip(merged, ("loss", "accuracy")):
        if series:
            kw = dict(title=f"{title}: {ylabel}", xlabel="epoch", ylabel=ylabel,
                      colors=colors, dashed=dashed)
            images.append(line_chart(series, **kw))
            svgs.append(_inline(line_chart_svg(series, **kw)))
    if images:
        write_png(out_dir / "experiment.png", np.concatenate(images, axis=1))
    parts = [f"<h1>{escape(title)}</h1>",
             '<p class="sub">train curves dashed, validation curves solid</p>',
             f'<div class="charts">{"".join(svgs)}</div>' if svgs else "<p>No metrics.</p>",
             "<h2>Runs</h2>",
             _table(["run", "epochs", "best val acc", "lowest val loss", "final val acc"], table)]
    path = out_dir / "experiment.html"
    atomic_write(path, _page(f"shenjing: {title}", parts), fsync=False)
    return path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", help="run folder to (re)write report.html and the plots for")


def run(args: argparse.Namespace) -> int:
    """``shenjing report RUN``: rewrite a run's report and print where it is."""
    print(write_report(args.run_dir))
    return 0
