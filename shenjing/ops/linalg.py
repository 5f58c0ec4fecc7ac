"""Linear algebra: matmul in all its PyTorch cases, mm, bmm, dot, mv, outer, einsum, linear.

Each product is one BLAS call forward and at most two backward; batch dimensions that were
broadcast are summed back by the engine. ``linear`` is fused (y = x W^T + b in one node).
"""
from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module

_DTYPE_NAME = {"float32": "float", "float64": "double", "float16": "half", "int64": "long",
               "int32": "int", "int16": "short", "int8": "signed char", "uint8": "unsigned char",
               "bool": "bool"}


def _x(shape: tuple) -> str:
    return "x".join(str(s) for s in shape)


def _same_dtype(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        n1, n2 = (_DTYPE_NAME.get(str(t._data.dtype), str(t._data.dtype)) for t in (a, b))
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {n1} != {n2}")


def _swap(a: Any) -> Any:
    return a.swapaxes(-1, -2)


def _rows(a: Any) -> Any:
    """View (..., k) as a matrix (rows, k); safe when some size is zero."""
    n = 1
    for s in a.shape[:-1]:
        n *= s
    return a.reshape(n, a.shape[-1])


class MatMul(Function):
    """matmul of arrays with at least one dimension each (NumPy's rules are PyTorch's)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return get_array_module(a).matmul(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        xp = get_array_module(g)
        nig = self.needs_input_grad
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:  # dot: d(a.b)/da = b
            return (g * b if nig[0] else None), (g * a if nig[1] else None)
        if a.ndim == 1:  # y[..., n] = a[k] b[..., k, n]
            if nig[0]:
                ga = xp.matmul(b, g[..., None])[..., 0]  # dL/da_k = sum_n b_kn g_n
            if nig[1]:
                gb = a[:, None] * g[..., None, :]
            return ga, gb
        if b.ndim == 1:  # y[..., m] = a[..., m, k] b[k]
            if nig[0]:
                ga = g[..., :, None] * b
            if nig[1]:
                gb = xp.matmul(_swap(a), g[..., None])[..., 0]
                if gb.ndim > 1:
                    gb = _rows(gb).sum(0)
            return ga, gb
        # Y = A B: dA = G B^T, dB = A^T G (batch dims unbroadcast by the engine)
        if nig[0]:
            ga = xp.matmul(g, _swap(b))
        if nig[1]:
            if b.ndim == 2 and a.ndim > 2:  # shared B: dB = sum_batch A^T G, one GEMM
                gb = _rows(a).T @ _rows(g)
            else:
                gb = xp.matmul(_swap(a), g)
        return ga, gb


def _batch_shape(sa: tuple, sb: tuple) -> tuple:
    out = []
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {len(out)}")
        out.append(max(x, y))
    return tuple(reversed(out))


def matmul(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
    """Matrix product with PyTorch's cases: dot, mv, vm, mm and broadcast batched products.

    Shape:
        (k)·(k) -> (); (..., m, k)·(k) -> (..., m); (k)·(..., k, n) -> (..., n);
        (*a, m, k)·(*b, k, n) -> (broadcast(a, b), m, n).
    """
    a, b = input, other
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
            f"{b.ndim}D")
    sa, sb = a._data.shape, b._data.shape
    ka = sa[-1]
    kb = sb[-2] if b.ndim > 1 else sb[0]
    if ka != kb:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to have the "
                f"same number of elements, but got {ka} and {kb} elements respectively")
        if a.ndim == 2 and b.ndim == 1:
            raise RuntimeError(f"size mismatch, got input ({sa[0]}), mat ({_x(sa)}), vec ({kb})")
        m1 = sa if a.ndim <= 2 else (a._data.size // ka, ka)
        m1 = (1, ka) if a.ndim == 1 else m1
        m2 = sb if b.ndim > 1 else (kb, 1)
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_x(m1)} and {_x(m2)})")
    if a.ndim > 2 or b.ndim > 2:
        _batch_shape(sa[:-2], sb[:-2])
    _same_dtype(a, b)
    return MatMul.apply(a, b)


def mm(input: Tensor, mat2: Tensor, *, out: Any = None) -> Tensor:
    """Product of two matrices (no broadcasting). Shape: (n, m)·(m, p) -> (n, p)."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor, *, out: Any = None) -> Tensor:
    """Batched product of 3-D tensors with the same batch.

    Shape: (b, n, m)·(b, m, p) -> (b, n, p).
    """
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, n, m = input._data.shape
    if mat2._data.shape[:2] != (b, m):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] but "
            f"got: [{mat2._data.shape[0]}, {mat2._data.shape[1]}].")
    return matmul(input, mat2)


