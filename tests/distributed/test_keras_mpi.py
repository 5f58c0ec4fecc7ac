"""The Keras face's fit runs data-parallel under mpiexec with no change to the program."""
import os
import subprocess
import sys

import numpy as np
from _mpi import MPIEXEC, needs_mpi

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "keras_worker.py")



@needs_mpi
def test_keras_fit_on_two_ranks_equals_one_rank_with_the_double_batch(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_"))}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    one = subprocess.run([sys.executable, WORKER, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert one.returncode == 0, one.stderr
    two = subprocess.run([MPIEXEC, "-n", "2", sys.executable, WORKER, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert two.returncode == 0, two.stderr
    assert two.stdout.count("final loss") == 1  # only rank 0 reports
    assert two.stdout.count("Epoch 3/3") == 1
    a, b = np.load(tmp_path / "w1.npz"), np.load(tmp_path / "w2.npz")
    assert len(a.files) == 4
    for k in a.files:
        np.testing.assert_allclose(b[k], a[k], rtol=1e-5, atol=1e-6)
