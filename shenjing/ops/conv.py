"""Convolutions: conv1d, conv2d and their transposes as fused im2col + GEMM Functions.

Every case runs on one 4-D kernel (a 1-D conv is a 2-D conv with height 1). Forward views the
padded input as windows (N, C, KH, KW, OH, OW) with ``as_strided``, copies them once into
``cols`` and does one batched GEMM per group: Y[n, g] = W[g] @ cols[n, g], which lands in NCHW
with no transpose. Backward reuses the saved ``cols``: dW = sum_n dY cols^T and
dX = col2im(W^T dY) (KH*KW strided adds into the padded input). The transposed convolution is
the adjoint: its forward is conv's input-gradient and its backward is conv's forward.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module

_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_TORCH_DTYPE = {"float32": "Float", "float64": "Double", "float16": "Half"}


# ----------------------------------------------------------------------------- kernels
# Layout: the padded input sits in a zero buffer (N, C, HB, WB) with WB a multiple of the
# column stride. Output pixel (oh, ow) of tap (i, j) reads flat position
# (i dh + oh sh) WB + j dw + ow sw, so with WV = WB / sw "virtual" columns per output row
# (ow >= OW are junk, cropped later) every tap's windows are one long strided run per
# channel: im2col and col2im move rows of OH*WV elements, not OW-long pieces.
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
        self.wb = -(-self.wp // sw) * sw
        self.wv = self.wb // sw
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


def _im2col(buf: Any, geo: _Geo) -> Any:
    """cols (N, C*KH*KW, OH*WV), one copy of the windows."""
    cols = get_array_module(buf).ascontiguousarray(_windows(buf, geo))
    return cols.reshape(buf.shape[0], buf.shape[1] * geo.kh * geo.kw, geo.oh * geo.wv)


def _col2im(dcols: Any, geo: _Geo) -> Any:
    """Adjoint of ``_im2col``: scatter-add dcols (N, C*KH*KW, OH*WV) into a buffer."""
    xp = get_array_module(dcols)
    n = dcols.shape[0]
    d = dcols.reshape(n, dcols.shape[1] // (geo.kh * geo.kw), geo.kh, geo.kw, geo.oh, geo.wv)
    buf = xp.zeros((n, d.shape[1], geo.hb, geo.wb), dcols.dtype)
    win = _windows(buf, geo)
    for i in range(geo.kh):  # KH*KW adds, each over the whole batch
        for j in range(geo.kw):
            win[:, :, i, j] += d[:, :, i, j]
    return buf


def _widen(g: Any, geo: _Geo) -> Any:
    """dY (N, OC, OH, OW) -> (N, OC, OH*WV) with zeros in the junk columns."""
    n, oc = g.shape[:2]
    if geo.wv == geo.ow:
        return get_array_module(g).ascontiguousarray(g).reshape(n, oc, geo.oh * geo.wv)
    out = get_array_module(g).zeros((n, oc, geo.oh, geo.wv), g.dtype)
    out[..., :geo.ow] = g
    return out.reshape(n, oc, geo.oh * geo.wv)


def _narrow(y: Any, geo: _Geo, b: Any = None) -> Any:
    """(N, OC, OH*WV) -> contiguous (N, OC, OH, OW) (+ bias), dropping the junk columns."""
    y = y.reshape(y.shape[0], y.shape[1], geo.oh, geo.wv)[..., :geo.ow]
    if b is not None:
        return y + b[:, None, None]
    return get_array_module(y).ascontiguousarray(y)


def _gemm_fwd(cols: Any, w: Any, groups: int) -> Any:
    """Y[n, g] = W[g] @ cols[n, g]: cols (N, C*K, L), w (OC, C/g, KH, KW) -> (N, OC, L)."""
    n, _, l_ = cols.shape
    oc = w.shape[0]
    if groups == 1:
        return w.reshape(oc, -1) @ cols
    y = w.reshape(groups, oc // groups, -1) @ cols.reshape(n, groups, cols.shape[1] // groups, l_)
    return y.reshape(n, oc, l_)


def _gemm_dcols(g: Any, w: Any, groups: int) -> Any:
    """dcols[n, g] = W[g]^T @ dY[n, g]: g (N, OC, L) -> (N, C*K, L)."""
    n, oc, l_ = g.shape
    if groups == 1:
        return w.reshape(oc, -1).T @ g
    wg = w.reshape(groups, oc // groups, -1).transpose(0, 2, 1)
    return (wg @ g.reshape(n, groups, oc // groups, l_)).reshape(n, groups * wg.shape[1], l_)


def _gemm_dw(g: Any, cols: Any, w_shape: tuple, groups: int) -> Any:
    """dW[g] = sum_n dY[n, g] @ cols[n, g]^T (batched products, summed over n)."""
    n, oc, l_ = g.shape
    xp = get_array_module(g)
    if groups == 1:
        gw = xp.matmul(g, cols.transpose(0, 2, 1))
    else:
        gw = xp.matmul(g.reshape(n, groups, oc // groups, l_),
                       cols.reshape(n, groups, cols.shape[1] // groups, l_).transpose(0, 1, 3, 2))
    return gw.sum(0).reshape(w_shape)


def _dw_fwd(win: Any, w: Any, geo: _Geo) -> Any:
    """Depthwise y[n, c] = sum_ij w[c, ij] win[n, c, ij]: KH*KW multiply-adds, no GEMM."""
    xp = get_array_module(win)
    y = xp.zeros((win.shape[0], win.shape[1], geo.oh, geo.wv), win.dtype)
    tmp = xp.empty_like(y)
    for i in range(geo.kh):
        for j in range(geo.kw):
            xp.multiply(win[:, :, i, j], w[:, 0, i, j, None, None], out=tmp)
            y += tmp
    return y.reshape(y.shape[0], y.shape[1], -1)


def _dw_grads(g: Any, win: Any, w: Any, geo: _Geo, need_x: bool, need_w: bool) -> tuple:
    """Depthwise dW[c, ij] = sum_nl dY win_ij and dX buffer: win_ij += dY w[c, ij]."""
    xp = get_array_module(g)
    n, c = g.shape[:2]
    g = g.reshape(n, c, geo.oh, geo.wv)
    gw = xp.empty(w.shape, w.dtype) if need_w else None
    buf = xp.zeros((n, c, geo.hb, geo.wb), g.dtype) if need_x else None
    bwin = _windows(buf, geo) if need_x else None
    tmp = xp.empty_like(g)
    for i in range(geo.kh):
        for j in range(geo.kw):
            if need_w:
                gw[:, 0, i, j] = xp.einsum("nchw,nchw->c", g, win[:, :, i, j])
            if need_x:
                xp.multiply(g, w[:, 0, i, j, None, None], out=tmp)
                bwin[:, :, i, j] += tmp
    return buf, gw


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
    """y = conv(x, w) + b for 1-D/2-D, batched or not; inputs (x, w[, b])."""

    def forward(self, x, w, b=None, *, nd, batched, stride, pads, dil, groups, mode):
        x4, w4 = _as4d(x, w, nd, batched)
        geo = _Geo(x4.shape[2], x4.shape[3], w4.shape[2], w4.shape[3], pads, stride, dil)
        buf = _buffer(x4, geo, mode)
        self.depthwise = groups == x4.shape[1] == w4.shape[0] and x4.shape[0] > 0
        if self.depthwise:  # one filter per channel: elementwise taps beat tiny GEMMs
            cols = _windows(buf, geo)
            y = _narrow(_dw_fwd(cols, w4, geo), geo, b)
        else:
            cols = _im2col(buf, geo)
            y = _narrow(_gemm_fwd(cols, w4, groups), geo, b)
        self.cols, self.w4, self.xs, self.ws = cols, w4, x.shape, w.shape
        self.geo, self.groups, self.mode, self.n = geo, groups, mode, x4.shape[0]
        return _out(y, nd, batched)

    def backward(self, g):
        nig = self.needs_input_grad
        geo, groups = self.geo, self.groups
        g = g.reshape(self.n, self.w4.shape[0], geo.oh, geo.ow)
        gwide = _widen(g, geo)
        gx = gw = gb = None
        if self.depthwise:
            buf, gw = _dw_grads(gwide, self.cols, self.w4, geo, nig[0], nig[1])
            if nig[0]:
                gx = _unbuffer(buf, geo, self.mode).reshape(self.xs)
            if nig[1]:
                gw = gw.reshape(self.ws)
        if nig[0] and gx is None:  # dX = unpad(col2im(W^T dY))
            buf = _col2im(_gemm_dcols(gwide, self.w4, groups), geo)
            gx = _unbuffer(buf, geo, self.mode).reshape(self.xs)
        if nig[1] and gw is None:  # dW = sum_n dY cols^T
            gw = _gemm_dw(gwide, self.cols, self.w4.shape, groups).reshape(self.ws)
        if len(nig) > 2 and nig[2]:  # db = sum of dY over n, h, w
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb


class ConvTransposeNd(Function):
    """y = conv_transpose(x, w) + b, the adjoint of conv in x: y = crop(col2im(W^T x))."""

    def forward(self, x, w, b=None, *, nd, batched, stride, pad, dil, groups, out_hw):
        x4, w4 = _as4d(x, w, nd, batched)
        ph, pw = pad
        # the conv whose input is y (padded by pad): its output grid is x's
        geo = _Geo(out_hw[0], out_hw[1], w4.shape[2], w4.shape[3], (ph, ph, pw, pw), stride,
                   dil)
        xw = _widen(x4, geo)
        y = _unbuffer(_col2im(_gemm_dcols(xw, w4, groups), geo), geo, "zeros")
        if b is not None:
            y += b[:, None, None]
        self.xw, self.w4, self.xs, self.ws, self.geo, self.groups = xw, w4, x.shape, w.shape, \
            geo, groups
        return _out(y, nd, batched)

    def backward(self, g):
        nig = self.needs_input_grad
        geo, groups = self.geo, self.groups
        g = g.reshape(self.xw.shape[0], self.ws[1] * groups, geo.h, geo.w)
        cols = _im2col(_buffer(g, geo, "zeros"), geo)  # im2col(dY): the adjoint of col2im
        gx = gw = gb = None
        if nig[0]:  # dX = W im2col(dY): conv2d's forward
            gx = _narrow(_gemm_fwd(cols, self.w4, groups), geo).reshape(self.xs)
        if nig[1]:  # dW[g] = sum_n X[n, g] im2col(dY)[n, g]^T
            gw = _gemm_dw(self.xw, cols, self.w4.shape, groups).reshape(self.ws)
        if len(nig) > 2 and nig[2]:
            gb = g.sum(axis=(0, 2, 3))
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
          padding: Any, dilation: Any, groups: int, padding_mode: str = "zeros") -> Tensor:
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
                        groups=int(groups), mode=padding_mode)


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
