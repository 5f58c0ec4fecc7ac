"""Shape ops: reshape/view, squeeze, permute, expand, repeat, cat/stack, split, flip, roll.

Each op moves elements without changing them, so each backward moves the gradient back:
reshape undoes the reshape, permute applies the inverse permutation, expand is summed back by
the engine's unbroadcast, a slice's gradient is written into zeros of the input's shape.
Multi-output ops (split, chunk, unbind) return tuples of single-output slices.
"""
from __future__ import annotations

import itertools
import math
from types import SimpleNamespace
from typing import Any, Sequence

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _check_dim
from ..backend import dtypes, get_array_module
from ._util import result_dtype


def _sizes(args: tuple, op: str = "shape") -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3)."""
    if len(args) == 1 and not isinstance(args[0], int):
        args = args[0]
    try:
        return tuple(int(s) for s in args)
    except TypeError:
        raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, "
                        f"but found {type(args).__name__}") from None


def _infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Replace one -1 in ``shape`` so the shape holds ``numel`` elements (PyTorch's rule)."""
    known, infer = 1, None
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s}")
        else:
            known *= s
    if infer is None:
        if known != numel:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return shape
    if known == 0:
        if numel == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous")
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    if numel % known:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape[:infer] + (numel // known,) + shape[infer + 1:]


# ----------------------------------------------------------------------------- reshape family
class Reshape(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)  # the same elements in the input's layout


def _reshape(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    if shape == x._data.shape:
        return Reshape.apply(x, shape=shape) if x.requires_grad else Tensor._wrap(x._data, None)
    return Reshape.apply(x, shape=shape)


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape; one dimension may be -1 (inferred)."""
    return _reshape(input, _infer_shape(_sizes(shape, "reshape"), input._data.size))


def view(input: Tensor, *shape: Any) -> Tensor:
    """Like :func:`reshape` (NumPy gives a view whenever the layout allows one)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        # view(dtype): the same bytes read as another dtype (no gradient flows)
        return Tensor._wrap(input._data.view(dtypes.to_dtype(shape[0]).np), None, False)
    return _reshape(input, _infer_shape(_sizes(shape, "view"), input._data.size))


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, tuple(other.shape))


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, tuple(other.shape))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one; a 0-d tensor becomes shape (1,)."""
    shape = input._data.shape
    if input.ndim == 0:
        return _reshape(input, (1,))
    s = _check_dim(start_dim, input.ndim, "flatten")
    e = _check_dim(end_dim, input.ndim, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return _reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def ravel(input: Tensor) -> Tensor:
    return _reshape(input, (input._data.size,))


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of them may be -1)."""
    d = _check_dim(dim, input.ndim, "unflatten")
    n = input._data.shape[d]
    sizes = tuple(int(s) for s in sizes)
    try:
        sizes = _infer_shape(sizes, n)
    except RuntimeError:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
            f"({n}) in the input tensor") from None
    shape = input._data.shape
    return _reshape(input, shape[:d] + sizes + shape[d + 1:])


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Drop dims of size 1 (all, or those in ``dim`` that have size 1)."""
    shape = input._data.shape
    if dim is None:
        return _reshape(input, tuple(s for s in shape if s != 1))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    drop = {_check_dim(d, input.ndim, "squeeze") for d in dims}
    return _reshape(input, tuple(s for i, s in enumerate(shape) if not (i in drop and s == 1)))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim`` (in [-ndim-1, ndim])."""
    d = _check_dim(dim, input.ndim + 1, "unsqueeze")
    shape = input._data.shape
    return _reshape(input, shape[:d] + (1,) + shape[d:])


