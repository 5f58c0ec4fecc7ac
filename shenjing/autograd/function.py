"""Function: one differentiable op, its forward and backward on raw arrays.

A subclass writes ``forward(self, *arrays, **attrs)`` returning an array and
``backward(self, grad)`` returning one gradient per tensor input (None where not needed,
``self.needs_input_grad`` says which). ``apply`` records a node only when grad mode is on
and some input requires grad, so inference pays nothing for the tape.
"""
from __future__ import annotations

from typing import Any

from .grad_mode import state


_anomaly = False  # anomaly detection (autograd/anomaly.py sets it); one test per apply


def _check_forward(fn: "Function", out: Any, inputs: tuple) -> None:
    from .anomaly import check_forward  # noqa: PLC0415 - only loaded when anomaly mode is on

    check_forward(fn, out, inputs)


class Function:
    needs_input_grad: tuple = ()
    inputs: tuple = ()
    next_fns: tuple = ()
    _out: Any = None  # the output tensor, set only when it has hooks or retains grad

    def forward(self, *arrays: Any, **attrs: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, grad: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: "Tensor", **attrs: Any) -> "Tensor":
        fn = cls.__new__(cls)
        arrays = [t._data for t in inputs]
        if len(arrays) > 1:  # every input on one device (the common all-NumPy case is cheap)
            kind = type(arrays[0])
            for a in arrays:
                if type(a) is not kind:
                    arrays = _same_device(cls, inputs)
                    break
        if state.enabled:
            nig = tuple([t.requires_grad for t in inputs])
            if True in nig:
                fn.needs_input_grad = nig
                out = fn.forward(*arrays, **attrs)
                fn.inputs = inputs
                # edges are fixed now: a later in-place op may give an input a new grad_fn
                fn.next_fns = tuple([t.grad_fn for t in inputs])
                if _anomaly:
                    _check_forward(fn, out, inputs)
                return _wrap(out, fn, True)
        if _anomaly:
            out = fn.forward(*arrays, **attrs)
            _check_forward(fn, out, inputs)
            return _wrap(out, None, False)
        return _wrap(fn.forward(*arrays, **attrs), None, False)

    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object>"

    @property
    def next_functions(self) -> tuple:
        return tuple((g, 0) for g in self.next_fns)


def _same_device(cls: type, inputs: tuple) -> list:
    """The inputs' arrays on one device, or PyTorch's error naming two devices. As in
    PyTorch, a 0-d CPU tensor (a scalar) may join tensors of another device."""
    devices = []
    for t in inputs:
        d = t.device
        if d not in devices and not (d.type == "cpu" and t._data.ndim == 0):
            devices.append(d)
    if len(devices) > 1:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {devices[0]} and {devices[1]}! (in {cls.__name__})")
    if not devices:
        return [t._data for t in inputs]
    from ..backend import move  # noqa: PLC0415

    return [move(t._data, devices[0]) for t in inputs]


from .tensor import Tensor  # noqa: E402

_wrap = Tensor._wrap
