"""Line charts and confusion matrices with no plotting library: NumPy rasters (PNG) and SVG.

A chart is laid out once (:func:`_layout`: plot box, "nice" ticks, legend) and then drawn either
into a uint8 (H, W, 3) image with a built-in 5x7 bitmap font, or as SVG text with real <text>
labels for the HTML run report. Lines are rasterised vectorised: every segment is sampled at
about one point per pixel with NumPy and a 2x2 brush sets the pixels. NaN points leave gaps.
"""
from __future__ import annotations

import math
import os
from html import escape
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .image import write_png

__all__ = ["line_chart", "line_chart_png", "line_chart_svg", "confusion_matrix_image",
           "confusion_matrix_png", "confusion_matrix_svg", "curves_from_metrics", "PALETTE"]

# 5x7 font: each glyph is 7 rows of 5 bits (two hex digits a row, bit 4 = leftmost pixel).
# Lower-case letters are drawn as capitals; an unknown character is drawn as '?'.
_GLYPHS = {
    "0": "0E11131519110E", "1": "040C040404040E", "2": "0E11010204081F",
    "3": "1F02040201110E", "4": "02060A121F0202", "5": "1F101E0101110E",
    "6": "0608101E11110E", "7": "1F010204080808", "8": "0E11110E11110E",
    "9": "0E11110F01020C", "A": "0E1111111F1111", "B": "1E11111E11111E",
    "C": "0E11101010110E", "D": "1C12111111121C", "E": "1F10101E10101F",
    "F": "1F10101E101010", "G": "0E11101711110F", "H": "1111111F111111",
    "I": "0E04040404040E", "J": "0702020202120C", "K": "11121418141211",
    "L": "1010101010101F", "M": "111B1515111111", "N": "11111915131111",
    "O": "0E11111111110E", "P": "1E11111E101010", "Q": "0E11111115120D",
    "R": "1E11111E141211", "S": "0F10100E01011E", "T": "1F040404040404",
    "U": "1111111111110E", "V": "11111111110A04", "W": "1111111515150A",
    "X": "11110A040A1111", "Y": "1111110A040404", "Z": "1F01020408101F",
    ".": "00000000000C0C", "-": "0000001F000000", "_": "0000000000001F",
    ":": "000C0C000C0C00", "%": "18190204081303", "/": "00010204081000",
    "(": "02040808080402", ")": "08040202020408", "+": "0004041F040400",
    ",": "00000000000C04", "=": "00001F001F0000", "?": "0E110102040004",
    "[": "0E08080808080E", "]": "0E02020202020E", "'": "0C040800000000", " ": "00" * 7,
}
_FONT = np.zeros((128, 7, 5), dtype=bool)
for _ch, _hex in _GLYPHS.items():
    _rows = np.array([int(_hex[i:i + 2], 16) for i in range(0, 14, 2)])
    _FONT[ord(_ch)] = (_rows[:, None] >> np.arange(4, -1, -1)) & 1
for _c in range(ord("a"), ord("z") + 1):
    _FONT[_c] = _FONT[_c - 32]
_UNKNOWN = _FONT[ord("?")]

