"""Keras metrics: stateful running values over batches, computed on NumPy arrays.

A metric keeps totals (``update_state``), reports ``result()`` as a float and starts over on
``reset_state()``. Mean-style metrics follow Keras 3: per-sample values (mean over the axes past
the first), total += sum(values * w), count += sum(w) (or the number of samples).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import Tensor
from . import losses as _losses

EPSILON = 1e-7
__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
           "RootMeanSquaredError", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "Precision", "Recall", "AUC", "get",
           "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy"]


def _np(x: Any) -> np.ndarray:
    return np.asarray(x._data) if isinstance(x, Tensor) else np.asarray(x)


class Metric:
    """Base class: ``update_state``, ``result``, ``reset_state``; calling one does all three."""

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or _losses._snake(type(self).__name__)
        self.dtype = dtype or "float32"
        self.reset_state()

    def update_state(self, *args: Any, **kwargs: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    def result(self) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def reset_state(self) -> None:
        pass

    reset_states = reset_state

    def __call__(self, *args: Any, **kwargs: Any) -> float:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def _samplewise(values: np.ndarray, sw: Any, reduce: Callable) -> tuple:
    """Keras's reduce_to_samplewise_values: values per sample and the matching weights."""
    values = values.astype(np.float64)
    if sw is not None:
        w = _np(sw).astype(np.float64)
        if w.ndim == values.ndim + 1 and w.shape[-1] == 1:
            w = w[..., 0]
        elif values.ndim == w.ndim + 1 and values.shape[-1] == 1:
            values = values[..., 0]
        if values.ndim > w.ndim:
            values = reduce(values, axis=tuple(range(w.ndim, values.ndim)))
        w = np.broadcast_to(w, values.shape)
        values = values * w
        if w.ndim > 1:
            w = reduce(w, axis=tuple(range(1, w.ndim)))
    else:
        w = None
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, w


class Sum(Metric):
    def reset_state(self) -> None:
        self.total = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        v, _ = _samplewise(_np(values), sample_weight, np.sum)
        self.total += float(v.sum())

    def result(self) -> float:
        return self.total


class Mean(Metric):
    """The weighted mean of every value seen: total / count."""

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        v, w = _samplewise(_np(values), sample_weight, np.mean)
        self.total += float(v.sum())
        self.count += float(w.sum()) if w is not None else (v.shape[0] if v.ndim else 1)

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred)`` per-sample values."""

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        self._fn, self._fn_kwargs = fn, kwargs
        super().__init__(name or getattr(fn, "__name__", None), dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(_np(values), sample_weight)


# ------------------------------------------------------------------ per-sample functions
def _align(t: np.ndarray, p: np.ndarray) -> tuple:
    """Keras's squeeze_or_expand_to_same_rank: ranks differing by one over a last axis of 1
    meet by expanding a rank-1 array ((N,) with (N, 1) -> both (N, 1)), else by squeezing."""
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        if p.ndim == 1:
            p = p[:, None]
        else:
            t = t[..., 0]
    elif p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        if t.ndim == 1:
            t = t[:, None]
        else:
            p = p[..., 0]
    return t, p


def accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    t, p = _align(_np(y_true), _np(y_pred))
    return (t == p).astype(np.float32)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> np.ndarray:
    """1.0 where (y_pred > threshold) equals y_true, elementwise at y_pred's rank."""
    t, p = _align(_np(y_true), _np(y_pred))
    return ((p > threshold).astype(t.dtype) == t).astype(np.float32)


def categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    t, p = _np(y_true), _np(y_pred)
    return (t.argmax(-1) == p.argmax(-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    t, p = _np(y_true), _np(y_pred)
    if t.ndim == p.ndim and t.ndim > 1 and t.shape[-1] == 1:
        t = t[..., 0]
    return (t.astype(np.int64) == p.argmax(-1)).astype(np.float32)


def _in_top_k(p: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    # in the top k when fewer than k classes score strictly higher than the target's score
    score = np.take_along_axis(p, target[..., None], axis=-1)
    return ((p > score).sum(-1) < k).astype(np.float32)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    return _in_top_k(_np(y_pred), _np(y_true).argmax(-1), k)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    t, p = _np(y_true), _np(y_pred)
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return _in_top_k(p, t.astype(np.int64), k)


def _loss_values(fn: Callable | str) -> Callable:
    """Per-sample values of a loss: a built-in kind straight on NumPy (no graph), or fn."""
    def values(y_true: Any, y_pred: Any, **kw: Any) -> np.ndarray:
        if isinstance(fn, str):
            return _losses.values_numpy(fn, y_true, y_pred, **kw)
        return _np(fn(_np(y_true), _np(y_pred).astype(np.float32, copy=False), **kw))
    values.__name__ = fn if isinstance(fn, str) else fn.__name__
    return values


def _wrapper(cls_name: str, fn: Callable, default_name: str, **defaults: Any) -> type:
    def __init__(self, name: str = default_name, dtype: Any = None, **kw: Any) -> None:
        MeanMetricWrapper.__init__(self, fn, name, dtype, **{**defaults, **kw})

    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "__module__": __name__})


Accuracy = _wrapper("Accuracy", accuracy, "accuracy")
BinaryAccuracy = _wrapper("BinaryAccuracy", binary_accuracy, "binary_accuracy", threshold=0.5)
CategoricalAccuracy = _wrapper("CategoricalAccuracy", categorical_accuracy,
                               "categorical_accuracy")
SparseCategoricalAccuracy = _wrapper("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy")
TopKCategoricalAccuracy = _wrapper("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                   "top_k_categorical_accuracy", k=5)
SparseTopKCategoricalAccuracy = _wrapper(
    "SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy", k=5)
MeanSquaredError = _wrapper("MeanSquaredError", _loss_values("mean_squared_error"),
                            "mean_squared_error")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", _loss_values("mean_absolute_error"),
                             "mean_absolute_error")
BinaryCrossentropy = _wrapper("BinaryCrossentropy", _loss_values("binary_crossentropy"),
                              "binary_crossentropy", from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _wrapper(
    "CategoricalCrossentropy", _loss_values("categorical_crossentropy"),
    "categorical_crossentropy", from_logits=False, label_smoothing=0.0)
SparseCategoricalCrossentropy = _wrapper(
    "SparseCategoricalCrossentropy", _loss_values("sparse_categorical_crossentropy"),
    "sparse_categorical_crossentropy", from_logits=False)


class RootMeanSquaredError(Mean):
    """sqrt of the running weighted mean of squared errors."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name, dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t, p = _align(_np(y_true), _np(y_pred))
        super().update_state(np.square(p - t), sample_weight)

    def result(self) -> float:
        return float(np.sqrt(super().result()))


# ------------------------------------------------------------------ confusion-matrix metrics
class _Confusion(Metric):
    """Weighted true/false positive/negative counts at thresholds (positive: y_pred > thr)."""

    def __init__(self, thresholds: Any, top_k: int | None, class_id: int | None,
                 name: str | None, dtype: Any, labels: int = 1) -> None:
        self.thresholds = np.asarray(thresholds, np.float64).reshape(-1)
        self.top_k, self.class_id, self._labels = top_k, class_id, labels
        super().__init__(name, dtype)

    def reset_state(self) -> None:
        shape = (len(self.thresholds),) + ((self._labels,) if self._labels > 1 else ())
        self.true_positives, self.false_positives = np.zeros(shape), np.zeros(shape)
        self.true_negatives, self.false_negatives = np.zeros(shape), np.zeros(shape)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t, p = _align(_np(y_true), _np(y_pred).astype(np.float64))
        t = np.broadcast_to((t != 0).astype(np.float64), p.shape)
        w = np.ones(p.shape) if sample_weight is None else _np(sample_weight).astype(np.float64)
        if w.ndim == p.ndim + 1 and w.shape[-1] == 1:
            w = w[..., 0]
        w = np.broadcast_to(w.reshape(w.shape + (1,) * (p.ndim - w.ndim)), p.shape)
        if self.top_k is not None and p.ndim:
            kth = -np.sort(-p, axis=-1)[..., min(self.top_k, p.shape[-1]) - 1:][..., :1]
            p = np.where(p >= kth, p, -np.inf)
        if self.class_id is not None:
            t, p, w = t[..., self.class_id], p[..., self.class_id], w[..., self.class_id]
        if self._labels > 1:
            cols = [self._count(t[..., j], p[..., j], w[..., j]) for j in range(self._labels)]
            counts = [np.stack(c, axis=-1) for c in zip(*cols)]
        else:
            counts = self._count(t, p, w)
        self.true_positives += counts[0]
        self.false_positives += counts[1]
        self.true_negatives += counts[2]
        self.false_negatives += counts[3]

    def _count(self, t: np.ndarray, p: np.ndarray, w: np.ndarray) -> tuple:
        p, t, w = p.reshape(-1), t.reshape(-1), w.reshape(-1)
        order = np.argsort(p, kind="stable")
        ps = p[order]
        cpos = np.concatenate([[0.0], np.cumsum((t * w)[order])])
        cneg = np.concatenate([[0.0], np.cumsum(((1.0 - t) * w)[order])])
        idx = np.searchsorted(ps, self.thresholds, side="right")  # count of p <= thr
        tp, fp = cpos[-1] - cpos[idx], cneg[-1] - cneg[idx]
        return tp, fp, cneg[-1] - fp, cpos[-1] - tp


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


def _scalar(x: np.ndarray) -> Any:
    return float(x[0]) if x.size == 1 else x.tolist()


class Precision(_Confusion):
    """tp / (tp + fp) at ``thresholds`` (0.5 by default)."""

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        default = 0.5 if top_k is None else -np.inf
        super().__init__(default if thresholds is None else thresholds, top_k, class_id, name,
                         dtype)

    def result(self) -> Any:
        return _scalar(_div(self.true_positives, self.true_positives + self.false_positives))


class Recall(Precision):
    """tp / (tp + fn) at ``thresholds`` (0.5 by default)."""

    def result(self) -> Any:
        return _scalar(_div(self.true_positives, self.true_positives + self.false_negatives))


class AUC(_Confusion):
    """Area under the ROC (or PR) curve from counts at ``num_thresholds`` thresholds.

    Thresholds are i / (n - 1) inside (0, 1) plus -1e-7 and 1 + 1e-7; the area is a Riemann
    sum with trapezoids ('interpolation'), or Davis & Goadrich's interpolation for PR.
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        if num_thresholds <= 1 and thresholds is None:
            raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                             f"Received: num_thresholds={num_thresholds}")
        if thresholds is None:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        else:
            inner = sorted(float(x) for x in thresholds)
        self.num_thresholds = len(inner) + 2
        self.curve, self.summation_method = curve.upper(), summation_method.lower()
        self.multi_label, self.from_logits = multi_label, from_logits
        self.label_weights = None if label_weights is None else np.asarray(label_weights)
        labels = (num_labels or 1) if multi_label else 1
        super().__init__([-EPSILON] + inner + [1.0 + EPSILON], None, None, name or "auc", dtype,
                         labels)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        p = _np(y_pred).astype(np.float64)
        if self.from_logits:
            p = 1.0 / (1.0 + np.exp(-p))
        if self.multi_label and self._labels == 1 and p.ndim > 1 and p.shape[-1] > 1:
            self._labels = p.shape[-1]
            self.reset_state()
        super().update_state(y_true, p, sample_weight)

    def result(self) -> float:
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)
        if self.curve == "PR" and self.summation_method == "interpolation":
            dtp = tp[:-1] - tp[1:]
            pp = tp + fp
            dp = pp[:-1] - pp[1:]
            slope = _div(dtp, np.maximum(dp, 0))
            intercept = tp[1:] - slope * pp[1:]
            ok = (pp[:-1] > 0) & (pp[1:] > 0)
            ratio = np.where(ok, _div(pp[:-1], np.maximum(pp[1:], 0)), 1.0)
            terms = _div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        else:
            recall = _div(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _div(fp, fp + tn), recall
            else:
                x, y = recall, _div(tp, tp + fp)
            if self.summation_method == "interpolation":
                h = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                h = np.minimum(y[:-1], y[1:])
            else:
                h = np.maximum(y[:-1], y[1:])
            terms = (x[:-1] - x[1:]) * h
        by_label = terms.sum(axis=0)
        if by_label.ndim and self.label_weights is not None:
            return float(_div(np.sum(by_label * self.label_weights), np.sum(self.label_weights)))
        return float(np.mean(by_label))


# --------------------------------------------------------------------------------- lookup
_BY_NAME: dict[str, Callable[[], Metric]] = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy":
    CategoricalCrossentropy, "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "precision": Precision, "recall": Recall, "auc": AUC,
}
for _cls in list(_BY_NAME.values()) + [Accuracy, Mean, Sum]:
    _BY_NAME[_cls.__name__] = _cls


