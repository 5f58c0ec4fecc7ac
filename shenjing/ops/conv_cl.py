"""Channels-last kernels of conv2d (groups 1): pixels are rows, channels are columns.

A chunk of the batch is padded as (m, HP, WP, C) and its windows (m, OH, OW, KH, KW, C) are
copied into cols (m*OH*OW, KH*KW*C): runs of KW*C contiguous values, not the short strided
pieces a channel-major copy moves. Each pass is one GEMM per chunk,
    Y (m*OH*OW, OC) = cols @ Wr^T,  dW += dY^T @ cols,  dcols = dY @ Wr,
with Wr = W laid out (OC, KH*KW*C) (each filter's values permuted: a cache-friendly copy).
Y lands as (N, OH, OW, OC) memory and is returned as an (N, OC, OH, OW) view of it, so
neither the output nor, when the next conv reads it, the input is transposed by a copy;
element-wise ops, batch norm and pooling keep that memory order (NumPy's ufuncs follow their
inputs' layout). Only x is saved: backward rebuilds cols.
"""
from __future__ import annotations

from typing import Any

from ..backend import get_array_module

_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}  # NumPy's pad names


def weights(w: Any) -> Any:
    """W (OC, C, KH, KW) -> Wr (OC, KH*KW*C), the GEMM operand of a channels-last pass."""
    return get_array_module(w).ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(
        w.shape[0], -1)


def unweights(gr: Any, c: int, kh: int, kw: int) -> Any:
    """Adjoint layout of ``weights``: dWr (OC, KH*KW*C) -> dW (OC, C, KH, KW)."""
    return get_array_module(gr).ascontiguousarray(
        gr.reshape(gr.shape[0], kh, kw, c).transpose(0, 3, 1, 2))


def _padded(xh: Any, geo: Any, mode: str) -> Any:
    """A chunk xh (m, H, W, C) padded to (m, HP, WP, C) (a view if there is no padding)."""
    xp = get_array_module(xh)
    pt, pb, pl, pr = geo.pads
    if not (pt or pb or pl or pr):
        return xh
    if mode != "zeros":
        return xp.pad(xh, ((0, 0), (pt, pb), (pl, pr), (0, 0)), mode=_MODES[mode])
    m, h, w, c = xh.shape
    buf = xp.empty((m, geo.hp, geo.wp, c), xh.dtype)
    buf[:, :pt] = 0
    buf[:, pt + h:] = 0
    buf[:, pt:pt + h, :pl] = 0
    buf[:, pt:pt + h, pl + w:] = 0
    buf[:, pt:pt + h, pl:pl + w] = xh
    return buf


def cols(xh: Any, geo: Any, mode: str) -> Any:
    """cols (m*OH*OW, KH*KW*C) of a chunk xh (m, H, W, C): one copy of its windows."""
    xp = get_array_module(xh)
    buf = _padded(xh, geo, mode)
    m, c = buf.shape[0], buf.shape[3]
    (sh, sw), (dh, dw) = geo.stride, geo.dil
    if geo.kh == geo.kw == 1:
        win = buf[:, :sh * (geo.oh - 1) + 1:sh, :sw * (geo.ow - 1) + 1:sw]
    else:
        s0, s1, s2, s3 = buf.strides
        win = xp.lib.stride_tricks.as_strided(
            buf, (m, geo.oh, geo.ow, geo.kh, geo.kw, c),
            (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3))
    return xp.ascontiguousarray(win).reshape(m * geo.oh * geo.ow, -1)


def col2im(d: Any, geo: Any) -> Any:
    """Adjoint of the windows copy: d (m*OH*OW, KH*KW*C) added into a padded (m, HP, WP, C)
    buffer by KH*KW strided adds (the caller crops the padding or folds it back)."""
    xp = get_array_module(d)
    (sh, sw), (dh, dw) = geo.stride, geo.dil
    m = d.shape[0] // (geo.oh * geo.ow)
    c = d.shape[1] // (geo.kh * geo.kw)
    d = d.reshape(m, geo.oh, geo.ow, geo.kh, geo.kw, c)
    buf = xp.zeros((m, geo.hp, geo.wp, c), d.dtype)
    for i in range(geo.kh):
        r = i * dh
        for j in range(geo.kw):
            q = j * dw
            hs, ws = slice(r, r + sh * (geo.oh - 1) + 1, sh), \
                slice(q, q + sw * (geo.ow - 1) + 1, sw)
            buf[:, hs, ws] += d[:, :, :, i, j]
    return buf


