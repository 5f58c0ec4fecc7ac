"""Losses: pointwise regression losses, fused softmax cross-entropy, NLL, BCE, KL divergence.

Each loss is one Function that reduces inside its forward ('mean' | 'sum' | 'none') and
scales its gradient in backward, so a loss costs one node on the tape.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from ._util import promote

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(op: str, reduction: str, size_average: Any = None, reduce: Any = None,
               extra: tuple = ()) -> str:
    """The reduction string, honouring PyTorch's deprecated size_average/reduce pair."""
    if size_average is not None or reduce is not None:
        sa = True if size_average is None else size_average
        rd = True if reduce is None else reduce
        reduction = "none" if not rd else ("mean" if sa else "sum")
    if reduction not in _REDUCTIONS + extra:
        allowed = ", ".join(repr(r) for r in _REDUCTIONS + extra)
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction "
                         f"(expected one of {allowed})")
    return reduction


def _reduce(xp: Any, loss: Any, reduction: str, denom: Any = None) -> Any:
    """Reduce an elementwise loss; 'mean' divides by ``denom`` (default: element count)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return xp.asarray(total, dtype=loss.dtype)
    n = loss.size if denom is None else denom
    with np.errstate(invalid="ignore", divide="ignore"):
        return xp.asarray(total / n if n or denom is not None else math.nan, dtype=loss.dtype)


def _check_shapes(op: str, a: Tensor, b: Tensor) -> None:
    sa, sb = tuple(a.shape), tuple(b.shape)
    if sa == sb:
        return
    for x, y in zip(reversed(sa), reversed(sb)):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"{op}: input of shape {sa} and target of shape {sb} cannot be "
                             f"broadcast together; please ensure they have the same size")


def _as_weight(op: str, weight: Any, like: Tensor, name: str = "weight",
               check: bool = False) -> Any:
    """A non-differentiable weight as a raw array in the input's dtype (or None)."""
    if weight is None:
        return None
    w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    if check:
        ws, xs = w.shape, like._data.shape
        if len(ws) > len(xs) or any(a != b and a != 1 for a, b in zip(ws[::-1], xs[::-1])):
            raise RuntimeError(f"{op}: {name} of shape {tuple(ws)} cannot be broadcast to the "
                               f"input's shape {tuple(xs)}")
    return w.astype(like._data.dtype, copy=False)


# ----------------------------------------------------------------------------- pointwise
def _elem(kind: str, d: Any, p: float, xp: Any) -> Any:
    """Elementwise loss of the difference d = input - target."""
    if kind == "mse":
        return d * d
    a = xp.abs(d)
    if kind == "l1" or (kind == "smooth_l1" and p == 0):
        return a
    if kind == "smooth_l1":  # 0.5 d^2 / beta inside |d| < beta, |d| - beta/2 outside
        return xp.where(a < p, (0.5 / p) * d * d, a - 0.5 * p)
    return xp.where(a <= p, 0.5 * d * d, p * (a - 0.5 * p))  # huber(delta)


def _deriv(kind: str, d: Any, p: float, xp: Any) -> Any:
    """d loss / d d for each kind."""
    if kind == "mse":
        return 2 * d
    if kind == "l1" or (kind == "smooth_l1" and p == 0):
        return xp.sign(d)
    if kind == "smooth_l1":
        return xp.clip(d / p, -1, 1)
    return xp.clip(d, -p, p)


class PointwiseLoss(Function):
    """mse / l1 / smooth_l1 / huber of (input - target), optionally weighted elementwise.

    With a weight, 'mean' divides by sum(w) for mse and l1 and by the count for huber,
    as PyTorch does.
    """

    def forward(self, x, t, *w, kind, param, reduction, wmean):
        xp = get_array_module(x)
        d = x - t
        loss = _elem(kind, d, param, xp)
        self.d, self.kind, self.param, self.reduction = d, kind, param, reduction
        self.w = w[0] if w else None
        self.denom = None
        if self.w is not None:
            self.raw = loss
            loss = loss * self.w
            if reduction == "mean" and wmean:
                self.denom = self.w.sum()
        out = _reduce(xp, loss, reduction, self.denom)
        self.n = loss.size if self.denom is None else self.denom
        self.out = out
        return out

    def backward(self, g):
        xp = get_array_module(g)
        nig = self.needs_input_grad
        scale = g / self.n if self.reduction == "mean" and self.n else g
        gx = _deriv(self.kind, self.d, self.param, xp) * scale
        gw = None
        if self.w is not None:
            if len(nig) > 2 and nig[2]:  # d(sum w l / W)/dw = (l - L) / W
                gw = (self.raw - self.out) * scale if self.denom is not None else self.raw * scale
            gx = gx * self.w
        return (gx if nig[0] else None), (-gx if nig[1] else None), gw


