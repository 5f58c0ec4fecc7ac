"""NumPy line charts and confusion matrices: pixels land where the data says, SVG agrees."""
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from png_helpers import decode_png
from shenjing.utils import plot
from shenjing.utils.plot import (PALETTE, confusion_matrix_image, confusion_matrix_png,
                                 confusion_matrix_svg, curves_from_metrics, line_chart,
                                 line_chart_png, line_chart_svg)

SVG = "{http://www.w3.org/2000/svg}"


def _pixels(img, colour):
    """(rows, cols) of the pixels painted exactly ``colour``."""
    return np.nonzero(np.all(img == np.asarray(colour, np.uint8), axis=-1))


def _line_pixels(img, colour, series, **kw):
    """Like :func:`_pixels` but only inside the plot box (not the legend swatches)."""
    h, w = img.shape[:2]
    left, top, right, bottom = plot._layout("t", series, kw.get("title", ""), "", "", w, h,
                                            kw.get("logy", False))["box"]
    r, c = _pixels(img, colour)
    keep = (r >= top) & (r <= bottom) & (c >= left) & (c <= right)
    return r[keep], c[keep]


@pytest.mark.parametrize("size", [(640, 400), (300, 200), (1000, 150)])
def test_chart_size_and_dtype(size):
    img = line_chart({"a": ([1, 2, 3], [3, 1, 2])}, title="t", width=size[0], height=size[1])
    assert img.shape == (size[1], size[0], 3) and img.dtype == np.uint8
    assert (img == 255).mean() > 0.5                    # mostly white ground


def test_rising_line_goes_bottom_left_to_top_right():
    x = np.arange(20.0)
    series = {"up": (x, 2 * x + 1)}
    r, c = _line_pixels(line_chart(series), PALETTE[0], series)
    assert len(r) > 400                                  # a long, thick line
    assert np.corrcoef(c, r)[0, 1] < -0.99               # higher y = smaller row
    left, right = c < np.median(c), c > np.median(c)
    assert r[left].mean() > r[right].mean() + 100


def test_second_series_has_its_own_colour_and_place():
    x = np.arange(10.0)
    series = {"low": (x, np.zeros(10)), "high": (x, np.ones(10))}
    img = line_chart(series)
    r0, _ = _line_pixels(img, PALETTE[0], series)
    r1, _ = _line_pixels(img, PALETTE[1], series)
    assert len(r1) > 500 and len(r0) > 500               # y = 0 on the frame is still drawn
    assert r1.max() < r0.min()


def test_nan_points_leave_a_gap():
    x = np.arange(11.0)
    y = np.ones(11)
    y[4:7] = np.nan
    img = line_chart({"gap": (x, y)}, width=640, height=300)
    r, c = _pixels(img, PALETTE[0])
    row = np.bincount(r).argmax()                        # the line's row (not the legend)
    cols = np.unique(c[np.abs(r - row) <= 1])
    gaps = np.diff(cols)
    assert gaps.max() > 100                              # 4 steps of ~57 px are missing
    whole = _pixels(line_chart({"full": (x, np.ones(11))}, width=640, height=300), PALETTE[0])
    assert np.diff(np.unique(whole[1][np.abs(whole[0] - row) <= 1])).max() == 1


def test_lone_point_between_nans_is_drawn():
    img = line_chart({"p": ([0, 1, 2], [np.nan, 5.0, np.nan])})
    r, c = _pixels(img, PALETTE[0])
    assert len(r) >= 4


def test_logy_makes_exponential_straight_and_skips_non_positive():
    x = np.arange(1.0, 9.0)
    y = 10.0 ** (-x / 2)
    y[0] = 0.0                                           # cannot be drawn on a log axis
    series = {"exp": (x, y)}
    r, c = _line_pixels(line_chart(series, logy=True), PALETTE[0], series, logy=True)
    slope, icept = np.polyfit(c, r, 1)
    assert slope > 0 and np.abs(r - (slope * c + icept)).max() < 3
    px = plot._layout("t", series, "", "", "", 640, 400, True)["lines"][0][1]
    assert px[1] - 2 <= c.min() and px[0] + 20 < px[1]  # the point y = 0 at x = 1 is skipped


