"""Where mpiexec is, and the skip marker for tests that launch ranks with it."""
import os
import shutil
import sys

import pytest

_BIN = os.path.dirname(sys.executable)
MPIEXEC = (os.path.join(_BIN, "mpiexec") if os.path.exists(os.path.join(_BIN, "mpiexec"))
           else shutil.which("mpiexec"))


def _have_mpi4py() -> bool:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


needs_mpi = pytest.mark.skipif(MPIEXEC is None or not _have_mpi4py(),
                               reason="needs mpiexec and mpi4py (pip install mpi4py mpich)")
