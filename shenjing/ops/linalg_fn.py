"""``shenjing.linalg``: inverses, determinants, solves and norms of (batches of) matrices,
PyTorch's torch.linalg names and rules.

inv, det, slogdet and solve are Functions over NumPy's LAPACK calls with their matrix-calculus
backward rules (d inv(A) = -inv(A) dA inv(A), d log|det A| = tr(inv(A) dA)); the norms and
matrix_power are compositions of differentiable ops.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from .creation import eye
from .elementwise import abs as _abs
from .linalg import matmul
from .reduce import amax, amin, norm as _norm, sum as _sum
from .shape import movedim, reshape


def _mT(a: Any) -> Any:
    return a.swapaxes(-1, -2)


def _square(op: str, A: Any) -> None:
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.{op}: argument 'A' must be Tensor, not {type(A).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2] if A.ndim >= 2 else 1} by {A.shape[-1]} matrices")
    if A._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.{op}: Expected a floating point or complex tensor as "
                           f"input. Got {A.dtype}")


def _lapack(op: str, fn: Any, *arrays: Any) -> Any:
    xp = get_array_module(*arrays)
    try:
        return fn(xp.linalg, *arrays)
    except xp.linalg.LinAlgError:
        raise RuntimeError(f"linalg.{op}: The diagonal element of the LU factorisation is "
                           "zero: the matrix is singular and cannot be inverted") from None


class Inv(Function):
    def forward(self, a):
        self.y = _lapack("inv", lambda la, x: la.inv(x), a)
        return self.y

    def backward(self, g):  # dA = -Y^T G Y^T
        yt = _mT(self.y)
        return -(yt @ g @ yt)


class Det(Function):
    def forward(self, a):
        xp = get_array_module(a)
        self.a = a
        self.d = xp.linalg.det(a)
        return self.d

    def backward(self, g):  # dA = g det(A) inv(A)^T
        xp = get_array_module(g)
        try:
            inv = xp.linalg.inv(self.a)
        except xp.linalg.LinAlgError:  # singular: det is 0, and a finite factor gives
            inv = xp.linalg.pinv(self.a)  # PyTorch's zero gradient
        return (g * self.d)[..., None, None] * _mT(inv)


class LogAbsDet(Function):
    """log|det A| (the sign is not differentiable); d/dA = inv(A)^T (a singular A's
    gradient is a RuntimeError here, infinite in PyTorch)."""

    def forward(self, a):
        xp = get_array_module(a)
        self.a = a
        self.sign, logabs = xp.linalg.slogdet(a)
        return logabs

    def backward(self, g):
        inv = _lapack("slogdet", lambda la, x: la.inv(x), self.a)
        return g[..., None, None] * _mT(inv)


class Solve(Function):
    """X = A^-1 B for B (*, n, k); dB = A^-T G, dA = -dB X^T."""

    def forward(self, a, b):
        self.a = a
        self.x = _lapack("solve", lambda la, m, r: la.solve(m, r), a, b)
        return self.x

    def backward(self, g):
        gb = _lapack("solve", lambda la, m, r: la.solve(m, r), _mT(self.a), g)
        return -(gb @ _mT(self.x)), gb


class SingularValues(Function):
    """The singular values s of A (*, m, n), descending; dA = U diag(g) V^T (distinct values
    assumed, as in PyTorch)."""

    def forward(self, a):
        xp = get_array_module(a)
        self.u, s, self.vt = xp.linalg.svd(a, full_matrices=False)
        return s

    def backward(self, g):
        return (self.u * g[..., None, :]) @ self.vt


def svdvals(A: Tensor) -> Tensor:
    """The singular values of each matrix in A (*, m, n), in descending order."""
    if not isinstance(A, Tensor) or A.ndim < 2:
        raise RuntimeError("linalg.svdvals: The input tensor A must have at least 2 dimensions.")
    if A._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.svdvals: Expected a floating point or complex tensor as "
                           f"input. Got {A.dtype}")
    return SingularValues.apply(A)


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix in A (*, n, n); a RuntimeError if singular."""
    _square("inv", A)
    return Inv.apply(A)


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix in A (*, n, n)."""
    _square("det", A)
    return Det.apply(A)


_SlogDet = namedtuple("slogdet", ["sign", "logabsdet"])


def slogdet(A: Tensor) -> tuple:
    """(sign, log|det A|) of each square matrix, without the determinant's overflow."""
    _square("slogdet", A)
    sign = get_array_module(A._data).linalg.slogdet(A._data)[0]
    return _SlogDet(Tensor._wrap(sign, None, False), LogAbsDet.apply(A))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B for A (*, n, n) and B (*, n, k), or (*, n) (a batch of vectors)."""
    _square("solve", A)
    if not left:
        return _mT_t(solve(_mT_t(A), _mT_t(B)))
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX "
                           f"= B ({A.shape[-2]}x{A.shape[-1]} and {list(B.shape)})")
    if vector:
        return Solve.apply(A, B.unsqueeze(-1)).squeeze(-1)
    return Solve.apply(A, B)


def _mT_t(t: Tensor) -> Tensor:
    return t.transpose(-1, -2)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A multiplied by itself n times (n = 0: identity; n < 0: powers of the inverse)."""
    _square("matrix_power", A)
    if n < 0:
        return matrix_power(inv(A), -n)
    if n == 0:
        return A * 0 + eye(A.shape[-1], dtype=A.dtype)  # in the graph, zero gradient
    out, base = None, A
    while n:  # binary powering: log2(n) products
        if n & 1:
            out = base if out is None else matmul(out, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return out


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all elements when None): inf, -inf, 0 or p."""
    return _norm(x, ord, dim, keepdim)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """'fro'; the induced 1 / inf norms (largest absolute column / row sum) and their
    -1 / -inf minima; 2 / -2 (largest / smallest singular value) and 'nuc' (their sum)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    r, c = (d % A.ndim for d in dim)
    if ord == "fro":
        return _norm(A, 2, (r, c), keepdim)
    if ord in (1, -1, float("inf"), float("-inf")):
        along, across = (r, c) if ord in (1, -1) else (c, r)
        sums = _sum(_abs(A), along, keepdim=keepdim)
        if not keepdim and across > along:
            across -= 1
        return (amax if ord > 0 else amin)(sums, across, keepdim=keepdim)
    if ord in (2, -2, "nuc"):  # from the singular values of the matrices in (r, c)
        sv = svdvals(movedim(A, (r, c), (-2, -1)))
        out = _sum(sv, -1) if ord == "nuc" else (amax if ord == 2 else amin)(sv, -1)
        if keepdim:
            out = reshape(out, tuple(out.shape) + (1, 1))
            out = movedim(out, (-2, -1), (r, c))
        return out
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """A vector norm (1-D, or an int ``dim``), else a matrix norm (2-D, or a 2-tuple
    ``dim``); with neither ord nor dim, the 2-norm of all elements."""
    if ord is None:
        return _norm(A, 2, dim, keepdim)
    if isinstance(dim, int) or (dim is None and A.ndim == 1):
        return vector_norm(A, ord, dim, keepdim)
    return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim)


__all__ = ["inv", "det", "slogdet", "solve", "matrix_power", "vector_norm", "matrix_norm",
           "norm", "svdvals"]
