"""Indexing: ``x[key]`` and ``x[key] = v``, gather/scatter, index_select, masks, tril/triu.

A selection's backward puts the gradient back where the elements came from, in zeros of
the input's shape; where an integer index may repeat, the copies add up (``np.add.at``
semantics: dL/dx[i] = sum of dL/dy[j] over every j that read x[i]).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import state
from ..autograd.tensor import Tensor, _check_dim
from ..backend import get_array_module
from .shape import Slice

_BASIC = (int, slice, type(None), type(Ellipsis))


# ----------------------------------------------------------------------------- keys
def _index_array(v: Any) -> Any:
    """An index tensor/array/list as an int64 or bool array (PyTorch's accepted dtypes)."""
    arr = v._data if isinstance(v, Tensor) else np.asarray(v)
    k = arr.dtype.kind
    if k == "b":
        return arr
    if k == "u" and arr.dtype.itemsize == 1:
        return arr.astype(bool)  # uint8 index tensors are masks, as in PyTorch
    if k in "iu":
        return arr
    if arr.size == 0 and not isinstance(v, (Tensor, np.ndarray)):
        return arr.astype(np.int64)  # x[[]] selects nothing
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _norm_key(key: Any) -> tuple[Any, int]:
    """NumPy's form of ``key`` and its kind: 0 basic, 1 masks only, 2 integer arrays."""
    if not isinstance(key, tuple):
        if isinstance(key, list) and any(
                isinstance(k, (Tensor, slice, list)) or k is None or k is Ellipsis for k in key):
            key = tuple(key)
        else:
            key = (key,)
    out, kind = [], 0
    for k in key:
        if isinstance(k, _BASIC) or isinstance(k, bool):
            if isinstance(k, slice) and k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(k)
        elif isinstance(k, (Tensor, np.ndarray, list, tuple)):
            arr = _index_array(k)
            if arr.dtype == bool:
                kind = max(kind, 1)
            elif arr.ndim == 0:
                arr = int(arr)  # a 0-d integer index acts like an int
            else:
                kind = 2
            out.append(arr)
        elif hasattr(k, "__index__"):
            out.append(k.__index__())
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                f"Variables are valid indices (got {type(k).__name__})")
    if kind == 0 and Ellipsis not in out:
        out.append(Ellipsis)  # keeps a full-int index a 0-d view rather than a scalar copy
    return tuple(out), kind


def _index_error(e: Exception, shape: tuple, key: tuple) -> Exception:
    """NumPy's indexing error in PyTorch's words."""
    msg = str(e)
    if msg.startswith("too many indices"):
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    if "boolean index did not match" in msg:
        mask = next(k for k in key if isinstance(k, np.ndarray) and k.dtype == bool)
        return IndexError(f"The shape of the mask {list(mask.shape)} does not match the shape "
                          f"of the indexed tensor {list(shape)}")
    if "out of bounds" in msg:
        return IndexError(msg.replace("axis", "dimension"))
    if "could not be broadcast" in msg:
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together "
                          f"({msg.split('together with shapes')[-1].strip()})")
    return IndexError(f"index: {msg}")


class Index(Function):
    """``a[key]`` with advanced (array) indices: a copy."""

    def forward(self, a, key, kind):
        self.shape, self.key, self.kind = a.shape, key, kind
        return a[key]

    def backward(self, g):
        z = get_array_module(g).zeros(self.shape, g.dtype)
        if self.kind == 2:
            np.add.at(z, self.key, g)  # repeated indices accumulate
        else:
            z[self.key] = g  # masks select each element at most once
        return z


def __getitem__(self: Tensor, key: Any) -> Tensor:
    """``x[key]``: ints, slices (step > 0), None, Ellipsis, integer/bool tensors or lists."""
    nk, kind = _norm_key(key)
    try:
        if kind == 0:
            return Slice.apply(self, key=nk)
        return Index.apply(self, key=nk, kind=kind)
    except IndexError as e:
        raise _index_error(e, self._data.shape, nk) from None


