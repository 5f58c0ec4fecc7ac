"""In-place Tensor methods (``add_``, ``mul_``, ``uniform_`` ...) for optimizers, init and users.

They write into ``t._data`` itself, so tensors sharing storage (``.data``, ``detach()``) see
the change. shenjing does not record in-place ops in the graph: inside ``no_grad`` (or on
tensors outside any graph) they just work; on a leaf that requires grad they raise PyTorch's
error; on a tensor that is part of a graph they raise, pointing at the out-of-place form.
``x += y`` on a non-leaf in a graph rebinds ``x`` to the out-of-place result instead.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.grad_mode import state
from ..autograd.tensor import Tensor, _check_dim
from ..backend import device_of, get_array_module, move, rng_of
from ._util import result_dtype, scalar_dtype

_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
          "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _guard(self: Tensor, op: str, *others: Any) -> None:
    """Refuse in-place writes that autograd would have to record."""
    if not state.enabled:
        return
    if self.requires_grad:
        if self.grad_fn is None:
            raise RuntimeError(_LEAF)
        raise RuntimeError(
            f"{op}: shenjing does not record in-place ops in the autograd graph, and this "
            f"tensor is part of one (grad_fn={self.grad_fn.name()}); use the out-of-place "
            f"form, or wrap the update in shenjing.no_grad()")
    for o in others:
        if isinstance(o, Tensor) and o.requires_grad:
            raise RuntimeError(
                f"{op}: shenjing does not record in-place ops in the autograd graph, and an "
                f"argument requires grad; use the out-of-place form or shenjing.no_grad()")


def _arr(value: Any, like: np.ndarray) -> Any:
    """Raw operand: a tensor's array, or a Python/NumPy value, checked castable to ``like``."""
    if isinstance(value, Tensor):
        v = value._data
        rd = result_dtype(like, v)
    elif isinstance(value, (bool, int, float, complex)):
        v = value
        rd = scalar_dtype(value, like.dtype)
    else:
        v = np.asarray(value)
        rd = result_dtype(like, v)
    if rd != like.dtype and not np.can_cast(rd, like.dtype, "same_kind"):
        raise RuntimeError(f"result type {_NAMES.get(str(rd), rd)} can't be cast to the desired "
                           f"output type {_NAMES.get(str(like.dtype), like.dtype)}")
    return v


def _write(self: Tensor, op: str, value: Any) -> Tensor:
    """self[...] = value, with PyTorch's errors for shapes and read-only storage."""
    dst = self._data
    shape = getattr(value, "shape", ())
    if shape != dst.shape and not _fits(shape, dst.shape):
        raise RuntimeError(f"output with shape {list(dst.shape)} doesn't match the broadcast "
                           f"shape {list(_bshape(shape, dst.shape))}")
    try:
        dst[...] = value
    except ValueError as e:
        if not dst.flags.writeable:
            raise RuntimeError(
                f"{op}: this tensor's storage is read-only (an expanded or broadcast view); "
                f"clone() it first") from e
        raise
    return self


def _fits(src: tuple, dst: tuple) -> bool:
    """Whether ``src`` broadcasts to exactly ``dst``."""
    if len(src) > len(dst):
        return False
    return all(s == 1 or s == d for s, d in zip(reversed(src), reversed(dst)))


def _bshape(a: tuple, b: tuple) -> tuple:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return a


def _binary(op: str, self: Tensor, other: Any, fn: Any) -> Tensor:
    _guard(self, op, other)
    o = _arr(other, self._data)
    try:
        r = fn(self._data, o)
    except ValueError:
        raise RuntimeError(
            f"{op}: output with shape {list(self._data.shape)} doesn't match the broadcast "
            f"shape {list(getattr(o, 'shape', ()))}") from None
    return _write(self, op, r)


def add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """self += alpha * other."""
    if alpha != 1:
        o = _arr(other, self._data)
        return _binary("add_", self, other, lambda a, _: a + alpha * o)
    return _binary("add_", self, other, lambda a, b: a + b)


def sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """self -= alpha * other."""
    if alpha != 1:
        o = _arr(other, self._data)
        return _binary("sub_", self, other, lambda a, _: a - alpha * o)
    return _binary("sub_", self, other, lambda a, b: a - b)


def mul_(self: Tensor, other: Any) -> Tensor:
    return _binary("mul_", self, other, lambda a, b: a * b)


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    if self._data.dtype.kind not in "fc" and rounding_mode is None:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_NAMES.get(str(self._data.dtype), self._data.dtype)}")
    xp = get_array_module(self._data)
    if rounding_mode == "floor":
        return _binary("div_", self, other, lambda a, b: xp.floor_divide(a, b))
    if rounding_mode == "trunc":
        return _binary("div_", self, other, lambda a, b: xp.trunc(a / b))
    return _binary("div_", self, other, lambda a, b: a / b)


