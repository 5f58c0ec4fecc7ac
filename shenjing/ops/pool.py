"""Pooling: max, average and adaptive pools over 1-D and 2-D windows, as fused Functions.

Every Function works on the input viewed as (N, C, H, W) (1-D pools have H = 1, unbatched
input N = 1) and reshapes back. A window reduction is a loop over the kh*kw kernel offsets,
each a strided slice of the whole (padded) batch, never a Python loop over pixels. The max
backward sends each output gradient to its window's argmax, accumulating where windows
overlap: dL/dx[p] = sum over outputs o with argmax(o) = p of dL/dy[o].
Average pools are linear: dL/dx[p] = sum over windows w containing p of dL/dy[w] / divisor[w].
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from ._util import split_range

# ----------------------------------------------------------------------------- geometry


def _tuple(v: Any, n: int, what: str, op: str) -> tuple:
    if isinstance(v, (list, tuple)):
        v = tuple(int(a) for a in v)
        if len(v) == 1:
            v = v * n
        if len(v) != n:
            raise RuntimeError(f"{op}: {what} must either be a single int, or a tuple of {n} "
                               f"ints, got {v}")
        return v
    return (int(v),) * n


def _out_len(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """PyTorch's pooling output length; in ceil mode the last window must start inside the
    input or its left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _shape4(input: Tensor, dims: int, op: str, floating: bool = True) -> tuple:
    """The (N, C, H, W) shape the op works on, for (C, *spatial) or (N, C, *spatial) input."""
    shape = tuple(input.shape)
    if len(shape) not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: Expected {dims + 1}D or {dims + 2}D (batch mode) tensor with "
                           f"optional 0 dim batch size for input, but got:{list(shape)}")
    if floating and input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point tensor, got {input.dtype}")
    if len(shape) == dims + 1:
        shape = (1,) + shape
    return shape if dims == 2 else shape[:2] + (1, shape[2])


def _out_shape(input: Tensor, dims: int, oh: int, ow: int) -> tuple:
    spatial = (oh, ow) if dims == 2 else (ow,)
    return tuple(input.shape[:-dims]) + spatial


def _params(dims: int, op: str, kernel_size: Any, stride: Any, padding: Any,
            dilation: Any = 1) -> tuple:
    """Kernel, stride, padding, dilation as 2-tuples (1-D pools get 1 / 0 in front)."""
    k = _tuple(kernel_size, dims, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        _tuple(stride, dims, "stride", op)
    p = _tuple(padding, dims, "padding", op)
    d = _tuple(dilation, dims, "dilation", op)
    for name, v, lo in (("kernel_size", k, 1), ("stride", s, 1), ("dilation", d, 1),
                        ("padding", p, 0)):
        if min(v) < lo:
            want = "greater than zero" if lo else "non-negative"
            got = v if dims == 2 else v[0]
            raise RuntimeError(f"{op}: {name} must be {want}, but got {name}={got}")
    for kk, pp in zip(k, p):
        if pp > kk // 2:
            pr, kr, dr = (p, k, d) if dims == 2 else (p[0], k[0], d[0])
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pr}, kernel_size={kr} and dilation={dr}")
    if dims == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    return k, s, p, d


def _out_hw(shape4: tuple, k, s, p, d, ceil: bool) -> tuple[int, int]:
    oh = _out_len(shape4[2], k[0], s[0], p[0], d[0], ceil)
    ow = _out_len(shape4[3], k[1], s[1], p[1], d[1], ceil)
    if oh < 1 or ow < 1:
        c, h, w = shape4[1:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{max(oh, 0)}x{max(ow, 0)}). Output size is too small")
    return oh, ow


def _tiled(shape4: tuple, k, s, p, d, oh: int, ow: int) -> bool:
    """Windows tile the input: a reshape reads them."""
    return (s == k and p == (0, 0) and d == (1, 1)
            and oh * k[0] <= shape4[2] and ow * k[1] <= shape4[3])