class SetItem(Function):
    """The graph node of ``x[key] = v``: the old ``x`` and ``v`` flow to the new ``x``."""

    def backward(self, g):
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = g.copy()
            ga[self.key] = 0  # overwritten elements no longer depend on the old x
        if self.needs_input_grad[1]:
            gv = g[self.key]  # the engine sums over the positions v was broadcast to
        return ga, gv


def __setitem__(self: Tensor, key: Any, value: Any) -> None:
    """``x[key] = value`` in place; records a node when ``value`` or a non-leaf ``x`` needs grad."""
    grad_on = state.enabled
    if grad_on and self.requires_grad and self.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    nk, kind = _norm_key(key)
    v = value._data if isinstance(value, Tensor) else value
    try:
        self._data[nk] = v
    except IndexError as e:
        raise _index_error(e, self._data.shape, nk) from None
    except ValueError as e:
        if "read-only" in str(e):
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation.") from None
        vs = list(np.shape(v))
        raise RuntimeError(f"shape mismatch: value tensor of shape {vs} cannot be broadcast to "
                           f"indexing result of shape {list(self._data[nk].shape)}") from None
    vgrad = isinstance(value, Tensor) and value.requires_grad
    if grad_on and (self.requires_grad or vgrad):
        fn = SetItem()
        old = Tensor._wrap(self._data, self.grad_fn, self.requires_grad)
        vt = value if isinstance(value, Tensor) else Tensor._wrap(np.asarray(v), None, False)
        fn.inputs, fn.needs_input_grad, fn.key = (old, vt), (old.requires_grad, vgrad), nk
        fn.next_fns = (old.grad_fn, vt.grad_fn)
        self.grad_fn, self.requires_grad = fn, True


# ----------------------------------------------------------------------------- gather / scatter
def _check_index(op: str, index: Tensor) -> Any:
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")
    return index._data


def _check_along(op: str, shape: tuple, dim: int, idx: Any, bound: tuple | None = None) -> Any:
    """Validate an index of gather/scatter against ``shape``; returns it with ndim == len(shape)."""
    if idx.ndim != len(shape) and not (idx.ndim <= 1 and len(shape) <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if idx.ndim != len(shape):
        idx = idx.reshape(idx.shape + (1,) * (len(shape) - idx.ndim))
    for d, (i, s) in enumerate(zip(idx.shape, shape)):
        if d != dim and i > s:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(idx.shape)} to be no "
                f"larger than self {list(shape)} apart from dimension {dim}")
        if bound is not None and i > bound[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(idx.shape)} to be no "
                f"larger than src {list(bound)}")
    n = shape[dim] if shape else 1
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= n:
            bad = int(lo) if lo < 0 else int(hi)
            raise RuntimeError(
                f"{op}(): index {bad} is out of bounds for dimension {dim} with size {n}")
    return idx


def _positions(shape: tuple, dim: int, idx: Any) -> Any:
    """Flat positions in a C-ordered array of ``shape`` of (i_0, .., idx[i], .., i_n)."""
    if not shape:
        return idx.astype(np.int64)
    xp = get_array_module(idx)
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    lin = idx * strides[dim]
    for d in range(len(shape)):
        if d != dim and idx.shape[d] > 1:
            ar = xp.arange(idx.shape[d]).reshape((-1,) + (1,) * (len(shape) - d - 1))
            lin = lin + ar * strides[d]
    return lin


def _linear(op: str, shape: tuple, dim: int, idx: Any, bound: tuple | None = None) -> Any:
    return _positions(shape, dim, _check_along(op, shape, dim, idx, bound))


def _flat_add(z: Any, lin: Any, vals: Any) -> Any:
    """z.flat[lin] += vals with repeats accumulating (bincount for floats, add.at otherwise)."""
    xp = get_array_module(z)
    flat = z.reshape(-1)
    if z.dtype.kind == "f" and lin.size:
        flat += xp.bincount(lin.reshape(-1), weights=vals.reshape(-1),
                            minlength=flat.size).astype(z.dtype)
    else:
        np.add.at(flat, lin.reshape(-1), vals.reshape(-1))
    return flat.reshape(z.shape)