def pow_(self: Tensor, exponent: Any) -> Tensor:
    return _binary("pow_", self, exponent, lambda a, b: a ** b)


def addcmul_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """self += value * tensor1 * tensor2."""
    _guard(self, "addcmul_", tensor1, tensor2)
    t1, t2 = _arr(tensor1, self._data), _arr(tensor2, self._data)
    return _write(self, "addcmul_", self._data + value * (t1 * t2))


def addcdiv_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """self += value * tensor1 / tensor2."""
    _guard(self, "addcdiv_", tensor1, tensor2)
    t1, t2 = _arr(tensor1, self._data), _arr(tensor2, self._data)
    return _write(self, "addcdiv_", self._data + value * (t1 / t2))


def lerp_(self: Tensor, end: Tensor, weight: Any) -> Tensor:
    """self += weight * (end - self)."""
    _guard(self, "lerp_", end, weight)
    e, w = _arr(end, self._data), _arr(weight, self._data)
    return _write(self, "lerp_", self._data + w * (e - self._data))


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("clamp_: At least one of 'min' or 'max' must not be None")
    _guard(self, "clamp_", min, max)
    xp = get_array_module(self._data)
    out = self._data
    if min is not None:
        out = xp.maximum(out, _arr(min, self._data))
    if max is not None:
        out = xp.minimum(out, _arr(max, self._data))
    return _write(self, "clamp_", out)


clip_ = clamp_


def clamp_min_(self: Tensor, min: Any) -> Tensor:
    return clamp_(self, min=min)


def clamp_max_(self: Tensor, max: Any) -> Tensor:
    return clamp_(self, max=max)


def _unary(op: str, fn_name: str):
    def f(self: Tensor) -> Tensor:
        _guard(self, op)
        if self._data.dtype.kind not in "fc" and fn_name in ("sqrt", "exp"):
            raise RuntimeError(f"result type Float can't be cast to the desired output type "
                               f"{_NAMES.get(str(self._data.dtype), self._data.dtype)}")
        xp = get_array_module(self._data)
        getattr(xp, fn_name)(self._data, out=self._data)
        return self

    f.__name__ = op
    f.__doc__ = f"In-place ``{fn_name}`` of the tensor's values; returns self."
    return f


sqrt_ = _unary("sqrt_", "sqrt")
exp_ = _unary("exp_", "exp")
neg_ = _unary("neg_", "negative")
negative_ = neg_
abs_ = _unary("abs_", "abs")
sign_ = _unary("sign_", "sign")
floor_ = _unary("floor_", "floor")
ceil_ = _unary("ceil_", "ceil")
log_ = _unary("log_", "log")
tanh_ = _unary("tanh_", "tanh")
reciprocal_ = _unary("reciprocal_", "reciprocal")


def relu_(self: Tensor) -> Tensor:
    _guard(self, "relu_")
    get_array_module(self._data).maximum(self._data, 0, out=self._data)
    return self


def sigmoid_(self: Tensor) -> Tensor:
    _guard(self, "sigmoid_")
    from .activation import _sigmoid  # noqa: PLC0415

    return _write(self, "sigmoid_", _sigmoid(self._data))


def zero_(self: Tensor) -> Tensor:
    _guard(self, "zero_")
    return _write(self, "zero_", 0)


