"""Convolutions: conv1d, conv2d and their transposes as chunked im2col + GEMM Functions.

Convs and transposed convs with groups 1, and depthwise convs, run channels-last (conv_cl:
pixel-major cols or per-channel taps; outputs and input gradients left as (N, H, W, C)
memory behind NCHW views). Other grouped convs use the channel-major kernels below.

Every case runs on one 4-D kernel (a 1-D conv is a 2-D conv with height 1). A chunk of the
batch is padded channel-major and its windows (C, KH, KW, m, OH, OW), viewed with
``as_strided``, are copied once into cols (C*KH*KW, m*OH*OW), so each pass is one large GEMM:
Y' = W cols, dW = sum dY' cols^T, dX = col2im(W^T dY') (or, for stride 1, the correlation of dY
with the flipped filters). Only x is saved (the graph holds it anyway); backward rebuilds cols
chunk by chunk, so the 9x-sized columns never outlive one chunk. Convs with few input taps
(a first layer) lay cols out sample by sample, and strided overlapping kernels take their
input gradient with the batch last.
The transposed convolution is the adjoint: its forward is conv's input gradient and its
backward conv's forward and weight gradient.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module, threads
from . import conv_cl, conv_wino
from ._util import channel_sums, split_parts

_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_TORCH_DTYPE = {"float32": "Float", "float64": "Double", "float16": "Half"}


# ----------------------------------------------------------------------------- kernels
# Layout: the padded input sits in a zero buffer (N, C, HB, WB) with WB a multiple of the
# column stride. Output pixel (oh, ow) of tap (i, j) reads flat position
# (i dh + oh sh) WB + j dw + ow sw, so with WV = WB / sw "virtual" columns per output row
# (ow >= OW are junk, cropped later) every tap's windows are one long strided run per
# channel: im2col and col2im move rows of OH*WV elements, not OW-long pieces.
_JUNK_DIV = 8  # virtual columns while junk <= 1/_JUNK_DIV of the output width


class _Geo:
    """Sizes of one convolution: padded input (hp, wp), output (oh, ow), buffer (hb, wb, wv)."""

    __slots__ = ("h", "w", "kh", "kw", "pads", "stride", "dil", "hp", "wp", "oh", "ow", "hb",
                 "wb", "wv")

    def __init__(self, h: int, w: int, kh: int, kw: int, pads: tuple, stride: tuple,
                 dil: tuple) -> None:
        (sh, sw), (dh, dw) = stride, dil
        self.h, self.w, self.kh, self.kw, self.pads, self.stride, self.dil = \
            h, w, kh, kw, pads, stride, dil
        self.hp, self.wp = h + pads[0] + pads[1], w + pads[2] + pads[3]
        self.oh = (self.hp - dh * (kh - 1) - 1) // sh + 1
        self.ow = (self.wp - dw * (kw - 1) - 1) // sw + 1
        wv = -(-self.wp // sw)
        if (wv - self.ow) * _JUNK_DIV <= self.ow:  # few junk columns: long merged runs win
            self.wb, self.wv = wv * sw, wv
        else:  # small images: junk columns would waste much of the GEMM
            self.wb, self.wv = self.wp, self.ow
        last = ((kh - 1) * dh + (self.oh - 1) * sh) * self.wb + (kw - 1) * dw \
            + (self.wv - 1) * sw  # the furthest flat position any window reads
        self.hb = max(self.hp, last // self.wb + 1)


def _buffer(x: Any, geo: _Geo, mode: str) -> Any:
    """x (N, C, H, W) padded (zeros or a copying mode) at the top-left of an (N, C, hb, wb)
    zero buffer."""
    xp = get_array_module(x)
    pt, pb, pl, pr = geo.pads
    n, c, h, w = x.shape
    if mode != "zeros" and (pt or pb or pl or pr):
        x = xp.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), mode=_NP_MODE[mode])
        pt = pl = 0
        h, w = geo.hp, geo.wp
    if (geo.hb, geo.wb) == (h, w) and not (pt or pl):
        return xp.ascontiguousarray(x)
    buf = xp.zeros((n, c, geo.hb, geo.wb), x.dtype)
    buf[:, :, pt:pt + h, pl:pl + w] = x
    return buf


def _unbuffer(gb: Any, geo: _Geo, mode: str) -> Any:
    """Adjoint of ``_buffer``: crop, and for copying modes fold each pad row/column onto its
    source (a loop over the few pad rows and columns)."""
    pt, pb, pl, pr = geo.pads
    h, w = geo.h, geo.w
    if mode == "zeros" or not (pt or pb or pl or pr):
        return get_array_module(gb).ascontiguousarray(gb[:, :, pt:pt + h, pl:pl + w])
    src_h = np.pad(np.arange(h), (pt, pb), mode=_NP_MODE[mode])  # source row of each pad row
    src_w = np.pad(np.arange(w), (pl, pr), mode=_NP_MODE[mode])
    gw = gb[:, :, :geo.hp, pl:pl + w].copy()
    for j in [j for j in range(geo.wp) if not pl <= j < pl + w]:
        gw[:, :, :, src_w[j]] += gb[:, :, :geo.hp, j]
    g = gw[:, :, pt:pt + h].copy()
    for i in [i for i in range(geo.hp) if not pt <= i < pt + h]:
        g[:, :, src_h[i]] += gw[:, :, i]
    return g


def _windows(buf: Any, geo: _Geo) -> Any:
    """The (N, C, KH, KW, OH, WV) view of every tap's windows into the buffer."""
    xp = get_array_module(buf)
    s0, s1, s2, s3 = buf.strides
    (sh, sw), (dh, dw) = geo.stride, geo.dil
    return xp.lib.stride_tricks.as_strided(
        buf, (buf.shape[0], buf.shape[1], geo.kh, geo.kw, geo.oh, geo.wv),
        (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw))