def _pointwise(op: str, kind: str, input: Tensor, target: Tensor, reduction: str,
               param: float = 0.0, weight: Any = None, wmean: bool = True) -> Tensor:
    _check_shapes(op, input, target)
    if input._data.dtype != target._data.dtype:
        input, target = promote(input, target)
    extra = ()
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError(f"{op}: Weights and input must have the same size, got weight "
                             f"{tuple(weight.shape)} and input {tuple(input.shape)}")
        extra = (weight,)
    return PointwiseLoss.apply(input, target, *extra, kind=kind, param=float(param),
                               reduction=reduction, wmean=wmean)


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error (input - target)^2."""
    red = _reduction("mse_loss", reduction, size_average, reduce)
    return _pointwise("mse_loss", "mse", input, target, red, weight=weight)


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error |input - target|."""
    red = _reduction("l1_loss", reduction, size_average, reduce)
    return _pointwise("l1_loss", "l1", input, target, red, weight=weight)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2."""
    red = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    return _pointwise("smooth_l1_loss", "smooth_l1", input, target, red, beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - delta / 2)."""
    red = _reduction("huber_loss", reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss: delta must be positive, got {delta}")
    return _pointwise("huber_loss", "huber", input, target, red, delta, weight, wmean=False)


# ----------------------------------------------------------------------------- class losses
def _class_target(op: str, input: Tensor, target: Tensor, probs_ok: bool) -> bool:
    """Validate the target; True when it holds class probabilities (float, input's shape)."""
    if input.ndim == 0:
        raise ValueError(f"{op}: Expected 1 or more dimensions for input (got 0)")
    tk = target._data.dtype.kind
    ishape, tshape = tuple(input.shape), tuple(target.shape)
    if probs_ok and tk == "f" and tshape == ishape:
        return True
    want = ishape[:1] + ishape[2:] if input.ndim > 1 else ()
    if tk not in "iu" or tshape != want:
        if tk in "iu" and tshape[:1] != ishape[:1] and input.ndim > 1 and target.ndim > 0 \
                and target.ndim == input.ndim - 1:
            raise ValueError(f"{op}: Expected input batch_size ({ishape[0]}) to match target "
                             f"batch_size ({tshape[0]}).")
        prob = f" or float of the input's shape {ishape} (probabilities)" if probs_ok else ""
        raise RuntimeError(
            f"{op}: expected target of dtype int64 (class indices) of shape {want}{prob}, "
            f"got {target.dtype.name} of shape {tshape}")
    return False


def _index_setup(op: str, x: Any, t: Any, w: Any, ignore_index: int) -> tuple:
    """Flat indices of each target class in contiguous (N, C, R) layout, the keep mask, w_t."""
    xp = get_array_module(x)
    n, c = x.shape[0], x.shape[1]
    r = x.size // max(n * c, 1) if x.size else int(np.prod(x.shape[2:], dtype=np.int64))
    mask = t != ignore_index
    tsafe = xp.where(mask, t, 0).astype(np.int64, copy=False)
    if tsafe.size and (int(tsafe.min()) < 0 or int(tsafe.max()) >= c):
        bad = t[mask & ((t < 0) | (t >= c))].reshape(-1)[0]
        raise IndexError(f"{op}: Target {int(bad)} is out of bounds for {c} classes")
    idx = (xp.arange(n).reshape(n, 1) * (c * r) + tsafe.reshape(n, r) * r
           + xp.arange(r).reshape(1, r)).reshape(t.shape)
    wt = mask.astype(x.dtype) if w is None else w[tsafe] * mask
    return idx, mask, wt, c


def _wshape(w: Any, ndim: int) -> Any:
    return w.reshape((1, -1) + (1,) * (ndim - 2))


class CrossEntropy(Function):
    """Fused log-softmax + NLL over dim 1 with class-index targets, weights, smoothing.

    l_i = (1-eps) w_{t_i} (-logp_{i,t_i}) + (eps/C) sum_c w_c (-logp_ic), ignored rows 0;
    dl_i/dx_ij = (1-eps) w_{t_i} (p_ij - [j=t_i]) + (eps/C) (p_ij sum_c w_c - w_j).
    """

    def forward(self, x, target, weight, ignore_index, reduction, smoothing):
        xp = get_array_module(x)
        self.unbatched = x.ndim == 1
        if self.unbatched:
            x, target = x[None], target[None]
        x = xp.ascontiguousarray(x)
        z = x - x.max(axis=1, keepdims=True)
        e = xp.exp(z)
        s = e.sum(axis=1, keepdims=True)
        lse = xp.log(s)
        idx, mask, wt, c = _index_setup("cross_entropy", x, target, weight, ignore_index)
        nll = lse[:, 0] - z.reshape(-1)[idx]  # -log p at the target
        loss = (1 - smoothing) * wt * nll if smoothing else wt * nll
        if smoothing:  # -sum_c w_c logp_c = W lse - sum_c w_c z_c
            if weight is None:
                sm = c * lse[:, 0] - z.sum(axis=1)
            else:
                sm = weight.sum() * lse[:, 0] - (z * _wshape(weight, x.ndim)).sum(axis=1)
            loss = loss + (smoothing / c) * sm * mask
        self.denom = wt.sum() if reduction == "mean" else None
        self.e, self.s, self.idx, self.mask, self.wt = e, s, idx, mask, wt
        self.w, self.reduction, self.eps, self.c = weight, reduction, smoothing, c
        return _reduce(xp, loss[0] if self.unbatched else loss, reduction, self.denom)

    def backward(self, g):
        eps, c = self.eps, self.c
        # dL/dl_i; nothing kept (denominator 0) gives a zero gradient, as in PyTorch
        r = (g / self.denom if self.denom else 0 * g) if self.reduction == "mean" else g
        if self.unbatched and self.reduction == "none":
            r = r[None]
        rm = self.mask * r
        coef = (1 - eps) * self.wt * r
        if eps:
            wsum = c if self.w is None else self.w.sum()
            coef = coef + (eps / c) * wsum * rm
        grad = self.e * (coef / self.s[:, 0])[:, None]  # p_ij * coef_i
        grad.reshape(-1)[self.idx] -= (1 - eps) * self.wt * r
        if eps:
            w = 1 if self.w is None else _wshape(self.w, grad.ndim)
            grad -= (eps / c) * w * rm[:, None]
        return grad[0] if self.unbatched else grad


class CrossEntropyProbs(Function):
    """Soft-target cross-entropy: l_i = -sum_c w_c y'_ic logp_ic, y' = (1-eps) y + eps/C.

    dl/dx_ij = p_ij sum_c w_c y'_ic - w_j y'_ij;  dl/dy_ij = -(1-eps) w_j logp_ij.
    """

    def forward(self, x, y, weight, reduction, smoothing):
        xp = get_array_module(x)
        self.unbatched = x.ndim == 1
        if self.unbatched:
            x, y = x[None], y[None]
        z = x - x.max(axis=1, keepdims=True)
        logp = z - xp.log(xp.exp(z).sum(axis=1, keepdims=True))
        c = x.shape[1]
        wy = (1 - smoothing) * y + smoothing / c if smoothing else y
        w = 1 if weight is None else _wshape(weight, x.ndim)
        if weight is not None:
            wy = wy * w
        loss = -(wy * logp).sum(axis=1)
        self.logp, self.wy, self.w, self.eps = logp, wy, w, smoothing
        self.reduction, self.n = reduction, loss.size
        return _reduce(xp, loss[0] if self.unbatched else loss, reduction)

    def backward(self, g):
        xp = get_array_module(g)
        r = g / self.n if self.reduction == "mean" and self.n else g
        if self.reduction == "none":
            r = r[None, None] if self.unbatched else xp.expand_dims(r, 1)
        nig = self.needs_input_grad
        gx = (xp.exp(self.logp) * self.wy.sum(axis=1, keepdims=True) - self.wy) * r \
            if nig[0] else None
        gy = -(1 - self.eps) * self.w * self.logp * r if nig[1] else None
        if self.unbatched:
            gx, gy = (None if a is None else a[0] for a in (gx, gy))
        return gx, gy


class NLLLoss(Function):
    """l_i = -w_{t_i} x_{i,t_i}; 'mean' divides by sum of w_{t_i} over kept targets."""

    def forward(self, x, target, weight, ignore_index, reduction):
        xp = get_array_module(x)
        self.unbatched = x.ndim == 1
        if self.unbatched:
            x, target = x[None], target[None]
        x = xp.ascontiguousarray(x)
        idx, mask, wt, _ = _index_setup("nll_loss", x, target, weight, ignore_index)
        loss = -wt * x.reshape(-1)[idx]
        self.denom = wt.sum() if reduction == "mean" else None
        self.idx, self.wt, self.shape, self.reduction = idx, wt, x.shape, reduction
        return _reduce(xp, loss[0] if self.unbatched else loss, reduction, self.denom)

    def backward(self, g):
        xp = get_array_module(g)
        r = (g / self.denom if self.denom else 0 * g) if self.reduction == "mean" else g
        grad = xp.zeros(self.shape, dtype=self.wt.dtype)
        grad.reshape(-1)[self.idx] = -self.wt * (r[None] if self.unbatched else r)
        return grad[0] if self.unbatched else grad


def _class_weight(op: str, weight: Any, input: Tensor) -> Any:
    w = _as_weight(op, weight, input)
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    if w is not None and tuple(w.shape) != (c,):
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {c} classes or "
                           f"no classes but got weight tensor of shape: {list(w.shape)}")
    return w


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy over dim 1 of logits, in one numerically stable pass.

    Shape:
        input (N, C, d1, ...) or (C,); target (N, d1, ...) int64 class indices or float
        class probabilities of the input's shape; output () or, for 'none', target's shape.
    """
    red = _reduction("cross_entropy", reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. "
                         f"Got: {label_smoothing}")
    probs = _class_target("cross_entropy", input, target, True)
    w = _class_weight("cross_entropy", weight, input)
    if probs:
        if ignore_index != -100:
            raise RuntimeError("cross_entropy: ignore_index is not supported for floating "
                               "point target")
        if target._data.dtype != input._data.dtype:
            input, target = promote(input, target)
        return CrossEntropyProbs.apply(input, target, weight=w, reduction=red,
                                       smoothing=float(label_smoothing))
    return CrossEntropy.apply(input, target=target._data, weight=w, ignore_index=ignore_index,
                              reduction=red, smoothing=float(label_smoothing))


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``."""
    red = _reduction("nll_loss", reduction, size_average, reduce)
    _class_target("nll_loss", input, target, False)
    w = _class_weight("nll_loss", weight, input)
    return NLLLoss.apply(input, target=target._data, weight=w, ignore_index=ignore_index,
                         reduction=red)