class Gather(Function):
    def forward(self, a, idx, dim):
        self.shape, self.idx, self.dim = a.shape, idx, dim
        if a.ndim == 0:
            return a.reshape(1)[idx]
        if any(i != s for k, (i, s) in enumerate(zip(idx.shape, a.shape)) if k != dim):
            a = a[tuple(slice(0, i) if k != dim else slice(None) for k, i in enumerate(idx.shape))]
        return get_array_module(a).take_along_axis(a, idx, axis=dim)

    def backward(self, g):
        z = get_array_module(g).zeros(self.shape, g.dtype)
        lin = _positions(self.shape, self.dim, self.idx)
        return _flat_add(z, lin, g)  # dL/da[p] = sum of dL/dy over entries that read p


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j] = input[i][index[i][j]] (for dim=1): pick along ``dim`` by ``index``."""
    d = _check_dim(dim, input.ndim, "gather")
    idx = _check_along("gather", input._data.shape, d, _check_index("gather", index))
    return Gather.apply(input, idx=idx, dim=d).reshape(index._data.shape) \
        if idx.shape != index._data.shape else Gather.apply(input, idx=idx, dim=d)


class Scatter(Function):
    def forward(self, a, s, lin, src_key, add):
        self.lin, self.src_key, self.src_shape, self.add_mode = lin, src_key, s.shape, add
        out = a.copy()
        vals = s[src_key] if s.ndim else s
        if add:
            return _flat_add(out, lin, vals.astype(a.dtype))
        flat = out.reshape(-1)
        flat[lin] = vals
        return flat.reshape(a.shape)

    def backward(self, g):
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = g
            if not self.add_mode:
                ga = g.copy().reshape(-1)
                ga[self.lin] = 0  # overwritten positions: dL/dinput = 0 there
                ga = ga.reshape(g.shape)
        if self.needs_input_grad[1]:
            gs = get_array_module(g).zeros(self.src_shape, g.dtype)
            gs[self.src_key] = g.reshape(-1)[self.lin]  # dL/dsrc = dL/dout where it landed
        return ga, gs


def _scatter(op: str, input: Tensor, dim: int, index: Tensor, src: Any, add: bool) -> Tensor:
    d = _check_dim(dim, input.ndim, op)
    idx = _check_index(op, index)
    if isinstance(src, Tensor):
        if src.ndim != input.ndim and not (input.ndim <= 1 and src.ndim <= 1):
            raise RuntimeError(f"{op}(): Expected self.dtype and src to have the same number of "
                               "dimensions")
        bound = src._data.shape if src.ndim else None
        if src._data.dtype != input._data.dtype and not add:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
    else:
        src, bound = Tensor._wrap(np.asarray(src, dtype=input._data.dtype), None, False), None
    lin = _linear(op, input._data.shape, d, idx, bound)
    src_key = tuple(slice(0, n) for n in idx.shape)
    return Scatter.apply(input, src, lin=lin, src_key=src_key, add=add)


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None, *,
            reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
    if reduce == "add":
        return _scatter("scatter", input, dim, index, src, True)
    if reduce is not None:
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}"
                           if reduce != "multiply" else "scatter(): reduce='multiply' is not "
                           "supported in shenjing; use scatter_reduce")
    return _scatter("scatter", input, dim, index, src, False)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    return _scatter("scatter_add", input, dim, index, src, True)


# ----------------------------------------------------------------------------- index_select
def _check_vector_index(op: str, index: Tensor, n: int, dim: int) -> Any:
    idx = _check_index(op, index)
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    idx = idx.reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(f"{op}(): index {bad} is out of bounds for dimension {dim} with size {n}")
    return idx


class IndexSelect(Function):
    def forward(self, a, idx, dim):
        self.shape, self.idx, self.dim = a.shape, idx, dim
        return get_array_module(a).take(a, idx, axis=dim)

    def backward(self, g):
        z = get_array_module(g).zeros(self.shape, g.dtype)
        np.add.at(z, (slice(None),) * self.dim + (self.idx,), g)  # repeats accumulate
        return z


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` at positions ``index`` (1-d) along ``dim``."""
    d = _check_dim(dim, input.ndim, "index_select")
    n = input._data.shape[d] if input.ndim else 1
    idx = _check_vector_index("index_select", index, n, d)
    if input.ndim == 0:
        if idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{idx.size} value(s)")
        return Gather.apply(input, idx=idx.reshape(()), dim=0)
    return IndexSelect.apply(input, idx=idx, dim=d)