# ----------------------------------------------------------------------------- permutations
class Permute(Function):
    def forward(self, a, dims):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, g):
        inv = [0] * len(self.dims)  # the inverse permutation: inv[dims[i]] = i
        for i, d in enumerate(self.dims):
            inv[d] = i
        return g.transpose(inv)


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder dims: output dim i is input dim ``dims[i]``."""
    dims = _sizes(dims, "permute")
    if len(dims) != input.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{input.ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_check_dim(d, input.ndim, "permute") for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims=dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dims ``dim0`` and ``dim1``."""
    n = input.ndim
    a, b = _check_dim(dim0, n, "transpose"), _check_dim(dim1, n, "transpose")
    if a == b or n < 2:
        return _reshape(input, input._data.shape)
    dims = list(range(n))
    dims[a], dims[b] = b, a
    return Permute.apply(input, dims=tuple(dims))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a matrix; 0-d and 1-d tensors come back as they are."""
    if input.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else _reshape(input, input._data.shape)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the others keep their order."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)")
    n = input.ndim
    src = tuple(_check_dim(d, n, "movedim") for d in src)
    dst = tuple(_check_dim(d, n, "movedim") for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(source)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(destination)})")
    rest = iter(d for d in range(n) if d not in src)
    placed = dict(zip(dst, src))
    dims = tuple(placed[i] if i in placed else next(rest) for i in range(n))
    return Permute.apply(input, dims=dims) if n else _reshape(input, ())


moveaxis = movedim


# ----------------------------------------------------------------------------- expand / repeat
class Expand(Function):
    def forward(self, a, shape):
        return get_array_module(a).broadcast_to(a, shape)

    def backward(self, g):
        return g  # the engine sums over the broadcast axes: dL/da = sum of dL/dy over copies


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """A broadcast view with ``sizes``; -1 keeps a dim, only size-1 dims may grow."""
    sizes = _sizes(sizes, "expand")
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(shape)})")
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            out.append(s)
            continue
        old = shape[i - lead]
        if s == -1:
            s = old
        elif old != s and old != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({old}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}")
        out.append(s)
    out = tuple(out)
    if out == shape:
        return _reshape(input, shape)
    return Expand.apply(input, shape=out)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, tuple(other.shape))


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    return expand(input, tuple(size))


class Repeat(Function):
    def forward(self, a, reps):
        self.shape = a.shape
        self.padded = (1,) * (len(reps) - a.ndim) + a.shape
        return get_array_module(a).tile(a.reshape(self.padded), reps)

    def backward(self, g):
        # view g as (r0, s0, r1, s1, ...) and sum over the repetition axes r_i
        inter = []
        for r, s in zip(g.shape, self.padded):
            inter += [r // s if s else 0, s]
        if 0 in g.shape:
            return get_array_module(g).zeros(self.shape, g.dtype)
        return g.reshape(inter).sum(axis=tuple(range(0, len(inter), 2))).reshape(self.shape)


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along dim i (``sizes`` may add leading dims)."""
    reps = _sizes(sizes, "repeat")
    if len(reps) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(reps)}")
    return Repeat.apply(input, reps=reps)


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Like :func:`repeat`; fewer ``dims`` than input dims are padded with leading 1s."""
    dims = _sizes((dims,), "tile")
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


# ----------------------------------------------------------------------------- join
class Cat(Function):
    def forward(self, *arrays, dim, keep, dtype):
        self.dim, self.keep = dim, keep
        if keep is not None:  # legacy empty (0,) inputs are left out
            self.shapes = [a.shape for a in arrays]
            arrays = [arrays[i] for i in keep]
        self.sizes = [a.shape[dim] for a in arrays]
        return get_array_module(*arrays).concatenate(arrays, axis=dim, dtype=dtype)

    def backward(self, g):
        # dL/dx_i is the slice of g that x_i filled
        xp = get_array_module(g)
        bounds = list(itertools.accumulate(self.sizes))[:-1]
        parts = xp.split(g, bounds, axis=self.dim)
        if self.keep is None:
            return tuple(parts)
        out = [xp.zeros(s, g.dtype) for s in self.shapes]
        for i, p in zip(self.keep, parts):
            out[i] = p
        return tuple(out)


def _as_tensors(tensors: Any, op: str) -> list:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' must be tuple of Tensors, not Tensor")
    ts = list(tensors)
    for i, x in enumerate(ts):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
    return ts


def _check_cat(ts: list, keep: list, d: int) -> None:
    ref = ts[keep[0]]._data.shape
    for i in keep[1:]:
        s = ts[i]._data.shape
        if len(s) != len(ref):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(ref)} and {len(s)}")
        for k, (p, q) in enumerate(zip(ref, s)):
            if k != d and p != q:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {p} "
                    f"but got size {q} for tensor number {i} in the list.")


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Any = None) -> Tensor:
    """Join tensors along ``dim``; 1-d empty tensors may be mixed in and are skipped."""
    ts = _as_tensors(tensors, "cat")
    if not ts:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    keep, dt = None, ts[0]._data.dtype
    for i, x in enumerate(ts):
        a = x._data
        if a.ndim <= 1:
            if a.ndim == 0:
                raise RuntimeError(
                    f"zero-dimensional tensor (at position {i}) cannot be concatenated")
            if a.shape[0] == 0:
                keep = keep or []
        if a.dtype != dt:
            dt = result_dtype(SimpleNamespace(dtype=dt, ndim=1), a)
    if keep is not None:
        keep = [i for i, x in enumerate(ts) if x._data.shape != (0,)] or list(range(len(ts)))
        if len(keep) == len(ts):
            keep = None
    d = _check_dim(dim, ts[keep[0] if keep else 0].ndim, "cat")
    try:
        return Cat.apply(*ts, dim=d, keep=keep, dtype=dt)
    except ValueError:
        _check_cat(ts, keep or list(range(len(ts))), d)
        raise


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Any = None) -> Tensor:
    """Join equal-shaped tensors along a new dim ``dim``."""
    ts = _as_tensors(tensors, "stack")
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = ts[0]._data.shape
    for i, x in enumerate(ts[1:], 1):
        if x._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(x._data.shape)} at entry {i}")
    d = _check_dim(dim, len(ref) + 1, "stack")
    dt = ts[0]._data.dtype
    for x in ts[1:]:
        if x._data.dtype != dt:
            dt = result_dtype(SimpleNamespace(dtype=dt, ndim=1), x._data)
    return Stack.apply(*ts, dim=d, dtype=dt)


class Stack(Function):
    def forward(self, *arrays, dim, dtype):
        self.dim = dim
        return get_array_module(*arrays).stack(arrays, axis=dim, dtype=dtype)

    def backward(self, g):
        return tuple(get_array_module(g).moveaxis(g, self.dim, 0))  # dL/dx_i = g[.., i, ..]


def _atleast(x: Tensor, n: int) -> Tensor:
    if x.ndim >= n:
        return x
    if n == 3 and x.ndim == 2:
        return unsqueeze(x, 2)
    shape = {0: (1,) * n, 1: (1, x._data.shape[0]) + (1,) * (n - 2)}[x.ndim]
    return _reshape(x, shape)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    ts = [_atleast(x, 1) for x in _as_tensors(tensors, "hstack")]
    return cat(ts, 0 if ts and ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat([_atleast(x, 2) for x in _as_tensors(tensors, "vstack")], 0)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat([_atleast(x, 3) for x in _as_tensors(tensors, "dstack")], 2)


# ----------------------------------------------------------------------------- slices
class Slice(Function):
    """``a[key]`` for a basic key (ints, slices, None, Ellipsis): a view of the input."""

    def forward(self, a, key):
        self.shape, self.dtype, self.key = a.shape, a.dtype, key
        return a[key]

    def backward(self, g):
        # dL/da is dL/dy at the selected positions and zero elsewhere
        z = get_array_module(g).zeros(self.shape, g.dtype)
        z[self.key] = g
        return z


def _slice(x: Tensor, d: int, index: Any) -> Tensor:
    return Slice.apply(x, key=(slice(None),) * d + (index,))


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """Elements ``start .. start+length-1`` along ``dim`` (a view)."""
    d = _check_dim(dim, input.ndim, "narrow")
    n = input._data.shape[d]
    start = int(start)
    if not -n <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    start %= n if n else 1
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, d, slice(start, start + length))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, with that dim removed."""
    d = _check_dim(dim, input.ndim, "select")
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input._data.shape)} at dimension {dim}")
    return _slice(input, d, index % n)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of listed sizes."""
    d = _check_dim(dim, tensor.ndim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={size}")
        if size == 0:
            if n:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                                   f"dimension size of {n}")
            return (_slice(tensor, d, slice(0, 0)),)
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        if not sizes:
            sizes = [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}")
    out, lo = [], 0
    for s in sizes:
        out.append(_slice(tensor, d, slice(lo, lo + s)))
        lo += s
    return tuple(out)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` pieces of size ceil(n / chunks) along ``dim``."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _check_dim(dim, input.ndim, "chunk")
    n = input._data.shape[d]
    if n == 0:
        return tuple(_slice(input, d, slice(0, 0)) for _ in range(chunks))
    return split(input, -(-n // chunks), d)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, with that dim removed."""
    d = _check_dim(dim, input.ndim, "unbind")
    return tuple(_slice(input, d, i) for i in range(input._data.shape[d]))