# ten distinct series colours (the usual "category10" hues)
PALETTE = np.array([(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                    (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                    (188, 189, 34), (23, 190, 207)], dtype=np.uint8)
_INK, _GRID, _AXIS = (40, 40, 40), (228, 228, 228), (90, 90, 90)


def _text_mask(text: str, scale: int = 1) -> np.ndarray:
    """Boolean (7*scale, (6n-1)*scale) bitmap of ``text`` (1 blank column between glyphs)."""
    codes = np.frombuffer(text.encode("ascii", "replace"), np.uint8) if text else np.zeros(0, int)
    glyphs = np.where((codes < 128)[:, None, None], _FONT[np.minimum(codes, 127)], _UNKNOWN)
    glyphs = np.pad(glyphs, ((0, 0), (0, 0), (0, 1)))           # (n, 7, 6)
    mask = glyphs.transpose(1, 0, 2).reshape(7, -1)[:, :-1] if len(codes) else np.zeros((7, 0))
    return np.kron(mask, np.ones((scale, scale), bool)).astype(bool) if scale > 1 else mask


def _draw_text(img: np.ndarray, text: str, x: float, y: float, color: Sequence[int],
               align: str = "left", valign: str = "top", scale: int = 1,
               vertical: bool = False) -> None:
    """Draw ``text`` with its anchor at pixel (x, y); ``vertical`` reads bottom to top."""
    m = _text_mask(text, scale)
    if vertical:
        m = np.rot90(m)
    h, w = m.shape
    x0 = int(round(x - {"left": 0, "center": w / 2, "right": w}[align]))
    y0 = int(round(y - {"top": 0, "center": h / 2, "bottom": h}[valign]))
    ys, xs = np.nonzero(m)
    ys, xs = ys + y0, xs + x0
    keep = (ys >= 0) & (ys < img.shape[0]) & (xs >= 0) & (xs < img.shape[1])
    img[ys[keep], xs[keep]] = color


def _nice_ticks(lo: float, hi: float, n: int = 6, integer: bool = False) -> np.ndarray:
    """Ticks at multiples of 1, 2 or 5 x 10^k that cover [lo, hi] with about ``n`` steps."""
    if not lo < hi:
        pad = abs(lo) * 0.1 or 0.5
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * (1 - 1e-9))
    if integer:
        step = max(step, 1.0)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return np.arange(first, last + 1) * step


def _fmt(v: float, step: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or step < 1e-3:
        return format(v, ".3g")
    return f"{v:.{max(0, -math.floor(math.log10(step) + 1e-9))}f}"


def _check_series(fn: str, series: Mapping[str, Any]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    if not isinstance(series, Mapping) or not series:
        raise ValueError(f"{fn}: expected a non-empty dict {{name: (xs, ys)}}, got {series!r:.60}")
    out = []
    for name, pair in series.items():
        try:
            xs, ys = pair
            xs = np.asarray(xs, dtype=np.float64).ravel()
            ys = np.asarray(ys, dtype=np.float64).ravel()
        except (TypeError, ValueError) as e:
            raise ValueError(f"{fn}: series {name!r} must be a pair (xs, ys) of numbers ({e})")
        if len(xs) != len(ys) or len(xs) == 0:
            raise ValueError(f"{fn}: series {name!r} needs xs and ys of the same non-zero "
                             f"length, got {len(xs)} xs and {len(ys)} ys")
        out.append((str(name), xs, ys))
    return out


def _layout(fn: str, series: Mapping[str, Any], title: str, xlabel: str, ylabel: str,
            width: int, height: int, logy: bool) -> dict[str, Any]:
    """Plot box, ticks, labels, legend and every series in pixel coordinates."""
    data = _check_series(fn, series)
    if logy:
        data = [(n, x, np.log10(np.where(y > 0, y, np.nan))) for n, x, y in data]
    xs_all = np.concatenate([x[np.isfinite(x) & np.isfinite(y)] for _, x, y in data])
    ys_all = np.concatenate([y[np.isfinite(x) & np.isfinite(y)] for _, x, y in data])
    xs_all, ys_all = (xs_all, ys_all) if len(xs_all) else (np.zeros(1), np.zeros(1))
    xt = _nice_ticks(xs_all.min(), xs_all.max(), 8, bool(np.all(xs_all == np.round(xs_all))))
    if logy:
        k0, k1 = math.floor(ys_all.min()), math.ceil(ys_all.max())
        k1 = max(k1, k0 + 1)
        yt = np.arange(k0, k1 + 1, max(1, math.ceil((k1 - k0) / 8)), dtype=np.float64)
        ylab = [format(10.0 ** k, "g") for k in yt]
    else:
        yt = _nice_ticks(ys_all.min(), ys_all.max(), 6)
        ylab = [_fmt(v, yt[1] - yt[0]) for v in yt]
    xlab = [_fmt(v, xt[1] - xt[0]) for v in xt]
    left = 8 + (12 if ylabel else 0) + 6 * max(len(s) for s in ylab) + 6
    right = width - 16
    # legend: greedy rows of [swatch name] items between the plot's left and right edges
    items, row, cx = [], 0, left
    for i, (name, _, _) in enumerate(data):
        w = 22 + 6 * len(name) + 12
        if cx + w > right and cx > left:
            row, cx = row + 1, left
        items.append((name, cx, row))
        cx += w
    top = 8 + (18 if title else 0) + 12 * (row + 1) + 6
    bottom = height - 8 - 12 - (12 if xlabel else 0)
    if right - left < 40 or bottom - top < 40:
        raise ValueError(f"{fn}: a {width}x{height} chart leaves no room to plot; make it larger")
    sx = (right - left) / (xt[-1] - xt[0])
    sy = (bottom - top) / (yt[-1] - yt[0])
    lines = [(n, left + (x - xt[0]) * sx, bottom - (y - yt[0]) * sy) for n, x, y in data]
    return dict(width=width, height=height, box=(left, top, right, bottom), title=title,
                xlabel=xlabel, ylabel=ylabel, legend=items, lines=lines,
                xticks=[(left + (v - xt[0]) * sx, s) for v, s in zip(xt, xlab)],
                yticks=[(bottom - (v - yt[0]) * sy, s) for v, s in zip(yt, ylab)])


def _colour_and_dash(i: int, name: str, colors: Mapping[str, int] | None,
                     dashed: Iterable[str]) -> tuple[np.ndarray, bool]:
    idx = colors.get(name, i) if colors else i
    return PALETTE[idx % len(PALETTE)], name in set(dashed)


def _polyline_pixels(px: np.ndarray, py: np.ndarray, dashed: bool) -> tuple[np.ndarray, ...]:
    """Pixels along consecutive finite points: ~1 sample per pixel, all segments at once."""
    ok = np.isfinite(px) & np.isfinite(py)
    seg = np.flatnonzero(ok[:-1] & ok[1:])
    pts = np.flatnonzero(ok)                                  # lone points: zero-length segments
    a = np.concatenate([seg, pts])
    b = np.concatenate([seg + 1, pts])
    x0, y0, dx, dy = px[a], py[a], px[b] - px[a], py[b] - py[a]
    n = np.ceil(np.maximum(np.abs(dx), np.abs(dy))).astype(np.int64) + 1
    sid = np.repeat(np.arange(len(a)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    t = k / np.maximum(n - 1, 1)[sid]
    x, y = x0[sid] + t * dx[sid], y0[sid] + t * dy[sid]
    if dashed:                                                # 6 pixels on, 6 off along the arc
        seglen = np.hypot(dx, dy)
        arc = (np.cumsum(seglen) - seglen)[sid] + t * seglen[sid]
        keep = (arc // 6) % 2 == 0
        x, y = x[keep], y[keep]
    # 2x2 brush (thickness 2) over the pixels nearest to (x, y)
    xi, yi = np.floor(x - 0.5).astype(np.int64), np.floor(y - 0.5).astype(np.int64)
    return (np.concatenate([yi, yi, yi + 1, yi + 1]), np.concatenate([xi, xi + 1, xi, xi + 1]))


def line_chart(series: Mapping[str, tuple[Any, Any]], title: str = "", xlabel: str = "",
               ylabel: str = "", width: int = 640, height: int = 400, logy: bool = False,
               colors: Mapping[str, int] | None = None, dashed: Iterable[str] = ()) -> np.ndarray:
    """Rasterise ``{name: (xs, ys)}`` as a line chart: (height, width, 3) uint8, white ground.

    ``colors`` maps a series name to a palette index (default: its position), ``dashed`` names
    series drawn dashed. NaN (and, with ``logy``, non-positive) points leave gaps.
    """
    lay = _layout("line_chart", series, title, xlabel, ylabel, width, height, logy)
    left, top, right, bottom = lay["box"]
    img = np.full((height, width, 3), 255, np.uint8)
    for x, s in lay["xticks"]:
        xi = int(round(x))
        img[top:bottom, xi] = _GRID
        img[bottom:bottom + 4, xi] = _AXIS
        _draw_text(img, s, xi, bottom + 6, _INK, align="center")
    for y, s in lay["yticks"]:
        yi = int(round(y))
        img[yi, left:right] = _GRID
        img[yi, left - 4:left] = _AXIS
        _draw_text(img, s, left - 6, yi, _INK, align="right", valign="center")
    img[top:bottom + 1, [left, right]] = _AXIS
    img[[top, bottom], left:right + 1] = _AXIS
    for i, (name, px, py) in enumerate(lay["lines"]):     # over the frame: y = 0 stays seen
        col, dash = _colour_and_dash(i, name, colors, dashed)
        yy, xx = _polyline_pixels(px, py, dash)
        keep = (xx >= left) & (xx <= right) & (yy >= top) & (yy <= bottom)
        img[yy[keep], xx[keep]] = col
    if title:
        big = 6 * 2 * len(title) < width - 16
        _draw_text(img, title, width / 2, 8, _INK, "center", scale=2 if big else 1)
    if xlabel:
        _draw_text(img, xlabel, (left + right) / 2, height - 8, _INK, "center", "bottom")
    if ylabel:
        _draw_text(img, ylabel, 8, (top + bottom) / 2, _INK, valign="center", vertical=True)
    ly = top - 6 - 12 * (1 + max(r for _, _, r in lay["legend"]))
    for i, (name, x, row) in enumerate(lay["legend"]):
        col, dash = _colour_and_dash(i, name, colors, dashed)
        y = ly + 12 * row + 4
        img[y:y + 2, x:x + 18] = col
        if dash:
            img[y:y + 2, x + 6:x + 12] = 255
        _draw_text(img, name, x + 22, y + 1, _INK, valign="center")
    return img


def line_chart_png(path: str | os.PathLike, series: Mapping[str, tuple[Any, Any]],
                   **kw: Any) -> None:
    """Write :func:`line_chart` of ``series`` (same keywords) to a PNG file, atomically."""
    write_png(path, line_chart(series, **kw))


def _rgb(c: Sequence[int]) -> str:
    return f"rgb({int(c[0])},{int(c[1])},{int(c[2])})"


def _dash_attr(dashed: bool) -> str:
    return ' stroke-dasharray="6 6"' if dashed else ""


def _svg_text(x: float, y: float, s: str, anchor: str = "start", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>'
            f"{escape(str(s))}</text>")


def line_chart_svg(series: Mapping[str, tuple[Any, Any]], title: str = "", xlabel: str = "",
                   ylabel: str = "", width: int = 640, height: int = 400, logy: bool = False,
                   colors: Mapping[str, int] | None = None, dashed: Iterable[str] = ()) -> str:
    """The chart of :func:`line_chart` as standalone SVG text (one <polyline> per unbroken run)."""
    lay = _layout("line_chart_svg", series, title, xlabel, ylabel, width, height, logy)
    left, top, right, bottom = lay["box"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for x, s in lay["xticks"]:
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom + 4}" '
                   f'stroke="{_rgb(_GRID)}"/>')
        out.append(_svg_text(x, bottom + 16, s, "middle"))
    for y, s in lay["yticks"]:
        out.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
                   f'stroke="{_rgb(_GRID)}"/>')
        out.append(_svg_text(left - 6, y + 4, s, "end"))
    out.append(f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
               f'fill="none" stroke="{_rgb(_AXIS)}"/>')
    for i, (name, px, py) in enumerate(lay["lines"]):
        col, dash = _colour_and_dash(i, name, colors, dashed)
        style = f'fill="none" stroke="{_rgb(col)}" stroke-width="2"' + _dash_attr(dash)
        ok = np.isfinite(px) & np.isfinite(py)
        # split at gaps: runs of consecutive finite points
        for run in np.split(np.arange(len(px)), np.flatnonzero(np.diff(ok.astype(int))) + 1):
            if ok[run[0]]:
                pts = " ".join(f"{px[j]:.1f},{py[j]:.1f}" for j in run)
                out.append(f'<polyline class="series" data-name="{escape(name)}" '
                           f'points="{pts}" {style}/>')
    ly = top - 6 - 12 * (1 + max(r for _, _, r in lay["legend"]))
    for i, (name, x, row) in enumerate(lay["legend"]):
        col, dash = _colour_and_dash(i, name, colors, dashed)
        y = ly + 12 * row + 5
        out.append(f'<line x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}" stroke="{_rgb(col)}" '
                   f'stroke-width="2"{_dash_attr(dash)}/>')
        out.append(_svg_text(x + 22, y + 4, name))
    if title:
        out.append(_svg_text(width / 2, 20, title, "middle", 'font-size="15" font-weight="bold"'))
    if xlabel:
        out.append(_svg_text((left + right) / 2, height - 6, xlabel, "middle"))
    if ylabel:
        cy = (top + bottom) / 2
        out.append(_svg_text(16, cy, ylabel, "middle", f'transform="rotate(-90 16 {cy:.1f})"'))
    return "\n".join(out + ["</svg>"])


_CM_DARK = np.array((8, 69, 148), np.float64)


def _check_cm(fn: str, cm: Any, labels: Sequence[Any] | None) -> tuple[np.ndarray, list[str]]:
    try:
        m = np.asarray(cm, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{fn}: expected a (K, K) array of counts ({e})") from None
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"{fn}: expected a square (K, K) matrix with K >= 1, "
                         f"got shape {m.shape}")
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError(f"{fn}: counts must be finite and non-negative")
    k = m.shape[0]
    names = [str(i) for i in range(k)] if labels is None else [str(s) for s in labels]
    if len(names) != k:
        raise ValueError(f"{fn}: expected {k} labels for a {k}x{k} matrix, got {len(names)}")
    return m, names


def _cm_geometry(k: int, labels: Sequence[str]) -> dict[str, Any]:
    """Where the confusion matrix goes: cell size, grid origin, label placement, image size."""
    cell = int(np.clip(360 // k, 6, 48))
    show = cell >= 8
    short = [s[:10] for s in labels] if show else []
    lw = 6 * max((len(s) for s in short), default=0)
    vertical = lw + 3 > cell
    left = 8 + 12 + lw + 6
    top = 8 + 14 + 8
    lab_h = (lw if vertical else 7) if show else 0
    width = left + k * cell + 12
    height = top + k * cell + 6 + lab_h + 8 + 7 + 8
    return dict(cell=cell, left=left, top=top, width=max(width, 160), height=height,
                labels=short, vertical=vertical, lab_h=lab_h)


def _cm_cells(m: np.ndarray, normalize: bool) -> tuple[np.ndarray, list[str], bool]:
    """Colour intensity per cell in [0, 1] (row share if ``normalize``), cell texts, text on?"""
    if normalize:
        rows = m.sum(1, keepdims=True)
        v = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    else:
        v = m / m.max() if m.max() > 0 else np.zeros_like(m)
    texts = [str(int(c)) if c == int(c) else format(c, ".2g") for c in m.ravel()]
    return v, texts, m.shape[0] <= 20


def confusion_matrix_image(cm: Any, labels: Sequence[Any] | None = None,
                           normalize: bool = True) -> np.ndarray:
    """Heat map of a (K, K) confusion matrix (rows = true class, columns = predicted) as uint8.

    The colour is the row share of each cell (``normalize``) or count / max count; counts are
    written in the cells when K <= 20 and they fit.
    """
    m, names = _check_cm("confusion_matrix_image", cm, labels)
    k = m.shape[0]
    g = _cm_geometry(k, names)
    cell, left, top = g["cell"], g["left"], g["top"]
    v, texts, text_on = _cm_cells(m, normalize)
    img = np.full((g["height"], g["width"], 3), 255, np.uint8)
    colours = np.round(255.0 + v[..., None] * (_CM_DARK - 255.0)).astype(np.uint8)
    img[top:top + k * cell, left:left + k * cell] = np.repeat(np.repeat(colours, cell, 0), cell, 1)
    img[top:top + k * cell + 1, left + cell * np.arange(k + 1)] = _GRID
    img[top + cell * np.arange(k + 1), left:left + k * cell + 1] = _GRID
    if text_on:
        for (i, j), s, val in zip(np.ndindex(k, k), texts, v.ravel()):
            if cell >= 9 and 6 * len(s) - 1 <= cell - 2:
                _draw_text(img, s, left + j * cell + cell / 2, top + i * cell + cell / 2,
                           (255, 255, 255) if val > 0.5 else _INK, "center", "center")
    for i, s in enumerate(g["labels"]):
        c = i * cell + cell / 2
        _draw_text(img, s, left - 6, top + c, _INK, "right", "center")
        _draw_text(img, s, left + c, top + k * cell + 6, _INK, "center", vertical=g["vertical"])
    gy = top + k * cell + 6 + g["lab_h"] + 8
    _draw_text(img, "predicted", left + k * cell / 2, gy, _INK, "center")
    _draw_text(img, "true", 8, top + k * cell / 2, _INK, valign="center", vertical=True)
    title = "confusion matrix" + (" (row share)" if normalize else "")
    _draw_text(img, title, g["width"] / 2, 8, _INK, "center")
    return img


def confusion_matrix_png(path: str | os.PathLike, cm: Any, labels: Sequence[Any] | None = None,
                         normalize: bool = True) -> None:
    """Write :func:`confusion_matrix_image` to a PNG file, atomically."""
    write_png(path, confusion_matrix_image(cm, labels, normalize))


def confusion_matrix_svg(cm: Any, labels: Sequence[Any] | None = None,
                         normalize: bool = True) -> str:
    """The heat map of :func:`confusion_matrix_image` as SVG text (one <rect> per cell)."""
    m, names = _check_cm("confusion_matrix_svg", cm, labels)
    k = m.shape[0]
    g = _cm_geometry(k, names)
    cell, left, top, w, h = g["cell"], g["left"], g["top"], g["width"], g["height"]
    v, texts, text_on = _cm_cells(m, normalize)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="10">',
           f'<rect width="{w}" height="{h}" fill="white"/>']
    for (i, j), s, val in zip(np.ndindex(k, k), texts, v.ravel()):
        x, y = left + j * cell, top + i * cell
        fill = _rgb(np.round(255.0 + val * (_CM_DARK - 255.0)))
        out.append(f'<rect class="cell" x="{x}" y="{y}" width="{cell}" height="{cell}" '
                   f'fill="{fill}" stroke="{_rgb(_GRID)}"><title>true {escape(names[i])}, '
                   f'predicted {escape(names[j])}: {s}</title></rect>')
        if text_on and cell >= 9 and 6 * len(s) - 1 <= cell - 2:
            ink = "white" if val > 0.5 else _rgb(_INK)
            out.append(_svg_text(x + cell / 2, y + cell / 2 + 4, s, "middle", f'fill="{ink}"'))
    for i, s in enumerate(g["labels"]):
        c = i * cell + cell / 2
        out.append(_svg_text(left - 6, top + c + 4, s, "end"))
        y = top + k * cell + 14
        rot = f'transform="rotate(-90 {left + c:.1f} {y - 8})"' if g["vertical"] else ""
        out.append(_svg_text(left + c, y, s, "end" if g["vertical"] else "middle", rot))
    gy = top + k * cell + 6 + g["lab_h"] + 16
    out.append(_svg_text(left + k * cell / 2, gy, "predicted", "middle"))
    cy = top + k * cell / 2
    out.append(_svg_text(16, cy, "true", "middle", f'transform="rotate(-90 16 {cy:.1f})"'))
    title = "confusion matrix" + (" (row share)" if normalize else "")
    out.append(_svg_text(w / 2, 18, title, "middle", 'font-weight="bold"'))
    return "\n".join(out + ["</svg>"])


def _column(rows: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    """Float column of metrics rows; a missing, empty or non-numeric value is NaN."""
    out = np.full(len(rows), np.nan)
    for i, r in enumerate(rows):
        try:
            out[i] = float(r.get(key, ""))
        except (TypeError, ValueError):
            pass
    return out


def curves_from_metrics(rows: Sequence[Mapping[str, Any]]
                        ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]],
                                   dict[str, tuple[np.ndarray, np.ndarray]]]:
    """(loss series, accuracy series) from per-epoch metrics rows, ready for :func:`line_chart`.

    Rows are dicts (numbers or CSV strings) with ``epoch``, ``train_loss``, ``val_loss``,
    ``train_acc``, ``val_acc``; a column that is missing or all empty gives no series.
    """
    epochs = _column(rows, "epoch")
    if not np.all(np.isfinite(epochs)):
        epochs = np.arange(1, len(rows) + 1, dtype=np.float64)
    curves: list[dict[str, tuple[np.ndarray, np.ndarray]]] = [{}, {}]
    for out, kind in zip(curves, ("loss", "acc")):
        for split in ("train", "val"):
            y = _column(rows, f"{split}_{kind}")
            if np.isfinite(y).any():
                out[split] = (epochs, y)
    return curves[0], curves[1]
