"""Keras losses: ``loss(y_true, y_pred, sample_weight=None)`` -> a scalar Tensor.

Each built-in loss is one fused op: the per-sample values (a mean or sum over the last axis)
and their derivative d(value)/d(y_pred) come from one kernel in ``_KERNELS``, and the
reduction is Keras 3's 'sum_over_batch_size': sum(values * sample_weight) / values.size.
Probabilities are clipped to [1e-7, 1 - 1e-7] as Keras does, so results match Keras's numbers
(they differ from PyTorch's, which clamps the log at -100 instead).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import Function, Tensor
from ..backend import get_array_module
from ..ops import loss as _opsloss, reduce as _red

EPSILON = 1e-7
__all__ = ["Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Huber", "LogCosh",
           "Hinge", "SquaredHinge", "KLDivergence", "Poisson", "mean_squared_error",
           "mean_absolute_error", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "huber", "log_cosh", "hinge", "squared_hinge",
           "kl_divergence", "poisson", "mse", "mae", "mape", "msle", "kld", "get", "serialize",
           "deserialize"]


# ------------------------------------------------------------------------------- kernels
# Each kernel(xp, p, t, **params) -> (values, rule); rule(gv) is dL/dp given gv = dL/dvalues.

def _last(p: Any) -> int:
    return p.shape[-1] if p.ndim else 1


def _mean_last(xp: Any, e: Any) -> Any:
    return e.mean(axis=-1) if e.ndim else e


def _pointwise(elem: Callable, deriv: Callable) -> Callable:
    """A loss that is the mean over the last axis of elem(p, t): dv/dp = deriv(p, t) / C."""
    def kernel(xp: Any, p: Any, t: Any, **kw: Any) -> tuple:
        values = _mean_last(xp, elem(xp, p, t, **kw))

        def rule(gv: Any) -> Any:
            g = gv[..., None] if p.ndim else gv
            return g * (deriv(xp, p, t, **kw) / _last(p))
        return values, rule
    return kernel


def _hinge_labels(xp: Any, t: Any) -> Any:
    return 2.0 * t - 1.0 if bool(xp.all((t == 0) | (t == 1))) else t


def _kld(xp: Any, p: Any, t: Any) -> tuple:
    tc, pc = xp.clip(t, EPSILON, 1.0), xp.clip(p, EPSILON, 1.0)
    values = (tc * xp.log(tc / pc)).sum(axis=-1)
    return values, lambda gv: gv[..., None] * (-tc / pc) * ((p >= EPSILON) & (p <= 1.0))


def _bce(xp: Any, p: Any, t: Any, from_logits: bool = False) -> tuple:
    c = _last(p)
    if from_logits:
        # log(1 + e^x) - x t, without overflow; d/dx = sigmoid(x) - t
        elem = xp.maximum(p, 0) - p * t + xp.log1p(xp.exp(-xp.abs(p)))
        return _mean_last(xp, elem), lambda gv: (
            (gv[..., None] if p.ndim else gv) * ((_sigmoid(xp, p) - t) / c))
    pc = xp.clip(p, EPSILON, 1.0 - EPSILON)
    elem = -(t * xp.log(pc) + (1.0 - t) * xp.log(1.0 - pc))
    inside = (p >= EPSILON) & (p <= 1.0 - EPSILON)
    return _mean_last(xp, elem), lambda gv: (
        (gv[..., None] if p.ndim else gv) * ((-t / pc + (1.0 - t) / (1.0 - pc)) * inside / c))


def _sigmoid(xp: Any, x: Any) -> Any:
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def _log_softmax(xp: Any, x: Any) -> Any:
    m = x.max(axis=-1, keepdims=True)
    z = x - m
    return z - xp.log(xp.exp(z).sum(axis=-1, keepdims=True))


def _cce(xp: Any, p: Any, t: Any, from_logits: bool = False) -> tuple:
    if from_logits:
        lsm = _log_softmax(xp, p)
        values = -(t * lsm).sum(axis=-1)
        return values, lambda gv: gv[..., None] * (xp.exp(lsm) * t.sum(-1, keepdims=True) - t)
    s = p.sum(axis=-1, keepdims=True)
    q = p / s
    qc = xp.clip(q, EPSILON, 1.0 - EPSILON)
    values = -(t * xp.log(qc)).sum(axis=-1)

    def rule(gv: Any) -> Any:
        gq = -gv[..., None] * t / qc * ((q >= EPSILON) & (q <= 1.0 - EPSILON))
        return (gq - (gq * q).sum(-1, keepdims=True)) / s  # through q = p / sum(p)
    return values, rule


def _scce(xp: Any, p: Any, t: Any, from_logits: bool = False) -> tuple:
    idx = t[..., None]
    if from_logits:
        lsm = _log_softmax(xp, p)
        values = -xp.take_along_axis(lsm, idx, axis=-1)[..., 0]

        def rule(gv: Any) -> Any:
            g = xp.exp(lsm)
            xp.put_along_axis(g, idx, xp.take_along_axis(g, idx, axis=-1) - 1.0, axis=-1)
            return gv[..., None] * g
        return values, rule
    s = p.sum(axis=-1, keepdims=True)
    q = p / s
    qi = xp.take_along_axis(q, idx, axis=-1)
    qci = xp.clip(qi, EPSILON, 1.0 - EPSILON)
    values = -xp.log(qci)[..., 0]

    def rule(gv: Any) -> Any:
        gqi = -gv[..., None] / qci * ((qi >= EPSILON) & (qi <= 1.0 - EPSILON))
        g = xp.zeros_like(p)
        xp.put_along_axis(g, idx, gqi, axis=-1)
        return (g - gqi * qi) / s
    return values, rule


_KERNELS: dict[str, Callable] = {
    "mean_squared_error": _pointwise(lambda xp, p, t: (p - t) ** 2,
                                     lambda xp, p, t: 2.0 * (p - t)),
    "mean_absolute_error": _pointwise(lambda xp, p, t: xp.abs(p - t),
                                      lambda xp, p, t: xp.sign(p - t)),
    "mean_absolute_percentage_error": _pointwise(
        lambda xp, p, t: 100.0 * xp.abs(p - t) / xp.maximum(xp.abs(t), EPSILON),
        lambda xp, p, t: 100.0 * xp.sign(p - t) / xp.maximum(xp.abs(t), EPSILON)),
    "mean_squared_logarithmic_error": _pointwise(
        lambda xp, p, t: (xp.log1p(xp.maximum(p, EPSILON)) - xp.log1p(xp.maximum(t, EPSILON)))
        ** 2,
        lambda xp, p, t: 2.0 * (xp.log1p(xp.maximum(p, EPSILON))
                                - xp.log1p(xp.maximum(t, EPSILON)))
        / (1.0 + xp.maximum(p, EPSILON)) * (p >= EPSILON)),
    "huber": _pointwise(
        lambda xp, p, t, delta=1.0: xp.where(xp.abs(p - t) <= delta, 0.5 * (p - t) ** 2,
                                             delta * xp.abs(p - t) - 0.5 * delta ** 2),
        lambda xp, p, t, delta=1.0: xp.clip(p - t, -delta, delta)),
    "log_cosh": _pointwise(
        lambda xp, p, t: (p - t) + xp.logaddexp(0.0, -2.0 * (p - t)) - np.log(2.0),
        lambda xp, p, t: xp.tanh(p - t)),
    "hinge": _pointwise(
        lambda xp, p, t: xp.maximum(1.0 - _hinge_labels(xp, t) * p, 0.0),
        lambda xp, p, t: -_hinge_labels(xp, t) * (1.0 - _hinge_labels(xp, t) * p > 0)),
    "squared_hinge": _pointwise(
        lambda xp, p, t: xp.maximum(1.0 - _hinge_labels(xp, t) * p, 0.0) ** 2,
        lambda xp, p, t: -2.0 * _hinge_labels(xp, t)
        * xp.maximum(1.0 - _hinge_labels(xp, t) * p, 0.0)),
    "poisson": _pointwise(lambda xp, p, t: p - t * xp.log(p + EPSILON),
                          lambda xp, p, t: 1.0 - t / (p + EPSILON)),
    "kl_divergence": _kld,
    "binary_crossentropy": _bce,
    "categorical_crossentropy": _cce,
    "sparse_categorical_crossentropy": _scce,
}


class _KerasLoss(Function):
    """Weighted, reduced Keras loss; dL/dp = rule(dL/dvalues) with dL/dvalues = g * w / n."""

    def forward(self, p: Any, *, kind: str, target: Any, params: dict, weight: Any,
                reduction: str) -> Any:
        xp = get_array_module(p)
        values, self.rule = _KERNELS[kind](xp, p, target, **params)
        self.vshape = values.shape
        if weight is None:  # dL/dvalues is one number for every value: g, or g / n
            if reduction == "none":
                self.scale = 1.0
                return values.astype(p.dtype, copy=False)
            n = values.size if reduction != "sum" else 1
            self.scale = 1.0 / n if n else 0.0
            total = values.sum()
            return xp.asarray(total / n if n else total * 0.0, dtype=p.dtype)
        weighted = values * weight
        if reduction == "none":
            self.scale = weight
            return weighted.astype(p.dtype, copy=False)
        total = weighted.sum()
        if reduction == "sum":
            self.scale = weight
        else:
            n = float(weight.sum()) if reduction == "mean_with_sample_weight" \
                else float(weighted.size)
            self.scale = weight / n if n else weight * 0.0
            total = total / n if n else total * 0.0
        return xp.asarray(total, dtype=p.dtype)

    def backward(self, g: Any) -> tuple:
        gv = g * self.scale
        if type(self.scale) is not float and gv.shape != self.vshape:
            # a weight broadcast past the values: sum it back
            gv = np.broadcast_to(gv, np.broadcast_shapes(gv.shape, self.vshape))
            lead = gv.ndim - len(self.vshape)
            axes = tuple(range(lead)) + tuple(
                lead + i for i, n in enumerate(self.vshape) if n == 1 and gv.shape[lead + i] != 1)
            gv = gv.sum(axis=axes, keepdims=True).reshape(self.vshape)
        return (self.rule(gv.astype(g.dtype, copy=False)),)


# ------------------------------------------------------------------------------- inputs
def _pred(y_pred: Any) -> Tensor:
    if isinstance(y_pred, Tensor):
        if y_pred._data.dtype.kind != "f":
            return Tensor._wrap(y_pred._data.astype(np.float32), None, False)
        return y_pred
    a = np.asarray(y_pred)
    return Tensor._wrap(a if a.dtype.kind == "f" else a.astype(np.float32), None, False)


def _array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _align(name: str, t: np.ndarray, pshape: tuple, sparse: bool) -> np.ndarray:
    """Keras's squeeze-or-expand of y_true to y_pred's rank, then a shape check."""
    if sparse:
        if t.ndim == len(pshape) and t.ndim and t.shape[-1] == 1:
            t = t[..., 0]
        if tuple(t.shape) != tuple(pshape[:-1]):
            raise ValueError(
                f"{name}: y_true and y_pred must have the same shape up until the last "
                f"dimension: y_true.shape={tuple(t.shape)}, y_pred.shape={tuple(pshape)}")
        return t
    if t.ndim == len(pshape) + 1 and t.shape[-1] == 1:
        t = t[..., 0]
    elif len(pshape) == t.ndim + 1 and pshape[-1] == 1:
        t = t[..., None]
    try:
        full = np.broadcast_shapes(t.shape, pshape)
    except ValueError:
        full = None
    if full != tuple(pshape):
        raise ValueError(f"{name}: y_true and y_pred have incompatible shapes: "
                         f"y_true.shape={tuple(t.shape)}, y_pred.shape={tuple(pshape)}")
    return t


def _values_shape(kind: str, pshape: tuple) -> tuple:
    return tuple(pshape[:-1]) if len(pshape) else ()


def _weight(name: str, sw: Any, vshape: tuple, dtype: Any) -> np.ndarray | None:
    if sw is None:
        return None
    w = _array(sw).astype(dtype, copy=False)
    if w.ndim == len(vshape) + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    while w.ndim < len(vshape):
        w = w[..., None]  # a per-sample weight spreads over the remaining axes
    try:
        np.broadcast_shapes(w.shape, vshape)
    except ValueError:
        raise ValueError(f"{name}: sample_weight of shape {tuple(_array(sw).shape)} does not fit "
                         f"the per-sample losses of shape {tuple(vshape)}") from None
    return w


_SPARSE = {"sparse_categorical_crossentropy"}
_SAME_SHAPE = {"categorical_crossentropy", "binary_crossentropy"}


def _target(kind: str, name: str, t: np.ndarray, pshape: tuple, pdtype: Any,
            params: dict) -> tuple[np.ndarray, dict]:
    """y_true made ready for kernel ``kind``: aligned to y_pred, checked, cast, smoothed.

    Returns the target and the kernel's parameters (label smoothing already applied).
    """
    if kind in _SPARSE:
        t = _align(name, t, pshape, True)
        if t.dtype.kind not in "iu":
            t = t.astype(np.int64)
        c = pshape[-1]
        if t.size and (t.min() < 0 or t.max() >= c):
            bad = int(t.min()) if t.min() < 0 else int(t.max())
            raise ValueError(f"{name}: received a label value of {bad} which is outside the "
                             f"valid range of [0, {c})")
        return t, params
    t = _align(name, t, pshape, False).astype(pdtype, copy=False)
    if kind in _SAME_SHAPE and t.shape != pshape:
        t = np.broadcast_to(t, pshape)
    smoothing = params.get("label_smoothing", 0.0)
    params = {k: v for k, v in params.items() if k != "label_smoothing"}
    if smoothing:
        k = 0.5 if kind == "binary_crossentropy" else 1.0 / pshape[-1]
        t = t * (1.0 - smoothing) + smoothing * k
    return t, params


def compute(kind: str, y_true: Any, y_pred: Any, sample_weight: Any = None,
            reduction: str = "sum_over_batch_size", name: str | None = None,
            **params: Any) -> Tensor:
    """The loss ``kind`` on (y_true, y_pred): per-sample values, weighted and reduced."""
    name = name or kind
    p = _pred(y_pred)
    pshape = tuple(p._data.shape)
    t, params = _target(kind, name, _array(y_true), pshape, p._data.dtype, params)
    if reduction is None:
        reduction = "none"
    w = _weight(name, sample_weight, _values_shape(kind, pshape), p._data.dtype)
    return _KerasLoss.apply(p, kind=kind, target=t, params=params, weight=w,
                            reduction=reduction)


def values_numpy(kind: str, y_true: Any, y_pred: Any, **params: Any) -> np.ndarray:
    """Per-sample values of the built-in loss ``kind`` on NumPy arrays: no graph (metrics)."""
    p = np.asarray(y_pred._data if isinstance(y_pred, Tensor) else y_pred)
    if p.dtype.kind != "f":
        p = p.astype(np.float32)
    t, params = _target(kind, kind, _array(y_true), p.shape, p.dtype, params)
    return _KERNELS[kind](np, p, t, **params)[0]


_MEANS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")
_NO_IGNORE = -(2 ** 62)  # an ignore_index no label has: every label counts


def fast_path(kind: str, params: dict, reduction: str, name: str, y_true: np.ndarray,
              y_pred: Tensor) -> Callable | None:
    """``fn(y_true, y_pred)`` computing the unweighted loss for more batches shaped like these.

    The trainer calls it once per fit and input shapes, after a checked call on one batch:
    the alignment of y_true found here is reused, and the reduced loss is one fused op of
    ``shenjing.ops.loss`` where Keras's formula is PyTorch's (mse, mae, huber, cross-entropy
    from logits), else one Keras kernel node. None where no such path exists.
    """
    if reduction not in _MEANS or kind not in _KERNELS:
        return None
    p = y_pred._data
    pshape, pdtype, sparse = p.shape, p.dtype, kind in _SPARSE
    t, kparams = _target(kind, name, y_true, pshape, pdtype, dict(params))
    if t.ndim == 0 or not sparse and t.shape != pshape or t.shape[0] != y_true.shape[0]:
        return None  # broadcast targets keep the general path
    shape = (-1,) + t.shape[1:]
    cast = np.int64 if sparse and y_true.dtype.kind not in "iu" else \
        None if sparse else pdtype
    smoothing = params.get("label_smoothing", 0.0)
    k = 0.5 if kind == "binary_crossentropy" else 1.0 / pshape[-1] if pshape else 1.0

    def prep(y: np.ndarray, smooth: bool = True) -> Tensor:
        y = y.reshape(shape)  # Keras's squeeze / expand of y_true, as found above
        if cast is not None and y.dtype != cast:
            y = y.astype(cast)
        if smoothing and smooth:
            y = y * (1.0 - smoothing) + smoothing * k
        return Tensor._wrap(y, None, False)

    logits, two_d = params.get("from_logits", False), len(pshape) == 2
    if kind == "mean_squared_error":
        return lambda y, p: _opsloss.PointwiseLoss.apply(
            p, prep(y), kind="mse", param=0.0, reduction="mean", wmean=True)
    if kind == "mean_absolute_error":
        return lambda y, p: _opsloss.PointwiseLoss.apply(
            p, prep(y), kind="l1", param=0.0, reduction="mean", wmean=True)
    if kind == "huber":
        delta = float(params.get("delta", 1.0))
        return lambda y, p: _opsloss.PointwiseLoss.apply(
            p, prep(y), kind="huber", param=delta, reduction="mean", wmean=False)
    if kind == "binary_crossentropy" and logits:
        return lambda y, p: _opsloss.BCEWithLogits.apply(
            p, prep(y), weight=None, pos_weight=None, reduction="mean")
    if kind == "categorical_crossentropy" and logits and two_d:
        return lambda y, p: _opsloss.CrossEntropyProbs.apply(
            p, prep(y, False), weight=None, reduction="mean", smoothing=float(smoothing))
    if sparse and logits and two_d:
        def sparse_logits(y: np.ndarray, p: Tensor) -> Tensor:
            try:
                return _opsloss.CrossEntropy.apply(
                    p, target=prep(y)._data, weight=None, ignore_index=_NO_IGNORE,
                    reduction="mean", smoothing=0.0)
            except IndexError:  # a label out of range: Keras's error from the checked path
                return compute(kind, y, p, None, reduction, name, **params)
        return sparse_logits

    def kernel(y: np.ndarray, p: Tensor) -> Tensor:
        t = prep(y)._data
        if sparse and t.size and (t.min() < 0 or t.max() >= pshape[-1]):
            return compute(kind, y, p, None, reduction, name, **params)
        return _KerasLoss.apply(p, kind=kind, target=t, params=kparams, weight=None,
                                reduction="sum_over_batch_size")
    return kernel


# ------------------------------------------------------------------------------- classes
_REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight")


class Loss:
    """Base of Keras losses. Subclass and write ``call(y_true, y_pred)`` -> per-sample Tensor."""

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid value for argument `reduction`. Expected one of "
                             f"{_REDUCTIONS}. Received: reduction={reduction}")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        values = self.call(y_true, _pred(y_pred))
        if not isinstance(values, Tensor):
            values = Tensor._wrap(np.asarray(values, np.float32), None, False)
        w = _weight(self.name, sample_weight, tuple(values.shape), values._data.dtype)
        if w is not None:
            values = values * Tensor._wrap(w, None, False)
        if self.reduction in (None, "none") or values.ndim == 0:
            return values
        total = _red.sum(values)
        if self.reduction == "sum":
            return total
        n = float(w.sum()) if self.reduction == "mean_with_sample_weight" and w is not None \
            else float(values.numel())
        return total / n if n else total * 0.0

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Loss implement call()")

    def fast_path(self, y_true: np.ndarray, y_pred: Tensor) -> Callable | None:
        """A check-free ``fn(y_true, y_pred)`` for unweighted batches shaped like these (see
        ``fast_path`` of this module); None for a loss written as ``call``."""
        return None

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))


class LossFunctionWrapper(Loss):
    """A Loss around ``fn(y_true, y_pred) -> per-sample values`` (a built-in kernel or yours)."""

    _kind: str | None = None

    def __init__(self, fn: Callable | None = None, name: str | None = None,
                 reduction: str | None = "sum_over_batch_size", dtype: Any = None,
                 **params: Any) -> None:
        super().__init__(name or getattr(fn, "__name__", None) or self._kind, reduction, dtype)
        self.fn = fn
        self.params = params

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        if self._kind is not None:
            return compute(self._kind, y_true, y_pred, sample_weight, self.reduction,
                           self.name, **self.params)
        return super().__call__(y_true, y_pred, sample_weight)

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        if self._kind is not None:
            return compute(self._kind, y_true, y_pred, None, "none", self.name, **self.params)
        return self.fn(y_true, y_pred, **self.params)

    def fast_path(self, y_true: np.ndarray, y_pred: Tensor) -> Callable | None:
        if self._kind is None:
            return None
        return fast_path(self._kind, self.params, self.reduction, self.name, y_true, y_pred)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.params}


def _loss_class(cls_name: str, kind: str, default_name: str | None = None,
                **defaults: Any) -> type:
    def __init__(self, *args: Any, reduction: str | None = "sum_over_batch_size",
                 name: str = default_name or kind, dtype: Any = None, **kw: Any) -> None:
        params = dict(defaults)
        params.update(zip(defaults, args))
        unknown = set(kw) - set(defaults) - {"axis"}
        if unknown:
            raise TypeError(f"{cls_name}() got unexpected keyword arguments {sorted(unknown)}")
        params.update({k: v for k, v in kw.items() if k in defaults})
        LossFunctionWrapper.__init__(self, None, name, reduction, dtype, **params)

    return type(cls_name, (LossFunctionWrapper,), {
        "__init__": __init__, "_kind": kind, "__module__": __name__,
        "__doc__": f"Keras's {cls_name} (defaults {defaults or 'none'}); name {kind!r}."})


MeanSquaredError = _loss_class("MeanSquaredError", "mean_squared_error")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", "mean_absolute_error")
MeanAbsolutePercentageError = _loss_class("MeanAbsolutePercentageError",
                                          "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _loss_class("MeanSquaredLogarithmicError",
                                          "mean_squared_logarithmic_error")
BinaryCrossentropy = _loss_class("BinaryCrossentropy", "binary_crossentropy",
                                 from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _loss_class("CategoricalCrossentropy", "categorical_crossentropy",
                                      from_logits=False, label_smoothing=0.0)
SparseCategoricalCrossentropy = _loss_class("SparseCategoricalCrossentropy",
                                            "sparse_categorical_crossentropy", from_logits=False)
Huber = _loss_class("Huber", "huber", "huber_loss", delta=1.0)
LogCosh = _loss_class("LogCosh", "log_cosh")
Hinge = _loss_class("Hinge", "hinge")
SquaredHinge = _loss_class("SquaredHinge", "squared_hinge")
KLDivergence = _loss_class("KLDivergence", "kl_divergence")
Poisson = _loss_class("Poisson", "poisson")


def _function(kind: str, **defaults: Any) -> Callable:
    def fn(y_true: Any, y_pred: Any, **kw: Any) -> Tensor:
        params = {**defaults, **{k: v for k, v in kw.items() if k != "axis"}}
        return compute(kind, y_true, y_pred, None, "none", kind, **params)
    fn.__name__ = fn.__qualname__ = kind
    fn.__doc__ = f"Per-sample {kind} values (shape y_pred.shape[:-1]), differentiable."
    return fn


mean_squared_error = mse = _function("mean_squared_error")
mean_absolute_error = mae = _function("mean_absolute_error")
mean_absolute_percentage_error = mape = _function("mean_absolute_percentage_error")
mean_squared_logarithmic_error = msle = _function("mean_squared_logarithmic_error")
binary_crossentropy = _function("binary_crossentropy", from_logits=False, label_smoothing=0.0)
categorical_crossentropy = _function("categorical_crossentropy", from_logits=False,
                                     label_smoothing=0.0)
sparse_categorical_crossentropy = _function("sparse_categorical_crossentropy",
                                            from_logits=False)
huber = _function("huber", delta=1.0)
log_cosh = _function("log_cosh")
hinge = _function("hinge")
squared_hinge = _function("squared_hinge")
kl_divergence = kld = _function("kl_divergence")
poisson = _function("poisson")

_CLASSES = [MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, Huber, LogCosh, Hinge, SquaredHinge, KLDivergence,
            Poisson]
_BY_NAME: dict[str, type] = {c._kind: c for c in _CLASSES}
_BY_NAME.update({c.__name__: c for c in _CLASSES})
_BY_NAME.update(mse=MeanSquaredError, mae=MeanAbsoluteError, mape=MeanAbsolutePercentageError,
                msle=MeanSquaredLogarithmicError, kld=KLDivergence, kullback_leibler_divergence=
                KLDivergence, huber_loss=Huber, logcosh=LogCosh)


def get(identifier: Any) -> Loss | None:
    """A Loss from a name ('mse', 'sparse_categorical_crossentropy'), a config, or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret loss identifier: {identifier!r}. "
                             f"Known names: {sorted(k for k in _BY_NAME if k.islower())}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        name = getattr(identifier, "__name__", "loss")
        if name in _BY_NAME and getattr(identifier, "__module__", None) == __name__:
            return _BY_NAME[name]()
        return LossFunctionWrapper(identifier, name=name)
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss: Loss) -> dict:
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config: dict) -> Loss:
    cls = _BY_NAME.get(config.get("class_name", ""))
    if cls is None:
        raise ValueError(f"Could not interpret loss config: {config!r}")
    return cls(**config.get("config", {}))