# ----------------------------------------------------------------------------- flip / roll
class Flip(Function):
    def forward(self, a, dims):
        self.dims = dims
        return get_array_module(a).flip(a, dims).copy()

    def backward(self, g):
        return get_array_module(g).flip(g, self.dims)  # flipping is its own inverse


def _dim_list(dims: tuple, ndim: int, op: str) -> tuple[int, ...]:
    if len(dims) == 1 and not isinstance(dims[0], int):
        dims = tuple(dims[0])
    out = tuple(_check_dim(int(d), ndim, op) for d in dims)
    for d in out:
        if out.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


def flip(input: Tensor, *dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch)."""
    return Flip.apply(input, dims=_dim_list(dims, input.ndim, "flip"))


def fliplr(input: Tensor) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Function):
    def forward(self, a, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return get_array_module(a).roll(a, shifts, dims)

    def backward(self, g):
        neg = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return get_array_module(g).roll(g, neg, self.dims)  # roll back by the same amount


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements cyclically along ``dims`` (or over the flattened tensor)."""
    if dims is None:
        s = shifts if isinstance(shifts, int) else tuple(shifts)
        if not isinstance(s, int):
            if len(s) != 1:
                raise RuntimeError(f"shifts and dimensions must align. shifts: {len(s)}, dims:0")
            s = s[0]
        return Roll.apply(input, shifts=int(s), dims=None)
    sh = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    ds = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(sh) != len(ds):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, "
                           f"dims:{len(ds)}")
    ds = tuple(_check_dim(d, input.ndim, "roll") for d in ds)
    return Roll.apply(input, shifts=sh, dims=ds)


__all__ = [
    "reshape", "view_as", "reshape_as", "flatten", "ravel", "unflatten", "squeeze",
    "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis",
    "broadcast_to", "tile", "cat", "concat", "concatenate", "stack", "hstack", "vstack",
    "dstack", "narrow", "select", "split", "chunk", "unbind", "flip", "fliplr", "flipud", "roll",
]
TENSOR_METHODS = (
    "reshape", "view", "view_as", "reshape_as", "flatten", "ravel", "unflatten", "squeeze",
    "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis",
    "expand", "expand_as", "broadcast_to", "repeat", "tile", "narrow", "select", "split",
    "chunk", "unbind", "flip", "fliplr", "flipud", "roll",
)
