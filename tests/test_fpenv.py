"""Flushing subnormal floats (shenjing.set_flush_denormal, backend/fpenv.py) against
torch.set_flush_denormal: the same results on this thread and in shenjing's workers."""
import platform

import numpy as np
import pytest
import torch

import shenjing
from shenjing.backend import fpenv, threads

SUB64, SUB32 = 1e-310, np.float32(1e-40)  # subnormal in float64 and in float32
supported = pytest.mark.skipif(
    not (platform.system() == "Linux" and platform.machine() == "x86_64"
         and platform.libc_ver()[0] == "glibc"), reason="flushing needs x86-64 Linux, glibc")


@pytest.fixture
def restore_flush():
    yield
    shenjing.set_flush_denormal(False)
    torch.set_flush_denormal(False)


@supported
def test_flush_mode_matches_torch_and_turns_off_again(restore_flush):
    def ours():
        return [(shenjing.tensor([SUB64], dtype=shenjing.float64) * 1.0).item(),
                (shenjing.tensor([SUB32]) * 1.0).item()]

    assert ours() == [SUB64, pytest.approx(1e-40, rel=1e-3)]  # kept by default
    assert shenjing.set_flush_denormal(True) is True
    flushed = ours()
    assert flushed == [0.0, 0.0]
    shenjing.set_flush_denormal(False)
    assert torch.set_flush_denormal(True) is True  # PyTorch's flag gives the same numbers
    assert [(torch.tensor([SUB64], dtype=torch.float64) * 1.0).item(),
            (torch.tensor([SUB32]) * 1.0).item()] == flushed
    torch.set_flush_denormal(False)
    assert shenjing.set_flush_denormal(False) is True
    assert ours()[0] == SUB64


@supported
@pytest.mark.skipif(threads._blas().set is None, reason="no OpenBLAS to hold: ops run serially")
def test_intra_op_workers_follow_the_flush_mode(restore_flush):
    prev = shenjing.get_num_threads()
    shenjing.set_num_threads(2)
    try:
        def run():
            return threads.parallel_map(lambda _: float((np.array([SUB32]) * np.float32(1))[0]),
                                        list(range(4)))

        shenjing.set_flush_denormal(True)
        assert run() == [0.0] * 4  # parts 1 and 3 ran on the worker thread
        shenjing.set_flush_denormal(False)
        assert all(v > 0 for v in run())
    finally:
        shenjing.set_num_threads(prev)


def test_unsupported_platform_returns_false_and_changes_nothing(monkeypatch):
    monkeypatch.setattr(fpenv, "_LIBM", [None])
    before = fpenv._MODE[0]
    assert shenjing.set_flush_denormal(True) is False
    assert fpenv.get_mxcsr() is None and fpenv._MODE[0] == before
    assert float((np.array([SUB32]) * np.float32(1))[0]) > 0