# ----------------------------------------------------------------------------- binary
def _upstream(g, fn):
    """dL/dloss_i for an elementwise loss: g (/ n for 'mean'), times the weight if any."""
    r = g / fn.n if fn.reduction == "mean" and fn.n else g
    return r if fn.w is None else r * fn.w


class BinaryCrossEntropy(Function):
    """l = -w (y log p + (1-y) log(1-p)), logs clamped to >= -100 as in PyTorch.

    dl/dp = w (p - y) / max(p (1-p), 1e-12);  dl/dy = -w (log p - log(1-p)).
    """

    def forward(self, p, y, weight, reduction):
        xp = get_array_module(p)
        with np.errstate(divide="ignore"):
            lp = xp.maximum(xp.log(p), -100)
            l1p = xp.maximum(xp.log(1 - p), -100)
        loss = -(y * lp + (1 - y) * l1p)
        if weight is not None:
            loss = loss * weight
        self.p, self.y, self.lp, self.l1p, self.w = p, y, lp, l1p, weight
        self.reduction, self.n = reduction, loss.size
        return _reduce(xp, loss, reduction)

    def backward(self, g):
        xp = get_array_module(g)
        r = _upstream(g, self)
        nig = self.needs_input_grad
        p = self.p
        gp = r * (p - self.y) / xp.maximum(p * (1 - p), 1e-12) if nig[0] else None
        gy = -r * (self.lp - self.l1p) if nig[1] else None
        return gp, gy


