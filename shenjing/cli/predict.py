"""``shenjing predict RUN FILES...``: the class and probability of each input.

Inputs: images (PNG, JPEG, ...; needs Pillow), .npy arrays (one sample, or a batch along the
first axis) and .csv files (one sample per row, with the training table's feature columns or
the image's pixel count). Images are converted to the run's channels and size.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..ops.creation import from_numpy
from .runs import DEFAULT_ROOT, resolve_run

__all__ = ["add_arguments", "run", "load_inputs"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="run folder, or a run name under --root ('latest' works)")
    p.add_argument("files", nargs="+", help="images, .npy arrays or .csv files")
    p.add_argument("--root", default=DEFAULT_ROOT)
    p.add_argument("--checkpoint", choices=["best", "last"], default="best")
    p.add_argument("--invert", action="store_true",
                   help="invert image brightness (dark ink on white paper -> digits' style)")
    p.add_argument("--top", type=int, default=1, help="show the k most likely classes")


def _image(path: Path, shape: tuple[int, ...], invert: bool) -> np.ndarray:
    try:
        from PIL import Image  # noqa: PLC0415
    except ImportError:
        raise ValueError(f"predict: reading {path.name} needs Pillow (pip install pillow)") \
            from None
    from .data import image_to_array  # noqa: PLC0415

    try:
        with Image.open(path) as im:
            arr = image_to_array(im, tuple(shape[1:]), shape[0])
    except OSError as e:
        raise ValueError(f"predict: cannot read image {path}: {e}") from None
    return (1.0 - arr if invert else arr)[None]


def _reshape(arr: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    size = int(np.prod(shape))
    arr = np.asarray(arr, dtype=np.float32)
    if arr.size % size:
        raise ValueError(f"predict: {what} holds {arr.size} values, not a multiple of the "
                         f"model's input {shape} ({size} values)")
    return arr.reshape(-1, *shape)


def load_inputs(path: Path, cfg: dict[str, Any], invert: bool = False) -> np.ndarray:
    """The samples in one file as a float32 batch of the run's input shape."""
    shape = tuple(cfg["input_shape"])
    info = cfg.get("data_info") or {}
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ValueError(f"predict: no file {path}")
    if suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except ValueError as e:
            raise ValueError(f"predict: {path} is not a plain .npy array: {e}") from None
        return _reshape(arr, shape, str(path))
    if suffix == ".csv":
        if "features" in info:  # a table run: pick the feature columns, standardise
            from .data import read_csv_table  # noqa: PLC0415

            header = [h.strip() for h in path.read_text("utf-8").splitlines()[0].split(",")]
            feats, x, _ = read_csv_table(path, info["target"]) \
                if info.get("target") in header else _features_only(path)
            if feats != info["features"]:
                raise ValueError(f"predict: {path} has columns {feats}, the model was trained "
                                 f"on {info['features']}")
            return ((x - np.array(info["mean"])) / np.array(info["std"])).astype(np.float32)
        return _reshape(np.loadtxt(path, delimiter=",", ndmin=2), shape, str(path))
    if len(shape) != 3:
        raise ValueError(f"predict: the model takes feature vectors; give .csv or .npy, not "
                         f"{path.name}")
    return _image(path, shape, invert)


def _features_only(path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    header = path.read_text("utf-8").splitlines()[0].split(",")
    x = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2).astype(np.float32)
    return [h.strip() for h in header], x, []


def run(args: argparse.Namespace) -> int:
    from ..nn import functional as F  # noqa: PLC0415
    from .evaluate import load_run_model  # noqa: PLC0415

    run_dir = resolve_run(args.run, args.root)
    model, cfg = load_run_model(run_dir, args.checkpoint)
    names = cfg["class_names"]
    status = 0
    for f in args.files:
        try:
            x = load_inputs(Path(f), cfg, args.invert)
        except ValueError as e:
            print(f"{f}: error: {e}")
            status = 1
            continue
        with no_grad():
            prob = F.softmax(model(from_numpy(x)), dim=1).numpy()
        for i, p in enumerate(prob):
            order = np.argsort(-p)[:max(args.top, 1)]
            where = f"{f}[{i}]" if len(prob) > 1 else f
            guesses = ", ".join(f"{names[k]} ({p[k]:.3f})" for k in order)
            print(f"{where}: {guesses}")
    return status
