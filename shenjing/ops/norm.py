"""Normalisation: fused batch norm, layer norm and group norm with closed-form backward.

Each normalises x to xhat = (x - mean) / sqrt(var + eps) (biased variance) and applies
an optional per-channel affine y = xhat * w + b, all in one Function.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from ._util import channels_last, column_sums, split_parts, split_range


def _norm_backward(g: Any, xhat: Any, invstd: Any, axes: tuple, n: int) -> Any:
    """dx for xhat normalised over ``axes`` (n elements each), given dL/dxhat = g.

    dx = invstd / n * (n g - sum(g) - xhat sum(g xhat)).
    """
    sg = g.sum(axis=axes, keepdims=True)
    sgx = (g * xhat).sum(axis=axes, keepdims=True)
    return (invstd / n) * (n * g - sg - xhat * sgx)


# ----------------------------------------------------------------------------- rows
# Batch norm of channels-last memory ((N, *, C) behind an (N, C, *) view, as the convs leave
# it) runs on the (P, C) matrix of pixels: its reductions are column sums (one BLAS
# matrix-vector product) and per-column dot products (einsum), and row blocks of about 1 MiB
# stay in L2 through each pass's few ufuncs. Blocks run on the intra-op threads; per-block
# partial sums are added in block order, so one thread or two give the same numbers.
_ROW_BLOCK_BYTES = 1 << 20


def _rows(x: Any) -> Any | None:
    """The (P, C) matrix behind x (N, C, *) when its memory is channels-last, else None."""
    if x.ndim < 2:
        return None
    xt = x if x.ndim == 2 else channels_last(x)
    return xt.reshape(-1, x.shape[1]) if xt.flags.c_contiguous else None


def _blocks(xp: Any, rows: Any, fn: Any) -> list:
    """``fn(lo, hi)`` over ~1 MiB row blocks of ``rows``, on the intra-op threads."""
    p, c = rows.shape
    step = max(1, _ROW_BLOCK_BYTES // max(1, c * rows.itemsize))
    parts = [(lo, min(p, lo + step)) for lo in range(0, p, step)]
    if xp is np and len(parts) < 2:
        return [fn(*r) for r in parts]
    return split_parts(lambda r: fn(*r), xp, parts)


def _empty_channels_last(xp: Any, like: Any) -> Any:
    """An uninitialised array shaped like ``like`` (N, C, *) with channels-last memory."""
    return xp.moveaxis(xp.empty(channels_last(like).shape, like.dtype), -1, 1)


def _dot_rows(xp: Any, a: Any, b: Any) -> Any:
    """Per-column dot products sum over rows of a * b, without a product temporary."""
    return xp.einsum("pc,pc->c", a, b)


def _bn_rows_forward(xp: Any, x2: Any, y2: Any, w: Any, b: Any, mean: Any, invstd: Any,
                     eps: float) -> tuple:
    """y2 = (x2 - mean) invstd w + b over (P, C) rows; with mean None the batch's mean and
    biased variance are computed first (two passes: sums, then centred squares, the centred
    values written into y2 and scaled there in a third)."""
    p = x2.shape[0]
    var = None
    if mean is not None:  # eval: y = x scale + shift, two passes
        scale = invstd * w if w is not None else invstd
        shift = -mean * scale
        if b is not None:
            shift += b

        def affine(lo: int, hi: int) -> None:
            xp.multiply(x2[lo:hi], scale, out=y2[lo:hi])
            y2[lo:hi] += shift

        _blocks(xp, x2, affine)
        return mean, var, invstd
    mean = sum(_blocks(xp, x2, lambda lo, hi: column_sums(xp, x2[lo:hi]))) / p

    def centre(lo: int, hi: int) -> Any:
        t = y2[lo:hi]
        xp.subtract(x2[lo:hi], mean, out=t)
        return _dot_rows(xp, t, t)

    var = sum(_blocks(xp, x2, centre)) / p
    invstd = 1 / xp.sqrt(var + eps)
    scale = invstd * w if w is not None else invstd

    def out(lo: int, hi: int) -> None:
        y2[lo:hi] *= scale
        if b is not None:
            y2[lo:hi] += b

    _blocks(xp, x2, out)
    return mean, var, invstd


def _bn_rows_backward(xp: Any, g2: Any, x2: Any, gx2: Any, w: Any, mean: Any, invstd: Any,
                      training: bool) -> tuple:
    """(sum g, sum g xhat) per channel over (P, C) rows, and gx2 (when given) filled with
    dx = w invstd (g - mean(g) - xhat mean(g xhat)) (training) or g w invstd (eval)."""
    p = g2.shape[0]
    keep = gx2 is not None and training  # x - mean parked in gx2 for the second pass

    def sums(lo: int, hi: int) -> tuple:
        if keep:
            t = gx2[lo:hi]
            xp.subtract(x2[lo:hi], mean, out=t)
        else:
            t = x2[lo:hi] - mean
        return column_sums(xp, g2[lo:hi]), _dot_rows(xp, t, g2[lo:hi])

    parts = _blocks(xp, g2, sums)
    sg = sum(s[0] for s in parts)
    sgx = sum(s[1] for s in parts) * invstd
    if gx2 is not None:
        scale = invstd * w if w is not None else invstd
        # training: dx = g scale + (x - mean) k1 + k0
        k1 = -scale * invstd * sgx / p
        k0 = -scale * sg / p

        def dx(lo: int, hi: int) -> None:
            out = gx2[lo:hi]
            if not training:
                xp.multiply(g2[lo:hi], scale, out=out)
                return
            out *= k1
            out += k0
            out += g2[lo:hi] * scale

        _blocks(xp, g2, dx)
    return sg, sgx


class BatchNorm(Function):
    """Batch norm over every dim but 1; inputs (x, [weight], [bias]) as flags say.

    Training normalises with the batch's biased variance; eval with the running stats, where
    the op is affine: dx = g w invstd. Saves x (alive anyway as a graph input), mean and
    invstd, and rebuilds xhat in backward rather than holding a second activation. Channels
    are independent, so large inputs are split by channel over the intra-op threads.
    """

    def forward(self, x, *wb, has_weight, has_bias, mean, var, eps, training, stats):
        xp = get_array_module(x)
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        w = wb[0].reshape(shape) if has_weight else None
        b = wb[-1].reshape(shape) if has_bias else None
        y = xp.empty_like(x)
        x2, y2 = _rows(x), _rows(y)
        if x2 is not None and y2 is not None:
            mu, v, invstd = _bn_rows_forward(
                xp, x2, y2, w.reshape(-1) if w is not None else None,
                b.reshape(-1) if b is not None else None,
                None if training else mean.reshape(-1),
                None if training else 1 / xp.sqrt(var.reshape(-1) + eps), eps)
            if training:
                stats["mean"], stats["var"] = mu, v
            self.x, self.mu, self.invstd = x, mu.reshape(shape), invstd.reshape(shape)
            self.axes, self.training, self.w = axes, training, w
            self.has_w, self.has_b = has_weight, has_bias
            return y
        if training:
            mu = xp.empty((1, x.shape[1]) + (1,) * (x.ndim - 2), x.dtype)
            v, invstd = xp.empty_like(mu), xp.empty_like(mu)
        else:
            mu = mean.reshape(shape)
            invstd = 1 / xp.sqrt(var.reshape(shape) + eps)

        def part(c0: int, c1: int) -> None:
            c = slice(c0, c1)
            xs, ys = x[:, c], y[:, c]
            ws = w[:, c] if w is not None else None
            if training:
                m = xs.mean(axis=axes, keepdims=True)
                xc = xs - m
                vs = (xc * xc).mean(axis=axes, keepdims=True)
                inv = 1 / xp.sqrt(vs + eps)
                mu[:, c], v[:, c], invstd[:, c] = m, vs, inv
                # y = xhat w + b = (x - mean) (invstd w) + b
                xp.multiply(xc, inv * ws if ws is not None else inv, out=ys)
                if b is not None:
                    ys += b[:, c]
            else:  # affine in x: y = x scale + (b - mean scale), scale = invstd w: 2 passes
                scale = invstd[:, c] * ws if ws is not None else invstd[:, c]
                shift = -mu[:, c] * scale
                if b is not None:
                    shift += b[:, c]
                xp.multiply(xs, scale, out=ys)
                ys += shift

        split_range(part, xp, x.shape[1], 2 * x.nbytes)
        if training:
            stats["mean"], stats["var"] = mu.reshape(-1), v.reshape(-1)
        self.x, self.mu, self.invstd, self.axes, self.training = x, mu, invstd, axes, training
        self.w, self.has_w, self.has_b = w, has_weight, has_bias
        return y

    def backward(self, g):
        nig = self.needs_input_grad
        xp = get_array_module(g)
        axes, invstd, x, w = self.axes, self.invstd, self.x, self.w
        need_x = nig[0]
        need_w = self.has_w and nig[1]
        need_b = self.has_b and nig[-1]
        gx = xp.empty_like(g) if need_x else None
        gw = xp.empty(x.shape[1], g.dtype) if need_w else None
        gb = xp.empty(x.shape[1], g.dtype) if need_b else None
        n = g.size // max(g.shape[1], 1)
        x2 = _rows(x)
        if x2 is not None and (need_x or need_w or need_b):
            g2 = _rows(g)
            if g2 is None:  # dY in another layout: one copy into the pixels' order
                g2 = xp.ascontiguousarray(channels_last(g)).reshape(x2.shape)
            gx = _empty_channels_last(xp, g) if need_x else None
            sg, sgx = _bn_rows_backward(xp, g2, x2, _rows(gx) if need_x else None,
                                        None if w is None else w.reshape(-1),
                                        self.mu.reshape(-1), invstd.reshape(-1), self.training)
            out = [gx]
            if self.has_w:
                out.append(sgx if need_w else None)
            if self.has_b:
                out.append(sg if need_b else None)
            return tuple(out)

        def part(c0: int, c1: int) -> None:
            c = slice(c0, c1)
            gs, inv = g[:, c], invstd[:, c]
            xhat = None
            if need_w or (need_x and self.training):  # xhat = (x - mean) invstd, rebuilt
                xhat = x[:, c] - self.mu[:, c]
                xhat *= inv
            sg = gs.sum(axis=axes, keepdims=True) if need_b or (need_x and self.training) \
                else None
            sgx = (gs * xhat).sum(axis=axes, keepdims=True) if xhat is not None else None
            if need_x:
                scale = inv * w[:, c] if w is not None else inv
                if self.training:
                    # dx = w invstd (g - mean(g) - xhat mean(g xhat)), means over batch axes
                    gxs = gx[:, c]
                    xp.multiply(xhat, sgx / n, out=gxs)
                    xp.subtract(gs, gxs, out=gxs)
                    gxs -= sg / n
                    gxs *= scale
                else:
                    xp.multiply(gs, scale, out=gx[:, c])
            if need_w:  # dL/dw = sum(g xhat)
                gw[c] = sgx.reshape(-1)
            if need_b:  # dL/db = sum(g)
                gb[c] = sg.reshape(-1)

        split_range(part, xp, x.shape[1], 3 * x.nbytes)
        out = [gx]
        if self.has_w:
            out.append(gw)
        if self.has_b:
            out.append(gb)
        return tuple(out)


def _affine_args(weight: Tensor | None, bias: Tensor | None) -> tuple:
    return tuple(t for t in (weight, bias) if t is not None)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and any spatial dims.

    In training, running stats (when given) are updated in place:
    r = (1 - momentum) r + momentum s, with the unbiased batch variance for running_var.

    Shape:
        input (N, C) or (N, C, *); weight, bias, running stats (C,); output like input.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2D input (got {input.ndim}D input)")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"batch_norm: {name} should contain {c} elements not {t.numel()}")
    if training:
        per_channel = input.numel() // max(c, 1)
        if per_channel <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {tuple(input.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be defined in "
                           "evaluation mode (training=False)")
    stats: dict = {}
    out = BatchNorm.apply(input, *_affine_args(weight, bias), has_weight=weight is not None,
                          has_bias=bias is not None,
                          mean=None if running_mean is None else running_mean._data,
                          var=None if running_var is None else running_var._data,
                          eps=float(eps), training=bool(training), stats=stats)
    if training:
        _update_running(stats, input.numel() // c, running_mean, running_var, momentum)
    return out


def _update_running(stats: dict, n: int, running_mean: Tensor | None,
                    running_var: Tensor | None, momentum: float) -> None:
    """In-place EMA of the batch stats (unbiased variance: var * n / (n - 1))."""
    mu, v = stats["mean"], stats["var"]
    m = momentum
    if running_mean is not None:
        rm = running_mean._data
        rm *= 1 - m
        rm += (m * mu).astype(rm.dtype, copy=False)
    if running_var is not None:
        rv = running_var._data
        rv *= 1 - m
        rv += (m * v * (n / (n - 1))).astype(rv.dtype, copy=False)


class LayerNorm(Function):
    """Normalise over the trailing ``k`` dims; affine weight/bias of the trailing shape."""

    def forward(self, x, *wb, has_weight, has_bias, k, eps):
        xp = get_array_module(x)
        axes = tuple(range(x.ndim - k, x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        xc = x - mu
        v = (xc * xc).mean(axis=axes, keepdims=True)
        invstd = 1 / xp.sqrt(v + eps)
        xhat = xc * invstd
        w = wb[0] if has_weight else None
        y = xhat * w if w is not None else xhat
        if has_bias:
            y = y + wb[-1]
        self.xhat, self.invstd, self.axes, self.w = xhat, invstd, axes, w
        self.has_w, self.has_b = has_weight, has_bias
        return y.astype(x.dtype, copy=False)

    def backward(self, g):
        nig = self.needs_input_grad
        xhat, axes = self.xhat, self.axes
        lead = tuple(range(xhat.ndim - len(axes)))
        gxhat = g * self.w if self.w is not None else g
        n = 1
        for a in axes:
            n *= xhat.shape[a]
        out = [_norm_backward(gxhat, xhat, self.invstd, axes, n) if nig[0] else None]
        if self.has_w:  # dL/dw = sum over leading dims of g xhat
            out.append((g * xhat).sum(axis=lead) if nig[len(out)] else None)
        if self.has_b:
            out.append(g.sum(axis=lead) if nig[len(out)] else None)
        return tuple(out)


def layer_norm(input: Tensor, normalized_shape: Sequence[int] | int,
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims of each sample.

    Shape:
        input (*, *normalized_shape); weight and bias normalized_shape; output like input.
    """
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != ns or input.ndim < k:
        raise RuntimeError(
            f"layer_norm: Given normalized_shape={list(ns)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in ns)}], but got input of size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"layer_norm: expected {name} of shape {list(ns)}, "
                               f"got {list(t.shape)}")
    return LayerNorm.apply(input, *_affine_args(weight, bias), has_weight=weight is not None,
                           has_bias=bias is not None, k=k, eps=float(eps))