# ----------------------------------------------------------------------------- depthwise
# One filter per channel: y[.., c] = sum over taps of w[c, tap] x_tap[.., c], KH*KW
# multiply-adds on channels-last slices. With stride 1 along the width a tap's (OW, C) values
# are one contiguous run, so the filter value of each channel is tiled OW times and every
# multiply runs over whole rows (OW*C values) instead of C-long pieces.
def _taps(buf: Any, geo: Any) -> list:
    """The KH*KW windows of a C-contiguous padded chunk (m, HP, WP, C), as views: each
    (m, OH, OW*C) with stride 1 along the width, else (m, OH, OW, C)."""
    xp = get_array_module(buf)
    (sh, sw), (dh, dw) = geo.stride, geo.dil
    m, c = buf.shape[0], buf.shape[3]
    s0, s1, s2, s3 = buf.strides
    shape, strides = ((m, geo.oh, geo.ow * c), (s0, s1 * sh, s3)) if sw == 1 else \
        ((m, geo.oh, geo.ow, c), (s0, s1 * sh, s2 * sw, s3))
    return [xp.lib.stride_tricks.as_strided(buf[:, i * dh:, j * dw:], shape, strides)
            for i in range(geo.kh) for j in range(geo.kw)]


def _padded_c(xh: Any, geo: Any, mode: str) -> Any:
    """``_padded`` as one C-contiguous buffer (the taps are strided views into it)."""
    return get_array_module(xh).ascontiguousarray(_padded(xh, geo, mode))


def _tap_weights(w: Any, geo: Any) -> Any:
    """w (C, 1, KH, KW) -> (KH*KW, OW*C) tiled per tap (or (KH*KW, C) when strided)."""
    xp = get_array_module(w)
    wt = w.reshape(w.shape[0], -1).T  # (KH*KW, C)
    return xp.tile(wt, (1, geo.ow)) if geo.stride[1] == 1 else xp.ascontiguousarray(wt)


def dw_forward(xh: Any, w: Any, geo: Any, mode: str, out: Any) -> Any:
    """Depthwise y of a chunk xh (m, H, W, C), written into ``out`` (m, OH, OW, C),
    C-contiguous; returns ``out``."""
    xp = get_array_module(xh)
    taps = _taps(_padded_c(xh, geo, mode), geo)
    wt = _tap_weights(w, geo)
    y = out.reshape(taps[0].shape)  # a view: out is C-contiguous
    xp.multiply(taps[0], wt[0], out=y)
    tmp = xp.empty_like(y)
    for t, wv in zip(taps[1:], wt[1:]):
        xp.multiply(t, wv, out=tmp)
        y += tmp
    return out


def dw_backward(gh: Any, xh: Any, w: Any, geo: Any, mode: str, need_x: bool,
                need_w: bool) -> tuple:
    """Depthwise (padded input gradient (m, HP, WP, C) or None, dW part (C, 1, KH, KW) or
    None) of a chunk: dW[c, tap] = sum dY x_tap, dX_tap += dY w[c, tap]."""
    xp = get_array_module(gh)
    m, c = xh.shape[0], xh.shape[3]
    g = xp.ascontiguousarray(gh)
    g = g.reshape(m, geo.oh, geo.ow * c) if geo.stride[1] == 1 else g
    tmp = xp.empty_like(g)
    gw = None
    if need_w:
        gw = xp.empty((geo.kh * geo.kw, c), g.dtype)
        for k, t in enumerate(_taps(_padded_c(xh, geo, mode), geo)):
            xp.multiply(g, t, out=tmp)
            gw[k] = tmp.sum(axis=(0, 1)).reshape(-1, c).sum(axis=0)
        gw = gw.T.reshape(c, 1, geo.kh, geo.kw)
    buf = None
    if need_x:
        buf = xp.zeros((m, geo.hp, geo.wp, c), g.dtype)
        for t, wv in zip(_taps(buf, geo), _tap_weights(w, geo)):
            xp.multiply(g, wv, out=tmp)
            t += tmp
    return buf, gw