class BCEWithLogits(Function):
    """l = w ((1-y) x + (1 + (pw-1) y) softplus(-x)), softplus(-x) = log1p(e^-|x|) + max(-x, 0).

    dl/dx = w ((1 + (pw-1) y) sigmoid(x) - pw y);  dl/dy = w ((pw-1) softplus(-x) - x).
    """

    def forward(self, x, y, weight, pos_weight, reduction):
        xp = get_array_module(x)
        e = xp.exp(-xp.abs(x))
        sp = xp.log1p(e) + xp.maximum(-x, 0)
        if pos_weight is None:
            loss = (1 - y) * x + sp
        else:
            loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * sp
        if weight is not None:
            loss = loss * weight
        self.x, self.y, self.e, self.sp, self.w, self.pw = x, y, e, sp, weight, pos_weight
        self.reduction, self.n = reduction, loss.size
        return _reduce(xp, loss, reduction)

    def backward(self, g):
        xp = get_array_module(g)
        r = _upstream(g, self)
        x, y, e, pw = self.x, self.y, self.e, self.pw
        nig = self.needs_input_grad
        gx = gy = None
        if nig[0]:
            sig = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
            gx = r * (sig - y) if pw is None else r * ((1 + (pw - 1) * y) * sig - pw * y)
        if nig[1]:
            gy = -r * x if pw is None else r * ((pw - 1) * self.sp - x)
        return gx, gy