def _padded(x: Any, k, s, p, d, oh: int, ow: int, fill: float) -> Any:
    """x padded by ``p`` before and by what the last window needs after (cropped if less)."""
    xp = get_array_module(x)
    need_h = (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1
    need_w = (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1
    h, w = min(x.shape[2], need_h - p[0]), min(x.shape[3], need_w - p[1])
    if p == (0, 0) and need_h == x.shape[2] and need_w == x.shape[3]:
        return x
    out = xp.full(x.shape[:2] + (need_h, need_w), fill, dtype=x.dtype)
    out[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x[:, :, :h, :w]
    return out


def _unpad(gp: Any, shape4: tuple, p) -> Any:
    """Gradient of ``_padded``: the input's part of the padded gradient, zeros where cropped."""
    h, w = shape4[2], shape4[3]
    ph, pw = gp.shape[2] - p[0], gp.shape[3] - p[1]
    if ph >= h and pw >= w:
        return gp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
    xp = get_array_module(gp)
    gx = xp.zeros(shape4, dtype=gp.dtype)
    gx[:, :, :min(h, ph), :min(w, pw)] = gp[:, :, p[0]:p[0] + min(h, ph), p[1]:p[1] + min(w, pw)]
    return gx


def _tiles(x: Any, k, oh: int, ow: int) -> Any:
    """(N, C, oh, kh, ow, kw) view of windows that tile x."""
    return x[:, :, :oh * k[0], :ow * k[1]].reshape(x.shape[0], x.shape[1], oh, k[0], ow, k[1])


def _scatter_planes(flat: Any, g: Any, shape4: tuple, overlap: bool = True) -> Any:
    """dL/dx[n, c, p] = sum of g[n, c, o] over outputs o with flat[n, c, o] = p; without
    ``overlap`` every target is distinct and a plain assignment does it."""
    xp = get_array_module(g)
    nc, plane = shape4[0] * shape4[1], shape4[2] * shape4[3]
    base = (xp.arange(nc, dtype=np.int64) * plane).reshape(nc, 1)
    out = xp.zeros(nc * plane, dtype=g.dtype)
    if out.size == 0:
        return out.reshape(shape4)
    pos = (flat.reshape(nc, -1) + base).ravel()
    if overlap:
        xp.add.at(out, pos, g.ravel())
    else:
        out[pos] = g.ravel()
    return out.reshape(shape4)


class _MaxBackward:
    """Shared backward of max pools: scatter g to the saved flat argmax positions."""

    def backward(self, g):
        flat = self.flat
        g = g.reshape(flat.shape)
        gp = _scatter_planes(flat, g, self.plane4, self.overlap)
        gx = _unpad(gp, self.shape4, self.pad) if self.pad is not None else gp
        return (gx.reshape(self.inshape),)

# ----------------------------------------------------------------------------- max pool


def _window_max(vs: list, m: Any, a: Any) -> None:
    """m = the running max over the window slices vs; a (if given) = the first offset that
    holds it (a -= [vs[i] == m] (a - i), last offset to first: cheap int ops, no where)."""
    xp = get_array_module(m)
    m[...] = vs[0]
    for v in vs[1:]:
        xp.maximum(m, v, out=m)
    if a is None:
        return
    a[...] = 0
    hit, step = xp.empty_like(m, dtype=bool), xp.empty_like(a)
    for i in range(len(vs) - 1, -1, -1):
        xp.equal(vs[i], m, out=hit)
        xp.subtract(a, a.dtype.type(i), out=step)
        xp.multiply(step, hit.view(np.int8), out=step)
        a -= step


class MaxPool(_MaxBackward, Function):
    """y = max over each window, as a running max over the kh*kw strided slices (one per
    kernel offset); saves each output's argmax as its (int8) window offset, from which
    backward rebuilds the flat position in the padded plane.
    Ties keep the first offset in row-major window order, like PyTorch."""

    @property
    def flat(self) -> Any:
        """Flat argmax positions in the padded plane, rebuilt from the saved offsets."""
        return self.off[self.arg] + self.base

    def backward(self, g):
        if not self.tile:
            return _MaxBackward.backward(self, g)
        # dL/dx at tile offset t = dL/dy where the max sat at offset t, else 0
        xp = get_array_module(g)
        a, (kh, kw) = self.arg, self.k
        g = g.reshape(a.shape)
        n, c, oh, ow = a.shape
        cl = a.ndim == 4 and a.transpose(0, 2, 3, 1).flags.c_contiguous and c > 1
        if cl:  # channels-last memory: tiles (N, oh, kh, ow, kw, C), the gradient likewise
            a, g = a.transpose(0, 2, 3, 1), g.transpose(0, 2, 3, 1)
            gxh = xp.empty((n,) + self.shape4[2:] + (c,), g.dtype)
            g6 = gxh.reshape(n, oh, kh, ow, kw, c)
            gx = gxh.transpose(0, 3, 1, 2)
        else:
            gx = xp.empty(self.shape4, g.dtype)
            g6 = gx.reshape(n, c, oh, kh, ow, kw)

        def part(lo: int, hi: int) -> None:
            gp = xp.ascontiguousarray(g[lo:hi])  # read kh*kw times: one copy pays
            hit = xp.empty(gp.shape, dtype=bool)
            for i in range(kh):
                for j in range(kw):
                    xp.equal(a[lo:hi], i * kw + j, out=hit)
                    out = g6[lo:hi, :, i, :, j] if cl else g6[lo:hi, :, :, i, :, j]
                    xp.multiply(gp, hit, out=out)

        split_range(part, xp, n, gx.nbytes * 4)  # kh*kw passes
        return (gx.reshape(self.inshape),)

    def forward(self, x, *, shape4, k, s, p, d, oh, ow, out_shape, out_idx):
        xp = get_array_module(x)
        x4 = x.reshape(shape4)
        xpad = x4 if _tiled(shape4, k, s, p, d, oh, ow) else _padded(x4, k, s, p, d, oh, ow,
                                                                      -np.inf)
        self.pad = None if xpad is x4 else p
        ext_h, ext_w = s[0] * (oh - 1) + 1, s[1] * (ow - 1) + 1
        vs = [xpad[:, :, i * d[0]:i * d[0] + ext_h:s[0], j * d[1]:j * d[1] + ext_w:s[1]]
              for i in range(k[0]) for j in range(k[1])]
        m = xp.empty_like(vs[0])  # in x's memory order (channels-last stays channels-last)
        want_arg = bool(self.needs_input_grad) or out_idx is not None  # no tape: no argmax
        a = xp.empty_like(m, dtype=np.int8 if len(vs) < 128 else np.int32) if want_arg \
            else None

        def part(lo: int, hi: int) -> None:  # a slice of the batch
            _window_max([v[lo:hi] for v in vs], m[lo:hi], None if a is None else a[lo:hi])

        split_range(part, xp, m.shape[0], 4 * (xpad.nbytes + m.nbytes))  # many passes
        if a is None:
            return m.reshape(out_shape)
        pw = xpad.shape[3]
        # padded-plane position: (i sh + (a // kw) dh) pw + j sw + (a % kw) dw
        self.off = xp.asarray([(t // k[1]) * d[0] * pw + (t % k[1]) * d[1]
                               for t in range(len(vs))])
        self.base = (xp.arange(oh) * (s[0] * pw)).reshape(oh, 1) + xp.arange(ow) * s[1]
        self.arg = a  # the window offset of each max (small ints); flat positions on demand
        # windows exactly tile the plane: backward writes each tile offset with no scatter
        self.tile = (xpad is x4 and s == k and d == (1, 1) and oh * k[0] == shape4[2]
                     and ow * k[1] == shape4[3])
        self.k = k
        self.overlap = s[0] < d[0] * (k[0] - 1) + 1 or s[1] < d[1] * (k[1] - 1) + 1
        self.plane4, self.shape4, self.inshape = xpad.shape, shape4, x.shape
        if out_idx is not None:  # position in the unpadded H*W plane, like PyTorch
            flat = self.flat
            rows, cols = flat // pw - p[0], flat % pw - p[1]
            out_idx.append((rows * shape4[3] + cols).reshape(out_shape))
        return m.reshape(out_shape)


def _max_pool(input: Tensor, dims: int, op: str, kernel_size: Any, stride: Any, padding: Any,
              dilation: Any, ceil_mode: bool, return_indices: bool) -> Any:
    shape4 = _shape4(input, dims, op, floating=False)
    k, s, p, d = _params(dims, op, kernel_size, stride, padding, dilation)
    oh, ow = _out_hw(shape4, k, s, p, d, bool(ceil_mode))
    idx: list | None = [] if return_indices else None
    y = MaxPool.apply(input, shape4=shape4, k=k, s=s, p=p, d=d, oh=oh, ow=ow,
                      out_shape=_out_shape(input, dims, oh, ow), out_idx=idx)
    if return_indices:
        return y, Tensor._wrap(idx[0].astype(np.int64, copy=False), None, False)
    return y


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over sliding windows of the last dim (padding counts as -inf).

    Shape:
        (N, C, L) or (C, L) -> (N, C, L_out) or (C, L_out); indices int64 positions in L.
    """
    return _max_pool(input, 1, "max_pool1d", kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over sliding 2-D windows (padding counts as -inf; ties keep the first maximum).

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) or (C, H_out, W_out), with
        H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1 (ceil in ceil_mode); indices int64
        flat positions within each H*W plane.
    """
    return _max_pool(input, 2, "max_pool2d", kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)

# ----------------------------------------------------------------------------- average pool


def _divisor_1d(size: int, k: int, s: int, p: int, n_out: int, include_pad: bool) -> Any:
    """PyTorch's per-axis window count: windows are cut at the padded edge, and also at the
    input's edge unless ``include_pad``."""
    start = np.arange(n_out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


class AvgPool(Function):
    """y = sum over each window / divisor; dL/dx = sum over windows of dL/dy / divisor."""

    def forward(self, x, *, shape4, k, s, p, oh, ow, out_shape, div):
        x4 = x.reshape(shape4)
        d = (1, 1)
        self.tiled = _tiled(shape4, k, s, p, d, oh, ow)
        xpad = x4 if self.tiled else _padded(x4, k, s, p, d, oh, ow, 0.0)
        self.padshape = xpad.shape
        ext_h, ext_w = s[0] * (oh - 1) + 1, s[1] * (ow - 1) + 1
        tot = _tiles(x4, k, oh, ow).sum(axis=(3, 5)) if self.tiled and k[0] * k[1] > 16 else None
        for i in range(k[0] if tot is None else 0):  # one strided slice per kernel offset
            for j in range(k[1]):
                v = xpad[:, :, i:i + ext_h:s[0], j:j + ext_w:s[1]]
                tot = v.copy() if tot is None else tot.__iadd__(v)
        self.div = div.astype(x.dtype) if hasattr(div, "astype") else x.dtype.type(div)
        self.shape4, self.inshape, self.k, self.s, self.p = shape4, x.shape, k, s, p
        self.ohw = (oh, ow)
        return (tot / self.div).astype(x.dtype, copy=False).reshape(out_shape)

    def backward(self, g):
        xp = get_array_module(g)
        n, c, h, w = self.shape4
        k, s = self.k, self.s
        oh, ow = self.ohw
        gw = (g.reshape(n, c, oh, ow) / self.div).astype(g.dtype, copy=False)
        if self.tiled:
            gt = xp.broadcast_to(gw[:, :, :, None, :, None], (n, c, oh, k[0], ow, k[1]))
            gt = gt.reshape(n, c, oh * k[0], ow * k[1])
            if gt.shape[2:] == (h, w):
                return (gt.reshape(self.inshape),)
            gx = xp.zeros(self.shape4, dtype=g.dtype)
            gx[:, :, :oh * k[0], :ow * k[1]] = gt
            return (gx.reshape(self.inshape),)
        gp = xp.zeros(self.padshape, dtype=g.dtype)
        for i in range(k[0]):  # one strided add per kernel offset, not per pixel
            for j in range(k[1]):
                gp[:, :, i:i + s[0] * (oh - 1) + 1:s[0], j:j + s[1] * (ow - 1) + 1:s[1]] += gw
        return (_unpad(gp, self.shape4, self.p).reshape(self.inshape),)


def _avg_pool(input: Tensor, dims: int, op: str, kernel_size: Any, stride: Any, padding: Any,
              ceil_mode: bool, count_include_pad: bool, divisor_override: Any) -> Tensor:
    shape4 = _shape4(input, dims, op)
    k, s, p, d = _params(dims, op, kernel_size, stride, padding)
    oh, ow = _out_hw(shape4, k, s, p, d, bool(ceil_mode))
    if divisor_override is not None:
        if int(divisor_override) == 0:
            raise RuntimeError(f"{op}: divisor must be not zero")
        div: Any = float(divisor_override)
    elif _tiled(shape4, k, s, p, d, oh, ow):
        div = float(k[0] * k[1])
    else:
        dh = _divisor_1d(shape4[2], k[0], s[0], p[0], oh, count_include_pad)
        dw = _divisor_1d(shape4[3], k[1], s[1], p[1], ow, count_include_pad)
        div = (dh[:, None] * dw[None, :]).astype(np.float64)
    return AvgPool.apply(input, shape4=shape4, k=k, s=s, p=p, oh=oh, ow=ow,
                         out_shape=_out_shape(input, dims, oh, ow), div=div)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of the last dim.

    Shape:
        (N, C, L) or (C, L) -> (N, C, L_out) or (C, L_out).
    """
    return _avg_pool(input, 1, "avg_pool1d", kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over sliding 2-D windows; the divisor counts padding when ``count_include_pad``
    (never the part of a ceil-mode window past the padded edge) or is ``divisor_override``.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) or (C, H_out, W_out).
    """
    return _avg_pool(input, 2, "avg_pool2d", kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)

# ----------------------------------------------------------------------------- adaptive pools


def _adaptive_size(output_size: Any, shape4: tuple, dims: int, op: str) -> tuple[int, int]:
    """(out_h, out_w); None in a tuple keeps that input size."""
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != dims:
            raise ValueError(f"{op}: output_size must be {dims}, got {tuple(output_size)}")
        sizes = tuple(output_size)
    else:
        sizes = (output_size,) * dims
    ins = shape4[4 - dims:]
    sizes = tuple(i if o is None else int(o) for o, i in zip(sizes, ins))
    if min(sizes) < 0:
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"but received {sizes}")
    for i, size in enumerate(ins):
        if size == 0 and sizes[i] > 0:
            raise RuntimeError(f"{op}: Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(shape4)}")
    return (1,) + sizes if dims == 1 else sizes


def _bins(size: int, out: int) -> tuple[Any, Any]:
    """PyTorch's adaptive bins: [floor(i*in/out), ceil((i+1)*in/out)) for i < out."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


class AdaptiveAvg(Function):
    """y = Ah x Aw^T with Ah[i, r] = 1/len(bin i) on bin i's rows (Aw likewise);
    dL/dx = Ah^T g Aw."""

    def forward(self, x, *, shape4, ah, aw, out_shape):
        ah, aw = ah.astype(x.dtype), aw.astype(x.dtype)
        self.ah, self.aw, self.inshape, self.shape4 = ah, aw, x.shape, shape4
        y = ah @ (x.reshape(shape4) @ aw.T)
        return y.reshape(out_shape)

    def backward(self, g):
        g4 = g.reshape(self.shape4[:2] + (self.ah.shape[0], self.aw.shape[0]))
        return ((self.ah.T @ g4 @ self.aw).reshape(self.inshape),)


def _matrix(size: int, out: int) -> Any:
    start, end = _bins(size, out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return inside / (end - start)[:, None].astype(np.float64).clip(1)


def _adaptive_avg(input: Tensor, dims: int, op: str, output_size: Any) -> Tensor:
    shape4 = _shape4(input, dims, op)
    oh, ow = _adaptive_size(output_size, shape4, dims, op)
    out_shape = _out_shape(input, dims, oh, ow)
    h, w = shape4[2:]
    if oh and ow and h % oh == 0 and w % ow == 0:  # regular tiles: the plain average pool
        k = (h // oh, w // ow)
        return AvgPool.apply(input, shape4=shape4, k=k, s=k, p=(0, 0), oh=oh, ow=ow,
                             out_shape=out_shape, div=float(k[0] * k[1]))
    return AdaptiveAvg.apply(input, shape4=shape4, ah=_matrix(h, oh), aw=_matrix(w, ow),
                             out_shape=out_shape)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average over ``output_size`` adaptive bins of the last dim.

    Shape:
        (N, C, L) or (C, L) -> (N, C, output_size) or (C, output_size).
    """
    return _adaptive_avg(input, 1, "adaptive_avg_pool1d", output_size)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over adaptive bins: output cell i covers rows [floor(i H/oh), ceil((i+1) H/oh)).

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, oh, ow) or (C, oh, ow).
    """
    return _adaptive_avg(input, 2, "adaptive_avg_pool2d", output_size)


class AdaptiveMax(_MaxBackward, Function):
    """Max over adaptive bins, gathered as fixed-width windows: a bin shorter than the widest
    repeats its last row/column, which changes neither the max nor the first argmax."""

    def forward(self, x, *, shape4, oh, ow, out_shape, out_idx):
        xp = get_array_module(x)
        n, c, h, w = shape4
        rs, re = _bins(h, oh)
        cs, ce = _bins(w, ow)
        kh, kw = int((re - rs).max()), int((ce - cs).max())
        ih = np.minimum(rs[:, None] + np.arange(kh), re[:, None] - 1)  # (oh, kh)
        iw = np.minimum(cs[:, None] + np.arange(kw), ce[:, None] - 1)  # (ow, kw)
        t = x.reshape(shape4)[:, :, ih[:, :, None, None], iw[None, None]]  # (n,c,oh,kh,ow,kw)
        t = t.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw)
        a = t.argmax(axis=-1)
        y = xp.take_along_axis(t, a[..., None], axis=-1)[..., 0]
        rows = ih[np.arange(oh)[:, None], a // kw]
        cols = iw[np.arange(ow), a % kw]
        self.flat = rows * w + cols
        self.plane4 = self.shape4 = shape4
        self.pad, self.inshape, self.overlap = None, x.shape, True
        if out_idx is not None:
            out_idx.append(self.flat.reshape(out_shape))
        return y.reshape(out_shape)


def _adaptive_max(input: Tensor, dims: int, op: str, output_size: Any,
                  return_indices: bool) -> Any:
    shape4 = _shape4(input, dims, op, floating=False)
    oh, ow = _adaptive_size(output_size, shape4, dims, op)
    idx: list | None = [] if return_indices else None
    y = AdaptiveMax.apply(input, shape4=shape4, oh=oh, ow=ow,
                          out_shape=_out_shape(input, dims, oh, ow), out_idx=idx)
    if return_indices:
        return y, Tensor._wrap(idx[0].astype(np.int64, copy=False), None, False)
    return y


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over ``output_size`` adaptive bins of the last dim.

    Shape:
        (N, C, L) or (C, L) -> (N, C, output_size) or (C, output_size).
    """
    return _adaptive_max(input, 1, "adaptive_max_pool1d", output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over adaptive bins (as adaptive_avg_pool2d); indices are flat H*W positions.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, oh, ow) or (C, oh, ow).
    """
    return _adaptive_max(input, 2, "adaptive_max_pool2d", output_size, return_indices)

# ----------------------------------------------------------------------------- unpool


class MaxUnpool(Function):
    """y[n, c, idx[n, c, o]] = x[n, c, o]; dL/dx[o] = dL/dy[idx[o]]."""

    def forward(self, x, *, idx, plane, out_shape):
        xp = get_array_module(x)
        nc = idx.shape[0]
        y = xp.zeros((nc, plane), dtype=x.dtype)
        xp.put_along_axis(y, idx, x.reshape(nc, -1), axis=1)
        self.idx, self.inshape = idx, x.shape
        return y.reshape(out_shape)

    def backward(self, g):
        xp = get_array_module(g)
        g2 = g.reshape(self.idx.shape[0], -1)
        return (xp.take_along_axis(g2, self.idx, axis=1).reshape(self.inshape),)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Partial inverse of max_pool2d: put each value at its index, zeros elsewhere.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out), H_out = (H - 1) s - 2p + k.
    """
    op = "max_unpool2d"
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: Expected 3D or 4D input, but got input of shape "
                           f"{list(input.shape)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}: Expected shape of indices to be same as that of the input "
                           f"tensor ({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    k = _tuple(kernel_size, 2, "kernel_size", op)
    s = k if stride is None else _tuple(stride, 2, "stride", op)
    p = _tuple(padding, 2, "padding", op)
    h, w = input.shape[-2:]
    size = tuple((i - 1) * st - 2 * pp + kk for i, st, pp, kk in zip((h, w), s, p, k))
    if output_size is not None:
        size = tuple(int(v) for v in tuple(output_size)[-2:])
    plane = size[0] * size[1]
    idx = indices._data.reshape(-1, h * w).astype(np.int64, copy=False)
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        raise RuntimeError(f"{op}: Found an invalid max index: {int(idx.max())} (output volumes "
                           f"are of size {size[0]}x{size[1]})")
    return MaxUnpool.apply(input, idx=idx, plane=plane,
                           out_shape=tuple(input.shape[:-2]) + size)


# torch.adaptive_max_pool1d always returns (values, indices): only F's form is ours
__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d"]
TENSOR_METHODS = ()
FUNCTIONAL = ("max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
              "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
              "max_unpool2d")
