"""shenjing.distributed under ``mpiexec -n 2``: collectives, DDP equivalence, failures.

Each test launches tests/distributed/mpi_worker.py with two ranks (about a second each);
they are skipped when mpiexec or mpi4py is missing.
"""
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from _mpi import MPIEXEC, needs_mpi

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
pytestmark = needs_mpi


def mpirun(scenario: str, out_dir, timeout: float = 60, env: dict | None = None,
           n: int = 2) -> tuple[subprocess.CompletedProcess, float]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_", "OMPI_"))}
    e.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
             PYTHONPATH=ROOT + os.pathsep + e.get("PYTHONPATH", ""), **(env or {}))
    t0 = time.perf_counter()
    res = subprocess.run([MPIEXEC, "-n", str(n), sys.executable,
                          os.path.join(HERE, "mpi_worker.py"), scenario, str(out_dir)],
                         capture_output=True, text=True, timeout=timeout, env=e, cwd=ROOT)
    return res, time.perf_counter() - t0


def _ok(res: subprocess.CompletedProcess, what: str) -> None:
    assert res.returncode == 0, f"rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    assert f"OK {what}" in res.stdout, res.stdout + res.stderr


def test_collectives(tmp_path):
    res, _ = mpirun("collectives", tmp_path)
    _ok(res, "collectives")
    assert res.stdout.count("OK collectives") == 1  # print0: rank 0 only


@pytest.mark.parametrize("kind,opt", [("mlp", "sgd"), ("mlp", "adam"), ("cnn", "sgd"),
                                      ("cnn", "adam")])
def test_two_ranks_equal_one_process_on_the_global_batch(tmp_path, kind, opt):
    """2 ranks x batch 32 == 1 process x batch 64 after 20 steps (CNN: SyncBatchNorm)."""
    res, _ = mpirun(f"equivalence:{kind}:{opt}", tmp_path)
    _ok(res, f"equivalence {kind} {opt}")
    z = np.load(tmp_path / f"{kind}_{opt}.npz")
    keys = [k[4:] for k in z.files if k.startswith("ddp/")]
    assert keys and sorted(keys) == sorted(k[4:] for k in z.files if k.startswith("ref/"))
    if kind == "cnn":
        assert any("running_var" in k for k in keys)
    moved = 0.0
    for k in keys:
        np.testing.assert_allclose(z["ddp/" + k], z["ref/" + k], rtol=1e-5, atol=1e-6, err_msg=k)
        if "weight" in k:
            moved = max(moved, float(np.abs(z["ref/" + k]).max()))
    assert moved > 0


def test_no_sync_accumulation(tmp_path):
    res, _ = mpirun("no_sync", tmp_path)  # the worker asserts the accumulated gradients
    _ok(res, "no_sync")
    assert res.stdout.count("OK no_sync") >= 1


def test_find_unused_parameters(tmp_path):
    res, _ = mpirun("unused", tmp_path)  # the worker asserts the error and the fix
    _ok(res, "unused")
    assert res.stdout.count("OK unused") >= 1


def test_exception_on_one_rank_ends_the_job(tmp_path):
    res, secs = mpirun("fail_raise", tmp_path, timeout=60)
    assert res.returncode != 0
    assert secs < 20
    assert "shenjing.distributed: rank 1 failed: ValueError: boom on purpose" in res.stderr
    assert "Traceback" in res.stderr


def test_killed_rank_ends_the_job_and_is_named(tmp_path):
    res, secs = mpirun("fail_kill", tmp_path, timeout=90)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert secs < 30, out
    line = [ln for ln in out.splitlines() if ln.startswith("shenjing.distributed: ")]
    assert line and "rank 1 (pid" in line[0], out


def test_hanging_rank_times_out(tmp_path):
    res, secs = mpirun("fail_hang", tmp_path, timeout=60, env={"SHENJING_DIST_TIMEOUT": "2"})
    assert res.returncode != 0 and secs < 20
    assert "shenjing.distributed: rank 0: barrier got no answer" in res.stderr


def test_ddp_example_trains_and_logs_on_rank_zero_only(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_", "OMPI_"))}
    e.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
             PYTHONPATH=ROOT + os.pathsep + e.get("PYTHONPATH", ""))
    res = subprocess.run([MPIEXEC, "-n", "2", sys.executable,
                          os.path.join(ROOT, "examples", "ddp_train.py"), "--epochs", "3",
                          "--save", str(tmp_path / "w.pt")],
                         capture_output=True, text=True, timeout=120, env=e, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ddp_train: 2 rank(s) x batch 32" in res.stdout
    epochs = [ln for ln in res.stdout.splitlines() if ln.startswith("epoch ")]
    assert len(epochs) == 3  # printed once, by rank 0
    assert float(epochs[-1].rsplit("test acc ", 1)[1]) > 0.7
    assert (tmp_path / "w.pt").is_file()
