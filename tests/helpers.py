"""The parity helper: run a shenjing function and its PyTorch twin on the same inputs.

``compare`` checks forward values and the gradient of every floating input;
``check_grad`` runs shenjing's float64 finite-difference gradcheck.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

import shenjing


def rand(*shape: int, seed: int = 0, low: float = -1.0, high: float = 1.0,
         dtype: Any = np.float32) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def _flatten(out: Any) -> list:
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flatten(o))
        return res
    return [out]


def _to_np(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, shenjing.Tensor):
        return np.asarray(x.detach().numpy())
    return np.asarray(x)


def assert_close(ours: Any, theirs: Any, atol: float, rtol: float, what: str) -> None:
    a, b = _to_np(ours), _to_np(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    if isinstance(theirs, torch.Tensor):
        assert str(a.dtype) == str(b.dtype), f"{what}: dtype {a.dtype} != torch's {b.dtype}"
    np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=what, equal_nan=True)


def compare(sj_fn: Callable, torch_fn: Callable, *arrays: Any, grad: bool = True,
            atol: float = 1e-5, rtol: float = 1e-4, grad_atol: float | None = None,
            seed: int = 1) -> tuple:
    """Run both functions on copies of ``arrays``; compare outputs and input gradients.

    Floating arrays become tensors that require grad; other arrays (indices, masks) and
    non-array arguments are passed through (ints and floats as they are).
    """
    def wrap(mod, a):
        if isinstance(a, np.ndarray):
            t = mod.tensor(a.copy())
            if grad and a.dtype.kind == "f":
                t.requires_grad_(True)
            return t
        return a

    sj_in = [wrap(shenjing, a) for a in arrays]
    th_in = [wrap(torch, a) for a in arrays]
    sj_out, th_out = _flatten(sj_fn(*sj_in)), _flatten(th_fn_call(torch_fn, th_in))
    assert len(sj_out) == len(th_out), f"{len(sj_out)} outputs vs torch's {len(th_out)}"
    for i, (o, t) in enumerate(zip(sj_out, th_out)):
        assert_close(o, t, atol, rtol, f"output {i}")
    if not grad:
        return sj_out, th_out
    rng = np.random.default_rng(seed)
    pairs = [(o, t) for o, t in zip(sj_out, th_out)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    if not pairs:
        return sj_out, th_out
    ups = [rng.standard_normal(t.shape).astype(_to_np(t).dtype) for _, t in pairs]
    sj_loss = sum((o * shenjing.tensor(u)).sum() for (o, _), u in zip(pairs, ups))
    th_loss = sum((t * torch.tensor(u)).sum() for (_, t), u in zip(pairs, ups))
    sj_loss.backward()
    th_loss.backward()
    ga = atol if grad_atol is None else grad_atol
    for k, (s, t) in enumerate(zip(sj_in, th_in)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            if t.grad is None:
                assert s.grad is None or not np.any(_to_np(s.grad)), f"input {k}: torch has no grad"
                continue
            assert s.grad is not None, f"input {k}: shenjing computed no gradient"
            assert_close(s.grad, t.grad, ga, rtol, f"grad of input {k}")
    return sj_out, th_out


def th_fn_call(fn: Callable, args: Sequence[Any]) -> Any:
    return fn(*args)


def check_grad(fn: Callable, *arrays: Any, atol: float = 1e-5, rtol: float = 1e-3) -> None:
    """float64 finite-difference gradcheck of ``fn`` on tensors made from ``arrays``."""
    ins = []
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            ins.append(shenjing.tensor(a.astype(np.float64), requires_grad=True))
        elif isinstance(a, np.ndarray):
            ins.append(shenjing.tensor(a))
        else:
            ins.append(a)
    assert shenjing.autograd.gradcheck(fn, ins, atol=atol, rtol=rtol)
