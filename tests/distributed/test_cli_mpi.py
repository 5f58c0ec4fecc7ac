"""``mpiexec -n 2 shenjing train``: data-parallel with no other change to the command.

The MPI tests launch two ranks (a few seconds each: two Python start-ups) and are skipped when
mpiexec or mpi4py is missing. Ranks that need a hook into ``fit`` run WORKER, a small script
written into the test's folder.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from _mpi import MPIEXEC, needs_mpi

import shenjing as sj
from shenjing.cli import train
from shenjing.cli.checkpoint import load_checkpoint
from shenjing.distributed import DistributedSampler, helpers

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "shenjing.cli.main", "train"]
SMALL = ["--limit", "256", "--batch-size", "32", "--quiet"]

WORKER = r'''
import sys
from pathlib import Path

import numpy as np

from shenjing.cli.train import Interrupted, fit, resolve_config
from shenjing.distributed import get_rank

mode, out, model = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
rank = get_rank()  # 0 before fit initialises the group: read it again in the hooks
cfg = resolve_config({"epochs": 2, "batch_size": 32, "limit": 256, "model": model})


def save_weights(ev, info):
    if ev == "epoch" and info["epoch"] == cfg["epochs"]:
        state = {k: v.numpy() for k, v in info["model"].state_dict().items()}
        np.savez(out / f"w{get_rank()}.npz", **state)


def stop_on_rank1(ev, info):  # one rank asks to stop: every rank must stop at the same step
    if ev == "step" and get_rank() == 1 and info["epoch"] == 2 and info["step"] == 2:
        raise KeyboardInterrupt


run_dir = out / "run"
run_dir.mkdir(parents=True, exist_ok=True)
try:
    fit(cfg, run_dir, quiet=True, hooks=[save_weights if mode == "weights" else stop_on_rank1])
except Interrupted:
    print(f"INTERRUPTED rank {get_rank()}", flush=True)
else:
    print(f"FINISHED rank {get_rank()}", flush=True)
'''


def _env() -> dict:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_", "OMPI_"))}
    e.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
             PYTHONPATH=str(ROOT) + os.pathsep + e.get("PYTHONPATH", ""))
    return e


def mpirun(argv: list, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([MPIEXEC, "-n", "2", *argv], capture_output=True, text=True,
                          timeout=timeout, env=_env(), cwd=cwd)


def worker(tmp_path: Path, mode: str, model: str, out: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out.mkdir(parents=True, exist_ok=True)
    return mpirun([sys.executable, str(script), mode, str(out), model], tmp_path)


def _ok(res: subprocess.CompletedProcess, rc: int = 0) -> str:
    assert res.returncode == rc, f"rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    return res.stdout


def _last_weights(run_dir: Path) -> dict:
    return {k: v.numpy() for k, v in load_checkpoint(run_dir / "checkpoints" / "last")[0].items()}


# ---------------------------------------------------------------------- the autograd hook
def test_post_accumulate_grad_hook_runs_after_accumulation():
    w = sj.ones(3, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[0], [2, 2, 2])
    np.testing.assert_array_equal(seen[1], [5, 5, 5])  # called after accumulating into .grad
    sj.autograd.grad((w * 4).sum(), w)  # no .grad written: no call, as in PyTorch
    assert len(seen) == 2
    handle.remove()
    (w * 2).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        sj.ones(2).register_post_accumulate_grad_hook(lambda t: None)


def test_one_process_fit_leaves_the_process_group_alone(tmp_path):
    """Without mpiexec, fit neither initialises shenjing.distributed nor wraps the model."""
    from shenjing import distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()
    models = []
    cfg = train.resolve_config({"epochs": 1, "batch_size": 64, "limit": 64, "model": "mlp"})
    train.fit(cfg, tmp_path, quiet=True, hooks=[lambda ev, info: models.append(info["model"])])
    assert not dist.is_initialized()
    assert models and not isinstance(models[0], dist.DistributedDataParallel)
    assert "rng_ranks" not in json.loads((tmp_path / "checkpoints/last/state.json").read_text())


# ---------------------------------------------------------------------- under mpiexec
@needs_mpi
def test_mpiexec_train_writes_one_run_folder(tmp_path):
    res = mpirun([*CLI, "--epochs", "1", "--model", "mlp", "--root", str(tmp_path / "runs"),
                  *SMALL], tmp_path)
    out = _ok(res)
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1, runs  # rank 0 chose the time-stamped folder, rank 1 used it
    run = runs[0]
    for name in ("config.json", "metrics.csv", "report.html", "test.json",
                 "checkpoints/best.safetensors", "checkpoints/last/state.json"):
        assert (run / name).is_file(), name
    assert out.count("epoch 1/1:") == 1 and out.count("test accuracy") == 1  # rank 0 only
    assert "2 ranks x batch 32" in out
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["status"] == "finished" and cfg["batch_size"] == 32
    lines = (run / "metrics.csv").read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("1,")
    # saved as the plain model: a one-process model loads it
    state = _last_weights(run)
    assert not any(k.startswith("module.") for k in state)
    net = train.build_model("mlp", cfg["input_shape"], 10)
    net.load_state_dict({k: sj.from_numpy(v) for k, v in state.items()})


@needs_mpi
@pytest.mark.slow
def test_two_ranks_match_one_process_on_the_global_batch(tmp_path, monkeypatch):
    """2 ranks x batch 32 == 1 process x batch 64 with the same sample order (8 Adam steps)."""
    res = worker(tmp_path, "weights", "mlp", tmp_path / "ddp")
    assert _ok(res).count("FINISHED") == 2
    w0, w1 = np.load(tmp_path / "ddp" / "w0.npz"), np.load(tmp_path / "ddp" / "w1.npz")
    assert sorted(w0.files) == sorted(w1.files)
    for k in w0.files:
        assert np.array_equal(w0[k], w1[k]), k  # every rank holds the same weights

    class OneRankSampler(helpers.DistContext):  # one process, the 2-rank job's order
        def make_sampler(self, dataset, shuffle=True, seed=0, drop_last=False):
            self.sampler = DistributedSampler(dataset, num_replicas=1, rank=0,
                                              shuffle=shuffle, seed=seed)
            return self.sampler

    monkeypatch.setattr(train, "_dist_context", lambda: OneRankSampler(0, 1))
    ref: dict = {}

    def grab(ev, info):
        if ev == "epoch" and info["epoch"] == 2:
            ref.update({k: v.numpy().copy() for k, v in info["model"].state_dict().items()})

    cfg = train.resolve_config({"epochs": 2, "batch_size": 64, "limit": 256, "model": "mlp"})
    (tmp_path / "ref").mkdir()
    train.fit(cfg, tmp_path / "ref", quiet=True, hooks=[grab])
    assert sorted(ref) == sorted(w0.files)
    for k in ref:
        assert not np.array_equal(ref[k], 0)
        np.testing.assert_allclose(w0[k], ref[k], rtol=1e-5, atol=1e-6, err_msg=k)
    ddp_rows = (tmp_path / "ddp" / "run" / "metrics.csv").read_text().splitlines()[1:]
    ref_rows = (tmp_path / "ref" / "metrics.csv").read_text().splitlines()[1:]
    for a, b in zip(ddp_rows, ref_rows):  # epoch, train loss / acc over the whole job
        np.testing.assert_allclose([float(v) for v in a.split(",")[:3]],
                                   [float(v) for v in b.split(",")[:3]], rtol=1e-4)


@needs_mpi
@pytest.mark.slow
def test_one_rank_stopping_stops_all_and_resume_is_exact(tmp_path):
    """A hook stops rank 1 only at epoch 2 step 2; `mpiexec -n 2 train --resume` finishes it
    and ends with the weights and metrics of an uninterrupted 2-rank run (CNN: dropout)."""
    res = worker(tmp_path, "weights", "cnn", tmp_path / "straight")
    _ok(res)
    res = worker(tmp_path, "stop", "cnn", tmp_path / "stopped")
    out = _ok(res)
    assert out.count("INTERRUPTED") == 2, out  # both ranks stopped
    assert out.count("resume with: mpiexec -n 2 shenjing train --resume") == 1
    run = tmp_path / "stopped" / "run"
    meta = load_checkpoint(run / "checkpoints" / "last")[2]
    assert (meta["epoch"], meta["step"]) == (1, 2) and len(meta["rng_ranks"]) == 2
    out = _ok(mpirun([*CLI, "--resume", str(run), "--quiet"], tmp_path))
    assert out.count("resuming") == 1 and out.count("epoch 2/2:") == 1
    want, got = _last_weights(tmp_path / "straight" / "run"), _last_weights(run)
    assert sorted(got) == sorted(want)
    for k in want:
        assert np.array_equal(got[k], want[k]), k
    rows = [(tmp_path / d / "run" / "metrics.csv").read_text().splitlines()
            for d in ("straight", "stopped")]
    assert len(rows[1]) == 3
    for a, b in zip(*rows):  # train / val columns equal, seconds aside
        assert a.split(",")[:6] == b.split(",")[:6]


@needs_mpi
@pytest.mark.slow
def test_ctrl_c_on_mpiexec_stops_every_rank_and_resumes(tmp_path):
    out_dir = tmp_path / "run"
    proc = subprocess.Popen([MPIEXEC, "-n", "2", *CLI, "--epochs", "500", "--schedule", "none",
                             "--model", "mlp", "--out", str(out_dir), *SMALL], cwd=tmp_path,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    deadline = time.time() + 120
    while not (out_dir / "metrics.csv").exists() and time.time() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)  # mpiexec forwards it to every rank
    text, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, text
    assert text.count("resume with: mpiexec -n 2 shenjing train --resume") == 1, text
    assert json.loads((out_dir / "config.json").read_text())["status"] == "interrupted"
    done = load_checkpoint(out_dir / "checkpoints" / "last")[2]["epoch"]
    assert 1 <= done < 500
    res = mpirun([*CLI, "--resume", str(out_dir), "--epochs", str(done + 1), "--quiet"],
                 tmp_path)
    _ok(res)
    assert len((out_dir / "metrics.csv").read_text().splitlines()) == done + 2
