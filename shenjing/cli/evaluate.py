"""``shenjing evaluate RUN``: test loss, accuracy and confusion matrix of a trained run.

Also the pieces training shares: batched evaluation, the confusion matrix and the run's
pictures (curves, confusion matrix, TensorBoard-free report) written after each run.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from .. import nn
from ..autograd.grad_mode import no_grad
from ..ops.creation import from_numpy
from .checkpoint import CheckpointError, load_checkpoint, load_weights, write_atomic
from .runs import DEFAULT_ROOT, read_config, read_metrics, resolve_run

__all__ = ["evaluate_arrays", "confusion_matrix", "write_artifacts", "load_run_model",
           "write_summary", "open_writer", "log_scalars", "close_writer",
           "add_arguments", "run"]


def evaluate_arrays(model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 512
                    ) -> tuple[float, float, np.ndarray]:
    """(mean cross-entropy, accuracy, predicted classes) of ``model`` in eval mode."""
    was_training = model.training
    model.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total, preds = 0.0, []
    first = next(iter(model.parameters()), None)
    dev = first.device if first is not None else None
    with no_grad():
        for i in range(0, len(x), batch_size):
            xb, yb = from_numpy(x[i:i + batch_size]), from_numpy(y[i:i + batch_size])
            if dev is not None and dev.type != "cpu":
                xb, yb = xb.to(dev), yb.to(dev)
            logits = model(xb)
            total += float(loss_fn(logits, yb).item())
            preds.append(logits.cpu().numpy().argmax(1))
    model.train(was_training)
    pred = np.concatenate(preds) if preds else np.zeros(0, np.int64)
    n = max(len(x), 1)
    return total / n, float((pred == y).mean()) if len(y) else 0.0, pred


def confusion_matrix(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """counts[i, j] = how many of class i were predicted as j."""
    return np.bincount(y * k + pred, minlength=k * k).reshape(k, k)


def write_artifacts(run_dir: Path, cm: np.ndarray | None, class_names: list[str],
                    test: dict[str, float] | None = None) -> list[str]:
    """test.json, confusion.json, the curve / confusion PNGs and report.html of a run.

    The report module draws curves_loss.png, curves_acc.png and confusion.png; without it the
    plot module draws them here. Returns notes about anything that could not be made.
    """
    notes: list[str] = []
    if test is not None:
        write_atomic(run_dir / "test.json", json.dumps(test, indent=1) + "\n")
    if cm is not None:
        write_atomic(run_dir / "confusion.json",
                     json.dumps({"labels": class_names, "matrix": cm.tolist()}) + "\n")
    try:
        from .report import write_report  # noqa: PLC0415
    except ImportError:
        notes.append("report.html skipped: shenjing.cli.report is not available")
    else:
        try:
            write_report(run_dir)
            return notes
        except Exception as e:  # noqa: BLE001 - a broken report must not lose the run
            notes.append(f"report.html failed: {type(e).__name__}: {e}")
    try:
        from ..utils.plot import confusion_matrix_png, curves_from_metrics, \
            line_chart_png  # noqa: PLC0415
    except ImportError:
        notes.append("plots skipped: shenjing.utils.plot is not available")
        return notes
    history = read_metrics(run_dir)
    if history:
        for name, series in zip(("loss", "acc"), curves_from_metrics(history)):
            line_chart_png(run_dir / f"curves_{name}.png", series, title=name, xlabel="epoch",
                           ylabel=name)
    if cm is not None:
        confusion_matrix_png(run_dir / "confusion.png", cm, class_names)
    return notes


def write_summary(run_dir: Path, model: nn.Module, input_shape: tuple) -> None:
    from ..explain import summary  # noqa: PLC0415

    try:
        text = str(summary(model, tuple(input_shape)))
    except Exception as e:  # noqa: BLE001 - the summary is a courtesy, not the run
        text = f"{model}\n(summary failed: {type(e).__name__}: {e})"
    write_atomic(run_dir / "summary.txt", text + "\n")


def open_writer(run_dir: Path) -> Any:
    try:
        from ..utils.tensorboard import SummaryWriter  # noqa: PLC0415
    except ImportError:
        return None
    return SummaryWriter(str(run_dir / "tensorboard"))


def log_scalars(writer: Any, row: dict[str, float]) -> None:
    if writer is None:
        return
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        split, _, name = key.partition("_")
        writer.add_scalar(f"{name}/{split}" if name else key, row[key], row["epoch"])
    writer.flush()


def close_writer(writer: Any) -> None:
    if writer is not None:
        writer.close()


def load_run_model(run_dir: Path, which: str = "best") -> tuple[nn.Module, dict[str, Any]]:
    """The run's model with its ``best`` or ``last`` weights, and its config."""
    from .train import build_model  # noqa: PLC0415

    cfg = read_config(run_dir)
    model = build_model(cfg["model"], tuple(cfg["input_shape"]), len(cfg["class_names"]),
                        cfg.get("model_options", {}))
    if which == "best" and (run_dir / "checkpoints" / "best.safetensors").is_file():
        state = load_weights(run_dir / "checkpoints" / "best.safetensors")
    else:
        state, _, _ = load_checkpoint(run_dir / "checkpoints" / "last")
    model.load_state_dict(state)
    model.eval()
    return model, cfg


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="run folder, or a run name under --root ('latest' works)")
    p.add_argument("--root", default=DEFAULT_ROOT)
    p.add_argument("--checkpoint", choices=["best", "last"], default="best")
    p.add_argument("--split", choices=["test", "val", "train"], default="test")


def run(args: argparse.Namespace) -> int:
    from .data import load_data  # noqa: PLC0415

    run_dir = resolve_run(args.run, args.root)
    try:
        model, cfg = load_run_model(run_dir, args.checkpoint)
    except CheckpointError as e:
        print(f"shenjing evaluate: {e}")
        return 1
    data = load_data(cfg["data"], seed=cfg["seed"], val_fraction=cfg["val_fraction"],
                     target=cfg.get("target"), image_size=cfg.get("image_size", 32))
    x, y = getattr(data, args.split)
    loss, acc, pred = evaluate_arrays(model, x, y)
    cm = confusion_matrix(y, pred, data.num_classes)
    print(f"{run_dir} ({cfg['model']} on {cfg['data']}, {args.checkpoint} weights)")
    print(f"{args.split} loss {loss:.4f} | {args.split} accuracy {acc:.4f} ({acc * 100:.2f}%) "
          f"on {len(y)} samples")
    width = max(4, *(len(c) for c in data.class_names))
    print("confusion matrix (rows: true class, columns: predicted)")
    print(" " * width + "".join(f"{c[:width]:>{width + 1}}" for c in data.class_names))
    for name, row in zip(data.class_names, cm):
        print(f"{name[:width]:>{width}}" + "".join(f"{v:>{width + 1}d}" for v in row))
    write_atomic(run_dir / f"evaluation_{args.split}.json", json.dumps(
        {"checkpoint": args.checkpoint, "split": args.split, "loss": loss, "accuracy": acc,
         "labels": data.class_names, "confusion_matrix": cm.tolist()}, indent=1))
    return 0