class _AutoAccuracy(MeanMetricWrapper):
    """'accuracy': binary, sparse categorical or categorical, picked from the first batch's
    shapes as Keras 3 does (y_pred's last dim 1 -> binary; y_true of lower rank or last dim 1
    -> sparse; else categorical)."""

    def __init__(self, name: str = "accuracy") -> None:
        super().__init__(None, name)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if self._fn is None:
            t, p = _np(y_true), _np(y_pred)
            tl, pl = (t.shape[-1] if t.ndim else 1), (p.shape[-1] if p.ndim else 1)
            if pl == 1:
                self._fn, self._fn_kwargs = binary_accuracy, {"threshold": 0.5}
            elif t.ndim < p.ndim or tl == 1:
                self._fn = sparse_categorical_accuracy
            else:
                self._fn = categorical_accuracy
        super().update_state(y_true, y_pred, sample_weight)


def get(identifier: Any, loss: Any = None) -> Metric:
    """A Metric from a name ('accuracy', 'mae', 'AUC'), a Metric, a class or a function.

    The metric takes the identifier as its name, as Keras's compile does. ``loss`` is
    accepted for the caller's convenience; Keras 3 picks 'accuracy' from shapes alone.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return _AutoAccuracy(name=identifier)
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret metric identifier: {identifier!r}. "
                             f"Known names: {sorted(k for k in _BY_NAME if k.islower())}")
        metric = cls()
        metric.name = identifier
        return metric
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, _losses.Loss):
        kind = getattr(identifier, "_kind", None)
        if kind is not None:
            return MeanMetricWrapper(_loss_values(kind), name=identifier.name,
                                     **identifier.params)
        return MeanMetricWrapper(_loss_values(identifier.call), name=identifier.name)
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", "metric"))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
