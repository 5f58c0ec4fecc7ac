"""Resampling: pad, interpolate (nearest, linear family, bicubic, area), pixel shuffle, LRN.

Reflect / replicate / circular padding and every interpolation mode are separable gathers:
along each spatial axis, y[..., i] = sum_t w_t[i] x[..., idx_t[i]] with a few taps t. One
Function runs the gathers axis by axis; its backward scatters each tap back,
dL/dx[..., j] = sum_t sum_{i: idx_t[i] = j} w_t[i] dL/dy[..., i], as sorted segment sums.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from . import pool


def _scatter_axis(g: Any, idx: Any, size: int, axis: int) -> Any:
    """out[..., j, ...] = sum of g[..., i, ...] over i with idx[i] = j (out has ``size`` on
    ``axis``): sort the targets once, then one add.reduceat."""
    xp = get_array_module(g)
    shape = list(g.shape)
    shape[axis] = size
    if idx.size == 0 or g.size == 0:
        return xp.zeros(shape, dtype=g.dtype)
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    starts = np.flatnonzero(np.r_[True, sidx[1:] != sidx[:-1]])
    if not np.array_equal(order, np.arange(idx.size)):
        g = xp.take(g, order, axis=axis)
    red = xp.add.reduceat(g, starts, axis=axis)
    targets = sidx[starts]
    if targets.size == size:  # every input position is hit (targets are then 0..size-1)
        return red
    out = xp.zeros(shape, dtype=g.dtype)
    index = [slice(None)] * g.ndim
    index[axis] = targets
    out[tuple(index)] = red
    return out


class AxisGather(Function):
    """Per axis, y = sum_t w_t * take(x, idx_t, axis) (w_t None means 1)."""

    def forward(self, x, *, maps):
        xp = get_array_module(x)
        self.maps, self.dtype = maps, x.dtype
        y = x
        for axis, taps, _ in maps:
            tail = (1,) * (x.ndim - axis - 1)
            acc = None
            for idx, w in taps:
                part = xp.take(y, idx, axis=axis)
                if w is not None:
                    part = part * w.astype(x.dtype, copy=False).reshape((-1,) + tail)
                acc = part if acc is None else acc + part
            y = acc
        return y

    def backward(self, g):
        for axis, taps, size in reversed(self.maps):
            tail = (1,) * (g.ndim - axis - 1)
            acc = None
            for idx, w in taps:
                gw = g if w is None else g * w.astype(g.dtype, copy=False).reshape((-1,) + tail)
                part = _scatter_axis(gw, idx, size, axis)
                acc = part if acc is None else acc + part
            g = acc
        return (g,)

# ----------------------------------------------------------------------------- pad


class ConstantPad(Function):
    """y = value outside, x inside; negative pads crop. dL/dx = the inside part of dL/dy."""

    def forward(self, x, *, src, dst, out_shape, value):
        xp = get_array_module(x)
        y = xp.full(out_shape, value, dtype=x.dtype)
        y[dst] = x[src]
        self.src, self.dst, self.xshape = src, dst, x.shape
        return y

    def backward(self, g):
        inner = g[self.dst]
        if inner.shape == self.xshape:
            return (inner,)
        xp = get_array_module(g)
        gx = xp.zeros(self.xshape, dtype=g.dtype)
        gx[self.src] = inner
        return (gx,)


_NONCONST = {"reflect", "replicate", "circular"}


def _pad_index(mode: str, size: int, before: int, after: int) -> Any:
    """Source index of each output position j - before, j in [0, size + before + after)."""
    j = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(j, 0, size - 1)
    if mode == "circular":
        return j % size
    period = 2 * (size - 1)  # reflect about the edge elements (edges not repeated)
    j = np.abs(j) % period if period else np.zeros_like(j)
    return np.where(j >= size, period - j, j)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last len(pad)//2 dims; ``pad`` lists (before, after) from the last dim back.

    ``constant`` fills ``value`` (negative pads crop); ``reflect`` mirrors without repeating
    the edge, ``replicate`` repeats it, ``circular`` wraps around.

    Shape:
        (*, D_1, ..., D_m) -> the same with D_i + before_i + after_i.
    """
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    m = len(pad) // 2
    if m > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.ndim}")
    shape = tuple(input.shape)
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(m)]  # pairs[i] is dim -1 - i
    if mode == "constant":
        src, dst, out = [slice(None)] * len(shape), [slice(None)] * len(shape), list(shape)
        for i, (b, a) in enumerate(pairs):
            dim = len(shape) - 1 - i
            n = shape[dim] + b + a
            if n < 0:
                raise RuntimeError(f"The input size {shape[dim]}, plus negative padding {b} and "
                                   f"{a} resulted in a negative output size, which is invalid. "
                                   f"Check dimension {dim} of your input.")
            out[dim] = n
            keep = max(shape[dim] - max(-b, 0) - max(-a, 0), 0)
            src[dim] = slice(max(-b, 0), max(-b, 0) + keep)
            dst[dim] = slice(max(b, 0), max(b, 0) + keep)
        v = 0.0 if value is None else value
        return ConstantPad.apply(input, src=tuple(src), dst=tuple(dst), out_shape=tuple(out),
                                 value=v)
    if mode not in _NONCONST:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if m not in (1, 2, 3) or input.ndim not in (m + 1, m + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    maps = []
    for i, (b, a) in enumerate(pairs):
        dim = len(shape) - 1 - i
        size = shape[dim]
        if mode == "reflect" and (b >= size or a >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({b}, {a}) at "
                               f"dimension {dim} of input {list(shape)}")
        if mode == "circular" and (b > size or a > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if size == 0 and b + a > 0:
            raise RuntimeError(f"{mode} padding: expected a non-empty dimension {dim}, got input "
                               f"of shape {list(shape)}")
        if b or a:
            maps.append((dim, [(_pad_index(mode, size, b, a), None)], size))
    if not maps:
        return input
    return AxisGather.apply(input, maps=maps)

# ----------------------------------------------------------------------------- interpolate

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}
_CUBIC_A = -0.75


def _source_scale(size: int, out: int, align_corners: bool, scale: float | None,
                  dtype: Any) -> Any:
    """Source pixels per output pixel (PyTorch's area_pixel_compute_scale)."""
    if align_corners:
        return dtype.type((size - 1) / (out - 1)) if out > 1 else dtype.type(0)
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(size / out)


def _linear_taps(size: int, out: int, align_corners: bool, scale: float | None,
                 dtype: Any) -> list:
    """Two taps: x[h0] (1 - l) + x[h1] l at source position src (>= 0)."""
    r = _source_scale(size, out, align_corners, scale, dtype)
    dst = np.arange(out, dtype=dtype)
    src = r * dst if align_corners else np.maximum(r * (dst + dtype.type(0.5)) - dtype.type(0.5),
                                                   dtype.type(0))
    h0 = src.astype(np.int64)
    h1 = h0 + (h0 < size - 1)
    lam = src - h0.astype(dtype)
    return [(h0, 1 - lam), (h1, lam)]


def _cubic_taps(size: int, out: int, align_corners: bool, scale: float | None,
                dtype: Any) -> list:
    """Four taps at floor(src) - 1 .. + 2 (clamped) with Keys' cubic weights, a = -0.75."""
    r = _source_scale(size, out, align_corners, scale, dtype)
    dst = np.arange(out, dtype=dtype)
    src = r * dst if align_corners else r * (dst + dtype.type(0.5)) - dtype.type(0.5)
    i0 = np.floor(src)
    t = (src - i0).astype(dtype)
    a = dtype.type(_CUBIC_A)

    def near(x):  # |x| <= 1: (a + 2)|x|^3 - (a + 3)|x|^2 + 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2: a|x|^3 - 5a|x|^2 + 8a|x| - 4a
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    ws = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    base = i0.astype(np.int64)
    return [(np.clip(base + o, 0, size - 1), w) for o, w in zip((-1, 0, 1, 2), ws)]


def _nearest_taps(size: int, out: int, scale: float | None, exact: bool) -> list:
    """One tap: src = floor(dst * s) (nearest) or floor((dst + 0.5) * s) (nearest-exact),
    s = 1 / scale_factor or in / out, in float32 as PyTorch computes it."""
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(size / out)
    if exact:
        src = np.floor((np.arange(out, dtype=np.float32) + np.float32(0.5)) * s)
    elif out == size:
        src = np.arange(out)
    else:
        src = np.floor(np.arange(out, dtype=np.float32) * s)
    return [(np.minimum(src.astype(np.int64), size - 1), None)]


def _out_sizes(input: Tensor, n: int, size: Any, scale_factor: Any,
               recompute_scale_factor: bool | None) -> tuple[list, list]:
    """Output sizes and the scales handed to the coordinate rules (None: use in / out)."""
    spatial = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * n
        if len(sizes) != n:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(spatial)} and output size of {sizes}. Please provide input "
                             f"tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, "
                             f"o2, ...,oK) format.")
        return [int(s) for s in sizes], [None] * n
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    sf = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * n
    if len(sf) != n:
        raise ValueError(f"Input and scale_factor must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of {list(spatial)} "
                         f"and scale_factor of shape {sf}. Please provide input tensor in (N, "
                         f"C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                         f"format.")
    sizes = [int(math.floor(float(d) * float(f))) for d, f in zip(spatial, sf)]
    scales = [None] * n if recompute_scale_factor else [float(f) for f in sf]
    return sizes, scales


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) input with PyTorch's coordinate rules.

    nearest: src = floor(dst * in/out); nearest-exact: floor((dst + 0.5) * in/out);
    linear/bilinear/trilinear: src = dst (in-1)/(out-1) with align_corners, else
    max((dst + 0.5) in/out - 0.5, 0); bicubic: Keys' cubic (a = -0.75) on 4 taps;
    area: adaptive average pooling. in/out becomes 1/scale_factor when a scale is given.

    Shape:
        (N, C, d_1, ..., d_k) -> (N, C, o_1, ..., o_k), k = 1, 2 or 3 by mode.
    """
    n = input.ndim - 2
    interp = mode in _LINEAR or mode == "bicubic"
    if mode not in ("nearest", "nearest-exact", "area", "bicubic") and mode not in _LINEAR:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.ndim}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if align_corners is not None and not interp:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    need = _LINEAR.get(mode, 2 if mode == "bicubic" else None)
    if n not in (1, 2, 3) or (need is not None and n != need):
        name = {1: "3D", 2: "4D", 3: "5D"}.get(need, "3D, 4D or 5D")
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {name} input")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"interpolate: expected a floating point tensor, got {input.dtype}")
    sizes, scales = _out_sizes(input, n, size, scale_factor, recompute_scale_factor)
    spatial = tuple(input.shape[2:])
    if min(sizes) <= 0:
        raise RuntimeError(f"interpolate: Input and output sizes should be greater than 0, but "
                           f"got input ({', '.join(map(str, spatial))}) and output "
                           f"({', '.join(map(str, sizes))})")
    if mode == "area":
        fn = pool.adaptive_avg_pool1d if n == 1 else pool.adaptive_avg_pool2d
        if n == 3:
            raise NotImplementedError("interpolate: area mode supports 3D and 4D input only")
        return fn(input, sizes if n == 2 else sizes[0])
    dtype = input._data.dtype
    maps = []
    for i, (d, o, sc) in enumerate(zip(spatial, sizes, scales)):
        if mode in ("nearest", "nearest-exact"):
            taps = _nearest_taps(d, o, sc, mode == "nearest-exact")
        elif mode == "bicubic":
            taps = _cubic_taps(d, o, bool(align_corners), sc, dtype)
        else:
            taps = _linear_taps(d, o, bool(align_corners), sc, dtype)
        maps.append((2 + i, taps, d))
    return AxisGather.apply(input, maps=maps)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: interpolate(..., mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)

# ----------------------------------------------------------------------------- shuffles, LRN


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Move channel blocks into space: (*, C r^2, H, W) -> (*, C, H r, W r).

    y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w].
    """
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    k = len(lead)
    y = input.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Inverse of pixel_shuffle: (*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    for name, v, d in (("height", h, -2), ("width", w, -1)):
        if v % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({d})={v} is not divisible by "
                               f"{r}")
    k = len(lead)
    y = input.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """y = x / (k + alpha * mean of x^2 over a window of ``size`` channels)^beta.

    The window around channel c spans channels [c - size//2, c + (size-1)//2] (zeros past the
    ends, still divided by ``size``).

    Shape:
        (N, C, *) with at least 3 dims; output the same.
    """
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    shape = tuple(input.shape)
    sq = (input * input).reshape(shape[0], 1, shape[1], -1)
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = pool.avg_pool2d(sq, (size, 1), stride=1).reshape(shape)
    return input / (div * alpha + k) ** beta


__all__ = ["pixel_shuffle", "pixel_unshuffle"]
TENSOR_METHODS = ()
FUNCTIONAL = ("pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
              "pixel_shuffle", "pixel_unshuffle", "local_response_norm")
