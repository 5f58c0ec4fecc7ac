"""The README's main job: `shenjing train` on the bundled digits."""
import subprocess
import sys

import pytest

from shenjing.cli.main import main


@pytest.mark.slow
def test_train_on_digits_reaches_95_percent(capsys):
    main(["train", "--quiet"])
    out = capsys.readouterr().out
    line = [l for l in out.splitlines() if l.startswith("test loss")][-1]
    acc = float(line.split("test accuracy")[1].split()[0])
    assert acc >= 0.95, out
    assert "epoch 30: train loss" in out and "val loss" in out


def test_cli_version():
    out = subprocess.run([sys.executable, "-m", "shenjing.cli.main", "--version"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("shenjing ")
