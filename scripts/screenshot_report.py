"""Screenshot a run's report.html with headless Chromium and check the picture is not blank.

Usage: python scripts/screenshot_report.py RUN_DIR [OUT.png]

Writes the report first if the run folder has none. Exits 0 when the screenshot has a real
amount of non-white, varied content; 1 when it looks blank; 2 when no Chromium is installed.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """Path of the first Chromium-family browser on PATH, or None."""
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def load_pixels(path: Path) -> np.ndarray | None:
    """(H, W, C) uint8 pixels of a PNG via Pillow, or None when Pillow is not installed.

    Chromium writes PNGs with Paeth/average row filters, which undo one pixel at a time;
    Pillow does that in C, so we use it here (a script, not the package) when it is there.
    """
    try:
        from PIL import Image  # noqa: PLC0415
    except ImportError:
        return None
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def screenshot(html: Path, out: Path, size: str = "1200,2400", timeout: float = 90.0) -> Path:
    """Render ``html`` in headless Chromium into ``out`` (PNG); raises if it cannot."""
    browser = find_browser()
    if browser is None:
        raise FileNotFoundError("no chromium / chromium-browser / google-chrome on PATH")
    with tempfile.TemporaryDirectory(prefix="sj-chrome-") as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
               f"--screenshot={out.resolve()}", f"--window-size={size}",
               html.resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if not out.is_file():
        raise RuntimeError(f"chromium wrote no screenshot (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-500:]}")
    return out


def is_blank(img: np.ndarray) -> bool:
    """True when under 1% of pixels differ from white or the picture has under 8 colours."""
    rgb = img[..., :3].reshape(-1, 3)
    inked = np.mean(np.any(rgb < 235, axis=1))
    colours = len(np.unique(rgb[:: max(1, len(rgb) // 200000)], axis=0))
    return inked < 0.01 or colours < 8


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    run_dir = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else run_dir / "report.png"
    html = run_dir / "report.html"
    if not html.is_file():
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from shenjing.cli.report import write_report  # noqa: PLC0415
        html = write_report(run_dir)
    if find_browser() is None:
        print("screenshot_report: no chromium binary found (apt-get install chromium)")
        return 2
    screenshot(html, out)
    img = load_pixels(out)
    if img is None:      # no Pillow: a blank page compresses to a few KB, a report to far more
        blank, what = out.stat().st_size < 20_000, f"{out.stat().st_size} bytes"
    else:
        blank, what = is_blank(img), f"{img.shape[1]}x{img.shape[0]}"
    print(f"screenshot_report: {out} ({what}) {'looks BLANK' if blank else 'OK'}")
    return 1 if blank else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
