"""Finite-difference checks of analytic gradients (use float64 inputs)."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .engine import grad as autograd_grad
from .grad_mode import no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised when an analytic gradient disagrees with its finite-difference estimate."""


def _outputs(fn: Callable, inputs: Sequence[Any]) -> list[Tensor]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.is_floating_point()]


def gradcheck(func: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0, **_: Any) -> bool:
    """Check d(func)/d(inputs) against central differences along a random projection.

    For each floating input that requires grad, compares the analytic vector-Jacobian
    product ``v^T J`` with numerical ``(f(x + eps e_i) - f(x - eps e_i)) / 2 eps`` per element.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    rng = np.random.default_rng(seed)
    outs = _outputs(func, inputs)
    vs = [rng.standard_normal(o.shape) for o in outs]
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    for t in diff:
        if t._data.dtype != np.float64:
            raise GradcheckError("gradcheck: inputs that require grad should be float64 for precision")
    if not outs or not diff:
        return True
    total = sum((o * Tensor._wrap(v.astype(o._data.dtype), None, False)).sum() for o, v in zip(outs, vs))
    analytic = autograd_grad(total, diff, allow_unused=True)

    def projected() -> float:
        with no_grad():
            return float(sum((o._data * v).sum() for o, v in zip(_outputs(func, inputs), vs)))

    for k, (t, a) in enumerate(zip(diff, analytic)):
        a = np.zeros(t.shape) if a is None else np.asarray(a._data)
        flat = t._data.reshape(-1)
        num = np.empty(flat.size)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            hi = projected()
            flat[i] = old - eps
            lo = projected()
            flat[i] = old
            num[i] = (hi - lo) / (2 * eps)
        num = num.reshape(t.shape)
        if not np.allclose(a, num, atol=atol, rtol=rtol):
            if not raise_exception:
                return False
            err = np.abs(a - num).max()
            raise GradcheckError(
                f"Jacobian mismatch for input {k} of shape {tuple(t.shape)}: max abs error {err:.3g}\n"
                f"analytic:\n{a}\nnumerical:\n{num}")
    return True