def fill_(self: Tensor, value: Any) -> Tensor:
    _guard(self, "fill_", value)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        value = value._data
    return _write(self, "fill_", value)


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast to self's shape, cast to self's dtype) into self."""
    _guard(self, "copy_", src)
    s = src._data if isinstance(src, Tensor) else np.asarray(src)
    if s is self._data:
        return self
    return _write(self, "copy_", s)


def masked_fill_(self: Tensor, mask: Tensor, value: Any) -> Tensor:
    """Write ``value`` where ``mask`` (broadcast to self) is True."""
    _guard(self, "masked_fill_", value)
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_NAMES.get(str(m.dtype), m.dtype).lower()}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        value = value._data
    try:
        get_array_module(self._data).copyto(self._data, value, where=m, casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"masked_fill_: the mask of shape {list(m.shape)} must be broadcastable to the "
            f"tensor of shape {list(self._data.shape)}") from None
    return self


def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    _guard(self, "index_fill_", value)
    d = _check_dim(dim, self.ndim, "index_fill_")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if isinstance(value, Tensor):
        value = value._data
    sl = [slice(None)] * self._data.ndim
    sl[d] = idx.reshape(-1)
    self._data[tuple(sl)] = value
    return self


def scatter_(self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
             reduce: str | None = None) -> Tensor:
    """self[..., index[i, j, ...], ...] = src[i, j, ...] along ``dim`` (last write wins)."""
    _guard(self, "scatter_", src)
    d = _check_dim(dim, self.ndim, "scatter_")
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError("scatter_(): Expected dtype int64 for index")
    xp = get_array_module(self._data)
    grids = list(xp.ix_(*[xp.arange(s) for s in idx.shape])) if idx.ndim else []
    if grids:
        grids[d] = idx
    where = tuple(grids) if grids else ()
    v = src if src is not None else value
    if isinstance(v, Tensor):
        v = v._data[tuple(slice(0, s) for s in idx.shape)]
    if reduce == "add":
        xp.add.at(self._data, where, v)
    elif reduce == "multiply":
        xp.multiply.at(self._data, where, v)
    else:
        self._data[where] = v
    return self


# ----------------------------------------------------------------------------- random fills
def _fill_random(self: Tensor, op: str, values: Any) -> Tensor:
    _guard(self, op)
    if type(self._data) is not np.ndarray:  # drawn on the CPU stream: equal on every device
        values = move(values, device_of(self._data))
    self._data[...] = values
    return self


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None,
             **kw: Any) -> Tensor:
    """Fill with U(a, b) (``from``/``to`` accepted as keywords, as in PyTorch)."""
    a, b = kw.get("from", a), kw.get("to", b)
    dt = self._data.dtype if self._data.dtype in (np.float32, np.float64) else np.float64
    r = rng_of(generator).random(self._data.shape, dtype=dt)
    return _fill_random(self, "uniform_", r * (b - a) + a)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Any = None) -> Tensor:
    """Fill with N(mean, std^2)."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    dt = self._data.dtype if self._data.dtype in (np.float32, np.float64) else np.float64
    r = rng_of(generator).standard_normal(self._data.shape, dtype=dt)
    return _fill_random(self, "normal_", r * std + mean)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    return _fill_random(self, "exponential_",
                        rng_of(generator).exponential(1.0 / lambd, self._data.shape))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 1 with probability ``p`` (a float or a tensor broadcast to self), else 0."""
    pa = p._data if isinstance(p, Tensor) else p
    return _fill_random(self, "bernoulli_", rng_of(generator).random(self._data.shape) < pa)


def random_(self: Tensor, from_: int = 0, to: int | None = None, *,
            generator: Any = None) -> Tensor:
    """Fill with integers in [from, to) (to=None: the dtype's mantissa / max range)."""
    if to is None:
        from_, to = 0, from_ if from_ else (2 ** 24 if self._data.dtype == np.float32 else
                                            2 ** 53 if self._data.dtype.kind == "f" else
                                            int(np.iinfo(self._data.dtype).max))
    return _fill_random(self, "random_", rng_of(generator).integers(from_, to, self._data.shape))


# ----------------------------------------------------------------------------- operators
def _iop(name: str, inplace: Any, outplace: str):
    def op(self: Tensor, other: Any) -> Tensor:
        if state.enabled and self.requires_grad and self.grad_fn is not None:
            from . import elementwise  # noqa: PLC0415

            return getattr(elementwise, outplace)(self, other)  # Python rebinds the name
        if state.enabled and isinstance(other, Tensor) and other.requires_grad \
                and not self.requires_grad:
            from . import elementwise  # noqa: PLC0415

            return getattr(elementwise, outplace)(self, other)
        return inplace(self, other)

    op.__name__ = name
    return op


__iadd__ = _iop("__iadd__", add_, "add")
__isub__ = _iop("__isub__", sub_, "sub")
__imul__ = _iop("__imul__", mul_, "mul")
__itruediv__ = _iop("__itruediv__", div_, "div")

__all__ = ["relu_", "sigmoid_", "tanh_"]
TENSOR_METHODS = (
    "add_", "sub_", "mul_", "div_", "pow_", "addcmul_", "addcdiv_", "lerp_", "clamp_", "clip_",
    "clamp_min_", "clamp_max_", "sqrt_", "exp_", "neg_", "negative_", "abs_", "sign_", "floor_",
    "ceil_", "log_", "tanh_", "reciprocal_", "relu_", "sigmoid_", "zero_", "fill_", "copy_",
    "masked_fill_", "index_fill_", "scatter_", "uniform_", "normal_", "exponential_",
    "bernoulli_", "random_", "__iadd__", "__isub__", "__imul__", "__itruediv__",
)