def _along(dim: int, idx: Any) -> tuple:
    """The key selecting positions ``idx`` along ``dim`` (every index before it)."""
    return (slice(None),) * dim + (idx,)


def _check_source(op: str, input: Tensor, d: int, idx: Any, source: Tensor) -> None:
    """source must be input's shape with ``idx.size`` along dim ``d`` (index_add/copy)."""
    want = input._data.shape[:d] + (idx.size,) + input._data.shape[d + 1:]
    if tuple(source._data.shape) != want and not (input.ndim == 0 and source._data.size == 1):
        raise RuntimeError(f"{op}: Expected source to have shape {list(want)}, but got "
                           f"{list(source._data.shape)}")


class IndexAdd(Function):
    def forward(self, a, s, idx, dim, alpha):
        self.idx, self.dim, self.alpha = idx, dim, alpha
        out = a.copy()
        np.add.at(out, _along(dim, idx), s * alpha if alpha != 1 else s)
        return out

    def backward(self, g):
        gs = None
        if self.needs_input_grad[1]:  # dL/dsource = alpha * dL/dout at the rows it was added to
            gs = get_array_module(g).take(g, self.idx, axis=self.dim)
            gs = gs * self.alpha if self.alpha != 1 else gs
        return g, gs


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: float = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at rows ``index`` along ``dim``."""
    d = _check_dim(dim, input.ndim, "index_add")
    n = input._data.shape[d] if input.ndim else 1
    idx = _check_vector_index("index_add", index, n, d)
    _check_source("index_add_()", input, d, idx, source)
    return IndexAdd.apply(input, source, idx=idx, dim=d, alpha=alpha)


# ----------------------------------------------------------------------------- masks
def _check_mask(op: str, mask: Any) -> Any:
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != bool:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{_torch_dtype_name(m.dtype)}")
    return m


def _torch_dtype_name(dt: Any) -> str:
    return {"int64": "long int", "int32": "int", "float32": "float", "float64": "double",
            "uint8": "unsigned char"}.get(str(dt), str(dt))


class MaskedFill(Function):
    def forward(self, a, v, mask):
        self.mask = mask
        return get_array_module(a).where(mask, v.astype(a.dtype), a)

    def backward(self, g):
        nig = self.needs_input_grad
        ga = g * ~self.mask if nig[0] else None  # filled positions don't depend on input
        gv = (g * self.mask).sum() if nig[1] else None  # dL/dvalue = sum over filled positions
        return ga, gv


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``value`` where ``mask`` is True, ``input`` elsewhere (mask broadcasts)."""
    m = _check_mask("masked_fill_", mask)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
    else:
        value = Tensor._wrap(np.asarray(value), None, False)
    try:
        return MaskedFill.apply(input, value, mask=m)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: The size of the mask {list(m.shape)} must match the size of the "
            f"tensor {list(input.shape)} at a non-singleton dimension") from None


