"""Creating tensors: from data, filled, ranges, and random draws from shenjing's generator."""
from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import device as Device, device_of, dtypes, move, rng_of
from ..backend.random import Generator


def _shape(size: Sequence[Any]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = tuple(builtins.int(s) for s in size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def _dt(dtype: Any, default: Any = None) -> np.dtype:
    if dtype is None:
        return (default or dtypes.get_default_dtype()).np
    return dtypes.to_dtype(dtype).np


def _finish(array: np.ndarray, requires_grad: bool, device: Any = None) -> Tensor:
    """Wrap a new array (built on the CPU; random draws come from the CPU stream, so a seed
    gives the same numbers on every device) and put it on ``device``."""
    if device is not None and Device(device).type != "cpu":
        array = move(array, device)
    t = Tensor._wrap(array, None, False)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data: Any, explicit: bool = False) -> np.ndarray:
    """NumPy array for ``data`` with PyTorch's dtype inference (floats -> default dtype);
    with an ``explicit`` dtype to follow, Python floats stay float64 until cast to it (no
    detour through float32 that would round 0.1 or flush 1e-310 on the way)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _untensor(data)
    arr = np.asarray(data)
    if arr.dtype == np.float64:
        if not explicit:
            arr = arr.astype(dtypes.get_default_dtype().np)
    elif arr.dtype.kind in "iu" and arr.dtype != np.uint8:
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "fiub":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return arr


def _flat(data: Any):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _untensor(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data._data.tolist()
    if isinstance(data, (list, tuple)):
        return [_untensor(x) for x in data]
    return data


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays, tensors).

    >>> tensor([1., 2.])
    tensor([1., 2.])
    """
    if isinstance(data, Tensor) and type(data._data) is not np.ndarray:  # a GPU tensor
        xp = type(data._data).__module__.split(".")[0]
        arr = __import__(xp).array(data._data, dtype=None if dtype is None else _dt(dtype))
        return _finish(arr, requires_grad, device if device is not None else data.device)
    arr = _infer(data, explicit=dtype is not None)
    with np.errstate(over="ignore"):  # out of the dtype's range -> inf, as PyTorch gives
        arr = np.array(arr, dtype=None if dtype is None else _dt(dtype), copy=True)
    return _finish(arr, requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtypes.to_dtype(dtype)):
        return data
    arr = _infer(data, explicit=dtype is not None)
    if dtype is not None:
        with np.errstate(over="ignore"):  # out of the dtype's range -> inf, as in PyTorch
            arr = arr.astype(_dt(dtype), copy=False)
    return _finish(arr, False, device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (dtype kept)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    return _finish(ndarray, False)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          out: Any = None) -> Tensor:
    return _finish(np.zeros(_shape(size), dtype=_dt(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         out: Any = None) -> Tensor:
    return _finish(np.ones(_shape(size), dtype=_dt(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          out: Any = None, memory_format: Any = None) -> Tensor:
    return _finish(np.empty(_shape(size), dtype=_dt(dtype)), requires_grad, device)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    if dtype is None:
        default = (dtypes.bool_ if isinstance(fill_value, bool) else dtypes.int64
                   if isinstance(fill_value, builtins.int) else None)
        d = _dt(None, default)
    else:
        d = _dt(dtype)
    return _finish(np.full(_shape((size,)), fill_value, dtype=d), requires_grad, device)


def _like(input: Tensor, dtype: Any) -> np.dtype:
    return input._data.dtype if dtype is None else _dt(dtype)


def _where(input: Tensor, device: Any) -> Any:
    """A ``*_like`` result lives on ``device`` if given, else where ``input`` lives."""
    return device if device is not None else (
        None if type(input._data) is np.ndarray else device_of(input._data))


def zeros_like(input: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    return _finish(np.zeros(input.shape, dtype=_like(input, dtype)), requires_grad,
                   _where(input, device))


def ones_like(input: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    return _finish(np.ones(input.shape, dtype=_like(input, dtype)), requires_grad,
                   _where(input, device))


def empty_like(input: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    return _finish(np.empty(input.shape, dtype=_like(input, dtype)), requires_grad,
                   _where(input, device))


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    return _finish(np.full(input.shape, fill_value, dtype=_like(input, dtype)), requires_grad,
                   _where(input, device))


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    is_float = any(isinstance(v, builtins.float) for v in vals)
    d = _dt(dtype, None if is_float else dtypes.int64)
    n = builtins.max(0, builtins.int(np.ceil((vals[1] - vals[0]) / vals[2])))
    arr = (vals[0] + np.arange(n) * vals[2]).astype(d)
    return _finish(arr, requires_grad, device)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    return _finish(np.linspace(start, end, steps).astype(_dt(dtype)), requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    arr = np.logspace(start, end, steps, base=base).astype(_dt(dtype))
    return _finish(arr, requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    d = _dt(dtype)
    return _finish(rng_of(generator).random(_shape(size), dtype=np.float64).astype(d), requires_grad, device)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    d = _dt(dtype)
    return _finish(rng_of(generator).standard_normal(_shape(size)).astype(d), requires_grad, device)


def randint(low: int, high: int | None = None, size: Sequence[int] | None = None, *,
            generator: Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform on [low, high); int64 by default."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    arr = rng_of(generator).integers(low, high, size=_shape((size,)), dtype=np.int64)
    return _finish(arr.astype(_dt(dtype, dtypes.int64)), requires_grad, device)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    return _finish(rng_of(generator).permutation(n).astype(_dt(dtype, dtypes.int64)), requires_grad, device)


def rand_like(input: Tensor, dtype: Any = None, device: Any = None, **kw: Any) -> Tensor:
    return rand(*input.shape, dtype=_like(input, dtype), device=_where(input, device), **kw)


def randn_like(input: Tensor, dtype: Any = None, device: Any = None, **kw: Any) -> Tensor:
    return randn(*input.shape, dtype=_like(input, dtype), device=_where(input, device), **kw)


def randint_like(input: Tensor, low: int, high: int | None = None, dtype: Any = None,
                 device: Any = None, **kw: Any) -> Tensor:
    return randint(low, high, tuple(input.shape), dtype=_like(input, dtype),
                   device=_where(input, device), **kw)


def normal(mean: Any, std: Any = 1.0, size: Sequence[int] | None = None, *,
           generator: Generator | None = None) -> Tensor:
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _shape((size,)) if size is not None else np.broadcast(m, s).shape
    dt = (mean._data.dtype if isinstance(mean, Tensor) else
          std._data.dtype if isinstance(std, Tensor) else dtypes.get_default_dtype().np)
    return _finish((m + s * rng_of(generator).standard_normal(shape)).astype(dt), False)


def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor:
    prob = input._data if p is None else p
    draw = rng_of(generator).random(input.shape) < prob
    return _finish(draw.astype(input._data.dtype), False, _where(input, None))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Draw category indices in proportion to the (unnormalised) weights in each row."""
    p = np.asarray(input._data, dtype=np.float64)
    single = p.ndim == 1
    p = np.atleast_2d(p)
    if (p < 0).any() or not np.isfinite(p).all():
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or element < 0")
    if not replacement and num_samples > p.shape[1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = rng_of(generator)
    p = p / p.sum(axis=1, keepdims=True)
    if replacement:
        u = rng.random((p.shape[0], num_samples))
        out = (u[:, :, None] > np.cumsum(p, axis=1)[:, None, :]).sum(-1)
        out = np.minimum(out, p.shape[1] - 1)
    else:  # Gumbel top-k draws without replacement
        with np.errstate(divide="ignore"):
            keys = np.log(p) - np.log(-np.log(rng.random(p.shape)))
        out = np.argsort(-keys, axis=1)[:, :num_samples]
    out = out.astype(np.int64)
    return _finish(out[0] if single else out, False)