class GroupNorm(Function):
    """Normalise each of G channel groups per sample; per-channel affine afterwards."""

    def forward(self, x, *wb, has_weight, has_bias, groups, eps):
        xp = get_array_module(x)
        n, c = x.shape[0], x.shape[1]
        xg = x.reshape(n, groups, -1)
        mu = xg.mean(axis=2, keepdims=True)
        xc = xg - mu
        invstd = 1 / xp.sqrt((xc * xc).mean(axis=2, keepdims=True) + eps)
        self.xhat = (xc * invstd).reshape(x.shape)
        self.invstd, self.groups = invstd, groups
        shape = (1, c) + (1,) * (x.ndim - 2)
        self.shape, self.has_w, self.has_b = shape, has_weight, has_bias
        self.w = wb[0].reshape(shape) if has_weight else None
        y = self.xhat * self.w if has_weight else self.xhat
        if has_bias:
            y = y + wb[-1].reshape(shape)
        return y.astype(x.dtype, copy=False)

    def backward(self, g):
        nig = self.needs_input_grad
        xhat = self.xhat
        nb = xhat.shape[0]
        axes = (0,) + tuple(range(2, xhat.ndim))
        out = [None]
        if nig[0]:
            gxhat = (g * self.w if self.w is not None else g).reshape(nb, self.groups, -1)
            xg = xhat.reshape(nb, self.groups, -1)
            out[0] = _norm_backward(gxhat, xg, self.invstd, (2,), xg.shape[2]).reshape(xhat.shape)
        if self.has_w:
            out.append((g * xhat).sum(axis=axes) if nig[len(out)] else None)
        if self.has_b:
            out.append(g.sum(axis=axes) if nig[len(out)] else None)
        return tuple(out)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalisation over (N, C, *) with C divisible by ``num_groups``."""
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected at least 2D input (got {input.ndim}D input)")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"group_norm: Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    return GroupNorm.apply(input, *_affine_args(weight, bias), has_weight=weight is not None,
                           has_bias=bias is not None, groups=int(num_groups), eps=float(eps))


__all__ = ["batch_norm", "layer_norm", "group_norm"]
TENSOR_METHODS = ()
FUNCTIONAL = ("batch_norm", "layer_norm", "group_norm")