def test_dashed_series_has_holes():
    x = np.arange(5.0)
    solid = _pixels(line_chart({"s": (x, x)}), PALETTE[0])[0].size
    dashed = _pixels(line_chart({"s": (x, x)}, dashed=["s"]), PALETTE[0])[0].size
    assert 0.3 * solid < dashed < 0.7 * solid


def test_title_and_labels_put_ink_in_margins():
    s = {"a": ([0, 1], [0, 1])}
    bare, full = line_chart(s), line_chart(s, title="Loss", xlabel="epoch", ylabel="loss")
    dark = lambda im: (im.sum(-1) < 300)                 # noqa: E731
    assert dark(full[6:24, 280:360]).sum() > 20 and dark(bare[6:24, 280:360]).sum() == 0
    assert dark(full[-12:]).sum() > 10 and dark(full[:, :12]).sum() > 10


@pytest.mark.parametrize("fn", [line_chart, line_chart_svg])
@pytest.mark.parametrize("series,match", [
    ({}, "non-empty"), ([1, 2], "non-empty"),
    ({"a": ([1, 2, 3], [1, 2])}, "same non-zero length"),
    ({"a": ([], [])}, "same non-zero length"),
    ({"a": [1, 2, 3]}, "pair"),
    ({"a": (["x", "y"], [1, 2])}, "pair")])
def test_bad_series_raise_named_errors(fn, series, match):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: .*{match}"):
        fn(series)


def test_too_small_canvas_is_refused():
    with pytest.raises(ValueError, match="line_chart: .*larger"):
        line_chart({"a": ([0, 1], [0, 1])}, width=60, height=60)


def test_nice_ticks_cover_the_data_with_round_steps():
    for lo, hi in [(0, 1), (0.013, 0.97), (-3.2, 17.5), (1, 12), (5, 5), (1e-5, 3e-5)]:
        t = plot._nice_ticks(lo, hi)
        step = t[1] - t[0]
        mant = step / 10 ** math.floor(math.log10(step) + 1e-9)
        assert any(abs(mant - m) < 1e-6 for m in (1, 2, 5, 10))
        eps = 1e-9 * max(abs(hi - lo), abs(hi), 1e-300)
        assert t[0] <= lo + eps and t[-1] >= hi - eps and 2 <= len(t) <= 12
    assert plot._fmt(0.30000000000000004, 0.1) == "0.3" and plot._fmt(4.0, 2.0) == "4"


def test_font_lowercase_and_width():
    m = plot._text_mask("Ab 1")
    assert m.shape == (7, 6 * 4 - 1)
    assert (plot._text_mask("ab") == plot._text_mask("AB")).all()
    assert not m[:, 12:17].any() and m[:, :5].any()       # the space is blank


def test_svg_parses_and_has_polyline_points():
    x = np.arange(6.0)
    y = np.array([0, 1, np.nan, 3, 4, 5.0])
    svg = line_chart_svg({"a & b": (x, y), "c": (x, -y)}, title="t<1>", xlabel="epoch")
    root = ET.fromstring(svg)
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 4                               # each series split at the NaN
    pts = [np.array([p.split(",") for p in pl.get("points").split()], float) for pl in lines]
    assert [len(p) for p in pts] == [2, 3, 2, 3]
    assert (np.diff(pts[1][:, 0]) > 0).all() and (np.diff(pts[1][:, 1]) < 0).all()  # rising
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "t<1>" in texts and "a & b" in texts and "epoch" in texts
    assert lines[0].get("stroke") != lines[2].get("stroke")


def test_line_chart_png_roundtrip(tmp_path):
    p = tmp_path / "c.png"
    series = {"a": ([0, 1, 2], [1, 0, 1])}
    line_chart_png(p, series, width=200, height=120)
    np.testing.assert_array_equal(decode_png(p.read_bytes()), line_chart(series, width=200,
                                                                      height=120))


def _cell_colours(cm, img_fn=confusion_matrix_image, **kw):
    k = len(cm)
    img = img_fn(cm, **kw)
    g = plot._cm_geometry(k, [str(i) for i in range(k)])
    cell, top, left = g["cell"], g["top"], g["left"]
    ii, jj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    return img[top + ii * cell + 2, left + jj * cell + 2].astype(int)   # a corner, not the text


