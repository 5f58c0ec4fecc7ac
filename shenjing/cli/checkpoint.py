"""Training checkpoints you can trust: atomic files, one atomic commit, verified on load.

A checkpoint set is a folder (``<run>/checkpoints/last``)::

    model-<tag>.safetensors       weights (shenjing.save: safetensors layout, no pickle)
    optimizer-<tag>.safetensors   optimizer state (its arrays in safetensors, the rest as JSON)
    state.json                    run metadata (epoch, step, best metric, RNG states, scheduler
                                  state) + the name, size and SHA-256 of the two files above

Every file is written to a temporary file and renamed. The new weights and optimizer state go
to fresh names first; writing ``state.json`` (renamed over the old one) is the single commit.
Files of the previous set are deleted only after the commit, so a SIGKILL at any moment leaves
a ``state.json`` whose files exist and match their hashes: the previous or the new checkpoint.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from .. import serialization
from ..serialization import CheckpointError
from ..utils.atomic import atomic_write

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "save_weights",
           "load_weights", "write_atomic", "FORMAT"]

FORMAT = "shenjing-checkpoint/1"


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a fsynced temporary file in the same folder + rename
    (mode 0o644, whatever the umask)."""
    atomic_write(path, data, mode=0o644)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _save(obj: dict, path: str | os.PathLike) -> None:
    """shenjing.save of ``{"state": obj, "pad": ...}``, padded so the file never starts with
    byte 0x80: shenjing.load takes that first byte for a pickle (a header length of 128 mod
    256), so the pad string is lengthened until the header length avoids it."""
    for k in range(0, 64, 8):
        serialization.save({"kind": FORMAT, "pad": " " * k, "state": obj}, path)
        with open(path, "rb") as fh:
            if fh.read(1) != b"\x80":
                return
    raise RuntimeError(f"checkpoint: could not write {path} in a loadable layout")


def _load(path: Path) -> dict:
    obj = serialization.load(path, map_location="cpu")  # the trainer moves what it needs
    if not isinstance(obj, dict) or obj.get("kind") != FORMAT or not isinstance(
            obj.get("state"), dict):
        raise CheckpointError(f"checkpoint: {path} is not a shenjing training checkpoint file")
    return obj["state"]


def save_weights(model_state: dict, path: str | os.PathLike) -> None:
    """A model ``state_dict`` as one safetensors file (atomic)."""
    _save(dict(model_state), path)


def load_weights(path: str | os.PathLike) -> dict:
    """The state dict saved by :func:`save_weights`; a bad file raises CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint: no weights file at {path}")
    return _load(path)


def save_checkpoint(folder: str | os.PathLike, model_state: dict, optimizer_state: dict,
                    meta: dict[str, Any]) -> Path:
    """Write a checkpoint set into ``folder`` and commit it atomically; returns state.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"e{int(meta.get('epoch', 0)):04d}s{int(meta.get('step', 0)):05d}-{time.time_ns():x}"
    files = {"model": f"model-{tag}.safetensors", "optimizer": f"optimizer-{tag}.safetensors"}
    _save(dict(model_state), folder / files["model"])
    _save(optimizer_state, folder / files["optimizer"])
    record = {"format": FORMAT, "meta": meta,
              "files": {k: {"name": v, "bytes": (folder / v).stat().st_size,
                            "sha256": _sha256(folder / v)} for k, v in files.items()}}
    state_path = folder / "state.json"
    write_atomic(state_path, json.dumps(record, indent=1, sort_keys=True))
    keep = set(files.values()) | {"state.json"}
    for p in folder.iterdir():  # the previous set and leftovers of killed writes
        if p.name not in keep and (p.suffix in (".safetensors", ".tmp")):
            try:
                p.unlink()
            except OSError:
                pass
    return state_path


def _bad(folder: Path, msg: str) -> CheckpointError:
    return CheckpointError(f"checkpoint {folder}: {msg}")


def load_checkpoint(folder: str | os.PathLike) -> tuple[dict, dict, dict[str, Any]]:
    """(model_state, optimizer_state, meta) of the committed set in ``folder``.

    Checks the format tag, each file's size and SHA-256 before parsing it; any mismatch,
    truncation or missing file raises :class:`CheckpointError` naming the file.
    """
    folder = Path(folder)
    state_path = folder / "state.json"
    if not state_path.is_file():
        raise _bad(folder, "no state.json (not a checkpoint folder, or no checkpoint was "
                           "committed yet)")
    try:
        record = json.loads(state_path.read_text("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _bad(folder, f"state.json is not valid JSON ({e})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise _bad(folder, f"state.json has no {FORMAT!r} format tag")
    files, meta = record.get("files"), record.get("meta")
    if not isinstance(files, dict) or not isinstance(meta, dict):
        raise _bad(folder, "state.json lacks its 'files' or 'meta' section")
    loaded = {}
    for key in ("model", "optimizer"):
        info = files.get(key)
        if not isinstance(info, dict) or not isinstance(info.get("name"), str) \
                or "/" in info["name"] or "\\" in info["name"] or info["name"].startswith("."):
            raise _bad(folder, f"state.json: bad entry for the {key} file")
        path = folder / info["name"]
        if not path.is_file():
            raise _bad(folder, f"the {key} file {info['name']} is missing")
        size = path.stat().st_size
        if size != info.get("bytes"):
            raise _bad(folder, f"{info['name']} has {size} bytes, state.json says "
                               f"{info.get('bytes')} (truncated or replaced)")
        if _sha256(path) != info.get("sha256"):
            raise _bad(folder, f"{info['name']}: SHA-256 mismatch (the file was modified)")
        loaded[key] = _load(path)
    return loaded["model"], loaded["optimizer"], meta
