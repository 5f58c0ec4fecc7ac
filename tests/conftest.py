import os
import sys

sys.path.insert(0, os.path.dirname(__file__))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a test that takes more than a few seconds (still run in CI)")
    config.addinivalue_line("markers", "gpu: needs an NVIDIA GPU and CuPy")