def test_confusion_intensity_follows_counts():
    cm = np.array([[1, 5, 10], [0, 2, 3], [7, 4, 6]])
    col = _cell_colours(cm, normalize=False)
    darkness = (765 - col.sum(-1)).ravel()
    order = np.argsort(cm.ravel(), kind="stable")
    assert (np.diff(darkness[order]) >= 0).all() and darkness[order[-1]] > darkness[order[0]]
    assert darkness[cm.ravel() == 0].max() == 0         # zero counts stay white


def test_confusion_normalize_uses_row_shares():
    cm = np.array([[1, 1], [10, 10]])
    col = _cell_colours(cm, normalize=True)
    assert (col[0] == col[1]).all()
    assert (_cell_colours(cm, normalize=False)[1, 0] != col[1, 0]).any()


def test_confusion_counts_written_only_for_small_k():
    small = confusion_matrix_image(np.diag([9, 9, 9]))
    g = plot._cm_geometry(3, ["0", "1", "2"])
    c, t, l = g["cell"], g["top"], g["left"]
    centre = small[t + 4:t + c - 4, l + 4:l + c - 4]      # dark cell with a white "9" in it
    assert (np.all(centre == 255, -1)).any() and (centre.sum(-1) < 400).any()
    big = confusion_matrix_image(np.eye(25, dtype=int) * 3)
    g = plot._cm_geometry(25, [str(i) for i in range(25)])
    c, t, l = g["cell"], g["top"], g["left"]
    inner = big[t + 1:t + c, l + 1:l + c]
    assert (inner == inner[0, 0]).all()                  # K > 20: no text


@pytest.mark.parametrize("cm,labels,match", [
    (np.zeros((2, 3)), None, "square"), (np.zeros(3), None, "square"),
    ([[1, -1], [0, 0]], None, "non-negative"), ([[1, np.nan], [0, 0]], None, "finite"),
    (np.eye(2), ["a"], "2 labels"), ([["a", "b"], ["c", "d"]], None, "counts")])
def test_confusion_bad_input(cm, labels, match):
    for fn in (confusion_matrix_image, confusion_matrix_svg):
        with pytest.raises(ValueError, match=rf"^{fn.__name__}: .*{match}"):
            fn(cm, labels)


def test_confusion_svg_and_png(tmp_path):
    cm = np.array([[5, 1], [0, 3]])
    root = ET.fromstring(confusion_matrix_svg(cm, ["cat", "dog & co"]))
    cells = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "cell"]
    assert len(cells) == 4
    lum = [sum(map(int, r.get("fill")[4:-1].split(","))) for r in cells]
    assert np.argmin(lum) in (0, 3) and lum[2] == 765
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"5", "1", "0", "3", "cat", "dog & co", "predicted", "true"} <= set(texts)
    confusion_matrix_png(tmp_path / "cm.png", cm, ["cat", "dog"])
    img = decode_png((tmp_path / "cm.png").read_bytes())
    np.testing.assert_array_equal(img, confusion_matrix_image(cm, ["cat", "dog"]))


def test_curves_from_metrics_handles_strings_and_missing_columns():
    rows = [{"epoch": "1", "train_loss": "2.0", "train_acc": "0.5", "val_loss": ""},
            {"epoch": "2", "train_loss": "1.0", "train_acc": "0.7", "val_loss": "nan"},
            {"epoch": "3", "train_loss": "0.5", "train_acc": "0.9", "extra": "x"}]
    loss, acc = curves_from_metrics(rows)
    assert set(loss) == {"train"} and set(acc) == {"train"}
    np.testing.assert_array_equal(loss["train"][0], [1, 2, 3])
    np.testing.assert_array_equal(acc["train"][1], [0.5, 0.7, 0.9])
    loss, acc = curves_from_metrics([{"train_loss": 1, "val_loss": 2, "val_acc": 0.3}] * 2)
    assert set(loss) == {"train", "val"} and set(acc) == {"val"}
    np.testing.assert_array_equal(loss["val"][0], [1, 2])   # no epoch column: 1..n
