"""Super-resolution metrics (PSNR, SSIM) and the bicubic baseline, on NumPy arrays.

PSNR = 10 log10(data_range^2 / MSE).

SSIM (Wang et al. 2004) with a Gaussian window (11 taps, sigma 1.5), K1 = 0.01, K2 = 0.03,
C1 = (K1 L)^2, C2 = (K2 L)^2, local statistics by Gaussian-weighted means (population
covariances, as skimage's ``gaussian_weights=True, use_sample_covariance=False``):

    SSIM(x, y) = (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))

averaged over every position where the window fits inside the image (skimage crops the same
border). The Gaussian filter is separable: one (out, in) band matrix per axis, two matmuls.

Bicubic resize: Keys' cubic convolution with a = -0.75 on 4 taps, source coordinate
src = (dst + 0.5) * in/out - 0.5, border taps clamped, as PyTorch's
``interpolate(mode='bicubic', align_corners=False)``; also one (out, in) matrix per axis.
"""
from __future__ import annotations

import numpy as np

__all__ = ["psnr", "ssim", "bicubic_resize", "bicubic_upsample", "box_downsample",
           "gaussian_window"]


def psnr(prediction: np.ndarray, target: np.ndarray, data_range: float = 1.0,
         reduction: str = "mean") -> float | np.ndarray:
    """Peak signal-to-noise ratio in dB; ``reduction='none'`` gives one value per image (axis 0)."""
    p, t = _pair("psnr", prediction, target)
    if reduction not in ("mean", "none"):
        raise ValueError(f"psnr: reduction must be 'mean' or 'none', got {reduction!r}")
    mse = ((p - t) ** 2).reshape(len(p), -1).mean(1)
    per = 10.0 * np.log10(data_range ** 2 / np.maximum(mse, 1e-20))
    return per if reduction == "none" else float(per.mean())


def _pair(op: str, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"{op}: prediction and target must have the same shape, got "
                         f"{a.shape} and {b.shape}")
    if a.ndim < 2:
        raise ValueError(f"{op}: expected images of shape (H, W), (C, H, W) or (N, C, H, W), "
                         f"got {a.shape}")
    if a.ndim == 2:
        a, b = a[None], b[None]
    return a, b


def gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    """Normalised 1-D Gaussian taps g_i = exp(-(i - c)^2 / (2 sigma^2)) / sum."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-x ** 2 / (2.0 * sigma ** 2))
    return g / g.sum()


def _band(n: int, taps: np.ndarray) -> np.ndarray:
    """(n - k + 1, n) matrix M with (M v)_i = sum_j taps_j v_{i+j} (a 'valid' correlation)."""
    k = len(taps)
    m = np.zeros((n - k + 1, n), np.float64)
    rows = np.arange(n - k + 1)
    for j in range(k):  # k taps, not pixels
        m[rows, rows + j] = taps[j]
    return m


def ssim(prediction: np.ndarray, target: np.ndarray, data_range: float = 1.0,
         win_size: int = 11, sigma: float = 1.5, K1: float = 0.01, K2: float = 0.03,
         reduction: str = "mean") -> float | np.ndarray:
    """Mean structural similarity over (H, W), (C, H, W) or (N, C, H, W) images.

    ``reduction='none'`` returns one value per leading index (image, or channel for 3-D input).
    """
    p, t = _pair("ssim", prediction, target)
    h, w = p.shape[-2:]
    if min(h, w) < win_size:
        raise ValueError(f"ssim: images of {h}x{w} are smaller than the {win_size}x{win_size} "
                         f"window; use a smaller win_size")
    g = gaussian_window(win_size, sigma)
    mh, mw = _band(h, g), _band(w, g)

    def blur(v: np.ndarray) -> np.ndarray:  # separable weighted mean: Mh v Mw^T
        return mh @ v @ mw.T

    mu_p, mu_t = blur(p), blur(t)
    var_p = blur(p * p) - mu_p ** 2
    var_t = blur(t * t) - mu_t ** 2
    cov = blur(p * t) - mu_p * mu_t
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    s = ((2 * mu_p * mu_t + c1) * (2 * cov + c2)
         / ((mu_p ** 2 + mu_t ** 2 + c1) * (var_p + var_t + c2)))
    per = s.reshape(len(s), -1).mean(1)
    if reduction == "none":
        return per
    if reduction != "mean":
        raise ValueError(f"ssim: reduction must be 'mean' or 'none', got {reduction!r}")
    return float(per.mean())


def _keys(d: np.ndarray, a: float = -0.75) -> np.ndarray:
    """Keys' cubic kernel W(d) for |d| <= 1 and 1 < |d| < 2 (0 beyond)."""
    d = np.abs(d)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d <= 1, near, np.where(d < 2, far, 0.0))


def _cubic_matrix(n_in: int, n_out: int, scale: float | None = None) -> np.ndarray:
    """(n_out, n_in) bicubic resampling matrix; clamped border taps add onto the edge pixel."""
    ratio = n_in / n_out if scale is None else 1.0 / scale
    src = (np.arange(n_out) + 0.5) * ratio - 0.5
    base = np.floor(src)
    frac = src - base
    m = np.zeros((n_out, n_in), np.float64)
    rows = np.arange(n_out)
    for k in (-1, 0, 1, 2):  # the 4 taps
        idx = np.clip(base + k, 0, n_in - 1).astype(np.int64)
        np.add.at(m, (rows, idx), _keys(frac - k))
    return m


def bicubic_resize(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize the last two axes of ``images`` to ``size`` = (H', W') by bicubic convolution."""
    x = np.asarray(images)
    if x.ndim < 2:
        raise ValueError(f"bicubic_resize: expected (..., H, W) images, got shape {x.shape}")
    oh, ow = int(size[0]), int(size[1])
    if oh <= 0 or ow <= 0 or 0 in x.shape[-2:]:
        raise ValueError(f"bicubic_resize: sizes must be positive, got input "
                         f"{x.shape[-2:]} -> {(oh, ow)}")
    dtype = x.dtype if x.dtype.kind == "f" else np.float32
    mh = _cubic_matrix(x.shape[-2], oh).astype(dtype)
    mw = _cubic_matrix(x.shape[-1], ow).astype(dtype)
    return (mh @ x.astype(dtype) @ mw.T).astype(dtype)


def bicubic_upsample(images: np.ndarray, scale: int) -> np.ndarray:
    """Bicubic upsampling of the last two axes by an integer ``scale``."""
    x = np.asarray(images)
    return bicubic_resize(x, (x.shape[-2] * scale, x.shape[-1] * scale))


def box_downsample(images: np.ndarray, scale: int) -> np.ndarray:
    """Average ``scale`` x ``scale`` blocks of the last two axes (the low-resolution inputs)."""
    x = np.asarray(images)
    h, w = x.shape[-2] // scale * scale, x.shape[-1] // scale * scale
    x = x[..., :h, :w]
    return x.reshape(*x.shape[:-2], h // scale, scale, w // scale, scale).mean((-3, -1))
