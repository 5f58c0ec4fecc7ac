"""Image transforms with torchvision's names and semantics, on NumPy, PIL and shenjing tensors.

Inputs: a NumPy image (H, W) or (H, W, C) (the layout PIL and the data sets give), a PIL image,
or a shenjing tensor (..., C, H, W). Each transform returns the same kind it was given (except
ToTensor, which makes a CHW float tensor). Spatial work runs on (..., H, W) arrays: Resize is
two small matrix products (one weight matrix per axis), RandomRotation samples through a
coordinate map, so nothing loops over pixels. Randomness comes from shenjing's generator
(``shenjing.manual_seed`` makes it reproducible).
"""
from __future__ import annotations

import functools
import math
import numbers
from enum import Enum
from typing import Any, Callable, Sequence

import numpy as np

from ..autograd import Tensor
from ..backend import get_default_dtype, rng_of

__all__ = ["Compose", "ToTensor", "Normalize", "Resize", "CenterCrop", "Pad", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation", "Grayscale",
           "Lambda", "InterpolationMode"]


class InterpolationMode(str, Enum):
    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _mode(m: Any, who: str) -> str:
    try:
        return InterpolationMode(m.value if isinstance(m, Enum) else str(m).lower()).value
    except ValueError:
        raise ValueError(f"{who}: interpolation must be 'nearest' or 'bilinear', got {m!r}") \
            from None


def _is_pil(img: Any) -> bool:
    return type(img).__module__.startswith("PIL.") and hasattr(img, "mode")


# ----------------------------------------------------------------- unpack / repack
def _unpack(img: Any, who: str) -> tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """(array laid out (..., H, W) with channels at -3 when present, a function to repack)."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError(f"{who}: tensor is not a torch image: expected (..., H, W), got "
                            f"shape {tuple(img.shape)}")
        return img._data, lambda a: Tensor._wrap(a, None, False)
    pil = _is_pil(img)
    if pil:
        from PIL import Image  # noqa: PLC0415 - only reached with a PIL image in hand

        if img.mode not in ("L", "RGB", "RGBA", "I", "F"):
            img = img.convert("RGB")
        arr = np.asarray(img)
    elif isinstance(img, np.ndarray):
        arr = img
    else:
        raise TypeError(f"{who}: img should be a PIL Image, a NumPy array or a Tensor. "
                        f"Got {type(img).__name__}")
    if arr.ndim == 2:
        back = (lambda a: Image.fromarray(np.ascontiguousarray(a))) if pil else (lambda a: a)
        return arr, back
    if arr.ndim != 3:
        raise ValueError(f"{who}: a NumPy image must be (H, W) or (H, W, C), got shape "
                         f"{arr.shape}")
    if pil:
        return np.moveaxis(arr, -1, 0), lambda a: Image.fromarray(
            np.ascontiguousarray(np.moveaxis(a, 0, -1)))
    return np.moveaxis(arr, -1, 0), lambda a: np.ascontiguousarray(np.moveaxis(a, 0, -1))


def _to_dtype(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float results back to the input's dtype; integer images are rounded and clipped."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(dtype)
    return out.astype(dtype, copy=False)


def _size2(size: Any, who: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{who}: please provide only two dimensions (h, w) for size, got {size!r}")


# ----------------------------------------------------------------- composition
class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class Lambda:
    """Apply a user function as a transform."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# ----------------------------------------------------------------- conversion and values