class MaskedSelect(Function):
    def forward(self, a, mask):
        xp = get_array_module(a)
        self.shape = xp.broadcast_shapes(a.shape, mask.shape)
        self.mask = xp.broadcast_to(mask, self.shape)
        return xp.broadcast_to(a, self.shape)[self.mask]

    def backward(self, g):
        z = get_array_module(g).zeros(self.shape, g.dtype)
        z[self.mask] = g  # the engine sums back over axes the mask broadcast a to
        return z


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """A 1-d tensor of the elements where ``mask`` (broadcast with ``input``) is True."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    try:
        return MaskedSelect.apply(input, Tensor._wrap(m, None, False))
    except ValueError:
        raise RuntimeError(
            f"masked_select: The size of tensor a {list(input.shape)} must match the size of "
            f"tensor b {list(m.shape)} at a non-singleton dimension") from None


class Take(Function):
    def forward(self, a, lin):
        self.shape, self.lin = a.shape, lin
        return a.reshape(-1)[lin]

    def backward(self, g):
        return _flat_add(get_array_module(g).zeros(self.shape, g.dtype), self.lin, g)


def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of the flattened ``input`` at ``index`` (negative counts from the end)."""
    idx = _check_index("take", index)
    n = input._data.size
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = int(idx.min()) if idx.min() < -n else int(idx.max())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return Take.apply(input, lin=idx % max(n, 1))


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: (k, ndim) int64, or a tuple of k-vectors."""
    a = input._data
    xp = get_array_module(a)
    idx = xp.nonzero(a.reshape(1) if a.ndim == 0 else a)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64), None, False) for i in idx)
    out = xp.stack(idx, axis=1).astype(np.int64)
    return Tensor._wrap(out[:, :0] if a.ndim == 0 else out, None, False)


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


# ----------------------------------------------------------------------------- triangles
class Tri(Function):
    def forward(self, a, k, upper):
        self.k, self.upper = k, upper
        xp = get_array_module(a)
        return xp.triu(a, k) if upper else xp.tril(a, k)

    def backward(self, g):
        xp = get_array_module(g)  # the same mask passes the gradient
        return xp.triu(g, self.k) if self.upper else xp.tril(g, self.k)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below ``diagonal``) of the last two dims; zeros elsewhere."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tri.apply(input, k=int(diagonal), upper=False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above ``diagonal``) of the last two dims; zeros elsewhere."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Tri.apply(input, k=int(diagonal), upper=True)


def _diag_pos(n: int, k: int) -> tuple[Any, Any]:
    i = np.arange(n)
    return i + max(-k, 0), i + max(k, 0)


class Diagonal(Function):
    def forward(self, a, offset, dim1, dim2):
        self.shape, self.k, self.dims = a.shape, offset, (dim1, dim2)
        return get_array_module(a).diagonal(a, offset, dim1, dim2).copy()

    def backward(self, g):
        z = get_array_module(g).zeros(self.shape, g.dtype)
        zm = get_array_module(g).moveaxis(z, self.dims, (-2, -1))  # a writable view of z
        r, c = _diag_pos(g.shape[-1], self.k)
        zm[..., r, c] = g
        return z


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal ``offset`` of the planes (dim1, dim2), as the last dim."""
    d1, d2 = _check_dim(dim1, input.ndim, "diagonal"), _check_dim(dim2, input.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset=int(offset), dim1=d1, dim2=d2)


class DiagEmbed1d(Function):
    def forward(self, a, k):
        self.k = k
        return get_array_module(a).diag(a, k)

    def backward(self, g):
        return get_array_module(g).diagonal(g, self.k)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-d: a matrix with ``input`` on diagonal ``diagonal``; 2-d: that diagonal as 1-d."""
    if input.ndim == 1:
        return DiagEmbed1d.apply(input, k=int(diagonal))
    if input.ndim == 2:
        return Diagonal.apply(input, offset=int(diagonal), dim1=0, dim2=1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


__all__ = [
    "gather", "scatter", "scatter_add", "index_select", "index_add", "masked_fill",
    "masked_select", "take", "nonzero", "argwhere", "tril", "triu", "diagonal", "diag",
]
TENSOR_METHODS = ("__getitem__", "__setitem__", *__all__)
