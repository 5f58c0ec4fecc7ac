"""Tensor: an array of the backend plus what reverse-mode autograd needs.

The operators and most methods (``+``, ``sum``, ``view`` ...) are attached by
``shenjing.ops.install`` so this module knows nothing of the ops.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from ..backend import CPU, device as Device, device_of, dtypes, get_array_module, layout, scatter
from ..backend.scatter import coalesce_rows, scatter_add_rows  # noqa: F401 - re-exported
from . import grad_mode


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    Shape:
        Any shape; ``.shape`` is a ``Size`` (a tuple).
    """

    __slots__ = ("_data", "requires_grad", "grad_fn", "_grad", "_retains_grad", "_hooks",
                 "__weakref__", "__dict__")
    __array_priority__ = 1000
    is_sparse = False  # SparseTensor (a row-sparse gradient) says True

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
        return CPU if type(self._data) is np.ndarray else device_of(self._data)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        return type(self._data) is not np.ndarray and self.device.type == "cuda"

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

    def is_contiguous(self, memory_format: Any = layout.contiguous_format) -> bool:
        """Whether the memory is C-ordered (or laid out as ``memory_format``)."""
        return layout.is_in(self._data, memory_format)

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
        if type(self._data) is not np.ndarray and self.device.type != "cpu":
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            f"Tensor.cpu() to copy the tensor to host memory first.")
        return np.asarray(self._data)

    def detach(self) -> "Tensor":
        return Tensor._wrap(self._data, None, False)

    def to_dense(self, dtype: Any = None, *, masked_grad: Any = None) -> "Tensor":
        """A dense tensor is its own dense form."""
        return self if dtype is None else self.to(dtype)

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

    def register_post_accumulate_grad_hook(self, hook: Callable[["Tensor"], None]) -> Any:
        """Call ``hook(self)`` after backward has accumulated into this leaf's ``.grad``.

        The engine calls it once the leaf's gradient of this backward is final (not under
        ``autograd.grad``); DistributedDataParallel uses it to start a bucket's allreduce.
        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        hooks = self.__dict__.setdefault("_post_accumulate_hooks", [])  # read by the engine
        hooks.append(hook)

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
        """This tensor with the asked dtype and/or device (differentiable); ``self`` if
        nothing changes, like ``torch.Tensor.to``."""
        dtype, dev = kwargs.get("dtype"), kwargs.get("device")
        copy, fmt = kwargs.get("copy", False), kwargs.get("memory_format")
        for a in args:
            if isinstance(a, Tensor):
                dtype, dev = a.dtype, a.device
            elif isinstance(a, (str, Device)) or (isinstance(a, int) and not isinstance(a, bool)):
                dev = a
            elif a is not None:
                dtype = a
        out = self
        if dev is not None and Device(dev) != out.device:
            out = out._move(Device(dev))  # attached by ops.install (autograd knows no ops)
            copy = False
        if dtype is not None:
            d = dtypes.to_dtype(dtype)
            if d.np != out._data.dtype:
                out, copy = out._cast(d), False
        if fmt is not None and not layout.is_in(out._data, fmt):
            return out.contiguous(memory_format=fmt)  # attached by ops.install
        return out.clone() if copy else out

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
        return self.to("cpu")

    def cuda(self, device: Any = None, non_blocking: bool = False) -> "Tensor":
        return self.to(Device("cuda") if device is None else Device(device))

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


# ----------------------------------------------------------------- row-sparse gradients
def _no_dense(what: str) -> RuntimeError:
    return RuntimeError(
        f"Could not run '{what}' on a sparse gradient (layout=sparse_coo): only SGD (without "
        f"momentum/weight decay) and SparseAdam support sparse gradients (Adam does not support "
        f"sparse gradients, please consider SparseAdam instead), or call grad.to_dense()")


class SparseRows:
    """Raw row-sparse array: ``values[i]`` sits at row ``indices[i]`` of a ``shape`` array.

    The engine passes it through untouched (its shape and dtype equal the parameter's) and
    adds two of them by concatenation; ``+`` with a dense array scatters into a dense copy.
    Any other arithmetic raises, so a dense-only optimizer cannot silently misuse it.

    Values may be held factored, row i = coef[i] * basis[owner[i]] (:meth:`outer`: word2vec's
    output-vector gradient): :meth:`add_to` and :meth:`coalesce` then never form the rows,
    and reading ``values`` forms them once.
    """

    __slots__ = ("indices", "_values", "_factor", "shape", "coalesced")

    def __init__(self, indices: Any, values: Any, shape: tuple, coalesced: bool = False) -> None:
        self.indices, self._values, self._factor = indices, values, None
        self.shape, self.coalesced = tuple(shape), coalesced

    @classmethod
    def outer(cls, indices: Any, coef: Any, basis: Any, owner: Any, shape: tuple
              ) -> "SparseRows":
        """Rows coef[i] * basis[owner[i]] at ``indices``, kept factored."""
        rows = cls(indices, None, shape)
        rows._factor = (coef.astype(basis.dtype, copy=False), basis, owner)
        return rows

    @property
    def values(self) -> Any:
        if self._values is None:
            self._values = scatter.outer_rows(*self._factor)
        return self._values

    @property
    def dtype(self) -> Any:
        return (self._values if self._factor is None else self._factor[1]).dtype

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    def add_to(self, out: Any, alpha: float = 1.0) -> Any:
        """out[indices[i]] += alpha * values[i], duplicates summed; returns ``out``."""
        if self._factor is None:
            return scatter.scatter_add_rows(out, self.indices, self._values, alpha)
        coef, basis, owner = self._factor
        if alpha != 1:
            coef = coef * coef.dtype.type(alpha)
        return scatter.scatter_add_outer(out, self.indices, coef, basis, owner)

    def coalesce(self) -> "SparseRows":
        if self.coalesced:
            return self
        if self._factor is None:
            return SparseRows(*scatter.coalesce_rows(self.indices, self._values), self.shape,
                              True)
        coef, basis, owner = self._factor
        return SparseRows(*scatter.coalesce_rows(self.indices, basis, coef, owner), self.shape,
                          True)

    def to_dense(self) -> Any:
        return self.add_to(get_array_module(self.indices).zeros(self.shape, dtype=self.dtype))

    def astype(self, dtype: Any, copy: bool = True) -> "SparseRows":
        if self._factor is not None and np.dtype(dtype) == self.dtype:
            coef, basis, owner = self._factor  # basis and owner are never written to
            return SparseRows.outer(self.indices, coef.copy() if copy else coef, basis, owner,
                                    self.shape)
        return SparseRows(self.indices, self.values.astype(dtype, copy=copy), self.shape,
                          self.coalesced)

    def copy(self) -> "SparseRows":
        return self.astype(self.dtype, True)

    def fill(self, value: float) -> None:
        if value != 0:
            raise _no_dense("fill_")
        xp = get_array_module(self.indices)
        empty = xp.zeros((0,) + self.shape[1:], self.dtype)
        self.indices, self._values, self._factor = self.indices[:0], empty, None

    def __setitem__(self, key: Any, value: Any) -> None:
        if key is not Ellipsis:
            raise _no_dense("index_put_")
        self.fill(value)

    def __add__(self, other: Any) -> Any:
        xp = get_array_module(self.indices)
        if isinstance(other, SparseRows):
            return SparseRows(xp.concatenate([self.indices, other.indices]),
                              xp.concatenate([self.values, other.values]), self.shape)
        return self.add_to(xp.array(other, dtype=np.result_type(other, self.dtype), copy=True))

    __radd__ = __add__

    def __neg__(self) -> "SparseRows":
        return self * -1

    def __mul__(self, other: Any) -> "SparseRows":
        if not isinstance(other, (int, float)):
            raise _no_dense("mul")
        if self._factor is None:
            return SparseRows(self.indices, self._values * other, self.shape, self.coalesced)
        coef, basis, owner = self._factor
        return SparseRows.outer(self.indices, coef * other, basis, owner, self.shape)

    __rmul__ = __mul__

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if ufunc is np.add and method == "__call__" and len(inputs) == 2:
            dense = inputs[0] if inputs[1] is self else inputs[1]
            if out is None:
                return self + dense
            if len(out) == 1 and out[0] is dense and not isinstance(dense, SparseRows):
                return self.add_to(dense)
        raise _no_dense(ufunc.__name__)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise _no_dense("to a dense array")

    def _bad(self, *args: Any, **kwargs: Any) -> Any:
        raise _no_dense("arithmetic")

    __sub__ = __rsub__ = __truediv__ = __rtruediv__ = __pow__ = __matmul__ = _bad
    __iadd__ = __isub__ = __imul__ = __itruediv__ = _bad
    sum = reshape = mean = __getitem__ = _bad


class SparseTensor(Tensor):
    """A row-sparse COO tensor (the ``.grad`` of ``nn.Embedding(sparse=True)``'s weight).

    ``_indices()`` is (1, nnz) int64 and ``_values()`` (nnz, *dense); indices may repeat until
    ``coalesce()`` sums them, as in PyTorch.
    """

    is_sparse = True
    layout = "sparse_coo"

    def __init__(self, rows: SparseRows) -> None:  # noqa: D107 - built by the engine
        self._data, self.requires_grad, self.grad_fn = rows, False, None
        self._grad, self._retains_grad, self._hooks = None, False, None

    def _indices(self) -> Tensor:
        return Tensor._wrap(self._data.indices.reshape(1, -1), None, False)

    def _values(self) -> Tensor:
        return Tensor._wrap(self._data.values, None, False)

    def indices(self) -> Tensor:
        if not self._data.coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._indices()

    def values(self) -> Tensor:
        if not self._data.coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._values()

    def _nnz(self) -> int:
        return int(self._data.indices.shape[0])

    def is_coalesced(self) -> bool:
        return self._data.coalesced

    def coalesce(self) -> "SparseTensor":
        return SparseTensor(self._data.coalesce())

    def to_dense(self, dtype: Any = None, *, masked_grad: Any = None) -> Tensor:
        t = Tensor._wrap(self._data.to_dense(), None, False)
        return t if dtype is None else t.to(dtype)

    def sparse_dim(self) -> int:
        return 1

    def dense_dim(self) -> int:
        return self._data.ndim - 1

    def detach(self) -> "SparseTensor":
        return SparseTensor(self._data)

    def clone(self, *args: Any, **kwargs: Any) -> "SparseTensor":
        return SparseTensor(self._data.copy())

    def zero_(self) -> "SparseTensor":
        self._data.fill(0)
        return self

    def __neg__(self) -> "SparseTensor":
        return SparseTensor(-self._data)

    def __repr__(self) -> str:
        d = self._data
        return (f"tensor(indices={d.indices.reshape(1, -1).tolist()},\n       values="
                f"{d.values.tolist()},\n       size={d.shape}, nnz={d.indices.shape[0]}, "
                f"layout=shenjing.sparse_coo)")

    __str__ = __repr__
