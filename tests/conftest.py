import os
import sys

sys.path.insert(0, os.path.dirname(__file__))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a test that takes more than a few seconds (still run in CI)")
    config.addinivalue_line("markers", "gpu: needs an NVIDIA GPU and CuPy")


def pytest_collection_modifyitems(config, items):
    """Skip `gpu` tests, saying why, where no CUDA GPU with CuPy is available."""
    import pytest

    import shenjing

    if shenjing.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="gpu: no CUDA GPU with CuPy here "
                                   "(shenjing.cuda.is_available() is False)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
