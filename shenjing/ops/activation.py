"""Activations: sigmoid, tanh, the ReLU family, GELU, SiLU, softplus, softmax, log-softmax.

Every op is one Function whose backward is the closed-form derivative, computed from the
saved output where that is cheaper. softmax and log_softmax are fused and shift by the max
so large logits never overflow.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _check_dim
from ..backend import dtypes, get_array_module
from ._util import elementwise


def _float(op: str, x: Tensor) -> None:
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: expected a floating point tensor, got {x.dtype}")


# ----------------------------------------------------------------------------- erfc
def _erfc_coefficients(n: int = 32) -> np.ndarray:
    """Chebyshev coefficients of P(t) in erfc(z) = t exp(-z^2 + P(t)), t = 2 / (2 + z).

    P is smooth on t in (0, 1] (z in [0, inf)), so a short series gives erfc to ~1e-13
    relative. Sampled once from ``math.erfc`` (and its asymptotic series where that underflows).
    """
    theta = np.pi * (np.arange(n) + 0.5) / n
    ts = (np.cos(theta) + 1) / 2
    vals = []
    for t in ts:
        z = 2 / t - 2
        if z < 25:
            vals.append(math.log(math.erfc(z) / t) + z * z)
        else:  # erfc z ~ e^{-z^2} / (z sqrt(pi)) * sum_n (-1)^n (2n-1)!! / (2 z^2)^n
            s = term = 1.0
            for k in range(1, 12):
                term *= -(2 * k - 1) / (2 * z * z)
                s += term
            vals.append(math.log(s) - math.log(z * math.sqrt(math.pi) * t))
    f = np.array(vals)
    c = np.array([2 / n * np.sum(f * np.cos(k * theta)) for k in range(n)])
    c[0] /= 2
    return c


_ERFC_C = _erfc_coefficients()
# terms kept per dtype: dropped coefficients are below the dtype's resolution
_ERFC_TERMS = {np.dtype(np.float64): _ERFC_C[:24].tolist(),
               np.dtype(np.float32): _ERFC_C[:12].tolist(),
               np.dtype(np.float16): _ERFC_C[:8].tolist()}


def _erfc_nonneg(z: Any) -> Any:
    """erfc(z) for z >= 0, elementwise, in z's dtype (Clenshaw sum of the Chebyshev series)."""
    xp = get_array_module(z)
    t = 2 / (2 + z)
    y = 2 * t - 1
    c = _ERFC_TERMS.get(z.dtype) or _ERFC_TERMS[np.dtype(np.float64)]
    n = len(c)
    b1 = xp.zeros_like(z)
    b2 = xp.zeros_like(z)
    y2 = 2 * y
    for k in range(n - 1, 0, -1):
        b1, b2 = y2 * b1 - b2 + c[k], b1
    return t * xp.exp(y * b1 - b2 + c[0] - z * z)


def _normal_cdf(x: Any) -> Any:
    """Phi(x) = erfc(-x / sqrt 2) / 2, accurate in both tails."""
    e = _erfc_nonneg(get_array_module(x).abs(x) * (1 / math.sqrt(2)))
    return get_array_module(x).where(x < 0, 0.5 * e, 1 - 0.5 * e)


# ----------------------------------------------------------------------------- sigmoid family
def _sigmoid(a: Any) -> Any:
    xp = get_array_module(a)
    e = xp.exp(-xp.abs(a))  # never overflows
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Function):
    def forward(self, a):
        self.out = _sigmoid(a)
        return self.out

    def backward(self, g):
        return g * self.out * (1 - self.out)  # s' = s (1 - s)


class Tanh(Function):
    def forward(self, a):
        self.out = get_array_module(a).tanh(a)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)  # tanh' = 1 - tanh^2


class LogSigmoid(Function):
    def forward(self, a):
        xp = get_array_module(a)
        self.a = a
        return xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))

    def backward(self, g):
        return g * _sigmoid(-self.a)  # d log s(a) = 1 - s(a) = s(-a)


class SiLU(Function):
    def forward(self, a):
        self.a, self.s = a, _sigmoid(a)
        return a * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1 + self.a * (1 - s)))  # d a s(a) = s + a s (1 - s)