# ----------------------------------------------------------------------------- GEMM path
# Channel-major layout: a chunk of m samples is padded into a (C, m, HB, WB) buffer, its
# windows copied once into cols (C*KH*KW, m*OH*WV), and each pass is ONE large GEMM:
#   Y' (OC, m L) = W (OC, CK) @ cols,  dW += dY' (OC, m L) @ cols^T,  dcols = W^T @ dY'.
# The batch is cut into chunks so the 9x-sized cols stay cache-sized (about an L2's worth:
# a 64-channel 32x32 conv's forward+backward is 15-20% faster with 2 MiB chunks than 8 MiB)
# and never live beyond one chunk; backward rebuilds them from the input (which the graph
# keeps anyway). A chunk's cols are never smaller than the weight matrix, which every
# chunk's GEMM reads again (512 channels at 4x4: 2 MiB chunks were 15% slower).
_CHUNK_BYTES = 1 << 21
_GPU_CHUNK_BYTES = 1 << 23  # a GPU has no L2 to fit and pays per kernel launch
_PAR_BYTES = 1 << 18  # less cols than this in all: one thread (the hand-off would cost more)


def _chunks(xp: Any, n: int, per_sample: int, wbytes: int = 0) -> list:
    """Balanced [n0, n1) ranges over the batch with at most max(_CHUNK_BYTES, wbytes) of
    cols each, as many as a multiple of the intra-op threads (which take them in turn)
    when it pays; on a GPU larger chunks, one after another."""
    if n == 0:
        return []
    cpu = xp is np
    k = max(1, -(-per_sample * n // max(_CHUNK_BYTES if cpu else _GPU_CHUNK_BYTES, wbytes)))
    w = threads.workers() if cpu and per_sample * n >= _PAR_BYTES else 1
    k = min(n, -(-k // w) * w)
    if k <= 1:
        return [(0, n)]
    bounds = [n * i // k for i in range(k + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(k)]


def _buffer_cm(x: Any, geo: _Geo, mode: str) -> Any:
    """x (m, C, H, W) padded into a channel-major (C, m, hb, wb) buffer (a view if no pad)."""
    xp = get_array_module(x)
    pt, pb, pl, pr = geo.pads
    xt = x.transpose(1, 0, 2, 3)
    if mode != "zeros" and (pt or pb or pl or pr):
        xt = xp.pad(xt, ((0, 0), (0, 0), (pt, pb), (pl, pr)), mode=_NP_MODE[mode])
        pt = pl = 0
    h, w = xt.shape[2:]
    if (geo.hb, geo.wb) == (h, w) and not (pt or pl):
        return xt
    buf = xp.zeros((xt.shape[0], xt.shape[1], geo.hb, geo.wb), x.dtype)
    buf[:, :, pt:pt + h, pl:pl + w] = xt
    return buf


def _cols(x: Any, geo: _Geo, mode: str) -> Any:
    """cols (C*KH*KW, m*OH*WV) of a chunk x (m, C, H, W): one copy of the windows."""
    win = _windows(_buffer_cm(x, geo, mode), geo).transpose(0, 2, 3, 1, 4, 5)
    cols = get_array_module(x).ascontiguousarray(win)
    return cols.reshape(win.shape[0] * geo.kh * geo.kw, x.shape[0] * geo.oh * geo.wv)


def _wmat(w: Any, groups: int) -> Any:
    return w.reshape(groups, w.shape[0] // groups, -1)


def _conv_fwd(x: Any, w: Any, geo: _Geo, groups: int, mode: str, b: Any = None) -> Any:
    """y (N, OC, OH, OW) = conv(x, w) + b, chunk by chunk (chunks on the intra-op threads):
    Y' = W cols, one GEMM per group."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    oc = w.shape[0]
    y = xp.empty((n, oc, geo.oh, geo.ow), x.dtype)
    wm = _wmat(w, groups)
    if _sample_major(geo, c, groups):
        l_ = geo.oh * geo.ow

        def chunk_sm(r: tuple) -> None:  # Y[n] = W cols[n], written straight into y
            out = y[r[0]:r[1]].reshape(r[1] - r[0], oc, l_)
            xp.matmul(wm[0], _cols_sm(x[r[0]:r[1]], geo, mode), out=out)
            if b is not None:
                out += b[:, None]

        split_parts(chunk_sm, xp, _chunks(xp, n, c * geo.kh * geo.kw * l_ * x.dtype.itemsize))
        return y

    def chunk(r: tuple) -> None:
        n0, n1 = r
        cols = _cols(x[n0:n1], geo, mode)
        out = wm[0] @ cols if groups == 1 else \
            wm @ cols.reshape(groups, cols.shape[0] // groups, -1)
        out = out.reshape(oc, n1 - n0, geo.oh, geo.wv)[..., :geo.ow].transpose(1, 0, 2, 3)
        if b is None:
            y[n0:n1] = out
        else:
            xp.add(out, b[:, None, None], out=y[n0:n1])

    per = c * geo.kh * geo.kw * geo.oh * geo.wv * x.dtype.itemsize
    split_parts(chunk, xp, _chunks(xp, n, per, w.nbytes))
    return y


def _conv_bwd(g: Any, x: Any, w: Any, geo: _Geo, groups: int, mode: str, c: int,
              need_x: bool, need_w: bool) -> tuple:
    """(dX (N, c, H, W), dW) of y = conv(x, w) given dY = g (N, OC, OH, OW), chunk by chunk:
    dW = sum dY' cols^T and dX = unpad(col2im(W^T dY')), or for stride 1 with zero padding
    dX = the full correlation of dY with the flipped transposed filters."""
    xp = get_array_module(g)
    n, oc = g.shape[:2]
    k, l_ = geo.kh * geo.kw, geo.oh * geo.wv
    wm = _wmat(w, groups)
    gw = None
    if need_w and _sample_major(geo, c, groups):
        gw = _dw_sm(g, x, geo, mode).reshape(w.shape)
        need_w = False
        if not need_x:
            return None, gw
    # stride 1: dX = conv(dY, W^T flipped) beats GEMM + col2im unless its GEMM has too few
    # rows (c small next to oc; measured) or the input is much larger than the output (a
    # transposed conv from a 1x1 input would do (h w)/(oh ow) times the work)
    full = _full_pads(geo) if need_x and mode == "zeros" and c >= min(oc, 64) \
        and geo.h * geo.w <= 2 * geo.oh * geo.ow else None
    if full is not None:
        gx = _conv_fwd(g, _flip_t(w, groups), _Geo(geo.oh, geo.ow, geo.kh, geo.kw, full,
                                                   (1, 1), geo.dil), groups, "zeros")
        need_x = False
    else:
        gx = xp.empty((n, c, geo.h, geo.w), g.dtype) if need_x else None
    if not (need_x or need_w):
        return gx, gw
    wt = wm.transpose(0, 2, 1) if need_x else None
    batch_last = need_x and _batch_last(geo, c)

    def chunk(r: tuple) -> Any:
        n0, n1 = r
        m = n1 - n0
        if batch_last:
            gx[n0:n1] = _dx_batch_last(g[n0:n1], wt, geo, c, mode)
            if not need_w:
                return None
        gt = g[n0:n1].transpose(1, 0, 2, 3)  # dY' (OC, m, OH, WV), junk columns zero
        if geo.wv == geo.ow:
            gt = xp.ascontiguousarray(gt)
        else:
            wide = xp.empty((oc, m, geo.oh, geo.wv), g.dtype)
            wide[..., :geo.ow] = gt
            wide[..., geo.ow:] = 0
            gt = wide
        gt = gt.reshape(groups, oc // groups, m * l_)
        part = None
        if need_w:  # this chunk's share of dW[g] = sum dY'[g] cols[g]^T
            cols = _cols(x[n0:n1], geo, mode).reshape(groups, -1, m * l_)
            part = gt @ cols.transpose(0, 2, 1)
            del cols
        if need_x and not batch_last:  # dX = unpad(col2im(W^T dY'))
            dcols = (wt[0] @ gt[0]) if groups == 1 else wt @ gt
            buf = _col2im_cm(dcols.reshape(c, geo.kh, geo.kw, m, geo.oh, geo.wv), geo)
            del dcols
            if mode == "zeros":
                pt, pl = geo.pads[0], geo.pads[2]
                gx[n0:n1] = buf[:, :, pt:pt + geo.h, pl:pl + geo.w].transpose(1, 0, 2, 3)
            else:
                gx[n0:n1] = _unbuffer(buf.transpose(1, 0, 2, 3), geo, mode)
        return part

    parts = split_parts(chunk, xp, _chunks(xp, n, c * k * l_ * g.dtype.itemsize, w.nbytes))
    if need_w:
        gw = _sum_parts(parts, wm.shape, g.dtype, xp).reshape(w.shape)
    return gx, gw


def _sum_parts(parts: list, shape: tuple, dtype: Any, xp: Any) -> Any:
    """The sum of the chunks' weight-gradient shares (zeros for an empty batch)."""
    total = parts[0] if parts else xp.zeros(shape, dtype)
    for p in parts[1:]:
        total += p
    return total


# ----------------------------------------------------------------------------- sample-major
# With few input taps (C*KH*KW small: a first layer on RGB or grey images) the GEMM is thin
# and the passes are memory-bound, so moving data is the cost: per sample, cols (CK, OH*OW)
# hold no junk columns and W cols lands straight in y's (OC, OH*OW) rows, with no transposing
# copies of the output or of dY. One batched matmul per chunk (measured on 64x3x32x32 -> 32:
# forward 4.5 -> 3.5 ms, dW 5.9 -> 3.9 ms; with 32 or more channels the big GEMM wins).
_SM_TAPS = 64
_SM_MIN_PIXELS = 64


def _sample_major(geo: _Geo, c: int, groups: int) -> bool:
    """Whether a conv of ``c`` input channels runs sample-major (few taps, enough pixels)."""
    return groups == 1 and c * geo.kh * geo.kw <= _SM_TAPS and \
        geo.oh * geo.ow >= _SM_MIN_PIXELS


def _cols_sm(x: Any, geo: _Geo, mode: str) -> Any:
    """cols (m, C*KH*KW, OH*OW) of a chunk x (m, C, H, W), sample by sample, no junk."""
    win = _windows(_buffer(x, geo, mode), geo)[..., :geo.ow]
    return get_array_module(x).ascontiguousarray(win).reshape(
        x.shape[0], -1, geo.oh * geo.ow)


def _dw_sm(g: Any, x: Any, geo: _Geo, mode: str) -> Any:
    """dW (OC, C*KH*KW) = sum over samples of dY[n] cols[n]^T, chunk by chunk."""
    xp = get_array_module(g)
    n, oc = g.shape[:2]
    l_ = geo.oh * geo.ow

    def chunk(r: tuple) -> Any:
        cols = _cols_sm(x[r[0]:r[1]], geo, mode)
        gs = g[r[0]:r[1]].reshape(r[1] - r[0], oc, l_)
        return xp.matmul(gs, cols.transpose(0, 2, 1)).sum(axis=0)

    ck = x.shape[1] * geo.kh * geo.kw
    parts = split_parts(chunk, xp, _chunks(xp, n, ck * l_ * x.dtype.itemsize))
    return _sum_parts(parts, (oc, ck), g.dtype, xp)


def _full_pads(geo: _Geo) -> tuple | None:
    """Pads d(k-1) - p of the full correlation giving a stride-1 conv's input gradient, or
    None where that does not apply (strided, or padding wider than the kernel reach)."""
    if geo.stride != (1, 1):
        return None
    rh, rw = geo.dil[0] * (geo.kh - 1), geo.dil[1] * (geo.kw - 1)
    pads = (rh - geo.pads[0], rh - geo.pads[1], rw - geo.pads[2], rw - geo.pads[3])
    return pads if min(pads) >= 0 else None


def _flip_t(w: Any, groups: int) -> Any:
    """W (G*OCg, Cg, KH, KW) -> per group transposed and spatially flipped (G*Cg, OCg, KH, KW):
    the filters of the input-gradient correlation."""
    oc, cg, kh, kw = w.shape
    wg = w.reshape(groups, oc // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)
    return get_array_module(w).ascontiguousarray(wg[..., ::-1, ::-1]).reshape(
        groups * cg, oc // groups, kh, kw)


# Strided kernels that overlap a lot (4x4 stride 2: every input pixel in 4 windows) spend
# their col2im on short strided rows, one per channel, sample, output row and tap. With the
# batch as the last axis each of those adds moves m contiguous values instead (DCGAN's
# 64 -> 128 4x4/2 input gradient: 21.4 -> 16.0 ms; 3x3 stride 2 measured slower).
def _batch_last(geo: _Geo, c: int) -> bool:
    """Whether the input gradient runs batch-last (strided, each pixel in 4+ windows)."""
    sh, sw = geo.stride
    return (sh > 1 or sw > 1) and geo.kh * geo.kw >= 4 * sh * sw and c >= 8


def _dx_batch_last(g: Any, wt: Any, geo: _Geo, c: int, mode: str) -> Any:
    """dX (m, c, H, W) of a chunk from dY (m, OC, OH, OW), with the batch as the last axis:
    dcols = W^T dY'' (columns ordered oh, ow, n), then KH*KW strided adds."""
    xp = get_array_module(g)
    m, oc = g.shape[:2]
    (sh, sw), (dh, dw) = geo.stride, geo.dil
    groups = wt.shape[0]
    gl = xp.ascontiguousarray(g.transpose(1, 2, 3, 0)).reshape(groups, oc // groups, -1)
    dcols = (wt[0] @ gl[0]) if groups == 1 else wt @ gl
    d = dcols.reshape(c, geo.kh, geo.kw, geo.oh, geo.ow, m)
    buf = xp.zeros((c, geo.hp, geo.wp, m), g.dtype)
    for i in range(geo.kh):
        r = i * dh
        for j in range(geo.kw):
            q = j * dw
            buf[:, r:r + sh * (geo.oh - 1) + 1:sh, q:q + sw * (geo.ow - 1) + 1:sw] += d[:, i, j]
    full = buf.transpose(3, 0, 1, 2)
    if mode == "zeros":
        pt, pl = geo.pads[0], geo.pads[2]
        return full[:, :, pt:pt + geo.h, pl:pl + geo.w]
    return _unbuffer(full, geo, mode)


def _col2im_cm(d: Any, geo: _Geo) -> Any:
    """Adjoint of the windows copy: d (C, KH, KW, m, OH, WV) added into a (C, m, hb, wb)
    buffer, KH*KW strided adds over the whole chunk."""
    c, m = d.shape[0], d.shape[3]
    buf = get_array_module(d).zeros((c, m, geo.hb, geo.wb), d.dtype)
    win = _windows(buf, geo)
    for i in range(geo.kh):
        for j in range(geo.kw):
            win[:, :, i, j] += d[:, i, j]
    return buf


# ----------------------------------------------------------------------------- channels-last
# Convs with groups 1 run pixel-major: their outputs (and input gradients) are (N, H, W, C)
# memory behind NCHW views, which the next conv reads without a transposing copy. Their
# GEMMs read cols whose rows are pixels (conv_cl), or, with few input taps (a first layer),
# sample-major cols (CK, OH*OW) used transposed, so Y lands pixel-major as well. Measured on
# this CPU (64x32x32x32 -> 64, 3x3): forward 32 -> 22 ms; its GEMM alone went from 126 to 140
# GF/s, the 64-wide output filling OpenBLAS's kernels better from cache-sized chunks.
_TALL_DW_BYTES = 1 << 20  # filters up to this size take dW^T = cols^T dY (measured faster)


def _unpad_cl(buf: Any, geo: _Geo, mode: str) -> Any:
    """A chunk's input gradient (m, H, W, C) from its padded (m, HP, WP, C) buffer: the pad
    cropped, or for copying modes folded back onto its sources."""
    pt, pl = geo.pads[0], geo.pads[2]
    if mode == "zeros":
        return buf[:, pt:pt + geo.h, pl:pl + geo.w]
    return _unbuffer(buf.transpose(0, 3, 1, 2), geo, mode).transpose(0, 2, 3, 1)


def _epilogue(out: Any, post: tuple) -> None:
    """In place on a chunk's channels-last output (..., OC) while it is in cache: out =
    out * scale + shift, then max(out, 0) if relu (an eval batch norm and ReLU folded in)."""
    scale, shift, relu = post
    out *= scale
    out += shift
    if relu:
        get_array_module(out).maximum(out, 0, out=out)


def _conv_fwd_cl(x: Any, w: Any, geo: _Geo, mode: str, b: Any = None,
                 post: tuple | None = None) -> Any:
    """y = conv(x, w) + b (then ``_epilogue(y, post)``) as an (N, OC, OH, OW) view of
    (N, OH, OW, OC) memory."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    oc = w.shape[0]
    if xp is np and conv_wino.suitable(geo, mode, n, c, oc, x.dtype):
        return _wino_fwd(x, w, b, post)
    l_ = geo.oh * geo.ow
    y = xp.empty((n, geo.oh, geo.ow, oc), x.dtype)
    sm = _sample_major(geo, c, 1)
    if sm:  # Y[n]^T = cols[n]^T W^T, taps in x's (C, KH, KW) order
        wt = w.reshape(oc, -1).T
    else:
        wt = conv_cl.weights(w).T
        xh = x.transpose(0, 2, 3, 1)

    def chunk(r: tuple) -> None:
        n0, n1 = r
        if sm:
            out = y[n0:n1].reshape(n1 - n0, l_, oc)
            xp.matmul(_cols_sm(x[n0:n1], geo, mode).transpose(0, 2, 1), wt, out=out)
        else:
            out = y[n0:n1].reshape(-1, oc)
            xp.matmul(conv_cl.cols(xh[n0:n1], geo, mode), wt, out=out)
        if b is not None:
            out += b
        if post is not None:
            _epilogue(out, post)

    per = c * geo.kh * geo.kw * l_ * x.dtype.itemsize
    split_parts(chunk, xp, _chunks(xp, n, per, w.nbytes))
    return y.transpose(0, 3, 1, 2)


def _conv_bwd_cl(g: Any, x: Any, w: Any, geo: _Geo, mode: str, need_x: bool,
                 need_w: bool) -> tuple:
    """(dX, dW) of a channels-last conv given dY = g (N, OC, OH, OW) (x may be None when
    only dX is asked: a transposed conv's forward), chunk by chunk:
    dW = sum dY^T cols and dX = col2im(dY Wr), or for stride 1 with zero padding the full
    correlation of dY with the flipped transposed filters (itself channels-last)."""
    xp = get_array_module(g)
    n, oc = g.shape[:2]
    c = w.shape[1]
    wino = xp is np and conv_wino.suitable(geo, mode, n, c, oc, g.dtype)
    # dX as the full correlation: itself a conv, Winograd too where this conv is one
    full = _full_pads(geo) if need_x and mode == "zeros" and (
        wino or (c >= min(oc, 64) and geo.h * geo.w <= 2 * geo.oh * geo.ow)) else None
    gx = None
    if full is not None:
        gx = _conv_fwd_cl(g, _flip_t(w, 1), _Geo(geo.oh, geo.ow, geo.kh, geo.kw, full, (1, 1),
                                                 geo.dil), "zeros")
        need_x = False
    elif need_x:
        gx = xp.empty((n, geo.h, geo.w, c), g.dtype)
    if not (need_x or need_w):
        return gx, None
    if wino:  # dX, if asked, came from the full correlation above
        return gx, _wino_dw(g, x)
    gh = g.transpose(0, 2, 3, 1)
    xh = x.transpose(0, 2, 3, 1) if need_w else None
    wr = conv_cl.weights(w) if need_x else None
    sm = need_w and _sample_major(geo, c, 1)
    tall = w.nbytes <= _TALL_DW_BYTES

    def chunk(r: tuple) -> Any:
        n0, n1 = r
        gm = xp.ascontiguousarray(gh[n0:n1]).reshape(-1, oc)
        part = None
        if sm:  # dW^T (C*KH*KW, OC) = sum over samples of cols[n] dY[n]
            part = xp.matmul(_cols_sm(x[n0:n1], geo, mode),
                             gm.reshape(n1 - n0, -1, oc)).sum(axis=0)
        elif need_w and tall:  # dW^T (KH*KW*C, OC): the faster GEMM shape for small filters
            part = conv_cl.cols(xh[n0:n1], geo, mode).T @ gm
        elif need_w:
            part = gm.T @ conv_cl.cols(xh[n0:n1], geo, mode)
        if need_x:
            gx[n0:n1] = _unpad_cl(conv_cl.col2im(gm @ wr, geo), geo, mode)
        return part

    # each chunk's dW GEMM writes a weight-sized partial, summed afterwards: chunks of cols
    # at least 4x the weight keep that small, and where all the cols are no more than that
    # (deep layers on small images) one chunk lets the BLAS use every thread (measured on
    # ResNet-18's 256- and 512-channel layers: backward 5-10% faster)
    per = c * geo.kh * geo.kw * geo.oh * geo.ow * g.dtype.itemsize
    ranges = [(0, n)] if n and xp is np and 4 * w.nbytes >= per * n else \
        _chunks(xp, n, per, 4 * w.nbytes)
    parts = split_parts(chunk, xp, ranges)
    if need_x:
        gx = gx.transpose(0, 3, 1, 2)
    gw = None
    if sm:
        gw = xp.ascontiguousarray(_sum_parts(parts, (c * geo.kh * geo.kw, oc), g.dtype, xp).T)
        gw = gw.reshape(w.shape)
    elif need_w and tall:
        gw = conv_cl.unweights(_sum_parts(parts, (geo.kh * geo.kw * c, oc), g.dtype, xp).T, c,
                               geo.kh, geo.kw)
    elif need_w:
        gw = conv_cl.unweights(_sum_parts(parts, (oc, geo.kh * geo.kw * c), g.dtype, xp), c,
                               geo.kh, geo.kw)
    return gx, gw


def _wino_fwd(x: Any, w: Any, b: Any = None, post: tuple | None = None) -> Any:
    """y = conv3x3(x, w, pad 1) + b by Winograd F(4x4, 3x3), channels-last, sample chunks
    on the intra-op threads (each chunk's transforms and 36 GEMMs on one thread)."""
    n, c, h, wd = x.shape
    xh = x.transpose(0, 2, 3, 1)
    u = conv_wino.weights(w)
    y = np.empty((n, h, wd, w.shape[0]), x.dtype)

    def chunk(r: tuple) -> None:
        out = conv_wino.forward(xh[r[0]:r[1]], u, y[r[0]:r[1]])
        if b is not None:
            out += b
        if post is not None:
            _epilogue(out, post)

    split_parts(chunk, np, conv_wino.chunks(n, h, wd))
    return y.transpose(0, 3, 1, 2)


def _wino_dw(g: Any, x: Any) -> Any:
    """dW of a Winograd-suitable conv from dY = g and its input x (both NCHW views)."""
    n, c, h, wd = x.shape
    xh, gh = x.transpose(0, 2, 3, 1), g.transpose(0, 2, 3, 1)
    parts = split_parts(lambda r: conv_wino.weight_grad(xh[r[0]:r[1]], gh[r[0]:r[1]]), np,
                        conv_wino.chunks(n, h, wd))
    du = parts[0]
    for p in parts[1:]:
        du += p
    return conv_wino.unweights(du)


def _dw_fwd_cl(x: Any, w: Any, geo: _Geo, mode: str, b: Any = None) -> Any:
    """Depthwise y = conv(x, w) + b (groups = C = OC) channels-last, chunk by chunk."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    xh = x.transpose(0, 2, 3, 1)
    y = xp.empty((n, geo.oh, geo.ow, c), x.dtype)

    def chunk(r: tuple) -> None:
        out = conv_cl.dw_forward(xh[r[0]:r[1]], w, geo, mode, y[r[0]:r[1]])
        if b is not None:
            out += b

    split_parts(chunk, xp, _chunks(xp, n, 2 * c * geo.hp * geo.wp * x.dtype.itemsize))
    return y.transpose(0, 3, 1, 2)


def _dw_bwd_cl(g: Any, x: Any, w: Any, geo: _Geo, mode: str, need_x: bool,
               need_w: bool) -> tuple:
    """(dX, dW) of a depthwise conv given dY = g, channels-last, chunk by chunk."""
    xp = get_array_module(g)
    n, c = x.shape[:2]
    gh, xh = g.transpose(0, 2, 3, 1), x.transpose(0, 2, 3, 1)
    gx = xp.empty((n, geo.h, geo.w, c), g.dtype) if need_x else None

    def chunk(r: tuple) -> Any:
        n0, n1 = r
        buf, part = conv_cl.dw_backward(gh[n0:n1], xh[n0:n1], w, geo, mode, need_x, need_w)
        if need_x:
            gx[n0:n1] = _unpad_cl(buf, geo, mode)
        return part

    parts = split_parts(chunk, xp, _chunks(xp, n, 3 * c * geo.hp * geo.wp * g.dtype.itemsize))
    gw = _sum_parts(parts, w.shape, g.dtype, xp) if need_w else None
    return (gx.transpose(0, 3, 1, 2) if need_x else None), gw


# ----------------------------------------------------------------------------- Functions
def _as4d(x: Any, w: Any, nd: int, batched: bool) -> tuple:
    if not batched:
        x = x[None]
    if nd == 1:
        x, w = x[:, :, None], w[:, :, None]
    return x, w


def _out(y: Any, nd: int, batched: bool) -> Any:
    if nd == 1:
        y = y[:, :, 0]
    return y if batched else y[0]


class ConvNd(Function):
    """y = conv(x, w) + b for 1-D/2-D, batched or not; inputs (x, w[, b]).

    Saves only x itself (alive anyway as an input of the graph): backward rebuilds cols."""

    def forward(self, x, w, b=None, *, nd, batched, stride, pads, dil, groups, mode,
                post=None):
        if post is not None and self.needs_input_grad:
            raise RuntimeError("conv2d: a fused batch norm/ReLU epilogue is for inference "
                               "only (autograd off)")
        x4, w4 = _as4d(x, w, nd, batched)
        geo = _Geo(x4.shape[2], x4.shape[3], w4.shape[2], w4.shape[3], pads, stride, dil)
        self.depthwise = groups == x4.shape[1] == w4.shape[0] and x4.shape[0] > 0
        self.cl = not self.depthwise and groups == 1  # groups 1: channels-last
        if self.depthwise:  # one filter per channel: elementwise taps beat tiny GEMMs
            y = _dw_fwd_cl(x4, w4, geo, mode, b)
        elif self.cl:
            y = _conv_fwd_cl(x4, w4, geo, mode, b, post)
            post = None
        else:
            y = _conv_fwd(x4, w4, geo, groups, mode, b)
        if post is not None:  # the other layouts: one pass over the whole output
            _epilogue(y.transpose(0, 2, 3, 1), post)
        self.x4, self.w4, self.xs, self.ws = x4, w4, x.shape, w.shape
        self.geo, self.groups, self.mode = geo, groups, mode
        return _out(y, nd, batched)

    def backward(self, g):
        nig = self.needs_input_grad
        geo, w4, x4 = self.geo, self.w4, self.x4
        g = g.reshape(x4.shape[0], w4.shape[0], geo.oh, geo.ow)
        gx = gw = gb = None
        if self.depthwise:
            gx, gw = _dw_bwd_cl(g, x4, w4, geo, self.mode, nig[0], nig[1])
        elif self.cl and (nig[0] or nig[1]):
            gx, gw = _conv_bwd_cl(g, x4, w4, geo, self.mode, nig[0], nig[1])
        elif nig[0] or nig[1]:
            gx, gw = _conv_bwd(g, x4, w4, geo, self.groups, self.mode, x4.shape[1], nig[0],
                               nig[1])
        gx = gx.reshape(self.xs) if nig[0] else None
        gw = gw.reshape(self.ws) if nig[1] else None
        if len(nig) > 2 and nig[2]:  # db = sum of dY over n, h, w
            gb = channel_sums(g)
        return gx, gw, gb


class ConvTransposeNd(Function):
    """y = conv_transpose(x, w) + b, the adjoint of conv in x: its forward is conv's input
    gradient, its backward conv's forward (dX) and conv's weight gradient (dW)."""

    def forward(self, x, w, b=None, *, nd, batched, stride, pad, dil, groups, out_hw):
        x4, w4 = _as4d(x, w, nd, batched)
        ph, pw = pad
        # the conv whose input is y (padded by pad): its output grid is x's
        geo = _Geo(out_hw[0], out_hw[1], w4.shape[2], w4.shape[3], (ph, ph, pw, pw), stride,
                   dil)
        if groups == 1:  # channels-last, like the conv whose adjoint it is
            y = _conv_bwd_cl(x4, None, w4, geo, "zeros", True, False)[0]
        else:
            y = _conv_bwd(x4, None, w4, geo, groups, "zeros", w4.shape[1] * groups, True,
                          False)[0]
        if b is not None:
            y += b[:, None, None]
        self.x4, self.w4, self.xs, self.ws, self.geo, self.groups = x4, w4, x.shape, w.shape, \
            geo, groups
        return _out(y, nd, batched)

    def backward(self, g):
        nig = self.needs_input_grad
        geo, groups, x4, w4 = self.geo, self.groups, self.x4, self.w4
        g = g.reshape(x4.shape[0], self.ws[1] * groups, geo.h, geo.w)
        gx = gw = gb = None
        cl = groups == 1
        if nig[0]:  # dX = conv2d(dY, W)
            gx = _conv_fwd_cl(g, w4, geo, "zeros") if cl else \
                _conv_fwd(g, w4, geo, groups, "zeros")
            gx = gx.reshape(self.xs)
        if nig[1]:  # dW: conv's weight gradient with x as its output gradient, dY its input
            gw = _conv_bwd_cl(x4, g, w4, geo, "zeros", False, True)[1] if cl else \
                _conv_bwd(x4, g, w4, geo, groups, "zeros", g.shape[1], False, True)[1]
            gw = gw.reshape(self.ws)
        if len(nig) > 2 and nig[2]:
            gb = channel_sums(g)
        return gx, gw, gb


# ----------------------------------------------------------------------------- checks
def _tuple(v: Any, nd: int, name: str, op: str) -> tuple:
    t = (int(v),) * nd if isinstance(v, (int, np.integer)) else tuple(int(e) for e in v)
    if len(t) == 1 and nd > 1:
        t = t * nd
    if len(t) != nd:
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of "
                           f"{nd} values to match the convolution dimensions, but got "
                           f"{name}={list(t)}")
    return t


def _check(op: str, input: Tensor, weight: Tensor, bias: Tensor | None, nd: int,
           groups: int, transposed: bool) -> bool:
    """Validate shapes and dtypes like PyTorch; return whether the input is batched."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}(): argument 'input' and 'weight' must be Tensors, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    xs, ws = tuple(input._data.shape), tuple(weight._data.shape)
    if len(xs) not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{op}, but got input of size: {list(xs)}")
    if len(ws) != nd + 2:
        raise RuntimeError(f"{op}: expected weight to be {nd + 2}-dimensional, but got weight "
                           f"of size {list(ws)}")
    dx, dw = input._data.dtype, weight._data.dtype
    if dx.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {input.dtype}")
    if dx != dw or (bias is not None and bias._data.dtype != dx):
        other = dw if dx != dw else bias._data.dtype
        raise RuntimeError(
            f"{op}: expected scalar type {_TORCH_DTYPE.get(str(dx), dx)} but found "
            f"{_TORCH_DTYPE.get(str(other), other)} (input, weight and bias must share a dtype)")
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported")
    batched = len(xs) == nd + 2
    xb = xs if batched else (1,) + xs
    if not transposed and ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(ws)}] instead")
    want = ws[0] if transposed else ws[1] * groups
    if xb[1] != want:
        lead = f"Given transposed=1, weight of size {list(ws)}" if transposed else \
            f"Given groups={groups}, weight of size {list(ws)}"
        raise RuntimeError(f"{lead}, expected input{list(xb)} to have {want} channels, but got "
                           f"{xb[1]} channels instead")
    if transposed and ws[0] % groups:
        raise RuntimeError(f"{op}: expected in_channels ({ws[0]}) to be divisible by "
                           f"groups={groups}")
    if bias is not None:
        oc = ws[1] * groups if transposed else ws[0]
        if bias._data.shape != (oc,):
            raise RuntimeError(f"Given weight of size {list(ws)}, expected bias to be "
                               f"1-dimensional with {oc} elements, but got bias of size "
                               f"{list(bias._data.shape)} instead")
    return batched


def _check_geometry(op: str, stride: tuple, dil: tuple, pads: tuple) -> None:
    if min(stride) <= 0:
        raise RuntimeError(f"{op}: non-positive stride is not supported")
    if min(dil) <= 0:
        raise RuntimeError(f"{op}: dilation should be greater than zero")
    if min(pads) < 0:
        raise RuntimeError(f"{op}: negative padding is not supported")


def _x(t: tuple) -> str:
    return " x ".join(str(v) for v in t)


def _conv(op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
          padding: Any, dilation: Any, groups: int, padding_mode: str = "zeros",
          post: tuple | None = None) -> Tensor:
    batched = _check(op, input, weight, bias, nd, groups, False)
    stride, dil = _tuple(stride, nd, "stride", op), _tuple(dilation, nd, "dilation", op)
    k = tuple(weight._data.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pad2 = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided "
                                   "convolutions")
            tot = [d * (kk - 1) for d, kk in zip(dil, k)]  # odd totals: the extra one at the end
            pad2 = tuple((t // 2, t - t // 2) for t in tot)
        else:
            raise RuntimeError(f"{op}: Invalid padding string: {padding!r}")
    else:
        pad2 = tuple((p, p) for p in _tuple(padding, nd, "padding", op))
    pads = ((0, 0),) + pad2 if nd == 1 else pad2
    pads = pads[0] + pads[1]
    _check_geometry(op, stride, dil, pads)
    sizes = input._data.shape[-nd:]
    padded = tuple(s + a + b for s, (a, b) in zip(sizes, pad2))
    kd = tuple(d * (kk - 1) + 1 for d, kk in zip(dil, k))
    if any(p < q for p, q in zip(padded, kd)):
        raise RuntimeError(f"{op}: Calculated padded input size per channel: ({_x(padded)}). "
                           f"Kernel size: ({_x(kd)}). Kernel size can't be greater than actual "
                           "input size")
    if padding_mode != "zeros" and padding_mode not in _NP_MODE:
        raise ValueError(f"{op}: padding_mode must be one of 'zeros', 'reflect', 'replicate', "
                         f"'circular', but got padding_mode={padding_mode!r}")
    if nd == 1:
        stride, dil = (1,) + stride, (1,) + dil
    args = (input, weight) if bias is None else (input, weight, bias)
    return ConvNd.apply(*args, nd=nd, batched=batched, stride=stride, pads=pads, dil=dil,
                        groups=int(groups), mode=padding_mode, post=post)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation over (N, C_in, L) with weight (C_out, C_in/groups, K).

    Shape:
        (N, C_in, L) or (C_in, L) -> (N, C_out, L_out) or (C_out, L_out),
        L_out = (L + 2p - d(K-1) - 1) // s + 1.
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation over (N, C_in, H, W) with weight (C_out, C_in/groups, KH, KW).

    ``padding`` is an int, a pair, 'valid' or 'same' (stride 1; an odd total pads one more
    at the bottom/right, like PyTorch).

    Shape:
        (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out) or (C_out, H_out, W_out),
        H_out = (H + 2p - d(KH-1) - 1) // s + 1.
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_t(op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
            padding: Any, output_padding: Any, groups: int, dilation: Any) -> Tensor:
    batched = _check(op, input, weight, bias, nd, groups, True)
    if isinstance(padding, str):
        raise RuntimeError(f"{op}: padding must be an int or a tuple of ints, got {padding!r}")
    stride, dil = _tuple(stride, nd, "stride", op), _tuple(dilation, nd, "dilation", op)
    pad = _tuple(padding, nd, "padding", op)
    opad = _tuple(output_padding, nd, "output_padding", op)
    _check_geometry(op, stride, dil, pad)
    if any(o >= s and o >= d for o, s, d in zip(opad, stride, dil)) or min(opad) < 0:
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={list(opad)}, stride="
                           f"{list(stride)}, dilation={list(dil)}")
    k = weight._data.shape[2:]
    sizes = input._data.shape[-nd:]
    out = tuple((s - 1) * st - 2 * p + d * (kk - 1) + o + 1
                for s, st, p, d, kk, o in zip(sizes, stride, pad, dil, k, opad))
    if min(out) <= 0:
        raise RuntimeError(f"{op}: Given input size per channel: ({_x(sizes)}). Calculated "
                           f"output size per channel: ({_x(out)}). Output size is too small")
    if nd == 1:
        stride, dil, pad, out = (1,) + stride, (1,) + dil, (0,) + pad, (1,) + out
    args = (input, weight) if bias is None else (input, weight, bias)
    return ConvTransposeNd.apply(*args, nd=nd, batched=batched, stride=stride, pad=pad, dil=dil,
                                 groups=int(groups), out_hw=out)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """1-D transposed convolution (the adjoint of conv1d), weight (C_in, C_out/groups, K).

    Shape:
        (N, C_in, L) -> (N, C_out, (L-1)s - 2p + d(K-1) + output_padding + 1).
    """
    return _conv_t("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding,
                   groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """2-D transposed convolution (the adjoint of conv2d), weight (C_in, C_out/groups, KH, KW).

    Shape:
        (N, C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = (H-1)s - 2p + d(KH-1) + output_padding + 1.
    """
    return _conv_t("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding,
                   groups, dilation)


__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]
TENSOR_METHODS = ()
FUNCTIONAL = ("conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d")
