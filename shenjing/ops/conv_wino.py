"""Winograd F(4x4, 3x3) kernels for channels-last 3x3 convolutions (stride 1, pad 1).

Each 4x4 block of outputs comes from a 6x6 tile of the padded input (tiles overlap by 2):
Y = A^T [U . V] A with V = B^T d B (the tile transformed), U = G w G^T (the filter
transformed) and '.' the product at each of the 36 tile positions. Summed over input
channels that product is, per position, one GEMM (tiles, C) @ (C, OC): 36 multiplies per
16 outputs where im2col makes 144, and the GEMMs read a 36/16 expansion of the input where
im2col's cols are a 9-fold one. The transforms are GEMMs too: with the 36 positions as rows,
V = (B^T (x) B^T) D and Y = (A^T (x) A^T) M, so no per-element Python work remains.

The weight gradient is the exact adjoint: dM = (A^T (x) A^T)^T dY, dU = V^T dM per position,
dw = G^T dU G. The input gradient is the forward applied to the flipped filters.
Float32 results differ from a direct convolution by up to about 1e-5 of the output's (or
the weight gradient's) largest entry, some 10x a direct float32 convolution's rounding (the
transforms hold factors up to 8 and 1/24); float64 ones by rounding only. Set
``shenjing.backends.winograd.enabled = False`` for the direct path.
All arrays are channels-last: x (N, H, W, C), y (N, H, W, OC).
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from ..backend import get_array_module
from ..backend.flags import winograd
from . import conv_cl

# F(4x4, 3x3) with interpolation points 0, 1, -1, 2, -2, inf (Lavin & Gray, 2016)
_BT = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], float)
_G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
               [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]])
_AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
                [0, 1, -1, 8, -8, 1]], float)
_M, _A = 4, 6  # output tile, input tile
_KRON = {"B": np.kron(_BT, _BT), "G": np.kron(_G, _G), "A": np.kron(_AT, _AT)}
_MIN_CHANNELS = 32  # fewer (an RGB stem): the GEMMs' K is too short to gain
_CHUNK_TILES = 256  # tiles per chunk at most: the rows of its 36 GEMMs


def suitable(geo: Any, mode: str, n: int, c: int, oc: int, dtype: Any) -> bool:
    """Whether a conv runs here: 3x3, stride 1, dilation 1, zero pad 1 on every side, an
    output size divisible by 4, float, at least ``_MIN_CHANNELS`` channels on both sides,
    and tiles enough for the filter transform to pay (not 512 channels at 4x4, batch 32);
    ``shenjing.backends.winograd.enabled = False`` turns it off."""
    return (winograd.enabled and geo.kh == geo.kw == 3 and geo.stride == (1, 1)
            and geo.dil == (1, 1) and geo.pads == (1, 1, 1, 1) and mode == "zeros" and geo.oh % _M == 0
            and geo.ow % _M == 0 and min(c, oc) >= _MIN_CHANNELS
            and 4 * n * geo.oh * geo.ow >= _M * _M * oc and np.dtype(dtype).kind == "f")


def _kron(xp: Any, name: str, dtype: Any) -> Any:
    return xp.asarray(_KRON[name], dtype=dtype)


def weights(w: Any) -> Any:
    """U (36, C, OC) = G w G^T per (C, OC) pair, positions row-major (a view of (C, 36, OC)
    memory: one small GEMM per input channel on strided views, no transposing copy)."""
    xp = get_array_module(w)
    oc, c = w.shape[:2]
    taps = w.reshape(oc, c, 9).transpose(1, 2, 0)  # (C, 9, OC)
    return xp.matmul(_kron(xp, "G", w.dtype), taps).transpose(1, 0, 2)


def unweights(du: Any) -> Any:
    """dw (OC, C, 3, 3) = G^T dU G from dU (36, C, OC): the adjoint of ``weights``."""
    xp = get_array_module(du)
    c, oc = du.shape[1:]
    dw = xp.empty((oc, c, 9), du.dtype)
    # per input channel (OC, 9) = dU[:, c]^T (G (x) G), written straight into dw's layout
    xp.matmul(du.transpose(1, 2, 0), _kron(xp, "G", du.dtype), out=dw.transpose(1, 0, 2))
    return dw.reshape(oc, c, 3, 3)


def _tiles(xh: Any) -> Any:
    """V (36, m*TY*TX, C) = B^T d B over the 6x6 tiles (stride 4) of xh (m, H, W, C) padded
    by one zero on every side: 36 strided copies, then one GEMM."""
    xp = get_array_module(xh)
    m, h, w, c = xh.shape
    ty, tx = h // _M, w // _M
    p = conv_cl._padded(xh, SimpleNamespace(pads=(1, 1, 1, 1), hp=h + 2, wp=w + 2), "zeros")
    d = xp.empty((_A, _A, m, ty, tx, c), xh.dtype)
    for a in range(_A):
        for b in range(_A):
            d[a, b] = p[:, a:a + _M * ty:_M, b:b + _M * tx:_M]
    return (_kron(xp, "B", xh.dtype) @ d.reshape(_A * _A, -1)).reshape(_A * _A, -1, c)


def _untile(mt: Any, out: Any) -> None:
    """out (m, H, W, OC) = A^T M A per tile from M (36, m*TY*TX, OC): one GEMM, then the
    16 output positions copied to their strided places."""
    xp = get_array_module(mt)
    m, h, w, oc = out.shape
    yt = (_kron(xp, "A", mt.dtype) @ mt.reshape(_A * _A, -1)).reshape(
        _M, _M, m, h // _M, w // _M, oc)
    o = out.reshape(m, h // _M, _M, w // _M, _M, oc)
    for a in range(_M):
        for b in range(_M):
            o[:, :, a, :, b] = yt[a, b]


def _grad_tiles(gh: Any) -> Any:
    """Z (36, m*TY*TX, OC) = A dY A^T per 4x4 output block of gh (m, OH, OW, OC): the
    adjoint of ``_untile``."""
    xp = get_array_module(gh)
    m, oh, ow, oc = gh.shape
    d = gh.reshape(m, oh // _M, _M, ow // _M, _M, oc)
    g = xp.empty((_M, _M, m, oh // _M, ow // _M, oc), gh.dtype)
    for a in range(_M):
        for b in range(_M):
            g[a, b] = d[:, :, a, :, b]
    z = _kron(xp, "A", gh.dtype).T @ g.reshape(_M * _M, -1)
    return z.reshape(_A * _A, -1, oc)


def chunks(n: int, h: int, w: int) -> list:
    """[n0, n1) sample ranges of at most about ``_CHUNK_TILES`` tiles, an even number of them
    where there are samples enough (two threads share even small layers). They depend on the
    shape alone, so the weight gradient's partial sums, and its bits, do not depend on the
    thread count."""
    k = max(1, n * (h // _M) * (w // _M) // _CHUNK_TILES)
    k = min(n, k + k % 2)
    bounds = [n * i // k for i in range(k + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(k)]


def forward(xh: Any, u: Any, out: Any) -> Any:
    """out (m, H, W, OC) = conv3x3(xh (m, H, W, C), pad 1) given U = ``weights(w)``."""
    _untile(get_array_module(xh).matmul(_tiles(xh), u), out)
    return out


def weight_grad(xh: Any, gh: Any) -> Any:
    """dU (36, C, OC) of a chunk: per position V^T Z, summed over its tiles (``unweights``
    turns the sum into dw)."""
    xp = get_array_module(xh)
    return xp.matmul(_tiles(xh).transpose(0, 2, 1), _grad_tiles(gh))