class Softplus(Function):
    def forward(self, a, beta, threshold):
        xp = get_array_module(a)
        self.a, self.beta, self.threshold = a, beta, threshold
        ba = a * beta
        soft = (xp.maximum(ba, 0) + xp.log1p(xp.exp(-xp.abs(ba)))) / beta
        return xp.where(ba > threshold, a, soft).astype(a.dtype, copy=False)

    def backward(self, g):
        ba = self.a * self.beta
        return get_array_module(g).where(ba > self.threshold, g, g * _sigmoid(ba))


class Mish(Function):
    def forward(self, a):
        xp = get_array_module(a)
        self.a = a
        sp = xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))
        self.t = xp.tanh(sp)
        return a * self.t

    def backward(self, g):
        t = self.t  # d a tanh(sp(a)) = tanh(sp) + a (1 - tanh^2(sp)) s(a)
        return g * (t + self.a * (1 - t * t) * _sigmoid(self.a))


class Softsign(Function):
    def forward(self, a):
        self.d = 1 + get_array_module(a).abs(a)
        return a / self.d

    def backward(self, g):
        return g / (self.d * self.d)  # d a/(1+|a|) = 1/(1+|a|)^2


# ----------------------------------------------------------------------------- ReLU family
class ReLU(Function):
    def forward(self, a):
        self.a = a  # the graph keeps the input alive anyway: no extra mask
        xp = get_array_module(a)
        return elementwise(lambda o, a: xp.maximum(a, 0, out=o), xp.empty_like(a), a)

    def backward(self, g):
        xp = get_array_module(g)  # relu' = [a > 0]
        return elementwise(lambda o, g, a: xp.multiply(g, a > 0, out=o),
                           xp.empty_like(self.a, dtype=g.dtype), g, self.a)


class Hardtanh(Function):
    def forward(self, a, lo, hi):
        self.mask = (a > lo) & (a < hi)
        return get_array_module(a).clip(a, lo, hi).astype(a.dtype, copy=False)

    def backward(self, g):
        return g * self.mask


class LeakyReLU(Function):
    """max(a, s a) for 0 < s <= 1 (else a where a > 0, s a elsewhere); d/da = 1 or s.

    Arithmetic instead of ``where``: NumPy's where branches per element, several times
    slower on the mixed signs of activations."""

    def forward(self, a, slope):
        xp = get_array_module(a)
        self.a, self.slope = a, slope
        s = a.dtype.type(slope)

        def kernel(o, a):
            xp.multiply(a, s, out=o)
            if 0.0 < slope <= 1.0:
                xp.maximum(a, o, out=o)
            else:
                xp.copyto(o, a, where=a > 0)  # unusual slopes: the plain definition

        return elementwise(kernel, xp.empty_like(a), a)

    def backward(self, g):
        xp = get_array_module(g)
        one_minus, s = g.dtype.type(1.0 - self.slope), g.dtype.type(self.slope)

        def kernel(d, g, a):  # d = g (s + [a > 0] (1 - s))
            xp.greater(a, 0, out=d)
            d *= one_minus
            d += s
            d *= g

        return elementwise(kernel, xp.empty_like(self.a, dtype=g.dtype), g, self.a)


class ELU(Function):
    """scale * (a if a > 0 else alpha (e^{a input_scale} - 1)); selu and celu are ELUs."""

    def forward(self, a, alpha, scale, input_scale):
        xp = get_array_module(a)
        self.mask = a > 0
        self.neg = alpha * scale * xp.exp(xp.minimum(a, 0) * input_scale)
        self.scale, self.input_scale = scale, input_scale
        out = xp.where(self.mask, a * scale, (self.neg - alpha * scale))
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        # d/da: scale for a > 0, else alpha scale input_scale e^{a input_scale}
        return get_array_module(g).where(self.mask, g * self.scale,
                                         g * self.neg * self.input_scale)


class GELU(Function):
    _K = math.sqrt(2 / math.pi)

    def forward(self, a, approximate):
        xp = get_array_module(a)
        self.a, self.approx = a, approximate
        if approximate == "tanh":  # x/2 (1 + tanh(k (x + 0.044715 x^3)))
            self.t = xp.tanh(self._K * (a + 0.044715 * a * a * a))
            return 0.5 * a * (1 + self.t)
        self.cdf = _normal_cdf(a)
        return a * self.cdf  # x Phi(x)

    def backward(self, g):
        a = self.a
        xp = get_array_module(g)
        if self.approx == "tanh":
            t = self.t
            dinner = self._K * (1 + 3 * 0.044715 * a * a)
            return g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * dinner)
        pdf = xp.exp(-0.5 * a * a) * (1 / math.sqrt(2 * math.pi))
        return g * (self.cdf + a * pdf)  # d x Phi(x) = Phi(x) + x phi(x)