class ToTensor:
    """PIL image or NumPy (H, W[, C]) -> tensor (C, H, W); uint8 is scaled to float in [0, 1]."""

    def __call__(self, pic: Any) -> Tensor:
        if _is_pil(pic):
            arr = np.asarray(pic)
            if pic.mode == "1":
                arr = arr.astype(np.uint8) * 255
        elif isinstance(pic, np.ndarray):
            arr = pic
        else:
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if arr.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {arr.ndim} dimensions.")
        if arr.ndim == 2:
            arr = arr[:, :, None]
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            chw = chw.astype(get_default_dtype().np) / np.float32(255)
        elif chw.dtype == np.uint16:
            chw = chw.astype(np.int32)
        elif chw.dtype == np.bool_:
            chw = chw.astype(np.uint8)
        return Tensor._wrap(chw, None, False)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a float tensor (..., C, H, W)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        x = tensor._data
        if x.dtype.kind != "f":
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if x.ndim < 3:
            raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tuple(x.shape)}")
        mean = np.asarray(self.mean, dtype=x.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=x.dtype).reshape(-1, 1, 1)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {x.dtype}, leading to "
                             "division by zero.")
        c = x.shape[-3]
        if len(mean) not in (1, c) or len(std) not in (1, c):
            raise ValueError(f"Normalize: mean and std must have 1 or {c} values (one per "
                             f"channel), got {len(mean)} and {len(std)}")
        if tensor.requires_grad:
            return (tensor - Tensor._wrap(mean, None, False)) / Tensor._wrap(std, None, False)
        if self.inplace:
            np.subtract(x, mean, out=x)
            np.divide(x, std, out=x)
            return tensor
        return Tensor._wrap((x - mean) / std, None, False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Grayscale:
    """RGB -> luma ``0.2989 R + 0.587 G + 0.114 B`` with 1 or 3 output channels.

    Integer images are truncated like torchvision's tensor path; PIL images use PIL's "L".
    """

    def __init__(self, num_output_channels: int = 1) -> None:
        if num_output_channels not in (1, 3):
            raise ValueError("num_output_channels should be either 1 or 3")
        self.num_output_channels = num_output_channels

    def __call__(self, img: Any) -> Any:
        if _is_pil(img):
            out = img.convert("L")
            return out.convert("RGB") if self.num_output_channels == 3 else out
        plain_2d = isinstance(img, np.ndarray) and img.ndim == 2
        arr, back = _unpack(img, "Grayscale")
        if plain_2d:
            luma = arr[None]
        else:
            if arr.ndim < 3:
                raise TypeError("Input image tensor should have at least 3 dimensions, but "
                                f"found {arr.ndim}")
            c = arr.shape[-3]
            if c not in (1, 3):
                raise TypeError("Input image tensor permitted channel values are [1, 3], but "
                                f"found {c}")
            if c == 3:
                r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
                mix = 0.2989 * r.astype(np.float32) + 0.587 * g + 0.114 * b
                luma = mix.astype(arr.dtype)[..., None, :, :]  # truncates for integers
            else:
                luma = arr.copy()
        if self.num_output_channels == 3:
            luma = np.repeat(luma, 3, axis=-3)
        if plain_2d and self.num_output_channels == 1:
            return luma[0]
        return back(luma)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


# ----------------------------------------------------------------- resize
@functools.lru_cache(maxsize=64)
def _resize_weights(n_in: int, n_out: int, antialias: bool) -> np.ndarray:
    """(n_out, n_in) matrix of bilinear weights (half-pixel centres, align_corners=False).

    Downscaling with antialias widens the triangle filter to ``scale`` input pixels (as PIL
    and torch's antialias=True do): w_j = max(0, 1 - |j + 0.5 - centre| / scale), normalised.
    """
    scale = n_in / n_out
    out = np.arange(n_out, dtype=np.float64)
    w = np.zeros((n_out, n_in), dtype=np.float64)
    if antialias and scale > 1:
        centre = scale * (out + 0.5)
        lo = np.maximum(np.trunc(centre - scale + 0.5), 0).astype(np.int64)
        hi = np.minimum(np.trunc(centre + scale + 0.5), n_in).astype(np.int64)
        j = lo[:, None] + np.arange(int(math.ceil(scale)) * 2 + 1)
        tri = np.maximum(0.0, 1.0 - np.abs(j - centre[:, None] + 0.5) / scale)
        tri[j >= hi[:, None]] = 0.0
        tri /= tri.sum(axis=1, keepdims=True)
        rows = np.broadcast_to(np.arange(n_out)[:, None], j.shape)
        ok = j < n_in
        np.add.at(w, (rows[ok], j[ok]), tri[ok])
    else:
        src = np.maximum((out + 0.5) * scale - 0.5, 0.0)
        i0 = np.minimum(src.astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        lam = src - i0
        rows = np.arange(n_out)
        np.add.at(w, (rows, i0), 1.0 - lam)
        np.add.at(w, (rows, i1), lam)
    w = w.astype(np.float32)
    w.flags.writeable = False  # shared through the cache
    return w


def _resize(arr: np.ndarray, oh: int, ow: int, mode: str, antialias: bool) -> np.ndarray:
    h, w = arr.shape[-2:]
    if (oh, ow) == (h, w):
        return arr
    if mode == "nearest":  # src = floor(dst * in / out)
        ih = np.minimum((np.arange(oh) * (h / oh)).astype(np.int64), h - 1)
        iw = np.minimum((np.arange(ow) * (w / ow)).astype(np.int64), w - 1)
        return arr[..., ih[:, None], iw]
    x = arr.astype(np.float32, copy=False)
    out = _resize_weights(h, oh, antialias) @ x @ _resize_weights(w, ow, antialias).T
    return _to_dtype(out, arr.dtype)


class Resize:
    """Resize to ``size`` (h, w), or, for an int, make the shorter side ``size`` (aspect kept).

    ``max_size`` caps the longer side in the int case. Bilinear uses half-pixel centres;
    ``antialias`` (default True, like torchvision) low-pass filters when shrinking.
    """

    def __init__(self, size: int | Sequence[int], interpolation: Any = "bilinear",
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        if not isinstance(size, (int, Sequence)) or (isinstance(size, Sequence)
                                                     and len(size) not in (1, 2)):
            raise TypeError(f"Size should be int or sequence of length 1 or 2. Got {size!r}")
        self.size, self.max_size = size, max_size
        self.interpolation = _mode(interpolation, "Resize")
        self.antialias = bool(antialias)

    def _output_size(self, h: int, w: int) -> tuple[int, int]:
        if isinstance(self.size, Sequence) and len(self.size) == 2:
            return int(self.size[0]), int(self.size[1])
        s = int(self.size if isinstance(self.size, int) else self.size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = s, int(s * long / short)
        if self.max_size is not None:
            if self.max_size <= s:
                raise ValueError(f"max_size = {self.max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {s}")
            if new_long > self.max_size:
                new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)

    def __call__(self, img: Any) -> Any:
        arr, back = _unpack(img, "Resize")
        oh, ow = self._output_size(*arr.shape[-2:])
        if oh <= 0 or ow <= 0:
            raise ValueError(f"Resize: output size ({oh}, {ow}) must be positive")
        return back(_resize(arr, oh, ow, self.interpolation, self.antialias))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


# ----------------------------------------------------------------- crops and pads
def _pad(arr: np.ndarray, ltrb: Sequence[int], fill: Any, mode: str) -> np.ndarray:
    l, t, r, b = (int(v) for v in ltrb)
    if min(l, t, r, b) < 0:
        raise ValueError(f"Pad: padding must be non-negative, got {list(ltrb)}")
    if mode != "constant":
        widths = [(0, 0)] * (arr.ndim - 2) + [(t, b), (l, r)]
        return np.pad(arr, widths, mode=mode)
    out = np.empty(arr.shape[:-2] + (arr.shape[-2] + t + b, arr.shape[-1] + l + r), arr.dtype)
    fill_arr = np.asarray(fill, dtype=np.float64)
    out[...] = (fill_arr.reshape(-1, 1, 1) if fill_arr.ndim else fill_arr).astype(arr.dtype)
    out[..., t:t + arr.shape[-2], l:l + arr.shape[-1]] = arr
    return out


def _ltrb(padding: Any) -> list[int]:
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    p = [int(v) for v in padding]
    if len(p) == 1:
        return p * 4
    if len(p) == 2:  # (left/right, top/bottom)
        return [p[0], p[1], p[0], p[1]]
    if len(p) == 4:
        return p
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(p)} "
                     "element tuple")


class Pad:
    """Pad the borders: ``padding`` int, (lr, tb) or (l, t, r, b); modes as ``np.pad``."""

    def __init__(self, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> None:
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.fill, self.padding_mode = _ltrb(padding), fill, padding_mode

    def __call__(self, img: Any) -> Any:
        arr, back = _unpack(img, "Pad")
        return back(_pad(arr, self.padding, self.fill, self.padding_mode))


class CenterCrop:
    """Crop the centre (h, w); an image smaller than that is zero-padded first."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _size2(size, "CenterCrop")

    def __call__(self, img: Any) -> Any:
        arr, back = _unpack(img, "CenterCrop")
        th, tw = self.size
        h, w = arr.shape[-2:]
        if th > h or tw > w:
            ltrb = [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                    (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0]
            arr = _pad(arr, ltrb, 0, "constant")
            h, w = arr.shape[-2:]
            if (h, w) == (th, tw):
                return back(arr)
        top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        return back(arr[..., top:top + th, left:left + tw].copy())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class RandomCrop:
    """Crop a random (h, w) window, after optional ``padding`` (and ``pad_if_needed``)."""

    def __init__(self, size: int | Sequence[int], padding: Any = None, pad_if_needed: bool = False,
                 fill: Any = 0, padding_mode: str = "constant") -> None:
        self.size = _size2(size, "RandomCrop")
        self.padding = None if padding is None else _ltrb(padding)
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def __call__(self, img: Any) -> Any:
        arr, back = _unpack(img, "RandomCrop")
        if self.padding is not None:
            arr = _pad(arr, self.padding, self.fill, self.padding_mode)
        th, tw = self.size
        h, w = arr.shape[-2:]
        if self.pad_if_needed and w < tw:
            arr = _pad(arr, [tw - w, 0, tw - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < th:
            arr = _pad(arr, [0, th - h, 0, th - h], self.fill, self.padding_mode)
        h, w = arr.shape[-2:]
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        rng = rng_of(None)
        i = int(rng.integers(0, h - th + 1))
        j = int(rng.integers(0, w - tw + 1))
        return back(arr[..., i:i + th, j:j + tw].copy())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        if rng_of(None).random() >= self.p:
            return img
        arr, back = _unpack(img, type(self).__name__)
        return back(self._flip(arr))

    def _flip(self, arr: np.ndarray) -> np.ndarray:
        return arr[..., ::-1].copy()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p``."""

    def _flip(self, arr: np.ndarray) -> np.ndarray:
        return arr[..., ::-1, :].copy()


# ----------------------------------------------------------------- rotation
def _rotate(arr: np.ndarray, angle: float, mode: str, expand: bool,
            center: Sequence[float] | None, fill: Any) -> np.ndarray:
    """Rotate counter-clockwise by ``angle`` degrees around ``center`` (default: the middle).

    Each output pixel centre (x, y), relative to the middle, samples the input at
    x_s = cos(a) x - sin(a) y + tx, y_s = sin(a) x + cos(a) y + ty; outside is ``fill``.
    """
    h, w = arr.shape[-2:]
    cx, cy = (0.0, 0.0) if center is None else (center[0] - 0.5 * w, center[1] - 0.5 * h)
    a = math.radians(angle)
    m = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]])
    m[:, 2] = [cx, cy] - m[:, :2] @ [cx, cy]
    oh, ow = h, w
    if expand:
        pts = np.array([[-0.5 * w, -0.5 * h, 1], [-0.5 * w, 0.5 * h, 1],
                        [0.5 * w, 0.5 * h, 1], [0.5 * w, -0.5 * h, 1]], dtype=np.float32)
        new = pts @ m.astype(np.float32).T + np.array([0.5 * w, 0.5 * h], np.float32)
        tol = 1e-4
        hi = np.ceil(np.trunc(new.max(0) / tol) * tol)
        lo = np.floor(np.trunc(new.min(0) / tol) * tol)
        ow, oh = (int(v) for v in hi - lo)
    xo = np.arange(ow) + 0.5 - 0.5 * ow
    yo = np.arange(oh) + 0.5 - 0.5 * oh
    xs = (m[0, 0] * xo[None, :] + m[0, 1] * yo[:, None] + m[0, 2]) + 0.5 * w - 0.5
    ys = (m[1, 0] * xo[None, :] + m[1, 1] * yo[:, None] + m[1, 2]) + 0.5 * h - 0.5
    flat = arr.reshape(arr.shape[:-2] + (h * w,)).astype(np.float32, copy=False)
    if mode == "nearest":
        xi, yi = np.rint(xs).astype(np.int64), np.rint(ys).astype(np.int64)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        idx = np.where(inside, yi * w + xi, 0)
        out = np.where(inside, np.take(flat, idx, axis=-1), 0.0)
        mask = inside.astype(np.float32)
    else:
        x0, y0 = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
        fx, fy = (xs - x0).astype(np.float32), (ys - y0).astype(np.float32)
        out = np.zeros(arr.shape[:-2] + (oh, ow), np.float32)
        mask = np.zeros((oh, ow), np.float32)
        for dy, dx, wt in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                           (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):  # the four corners
            xc, yc = x0 + dx, y0 + dy
            ok = (xc >= 0) & (xc < w) & (yc >= 0) & (yc < h)
            wt = np.where(ok, wt, 0.0).astype(np.float32)
            out += wt * np.take(flat, np.where(ok, yc * w + xc, 0), axis=-1)
            mask += wt
    fill_arr = np.asarray(0.0 if fill is None else fill, dtype=np.float32)
    if fill_arr.ndim:
        fill_arr = fill_arr.reshape(-1, 1, 1)
    if mode == "nearest":
        out = np.where(mask < 0.5, fill_arr, out)
    else:  # torchvision blends with the interpolated inside-mask
        out = out * mask + (1.0 - mask) * fill_arr
    return _to_dtype(out, arr.dtype)


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` (a, or (min, max)), counter-clockwise.

    ``interpolation`` nearest (default, like torchvision) or bilinear; ``expand`` grows the
    output to hold the whole rotated image; ``center`` (x, y) in pixels; ``fill`` for outside.
    """

    def __init__(self, degrees: float | Sequence[float], interpolation: Any = "nearest",
                 expand: bool = False, center: Sequence[float] | None = None,
                 fill: Any = 0) -> None:
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError("If degrees is a single number, it must be positive.")
            degrees = (-float(degrees), float(degrees))
        elif len(degrees) != 2:
            raise ValueError("If degrees is a sequence, it must be of len 2.")
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation = _mode(interpolation, "RandomRotation")
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        return float(rng_of(None).uniform(degrees[0], degrees[1]))

    def __call__(self, img: Any) -> Any:
        angle = self.get_params(self.degrees)
        arr, back = _unpack(img, "RandomRotation")
        return back(_rotate(arr, angle, self.interpolation, self.expand, self.center, self.fill))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(degrees={self.degrees}, "
                f"interpolation={self.interpolation}, expand={self.expand}, fill={self.fill})")
