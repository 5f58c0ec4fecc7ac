"""Saving Keras models with no pickle: ``.keras`` zips (config.json, metadata.json and the
weights in safetensors layout) and ``.weights.h5`` / ``.safetensors`` weight files.

Files are written atomically (a temporary file renamed into place); loading rebuilds the
architecture from its config, then copies the weights in ``model.weights`` order.
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from typing import Any

import numpy as np

from ..utils.atomic import atomic_write

__all__ = ["save_model", "load_model", "save_weights", "load_weights",
           "register_keras_serializable"]


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Decorator registering a custom layer class so saved configs can name it."""
    from .layers import register  # noqa: PLC0415

    return register


_WEIGHTS = "model.weights.safetensors"


def _weights_blob(model: Any) -> bytes:
    from ..serialization import save as sj_save  # noqa: PLC0415

    ws = model.weights
    buf = io.BytesIO()
    sj_save({"paths": [getattr(w, "_keras_path", f"weight_{i}") for i, w in enumerate(ws)],
             "weights": [np.ascontiguousarray(w._data) for w in ws]}, buf)
    return buf.getvalue()


def _assign_weights(model: Any, data: Any, skip_mismatch: bool = False) -> None:
    if not isinstance(data, dict) or "weights" not in data:
        raise ValueError("load_weights: the file holds no Keras weights (expected the layout "
                         "written by save_weights / save)")
    arrays, paths = data["weights"], data.get("paths", [])
    ws = model.weights
    if len(arrays) != len(ws):
        raise ValueError(f"load_weights: the file holds {len(arrays)} weights but model "
                         f"'{model.name}' has {len(ws)}: the architectures differ")
    for i, (w, a) in enumerate(zip(ws, arrays)):
        a = np.asarray(a)
        if a.shape != w._data.shape:
            if skip_mismatch:
                continue
            src = paths[i] if i < len(paths) else f"weight {i}"
            raise ValueError(f"load_weights: weight {getattr(w, '_keras_path', i)} of model "
                             f"'{model.name}' has shape {w._data.shape}, but the file's "
                             f"{src} has shape {a.shape}")
        w._data[...] = a


def _atomic_write(path: str, data: bytes, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False")
    atomic_write(path, data)


def _compile_config(model: Any) -> dict | None:
    args = getattr(model, "_compile_args", None)
    if not args:
        return None

    def ser(v: Any, kind: str) -> Any:
        if v is None or isinstance(v, (str, int, float, bool)):
            return v
        if isinstance(v, (list, tuple)):
            return [ser(e, kind) for e in v]
        if isinstance(v, dict):
            return {k: ser(e, kind) for k, e in v.items()}
        try:
            import importlib  # noqa: PLC0415

            return importlib.import_module(f"shenjing.keras.{kind}").serialize(v)
        except Exception:  # noqa: BLE001 - an unserializable object: recompile by hand
            raise TypeError(f"cannot serialize {v!r}") from None

    try:
        return {"optimizer": ser(args["optimizer"], "optimizers"),
                "loss": ser(args["loss"], "losses"), "loss_weights": args["loss_weights"],
                "metrics": ser(args["metrics"], "metrics"),
                "weighted_metrics": ser(args["weighted_metrics"], "metrics")}
    except TypeError:
        return None


def save_model(model: Any, filepath: str, overwrite: bool = True) -> None:
    """Write ``filepath`` (``.keras``): a zip of config.json, metadata.json and the weights."""
    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        raise ValueError("Invalid filepath extension for saving. Please add a `.keras` "
                         f"extension for the native Keras format. Received: filepath={path}")
    if not model.built:
        raise ValueError(f"Model '{model.name}' has not been built yet; build it (call it on "
                         "data, or `build(input_shape)`) before saving.")
    shape = model._build_input_shape
    from .models import _class_name  # noqa: PLC0415 - models imports this module

    config = {"class_name": _class_name(model), "config": model.get_config(),
              "compile_config": _compile_config(model),
              "build_config": {"input_shape": shape if shape is None else
                               json.loads(json.dumps(shape))}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("metadata.json", json.dumps({"keras_version": "3", "framework":
                                                 "shenjing"}))
        zf.writestr(_WEIGHTS, _weights_blob(model))
    _atomic_write(path, buf.getvalue(), overwrite)


def _read_keras_zip(path: str) -> tuple[dict, bytes]:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "config.json" not in names or _WEIGHTS not in names:
                raise ValueError(f"{path} is not a shenjing .keras file (no config.json / "
                                 f"{_WEIGHTS} inside)")
            return json.loads(zf.read("config.json")), zf.read(_WEIGHTS)
    except zipfile.BadZipFile:
        raise ValueError(f"{path} is not a .keras zip archive") from None


def load_model(filepath: str, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    """Rebuild a model saved by ``model.save('x.keras')``: architecture, weights, compile."""
    from ..serialization import load as sj_load  # noqa: PLC0415

    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise ValueError(f"File not found: filepath={path}. Please ensure the file is an "
                         "accessible `.keras` zip file.")
    from .models import model_from_config  # noqa: PLC0415 - models imports this module

    config, blob = _read_keras_zip(path)
    model = model_from_config(config, custom_objects)
    shape = (config.get("build_config") or {}).get("input_shape")
    if not model.built and shape is not None:
        model.build(tuple(shape) if shape and not isinstance(shape[0], list) else
                    [tuple(s) for s in shape])
    _assign_weights(model, sj_load(io.BytesIO(blob)))
    cc = config.get("compile_config")
    if compile and cc:
        model.compile(**cc)
    return model


def save_weights(model: Any, filepath: str, overwrite: bool = True) -> None:
    """Write the weights in shenjing's safetensors layout (``.weights.h5`` names accepted)."""
    path = os.fspath(filepath)
    if not (path.endswith(".weights.h5") or path.endswith(".safetensors")):
        raise ValueError("The filename must end in `.weights.h5` (shenjing writes its safe "
                         f"safetensors layout under that name) or `.safetensors`. Received: "
                         f"filepath={path}")
    _atomic_write(path, _weights_blob(model), overwrite)


def load_weights(model: Any, filepath: str, skip_mismatch: bool = False) -> None:
    """Copy weights from ``save_weights``'s file or a ``.keras`` archive into ``model``."""
    from ..serialization import load as sj_load  # noqa: PLC0415

    path = os.fspath(filepath)
    if path.endswith(".keras"):
        _, blob = _read_keras_zip(path)
        data = sj_load(io.BytesIO(blob))
    else:
        data = sj_load(path)
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built: build it before load_weights so "
                         "its weights exist")
    _assign_weights(model, data, skip_mismatch)
