"""The run report: a fake run folder in, PNG plots and a self-contained report.html out."""
import importlib.util
import json
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from png_helpers import decode_png
from shenjing.cli.report import write_confusion, write_experiment_report, write_report

ROOT = Path(__file__).resolve().parents[2]
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
METRICS = [(1, 1.5, 0.55, 1.25, 0.6125), (2, 0.75, 0.8, 0.5, 0.85), (3, 0.25, 0.95, 0.375, 0.9)]


class _Page(HTMLParser):
    """Tags, attributes and text of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.starts, self.ends, self.attrs, self.text = Counter(), Counter(), [], []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.starts[tag] += 1
        self.attrs += [(tag, k, v or "") for k, v in attrs]

    def handle_startendtag(self, tag, attrs):               # <polyline ... />
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        self.ends[tag] += 1

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def run_dir(tmp_path):
    d = tmp_path / "cnn-digits-1"
    d.mkdir()
    cfg = {"model": "cnn", "data": "digits", "epochs": 3, "lr": 0.001, "hidden": [128, 64],
           "note": "<b>bold</b> & <script>alert(1)</script>"}
    (d / "config.json").write_text(json.dumps(cfg))
    lines = ["epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,extra"]
    lines += [f"{e},{a},{b},{c},{v},0.001,1.5,x" for e, a, b, c, v in METRICS]
    (d / "metrics.csv").write_text("\n".join(lines) + "\n")
    (d / "summary.txt").write_text("Layer (type)  Output Shape  Param #\nLinear-1  [-1, 10]  650\n"
                                   "<Total params: 650>\n")
    cm = {"labels": ["cat", "dog", "panda"], "matrix": [[8, 1, 1], [2, 7, 1], [0, 0, 10]]}
    (d / "confusion.json").write_text(json.dumps(cm))
    (d / "test.json").write_text(json.dumps({"test_loss": 0.3125, "test_acc": 0.875}))
    return d


def test_report_has_everything_and_is_self_contained(run_dir):
    path = write_report(run_dir)
    assert path == run_dir / "report.html"
    html = path.read_text("utf-8")
    page = _Page(html)
    text = " ".join(page.text)
    for tag in ("html", "body", "table", "svg", "pre", "h2"):
        assert page.starts[tag] == page.ends[tag] > 0, tag
    assert page.starts["svg"] == 3                       # loss, accuracy, confusion matrix
    assert page.starts["polyline"] >= 4                  # train and val in both charts
    assert "cnn on digits" in text
    for want in ("90.00%", "0.375", "1.25", "61.25%", "87.50%", "0.3125", "cat", "panda",
                 "[128, 64]", "Linear-1", "<Total params: 650>", "extra"):
        assert want in text, want
    # nothing from files becomes markup, and nothing is fetched from anywhere
    assert page.starts["b"] == 0 and page.starts["script"] == 0 and page.starts["link"] == 0
    assert "<b>bold</b>" in text and "<script>alert(1)</script>" in text
    refs = [v for _, k, v in page.attrs if k in ("src", "href", "xlink:href")]
    assert all(v.startswith(("data:", "#")) for v in refs)
    assert "http://" not in html and "https://" not in html and "url(" not in html


def test_report_writes_decodable_pngs(run_dir):
    write_report(run_dir)
    for name in ("curves_loss.png", "curves_acc.png", "confusion.png"):
        img = decode_png((run_dir / name).read_bytes())
        assert img.ndim == 3 and img.shape[2] == 3 and min(img.shape[:2]) > 100, name
        assert (img < 200).any() and (img == 255).mean() > 0.3, name
    assert decode_png((run_dir / "curves_loss.png").read_bytes()).shape == (400, 640, 3)
    assert not [p.name for p in run_dir.iterdir() if p.name.startswith(".")]  # no temp files


def test_report_of_partial_runs(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "No metrics yet" in write_report(empty).read_text("utf-8")
    assert sorted(p.name for p in empty.iterdir()) == ["report.html"]

    d = tmp_path / "partial"
    d.mkdir()
    (d / "metrics.csv").write_text("epoch,train_loss,train_acc\n1,2.0,0.25\n2,1.0,0.5\n")
    (d / "confusion.json").write_text("{not json")
    html = write_report(d).read_text("utf-8")
    assert "could not read confusion.json" in html and "50.00%" in html
    assert (d / "curves_loss.png").exists() and not (d / "confusion.png").exists()

    (d / "confusion.json").write_text(json.dumps({"labels": ["a"], "matrix": [[1, 2]]}))
    assert "square" in write_report(d).read_text("utf-8")


def test_report_needs_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="write_report"):
        write_report(tmp_path / "nope")


def test_write_confusion_then_report(tmp_path):
    write_confusion(tmp_path, np.array([[3, 1], [0, 4]]), ["no", "yes"])
    saved = json.loads((tmp_path / "confusion.json").read_text())
    assert saved == {"labels": ["no", "yes"], "matrix": [[3, 1], [0, 4]]}
    assert decode_png((tmp_path / "confusion.png").read_bytes()).shape[2] == 3
    assert _Page(write_report(tmp_path).read_text("utf-8")).starts["svg"] == 1
    with pytest.raises(ValueError, match="square"):
        write_confusion(tmp_path, np.zeros((2, 3)))


def test_experiment_report(tmp_path):
    runs = {f"lr={lr}": [{"epoch": e, "train_loss": lr * 10 / e, "val_loss": lr * 12 / e,
                          "train_acc": 1 - lr / e, "val_acc": 1 - 2 * lr / e}
                         for e in range(1, 5)] for lr in (0.001, 0.01, 0.1)}
    path = write_experiment_report(tmp_path / "exp", runs, title="learning rates")
    img = decode_png((tmp_path / "exp" / "experiment.png").read_bytes())
    assert img.shape == (400, 1280, 3)                   # loss and accuracy side by side
    page = _Page(path.read_text("utf-8"))
    assert page.starts["polyline"] == 12                 # 3 runs x (train, val) x 2 charts
    text = " ".join(page.text)
    assert all(k in text for k in runs) and "95.00%" in text and "99.95%" in text
    with pytest.raises(ValueError, match="write_experiment_report"):
        write_experiment_report(tmp_path, {})


def _browser():
    return next((b for b in BROWSERS if shutil.which(b)), None)


@pytest.mark.slow
@pytest.mark.skipif(_browser() is None, reason="no chromium / chromium-browser / google-chrome "
                    "binary on PATH (apt-get install chromium) to render the report")
def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    spec = importlib.util.spec_from_file_location("screenshot_report",
                                                  ROOT / "scripts" / "screenshot_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    shot = tmp_path / "shot.png"
    assert mod.main([str(run_dir), str(shot)]) == 0     # the script writes the report itself
    assert shot.stat().st_size > 20_000
    img = mod.load_pixels(shot)
    if img is not None:
        assert img.shape[:2] == (2400, 1200) and not mod.is_blank(img)
        # the charts' series colours (blue train, orange val) made it onto the page
        for colour in ((31, 119, 180), (255, 127, 14)):
            assert (np.abs(img.astype(int) - colour).sum(-1) < 30).sum() > 200
