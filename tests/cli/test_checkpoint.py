"""Checkpoint sets: round trip, clear errors on damage, and survival of SIGKILL mid-write."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shenjing import tensor
from shenjing.cli.checkpoint import (CheckpointError, load_checkpoint, load_weights,
                                     save_checkpoint, save_weights)


def _set(folder, value, n=16):
    model = {"w": tensor(np.full((n, n), value, np.float32)), "b": tensor(np.arange(3.0))}
    opt = {"state": {0: {"step": tensor(float(value)), "m": tensor(np.ones(4) * value)}},
           "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1]}]}
    meta = {"epoch": int(value), "step": 0, "rng": {"state": 2**100 + 7}, "best": 0.5}
    return save_checkpoint(folder, model, opt, meta)


def test_round_trip(tmp_path):
    _set(tmp_path / "last", 3)
    model, opt, meta = load_checkpoint(tmp_path / "last")
    np.testing.assert_array_equal(model["w"].numpy(), np.full((16, 16), 3, np.float32))
    assert opt["param_groups"][0]["betas"] == (0.9, 0.999)
    assert float(opt["state"][0]["step"].item()) == 3.0
    assert meta["epoch"] == 3 and meta["rng"]["state"] == 2**100 + 7


def test_a_new_set_replaces_the_old_files(tmp_path):
    for v in range(3):
        _set(tmp_path / "last", v)
    names = sorted(p.name for p in (tmp_path / "last").iterdir())
    assert len(names) == 3 and "state.json" in names
    assert load_checkpoint(tmp_path / "last")[2]["epoch"] == 2


@pytest.mark.parametrize("n", range(1, 40))
def test_every_header_length_loads(tmp_path, n):
    # shenjing.load reads a first byte 0x80 as a pickle; the writer pads around it
    save_weights({"k" * n: tensor(np.zeros(n, np.float32))}, tmp_path / "w.safetensors")
    assert list(load_weights(tmp_path / "w.safetensors")) == ["k" * n]


def _model_file(folder):
    return next(p for p in folder.iterdir() if p.name.startswith("model-"))


def test_truncated_file_is_a_clear_error(tmp_path):
    _set(tmp_path / "last", 1)
    f = _model_file(tmp_path / "last")
    f.write_bytes(f.read_bytes()[:-10])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(tmp_path / "last")


def test_tampered_file_is_a_clear_error(tmp_path):
    _set(tmp_path / "last", 1)
    f = _model_file(tmp_path / "last")
    raw = bytearray(f.read_bytes())
    raw[-5] ^= 0xFF
    f.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="SHA-256 mismatch"):
        load_checkpoint(tmp_path / "last")


def test_missing_or_broken_state_json(tmp_path):
    with pytest.raises(CheckpointError, match="no state.json"):
        load_checkpoint(tmp_path)
    _set(tmp_path / "last", 1)
    state = tmp_path / "last" / "state.json"
    state.write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(tmp_path / "last")
    state.write_text(json.dumps({"format": "shenjing-checkpoint/1", "meta": {},
                                 "files": {"model": {"name": "../x"}}}))
    with pytest.raises(CheckpointError, match="bad entry"):
        load_checkpoint(tmp_path / "last")
    _set(tmp_path / "last", 2)
    _model_file(tmp_path / "last").unlink()
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(tmp_path / "last")


def test_truncated_weights_file(tmp_path):
    save_weights({"w": tensor(np.ones(5, np.float32))}, tmp_path / "best.safetensors")
    raw = (tmp_path / "best.safetensors").read_bytes()
    (tmp_path / "best.safetensors").write_bytes(raw[:len(raw) // 2])
    with pytest.raises(CheckpointError):
        load_weights(tmp_path / "best.safetensors")
    with pytest.raises(CheckpointError, match="no weights file"):
        load_weights(tmp_path / "nothing.safetensors")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(["model", "optimizer", "state"]), pos=st.floats(0, 1),
       data=st.binary(min_size=0, max_size=8), cut=st.booleans())
def test_fuzzed_damage_gives_only_checkpoint_errors(tmp_path, target, pos, data, cut):
    folder = tmp_path / "fuzz"
    _set(folder, 4, n=4)
    f = folder / "state.json" if target == "state" else next(
        p for p in folder.iterdir() if p.name.startswith(target + "-"))
    raw = f.read_bytes()
    i = int(pos * len(raw))
    f.write_bytes(raw[:i] if cut else raw[:i] + data + raw[i + len(data):])
    try:
        model, opt, _ = load_checkpoint(folder)
    except CheckpointError:
        return
    # it loaded: the damage missed the hashed tensors (or rewrote bytes with their own
    # values), so they must be exactly what was saved
    np.testing.assert_array_equal(model["w"].numpy(), np.full((4, 4), 4, np.float32))
    np.testing.assert_array_equal(model["b"].numpy(), np.arange(3.0))
    np.testing.assert_array_equal(opt["state"][0]["m"].numpy(), np.ones(4) * 4)


_WRITER = """
import sys
import numpy as np
from shenjing import tensor
from shenjing.cli.checkpoint import save_checkpoint
folder = sys.argv[1]
v = int(sys.argv[2])
while True:
    v += 1
    save_checkpoint(folder, {"w": tensor(np.full((300, 300), v, np.float32))},
                    {"state": {}, "param_groups": []}, {"epoch": v, "step": 0})
    print("saved", flush=True)  # the test kills us after the first of these, mid-write
"""


@pytest.mark.slow
def test_sigkill_during_writes_leaves_a_loadable_checkpoint(tmp_path):
    folder = tmp_path / "last"
    rng = np.random.default_rng(0)
    start = 0
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(folder), str(start)],
                                stdout=subprocess.PIPE, text=True,
                                cwd=Path(__file__).resolve().parents[2])
        assert proc.stdout.readline().strip() == "saved"  # one new checkpoint committed
        time.sleep(float(rng.uniform(0, 0.4)))  # then a kill at a random point
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        model, _, meta = load_checkpoint(folder)  # must not raise
        w = model["w"].numpy()
        assert np.all(w == meta["epoch"]) and meta["epoch"] > start
        start = meta["epoch"]
