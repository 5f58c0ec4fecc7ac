"""Function: one differentiable op, its forward and backward on raw arrays.

A subclass writes ``forward(self, *arrays, **attrs)`` returning an array and
``backward(self, grad)`` returning one gradient per tensor input (None where not needed,
``self.needs_input_grad`` says which). ``apply`` records a node only when grad mode is on
and some input requires grad, so inference pays nothing for the tape.
"""
from __future__ import annotations

from typing import Any

from .grad_mode import state


class Function:
    needs_input_grad: tuple = ()
    inputs: tuple = ()
    _out: Any = None  # the output tensor, set only when it has hooks or retains grad

    def forward(self, *arrays: Any, **attrs: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, grad: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: "Tensor", **attrs: Any) -> "Tensor":
        fn = cls()
        record = state.enabled and any(t.requires_grad for t in inputs)
        if record:
            fn.needs_input_grad = tuple(t.requires_grad for t in inputs)
        out = fn.forward(*[t._data for t in inputs], **attrs)
        if record:
            fn.inputs = inputs
            return Tensor._wrap(out, fn)
        return Tensor._wrap(out, None)

    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object>"

    @property
    def next_functions(self) -> tuple:
        return tuple((t.grad_fn, 0) for t in self.inputs)


from .tensor import Tensor  # noqa: E402
