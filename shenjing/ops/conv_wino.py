"""Winograd F(2x2, 3x3) kernels for channels-last 3x3 convolutions (stride 1, pad 1).

Each 2x2 block of outputs comes from a 4x4 tile of the padded input: Y = A^T [U . V] A with
V = B^T d B (the tile transformed), U = G w G^T (the filter transformed), '.' the product at
each of the 16 tile positions. Summed over input channels that product is, per position, one
GEMM (tiles, C) @ (C, OC): 16 GEMMs doing 16 multiplies per 4 outputs where im2col does 36.
The transforms are additions over strided views. They cost a few memory passes, which pays
off on deep layers (many channels, small images); on wide shallow layers im2col is faster.

The weight gradient is the exact adjoint: dU = sum over tiles of V^T (A dY A^T) per position,
then dw = G^T dU G. The input gradient is the forward applied to the flipped filters.
All arrays are channels-last: x (N, H, W, C), y (N, H, W, OC).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_array_module

# F(2x2, 3x3) with interpolation points 0, 1, -1, inf: exact in binary floating point
_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
_MIN_CHANNELS = 128  # below this, the transforms' memory passes cost more than they save
_CHUNK_BYTES = 1 << 22  # transformed tiles of one chunk (16 positions x tiles x C)


def suitable(geo: Any, mode: str, n: int, c: int, oc: int, dtype: Any) -> bool:
    """Whether a conv runs here: 3x3, stride 1, dilation 1, zero pad 1 on every side, an even
    output size, float, at least ``_MIN_CHANNELS`` channels on both sides, and at least as
    many tiles as output channels (else transforming the filters costs more than it saves:
    512 channels at 4x4)."""
    return (geo.kh == geo.kw == 3 and geo.stride == (1, 1) and geo.dil == (1, 1)
            and geo.pads == (1, 1, 1, 1) and mode == "zeros" and geo.oh % 2 == 0
            and geo.ow % 2 == 0 and min(c, oc) >= _MIN_CHANNELS
            and n * geo.oh * geo.ow >= 4 * oc and np.dtype(dtype).kind == "f")


def _kron(xp: Any, dtype: Any) -> Any:
    """G (x) G (16, 9): row 4i + j, column 3k + l holds G[i, k] G[j, l]."""
    return xp.asarray(np.kron(_G, _G), dtype=dtype)


def weights(w: Any) -> Any:
    """U (16, C, OC) = G w G^T per (C, OC) pair, positions flattened row-major (a view of
    (C, 16, OC) memory: one small GEMM per input channel, no transposing copy after it)."""
    xp = get_array_module(w)
    oc, c = w.shape[:2]
    taps = w.reshape(oc, c, 9).transpose(1, 2, 0)  # (C, 9, OC) strided views, BLAS-ready
    return xp.matmul(_kron(xp, w.dtype), taps).transpose(1, 0, 2)


def unweights(du: Any) -> Any:
    """dw (OC, C, 3, 3) = G^T dU G from dU (16, C, OC): the adjoint of ``weights``."""
    xp = get_array_module(du)
    c, oc = du.shape[1:]
    dw = xp.empty((oc, c, 9), du.dtype)
    # per input channel (OC, 9) = dU[:, c]^T (G (x) G), written straight into dw's layout
    xp.matmul(du.transpose(1, 2, 0), _kron(xp, du.dtype), out=dw.transpose(1, 0, 2))
    return dw.reshape(oc, c, 3, 3)


def _tiles(xh: Any) -> Any:
    """V (16, m*TY*TX, C) = B^T d B over the 4x4 tiles (stride 2) of xh (m, H, W, C) padded
    by one zero on every side."""
    xp = get_array_module(xh)
    m, h, w, c = xh.shape
    ty, tx = h // 2, w // 2
    p = xp.zeros((m, h + 2, w + 2, c), xh.dtype)
    p[:, 1:h + 1, 1:w + 1] = xh
    r = [p[:, k:k + h:2] for k in range(4)]  # (m, TY, W+2, C) each: tile row k
    rows = xp.empty((4, m, ty, w + 2, c), xh.dtype)
    _bt(xp, r, rows)
    v = xp.empty((4, 4, m, ty, tx, c), xh.dtype)
    for i in range(4):
        _bt(xp, [rows[i][:, :, k:k + w:2] for k in range(4)], v[i])
    return v.reshape(16, -1, c)


def _bt(xp: Any, d: list, out: Any) -> None:
    """out[0..3] = B^T d for B^T = [[1,0,-1,0], [0,1,1,0], [0,-1,1,0], [0,1,0,-1]]."""
    xp.subtract(d[0], d[2], out=out[0])
    xp.add(d[1], d[2], out=out[1])
    xp.subtract(d[2], d[1], out=out[2])
    xp.subtract(d[1], d[3], out=out[3])


def _untile(mt: Any, out: Any) -> None:
    """out (m, 2TY, 2TX, OC) = A^T M A per tile, M (16, m*TY*TX, OC) the per-position
    products, A^T = [[1,1,1,0], [0,1,-1,-1]]."""
    xp = get_array_module(mt)
    m, h2, w2, oc = out.shape
    mm = mt.reshape(4, 4, m, h2 // 2, w2 // 2, oc)
    o = out.reshape(m, h2 // 2, 2, w2 // 2, 2, oc)
    t = xp.empty((2, 4) + mm.shape[2:], mt.dtype)
    xp.add(mm[0], mm[1], out=t[0])
    t[0] += mm[2]
    xp.subtract(mm[1], mm[2], out=t[1])
    t[1] -= mm[3]
    for a in range(2):
        xp.add(t[a, 0], t[a, 1], out=o[:, :, a, :, 0])
        o[:, :, a, :, 0] += t[a, 2]
        xp.subtract(t[a, 1], t[a, 2], out=o[:, :, a, :, 1])
        o[:, :, a, :, 1] -= t[a, 3]


def _grad_tiles(gh: Any) -> Any:
    """Z (16, m*TY*TX, OC) = A dY A^T per 2x2 output block of gh (m, OH, OW, OC): the
    adjoint of ``_untile``."""
    xp = get_array_module(gh)
    m, oh, ow, oc = gh.shape
    d = gh.reshape(m, oh // 2, 2, ow // 2, 2, oc)
    q = xp.empty((4, m, oh // 2, ow // 2, 2, oc), gh.dtype)  # rows: A = [[1,0],[1,1],[1,-1],[0,-1]]
    q[0] = d[:, :, 0]
    xp.add(d[:, :, 0], d[:, :, 1], out=q[1])
    xp.subtract(d[:, :, 0], d[:, :, 1], out=q[2])
    xp.negative(d[:, :, 1], out=q[3])
    z = xp.empty((4, 4, m, oh // 2, ow // 2, oc), gh.dtype)
    for i in range(4):
        a, b = q[i][..., 0, :], q[i][..., 1, :]
        z[i, 0] = a
        xp.add(a, b, out=z[i, 1])
        xp.subtract(a, b, out=z[i, 2])
        xp.negative(b, out=z[i, 3])
    return z.reshape(16, -1, oc)


def chunks(n: int, h: int, w: int, c: int, itemsize: int) -> list:
    """[n0, n1) sample ranges whose transformed tiles stay near ``_CHUNK_BYTES``, as many as
    a multiple of 4 (for up to 4 threads) when there are samples enough. The ranges depend
    on the shape alone, so the weight gradient's partial sums, and its bits, do not depend
    on the thread count."""
    per = 4 * h * w * c * itemsize  # 16 positions x (H/2 * W/2) tiles x C
    k = max(1, -(-per * n // _CHUNK_BYTES))
    k = min(n, -(-k // 4) * 4)
    bounds = [n * i // k for i in range(k + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(k) if bounds[i + 1] > bounds[i]]


def forward(xh: Any, u: Any, out: Any) -> Any:
    """out (m, H, W, OC) = conv3x3(xh (m, H, W, C), pad 1) given U = ``weights(w)``."""
    _untile(get_array_module(xh).matmul(_tiles(xh), u), out)
    return out


def weight_grad(xh: Any, gh: Any) -> Any:
    """dU (16, C, OC) of a chunk: per position V^T Z, summed over its tiles (see
    ``unweights`` for dw)."""
    xp = get_array_module(xh)
    return xp.matmul(_tiles(xh).transpose(0, 2, 1), _grad_tiles(gh))
