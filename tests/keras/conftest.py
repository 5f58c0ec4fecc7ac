"""Shared pieces of the Keras-face tests: the Keras 3 oracle fixture."""
import os

import pytest


@pytest.fixture(scope="module")
def K():
    """Keras 3 on its torch backend, as an oracle (skipped where it is not installed)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    k = pytest.importorskip("keras")
    if k.backend.backend() != "torch":
        pytest.skip("keras oracle needs the torch backend")
    return k