# ----------------------------------------------------------------------------- softmax
class Softmax(Function):
    def forward(self, a, dim):
        xp = get_array_module(a)
        e = xp.exp(a - a.max(axis=dim, keepdims=True)) if a.size else a.copy()
        e /= e.sum(axis=dim, keepdims=True)
        self.out, self.dim = e, dim
        return e

    def backward(self, g):
        y = self.out  # dL/da = y (g - sum(g y))
        return y * (g - (g * y).sum(axis=self.dim, keepdims=True))


class LogSoftmax(Function):
    def forward(self, a, dim):
        xp = get_array_module(a)
        if a.size == 0:
            self.out, self.dim = a.copy(), dim
            return self.out
        s = a - a.max(axis=dim, keepdims=True)
        s -= xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
        self.out, self.dim = s, dim
        return s

    def backward(self, g):
        xp = get_array_module(g)  # dL/da = g - softmax * sum(g)
        return g - xp.exp(self.out) * g.sum(axis=self.dim, keepdims=True)


def _softmax_dim(op: str, x: Tensor, dim: int | None, dtype: Any) -> tuple[Tensor, int]:
    if dtype is not None:
        x = x.to(dtype)
    _float(op, x)
    if dim is None:  # PyTorch's legacy implicit choice
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call "
                      "to include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return x, _check_dim(dim, x.ndim, op)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (shifted by the max for stability)."""
    x, d = _softmax_dim("softmax", input, dim, dtype)
    return Softmax.apply(x, dim=d)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``, in one stable node."""
    x, d = _softmax_dim("log_softmax", input, dim, dtype)
    return LogSoftmax.apply(x, dim=d)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    x, d = _softmax_dim("softmin", input, dim, dtype)
    return Softmax.apply(-x, dim=d)


# ----------------------------------------------------------------------------- public
def _unary(op: str, cls: type, x: Tensor, **attrs: Any) -> Tensor:
    if x._data.dtype.kind not in "fc":
        if x._data.dtype.kind not in "biu":
            raise RuntimeError(f"{op}: expected a floating point tensor, got {x.dtype}")
        x = Tensor._wrap(x._data.astype(dtypes.get_default_dtype().np), None, False)
    return cls.apply(x, **attrs)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x), evaluated without overflow for large |x|."""
    return _unary("sigmoid", Sigmoid, input)


def tanh(input: Tensor) -> Tensor:
    return _unary("tanh", Tanh, input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); ``inplace`` is accepted and a new tensor returned."""
    if input._data.dtype.kind in "iu":
        return Tensor._wrap(np.maximum(input._data, 0), None, False)
    return ReLU.apply(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("hardtanh: min_val cannot be greater than max_val")
    return _unary("hardtanh", Hardtanh, input, lo=min_val, hi=max_val)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _unary("leaky_relu", LeakyReLU, input, slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _unary("elu", ELU, input, alpha=alpha, scale=1.0, input_scale=1.0)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _unary("selu", ELU, input, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha of celu must not be 0")
    return _unary("celu", ELU, input, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x) (``approximate='tanh'``: PyTorch's tanh form)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return _unary("gelu", GELU, input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _unary("silu", SiLU, input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _unary("mish", Mish, input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^{beta x}) / beta, linear where beta x > threshold."""
    return _unary("softplus", Softplus, input, beta=beta, threshold=threshold)


def softsign(input: Tensor) -> Tensor:
    return _unary("softsign", Softsign, input)


def logsigmoid(input: Tensor) -> Tensor:
    return _unary("logsigmoid", LogSigmoid, input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, -3.0, 3.0) * (1 / 6) + 0.5  # relu6(x + 3) / 6


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return input * hardsigmoid(input)


def tanhshrink(input: Tensor) -> Tensor:
    return input - tanh(input)


__all__ = ["sigmoid", "tanh", "relu", "selu", "celu", "softmax", "log_softmax"]
TENSOR_METHODS = ("sigmoid", "tanh", "relu", "softmax", "log_softmax")
FUNCTIONAL = ("sigmoid", "tanh", "relu", "relu6", "hardtanh", "leaky_relu", "elu", "selu",
              "celu", "gelu", "silu", "mish", "softplus", "softsign", "logsigmoid",
              "hardsigmoid", "hardswish", "tanhshrink", "softmax", "log_softmax", "softmin")