def dot(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
    """Inner product of two 1-D tensors of the same length."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    return matmul(input, other)



def mv(input: Tensor, vec: Tensor, *, out: Any = None) -> Tensor:
    """Matrix-vector product. Shape: (n, m)·(m) -> (n)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    return matmul(input, vec)


class Outer(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a[:, None] * b[None, :]

    def backward(self, g):
        nig = self.needs_input_grad
        # y_ij = a_i b_j: dL/da = G b, dL/db = G^T a
        return (g @ self.b if nig[0] else None), (self.a @ g if nig[1] else None)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors. Shape: (n)·(m) -> (n, m)."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    _same_dtype(input, vec2)
    return Outer.apply(input, vec2)


ger = outer


class Linear(Function):
    """y = x W^T + b over any leading dims of x, as one node."""

    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        y = _rows(x) @ w.T
        if b is not None:
            y += b
        return y.reshape(*x.shape[:-1], w.shape[0])

    def backward(self, g):
        nig = self.needs_input_grad
        g2 = _rows(g)
        gx = (g2 @ self.w).reshape(self.x.shape) if nig[0] else None  # dX = dY W
        gw = g2.T @ _rows(self.x) if nig[1] else None  # dW = dY^T X
        if len(nig) == 2:
            return gx, gw
        gb = g2.sum(0) if nig[2] else None  # db = sum over rows of dY
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Apply y = x W^T + b.

    Shape:
        input (*, in_features), weight (out_features, in_features), bias (out_features)
        -> (*, out_features).
    """
    if weight.ndim != 2 or input.ndim == 0:
        if weight.ndim == 2:
            raise RuntimeError("linear: input must have at least 1 dimension, got a 0-D tensor")
        out = matmul(input, weight)  # a 1-D weight: y = x w (+ b)
        return out if bias is None else out + bias
    k = input._data.shape[-1]
    if k != weight._data.shape[1]:
        rows = input._data.size // k if k else 0
        m1 = (rows, k) if input.ndim > 1 else (1, k)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_x(m1)} and "
            f"{weight._data.shape[1]}x{weight._data.shape[0]})")
    _same_dtype(input, weight)
    if bias is None:
        return Linear.apply(input, weight)
    if bias._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"linear: expected bias of dtype {input.dtype} like input, got {bias.dtype}")
    if bias.ndim > 1 or (bias.ndim == 1 and bias._data.shape[0] not in (1, weight.shape[0])):
        raise RuntimeError(
            f"linear: bias of shape {tuple(bias.shape)} does not fit output features "
            f"{weight.shape[0]}")
    return Linear.apply(input, weight, bias)


class Dense(Function):
    """y = x K + b with the kernel K in (in, out) layout (Keras's Dense), as one node.

    dL/dx = dY K^T, dL/dK = X^T dY, dL/db = sum over rows of dY.
    """

    def forward(self, x, k, b=None):
        x2 = _rows(x)
        y = x2 @ k
        if b is not None:
            y += b
        if self.needs_input_grad:
            self.x2, self.k, self.xshape = x2, k, x.shape
        return y.reshape(*x.shape[:-1], k.shape[1])

    def backward(self, g):
        nig = self.needs_input_grad
        g2 = _rows(g)
        gx = (g2 @ self.k.T).reshape(self.xshape) if nig[0] else None  # dX = dY K^T
        gk = self.x2.T @ g2 if nig[1] else None  # dK = X^T dY
        if len(nig) == 2:
            return gx, gk
        return gx, gk, (g2.sum(0) if nig[2] else None)  # db = sum over rows of dY


def dense(input: Tensor, kernel: Tensor, bias: Tensor | None = None) -> Tensor:
    """Apply y = x K + b with ``kernel`` (in_features, out_features), the Keras layout.

    The same product as ``linear(x, K^T, b)`` without a transpose node on the tape.

    Shape:
        input (*, in_features), kernel (in_features, out_features), bias (out_features)
        -> (*, out_features).
    """
    ks = kernel._data.shape
    if len(ks) != 2 or input.ndim == 0 or input._data.shape[-1] != ks[0]:
        if len(ks) != 2:
            raise RuntimeError(f"dense: kernel must be 2-D (in_features, out_features), got "
                               f"shape {tuple(ks)}")
        if input.ndim == 0:
            raise RuntimeError("dense: input must have at least 1 dimension, got a 0-D tensor")
        k = input._data.shape[-1]
        rows = input._data.size // k if k else 0
        raise RuntimeError(f"dense: mat1 and mat2 shapes cannot be multiplied "
                           f"({_x((rows, k))} and {_x(ks)})")
    _same_dtype(input, kernel)
    if bias is None:
        return Dense.apply(input, kernel)
    if bias._data.dtype != input._data.dtype or bias._data.shape not in ((ks[1],), (1,)):
        raise RuntimeError(f"dense: expected bias of shape ({ks[1]},) and dtype {input.dtype}, "
                           f"got shape {tuple(bias.shape)} and dtype {bias.dtype}")
    return Dense.apply(input, kernel, bias)


# ----------------------------------------------------------------------------- einsum
def _parse_einsum(eq: str, n: int) -> tuple[list[str], str]:
    eq = eq.replace(" ", "")
    if "." in eq:
        raise RuntimeError("einsum: shenjing does not support '...' in equations yet")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != n:
        raise RuntimeError(
            "einsum(): more operands were provided than specified in the equation"
            if n > len(subs) else
            "einsum(): fewer operands were provided than specified in the equation")
    if not arrow:
        letters = "".join(subs)
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return subs, rhs


class Einsum(Function):
    def forward(self, *arrays, subs, out_sub):
        self.arrays, self.subs, self.out_sub = arrays, subs, out_sub
        xp = get_array_module(*arrays)
        return xp.einsum(",".join(subs) + "->" + out_sub, *arrays, optimize=len(arrays) > 2)

    def backward(self, g):
        # dL/dA_i = einsum(G, A_j (j != i) -> sub_i): the output's role and A_i's swapped;
        # a letter only in sub_i was summed over, so its gradient is broadcast back.
        xp = get_array_module(g)
        res = []
        for i, (a, s) in enumerate(zip(self.arrays, self.subs)):
            if not self.needs_input_grad[i]:
                res.append(None)
                continue
            others = [self.out_sub] + [t for j, t in enumerate(self.subs) if j != i]
            ops = [g] + [x for j, x in enumerate(self.arrays) if j != i]
            avail = set("".join(others))
            full = "".join(dict.fromkeys(s))
            keep = "".join(c for c in full if c in avail)
            size = {c: a.shape[s.index(c)] for c in full}
            gi = xp.einsum(",".join(others) + "->" + keep, *ops, optimize=len(ops) > 2)
            gi = xp.broadcast_to(gi.reshape([size[c] if c in keep else 1 for c in full]),
                                 [size[c] for c in full])
            if len(full) != len(s):  # a repeated letter is a diagonal: write onto it
                gfull = xp.zeros(a.shape, dtype=g.dtype)
                xp.einsum(s + "->" + full, gfull)[...] = gi
                gi = gfull
            res.append(gi)
        return tuple(res)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation over the operands (no '...' yet), differentiable in each."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    subs, out_sub = _parse_einsum(equation, len(operands))
    for t, s in zip(operands, subs):
        if t.ndim != len(s):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(s)}) does not match "
                f"the number of dimensions ({t.ndim}) for operand "
                f"{operands.index(t)} and no ellipsis was given")
    return Einsum.apply(*operands, subs=subs, out_sub=out_sub)


def _rmatmul(self: Tensor, other: Any) -> Tensor:
    return matmul(other, self)


__matmul__ = matmul
__rmatmul__ = _rmatmul

__all__ = ["matmul", "mm", "bmm", "dot", "mv", "outer", "ger", "einsum"]
TENSOR_METHODS = ("matmul", "mm", "bmm", "dot", "mv", "outer", "ger", "__matmul__",
                  "__rmatmul__")
FUNCTIONAL = ("linear",)
