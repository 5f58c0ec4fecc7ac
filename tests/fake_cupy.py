"""A NumPy-backed stand-in for CuPy, so the device logic can be tested on a CPU.

Its arrays are an ndarray subclass whose type lives in a module called ``cupy``: the backend
then treats them as GPU arrays (device cuda:0), and every place that mixes them with plain
NumPy arrays inside an op shows up. It checks dispatch, moves and errors, not GPU kernels.
"""
from __future__ import annotations

import contextlib
import sys
import types

import numpy as np


class ndarray(np.ndarray):
    """A 'GPU' array: NumPy underneath; ``.get()`` copies it back to the host."""

    class _Dev:
        id = 0

    device = _Dev()

    def get(self) -> np.ndarray:
        return np.array(self.view(np.ndarray), copy=True)


ndarray.__module__ = "cupy"


def _wrap(x):
    if isinstance(x, np.ndarray) and not isinstance(x, ndarray):
        return x.view(ndarray)
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    return x


def asarray(a, dtype=None):
    return np.array(a, dtype=dtype, copy=True).view(ndarray)


def asnumpy(a):
    return np.array(np.asarray(a), copy=True)


class _Runtime:
    @staticmethod
    def getDeviceCount():
        return 1

    @staticmethod
    def getDevice():
        return 0

    @staticmethod
    def setDevice(i):
        return None

    @staticmethod
    def deviceSynchronize():
        return None

    @staticmethod
    def getDeviceProperties(i):
        return {"name": b"Fake GPU (NumPy)"}


class _Cuda:
    runtime = _Runtime()

    @staticmethod
    @contextlib.contextmanager
    def Device(i=0):  # noqa: N802 - CuPy's name
        yield


class _RNG:
    def __init__(self, seed):
        self._g = np.random.default_rng(seed)

    def __getattr__(self, name):
        f = getattr(self._g, name)
        return lambda *a, **k: _wrap(f(*a, **k))


class _Random:
    @staticmethod
    def default_rng(seed=None):
        return _RNG(seed)


def install() -> types.ModuleType:
    """Put the stand-in into ``sys.modules['cupy']`` and return it."""
    mod = types.ModuleType("cupy")
    mod.ndarray, mod.asarray, mod.asnumpy = ndarray, asarray, asnumpy
    mod.array = asarray
    mod.cuda, mod.random = _Cuda(), _Random()
    strided = types.SimpleNamespace(
        as_strided=lambda *a, **k: np.lib.stride_tricks.as_strided(*a, subok=True, **k))
    mod.lib = types.SimpleNamespace(stride_tricks=strided)

    def fallback(name):
        f = getattr(np, name)
        if callable(f) and not isinstance(f, (type, np.ufunc)):  # ufuncs keep the subclass
            return lambda *a, **k: _wrap(f(*a, **k))
        return f

    mod.__getattr__ = fallback
    sys.modules["cupy"] = mod
    return mod
