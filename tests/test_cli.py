"""The `shenjing` command: train (default run, resume, Ctrl-C), evaluate, predict, experiment."""
import importlib.util
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from shenjing.cli.checkpoint import load_checkpoint
from shenjing.cli.main import main
from shenjing.cli.train import Interrupted, build_model, fit, resolve_config

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--batch-size", "64", "--limit", "256", "--quiet"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    assert main(["train", "--epochs", "1", "--out", str(root / "r1"), *FAST]) == 0
    return root / "r1"


def test_default_run_writes_the_run_folder(tiny_run):
    for name in ("config.json", "metrics.csv", "summary.txt", "report.html", "test.json",
                 "confusion.json", "checkpoints/best.safetensors",
                 "checkpoints/last/state.json"):
        assert (tiny_run / name).is_file(), name
    cfg = json.loads((tiny_run / "config.json").read_text())
    assert cfg["model"] == "cnn" and cfg["data"] == "digits" and cfg["status"] == "finished"
    assert cfg["input_shape"] == [1, 8, 8] and len(cfg["class_names"]) == 10
    lines = (tiny_run / "metrics.csv").read_text().splitlines()
    assert lines[0] == "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds"
    assert len(lines) == 2 and lines[1].startswith("1,")
    assert "Conv2d" in (tiny_run / "summary.txt").read_text()
    assert "<svg" in (tiny_run / "report.html").read_text()
    for png in ("curves_loss.png", "curves_acc.png", "confusion.png"):
        assert (tiny_run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
    if importlib.util.find_spec("shenjing.utils.tensorboard"):
        assert list((tiny_run / "tensorboard").glob("*tfevents*"))


def _cfg(**kw):
    return resolve_config({"epochs": 3, "batch_size": 64, "limit": 256, **kw})


def _weights(run_dir):
    return {k: v.numpy() for k, v in load_checkpoint(run_dir / "checkpoints" / "last")[0].items()}


def _stop_at(event, epoch, step=None):
    def hook(ev, info):
        if ev == event and info["epoch"] == epoch and (step is None or info["step"] == step):
            raise KeyboardInterrupt
    return hook


@pytest.mark.parametrize("schedule", ["cosine", pytest.param("onecycle", marks=pytest.mark.slow)])
def test_resume_is_bit_for_bit(tmp_path, schedule):
    straight = tmp_path / "straight"
    straight.mkdir()
    fit(_cfg(schedule=schedule), straight, quiet=True)
    want = _weights(straight)
    for name, hook in (("epoch", _stop_at("epoch", 1)), ("step", _stop_at("step", 2, 2))):
        d = tmp_path / name
        d.mkdir()
        with pytest.raises(Interrupted):
            fit(_cfg(schedule=schedule), d, quiet=True, hooks=[hook])
        cfg = json.loads((d / "config.json").read_text())
        assert cfg["status"] == "interrupted"
        assert main(["train", "--resume", str(d), "--quiet"]) == 0
        got = _weights(d)
        assert set(got) == set(want)
        for k in want:
            assert np.array_equal(got[k], want[k]), (name, k)
        assert len((d / "metrics.csv").read_text().splitlines()) == 4


@pytest.mark.slow
def test_sigint_saves_and_resumes(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "shenjing.cli.main", "train", "--epochs",
                             "500", "--schedule", "none", "--out", str(out), *FAST],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while not (out / "metrics.csv").exists() and time.time() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    text, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, text
    assert "resume with: shenjing train --resume" in text
    _, _, meta = load_checkpoint(out / "checkpoints" / "last")
    done = meta["epoch"]
    assert 1 <= done < 500
    assert main(["train", "--resume", str(out), "--epochs", str(done + 1), "--quiet"]) == 0
    assert len((out / "metrics.csv").read_text().splitlines()) == done + 2


def test_tampered_checkpoint_gives_a_clear_error(tmp_path, capsys):
    d = tmp_path / "r"
    d.mkdir()
    with pytest.raises(Interrupted):
        fit(_cfg(epochs=3), d, quiet=True, hooks=[_stop_at("epoch", 1)])
    f = next(p for p in (d / "checkpoints" / "last").iterdir() if p.name.startswith("model"))
    f.write_bytes(f.read_bytes()[:-100])
    assert main(["train", "--resume", str(d)]) == 2
    assert "truncated" in capsys.readouterr().err


def test_evaluate_and_predict(tiny_run, tmp_path, capsys):
    assert main(["evaluate", str(tiny_run)]) == 0
    out = capsys.readouterr().out
    acc = float(out.split("test accuracy")[1].split()[0])
    assert 0.0 <= acc <= 1.0 and "confusion matrix" in out
    ev = json.loads((tiny_run / "evaluation_test.json").read_text())
    assert np.asarray(ev["confusion_matrix"]).sum() == 359
    from shenjing.datasets import load_digits
    from shenjing.utils.image import write_png

    x, y = load_digits()["test"]
    np.save(tmp_path / "three.npy", x[:3])
    np.savetxt(tmp_path / "rows.csv", x[:2], delimiter=",")
    write_png(tmp_path / "img.png", (x[0].reshape(8, 8) * 255).astype(np.uint8))
    files = [str(tmp_path / n) for n in ("three.npy", "rows.csv", "img.png", "nope.txt")]
    assert main(["predict", str(tiny_run), *files]) == 1  # the missing file is reported
    out = capsys.readouterr().out
    assert "three.npy[2]:" in out and "rows.csv[1]:" in out and "nope.txt: error" in out
    line = next(l for l in out.splitlines() if l.startswith(str(tmp_path / "img.png")))
    npy_line = next(l for l in out.splitlines() if "three.npy[0]" in l)
    assert line.split(": ")[1].split()[0] == npy_line.split(": ")[1].split()[0]


def test_csv_data_trains_an_mlp_and_predicts(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    label = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    rows = ["a,b,c,answer"] + [f"{p:.4f},{q:.4f},{r:.4f},{s}" for (p, q, r), s in zip(x, label)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "20", "--target",
                 "answer", "--lr", "0.01", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    assert cfg["model"] == "mlp" and cfg["class_names"] == ["no", "yes"]
    assert cfg["result"]["test_acc"] > 0.9
    (tmp_path / "new.csv").write_text("a,b,c\n2,2,0\n-2,-2,0\n")
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "r"), str(tmp_path / "new.csv")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "[0]: yes" in out[0] and "[1]: no" in out[1]


def test_experiment_compares_learning_rates(tmp_path):
    assert main(["experiment", "--lr", "0.001", "0.01", "--epochs", "1", "--out",
                 str(tmp_path / "e"), *FAST]) == 0
    for n in ("experiment.png", "experiment.html", "experiment.csv"):
        assert (tmp_path / "e" / n).is_file()
    csv = (tmp_path / "e" / "experiment.csv").read_text().splitlines()
    assert len(csv) == 3 and csv[1].startswith("lr=0.001")


def test_zoo_models_fit_the_digits():
    from shenjing import zeros
    for name in ("mlp", "cnn", "lenet", "seed_cnn"):
        m = build_model(name, (1, 8, 8), 10)
        assert tuple(m(zeros(2, 1, 8, 8)).shape) == (2, 10), name
    with pytest.raises(ValueError, match="unknown model"):
        build_model("nonsense", (1, 8, 8), 10)
    with pytest.raises(ValueError, match="use --model mlp"):
        build_model("cnn", (5,), 3)


def test_bad_options_are_clear():
    with pytest.raises(ValueError, match="--epochs"):
        resolve_config({"epochs": 0})
    with pytest.raises(SystemExit):
        main(["train", "--optimizer", "nope"])


def test_cli_version():
    out = subprocess.run([sys.executable, "-m", "shenjing.cli.main", "--version"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.startswith("shenjing ")


@pytest.mark.slow
def test_default_run_reaches_97_percent(tmp_path, capsys):
    t0 = time.perf_counter()
    assert main(["train", "--quiet", "--root", str(tmp_path)]) == 0
    secs = time.perf_counter() - t0
    out = capsys.readouterr().out
    line = [l for l in out.splitlines() if l.startswith("test loss")][-1]
    acc = float(line.split("test accuracy")[1].split()[0])
    assert acc >= 0.97, out
    assert "epoch 15/15: train loss" in out and "val loss" in out
    print(f"default run: {acc:.4f} in {secs:.1f}s")


def test_image_folder_with_a_corrupt_file_trains_and_reports_it(tmp_path, capsys):
    """A folder of images with one corrupt file: training goes on; the file is named."""
    pytest.importorskip("PIL")
    import warnings

    from PIL import Image

    rng = np.random.default_rng(0)
    root = tmp_path / "pets"
    for k, name in enumerate(["cat", "dog"]):
        (root / name).mkdir(parents=True)
        for i in range(12):
            img = (rng.random((10, 10, 3)) * 80 + 150 * k).astype(np.uint8)
            Image.fromarray(img).save(root / name / f"{i}.png")
    (root / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(["train", "--data", str(root), "--model", "mlp", "--epochs", "1",
                       "--image-size", "8", "--quiet", "--out", str(tmp_path / "run")])
    assert status == 0
    said = capsys.readouterr().out + " ".join(str(w.message) for w in caught)
    assert "broken.png" in said
    assert (tmp_path / "run" / "metrics.csv").exists()
