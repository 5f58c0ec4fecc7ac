"""Tensor: an array of the backend plus what reverse-mode autograd needs.

The operators and most methods (``+``, ``sum``, ``view`` ...) are attached by
``shenjing.ops.install`` so this module knows nothing of the ops.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from ..backend import CPU, device as Device, dtypes, get_array_module
from . import grad_mode


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    Shape:
        Any shape; ``.shape`` is a ``Size`` (a tuple).
    """

    __slots__ = ("_data", "requires_grad", "grad_fn", "_grad", "_retains_grad", "_hooks",
                 "__weakref__", "__dict__")
    __array_priority__ = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # torch.Tensor(2, 3) makes an uninitialised float tensor; Tensor([1, 2]) copies data.
        if len(args) == 1 and not isinstance(args[0], int):
            data = np.array(args[0], dtype=dtypes.get_default_dtype().np)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
            data = np.zeros(shape, dtype=dtypes.get_default_dtype().np)
        self._data = data
        self.requires_grad = bool(kwargs.get("requires_grad", False))
        self.grad_fn = None
        self._grad = None
        self._retains_grad = False
        self._hooks = None

    @staticmethod
    def _wrap(array: Any, grad_fn: Any, requires_grad: bool | None = None) -> "Tensor":
        t = Tensor.__new__(Tensor)
        if type(array) is not np.ndarray:
            array = get_array_module(array).asarray(array)
        t._data = array
        t.grad_fn = grad_fn
        t.requires_grad = grad_fn is not None if requires_grad is None else requires_grad
        t._grad = None
        t._retains_grad = False
        t._hooks = None
        return t

    # ----------------------------------------------------------------- properties
    @property
    def data(self) -> "Tensor":
        """The same storage, detached from the graph (writes to it change this tensor)."""
        return Tensor._wrap(self._data, None, False)

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def grad(self) -> "Tensor | None":
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
        if value is not None and tuple(value.shape) != tuple(self.shape):
            raise RuntimeError(
                f"assigned grad has data of a different size: expected {list(self.shape)}, "
                f"got {list(value.shape)}")
        self._grad = value

    @property
    def shape(self) -> "Size":
        return Size(self._data.shape)

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.to_dtype(self._data.dtype)

    @property
    def device(self) -> Device:
        return CPU

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def T(self) -> "Tensor":
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> "Tensor":
        return self.transpose(-2, -1)

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def size(self, dim: int | None = None) -> "Size | int":
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_check_dim(dim, self.ndim, "size")]

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def contiguous(self) -> "Tensor":
        return self

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(-1)[0])

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = np.asarray(self._data)
        return a if dtype is None else a.astype(dtype)

    # ----------------------------------------------------------------- conversion
    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(-1)[0].item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return np.asarray(self._data)

    def detach(self) -> "Tensor":
        return Tensor._wrap(self._data, None, False)

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if not self.is_leaf:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use "
                    "a computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        if self.is_leaf:
            return
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        self._retains_grad = True
        self.grad_fn._out = self

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Callable[["Tensor"], "Tensor | None"]) -> Callable:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        if self.grad_fn is not None:
            self.grad_fn._out = self  # noqa: SLF001 - engine reads hooks of non-leaf outputs
        hooks = self._hooks

        class _Handle:
            def remove(self_inner) -> None:
                if hook in hooks:
                    hooks.remove(hook)

        return _Handle()

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad."""
        from .engine import backward  # noqa: PLC0415

        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph,
                 inputs=inputs)

    # ----------------------------------------------------------------- dtype / device
    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """Return a tensor with the asked dtype (and device); ``self`` if nothing changes."""
        dtype = kwargs.get("dtype")
        copy = kwargs.get("copy", False)
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, Device)):
                Device(a)  # validates; only cpu exists in this build
            elif a is not None:
                dtype = a
        if dtype is not None:
            d = dtypes.to_dtype(dtype)
            if d.np != self._data.dtype:
                return self._cast(d)  # attached by ops.install (autograd knows no ops)
        if "device" in kwargs and kwargs["device"] is not None:
            Device(kwargs["device"])
        return self.clone() if copy else self

    def type(self, dtype: Any = None) -> "Tensor | str":
        if dtype is None:
            return {"float32": "shenjing.FloatTensor", "float64": "shenjing.DoubleTensor",
                    "int64": "shenjing.LongTensor", "int32": "shenjing.IntTensor",
                    "bool": "shenjing.BoolTensor"}.get(self.dtype.name, "shenjing.Tensor")
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def half(self) -> "Tensor":
        return self.to(dtypes.float16)

    def long(self) -> "Tensor":
        return self.to(dtypes.int64)

    def int(self) -> "Tensor":
        return self.to(dtypes.int32)

    def bool(self) -> "Tensor":
        return self.to(dtypes.bool_)

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, *a: Any, **k: Any) -> "Tensor":
        Device("cuda")
        return self  # pragma: no cover

    def __repr__(self) -> str:
        from .printing import tensor_repr  # noqa: PLC0415

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __reduce_ex__(self, proto: int):
        return (_rebuild, (np.asarray(self._data), self.requires_grad))


def _rebuild(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor._wrap(array, None, requires_grad)


class Size(tuple):
    """A tensor's shape: a tuple that prints like ``torch.Size``."""

    def __repr__(self) -> str:
        return f"shenjing.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def _check_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def is_grad_enabled() -> bool:
    return grad_mode.state.enabled