def _same_size(op: str, input: Tensor, target: Tensor, msg: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(msg.format(op=op, t=tuple(target.shape), i=tuple(input.shape)))


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against ``target``."""
    red = _reduction("binary_cross_entropy", reduction, size_average, reduce)
    _same_size("binary_cross_entropy", input, target,
               "{op}: Using a target size {t} that is different to the input size {i} is "
               "deprecated. Please ensure they have the same size.")
    if input._data.dtype != target._data.dtype:
        input, target = promote(input, target)
    p = input._data
    if p.size and (p.min() < 0 or p.max() > 1):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1")
    w = _as_weight("binary_cross_entropy", weight, input, check=True)
    return BinaryCrossEntropy.apply(input, target, weight=w, reduction=red)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross-entropy fused, stable for any logit size."""
    red = _reduction("binary_cross_entropy_with_logits", reduction, size_average, reduce)
    _same_size("binary_cross_entropy_with_logits", input, target,
               "{op}: Target size {t} must be the same as input size {i}")
    if input._data.dtype != target._data.dtype:
        input, target = promote(input, target)
    w = _as_weight("binary_cross_entropy_with_logits", weight, input, check=True)
    pw = _as_weight("binary_cross_entropy_with_logits", pos_weight, input, "pos_weight", True)
    return BCEWithLogits.apply(input, target, weight=w, pos_weight=pw, reduction=red)


# ----------------------------------------------------------------------------- divergence
class KLDiv(Function):
    """l = t (log t - x) (0 where t = 0), or e^t (t - x) for log targets.

    dl/dx = -t (or -e^t);  dl/dt = log t + 1 - x (or e^t (t - x + 1)).
    """

    def forward(self, x, t, reduction, log_target):
        xp = get_array_module(x)
        if log_target:
            et = xp.exp(t)
            loss = et * (t - x)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                lt = xp.log(t)
                loss = xp.where(t > 0, t * lt, 0) - t * x
            et = t
        self.x, self.t, self.et, self.log_target = x, t, et, log_target
        self.reduction, self.n = reduction, loss.size
        if reduction == "batchmean":
            self.n = x.shape[0] if x.ndim else 1
            return xp.asarray(loss.sum() / self.n, dtype=loss.dtype)
        return _reduce(xp, loss, reduction)

    def backward(self, g):
        xp = get_array_module(g)
        r = g / self.n if self.reduction in ("mean", "batchmean") else g
        nig = self.needs_input_grad
        gx = -self.et * r if nig[0] else None
        gt = None
        if nig[1]:
            if self.log_target:
                gt = self.et * (self.t - self.x + 1) * r
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    gt = (xp.log(self.t) + 1 - self.x) * r
        return gx, gt


def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence with ``input`` as log-probabilities; 'batchmean' divides by the batch."""
    red = _reduction("kl_div", reduction, size_average, reduce, extra=("batchmean",))
    _check_shapes("kl_div", input, target)
    if input._data.dtype != target._data.dtype:
        input, target = promote(input, target)
    return KLDiv.apply(input, target, reduction=red, log_target=bool(log_target))


__all__ = ["binary_cross_entropy_with_logits", "kl_div"]
TENSOR_METHODS = ()
FUNCTIONAL = ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
              "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div")
