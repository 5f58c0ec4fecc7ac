"""Run folders: naming, finding a run again, listing runs with their metrics."""
import pytest

from shenjing.cli.main import main
from shenjing.cli.runs import (RunNotFoundError, list_runs, new_run_dir, read_metrics,
                               resolve_run, write_config, write_metrics)


def _fake_run(root, name, model="cnn", accs=(0.5, 0.8)):
    d = root / name
    d.mkdir(parents=True)
    write_config(d, {"model": model, "data": "digits", "epochs": 4, "status": "finished",
                     "result": {"test_acc": 0.75}})
    write_metrics(d, [{"epoch": i + 1, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 0.9,
                       "val_acc": a, "lr": 0.1, "seconds": 1.5} for i, a in enumerate(accs)])
    return d


def test_new_run_dir_names_and_uniqueness(tmp_path):
    a = new_run_dir("cnn", "digits", root=tmp_path)
    b = new_run_dir("cnn", "digits", root=tmp_path)
    assert a != b and a.name.startswith("cnn-digits-") and b.name.startswith(a.name)
    out = new_run_dir("cnn", "digits", out=str(tmp_path / "mine"))
    assert out == tmp_path / "mine" and out.is_dir()
    (out / "config.json").write_text("{}")
    with pytest.raises(FileExistsError, match="--resume"):
        new_run_dir("cnn", "digits", out=str(out))


def test_resolve_run(tmp_path):
    a = _fake_run(tmp_path, "cnn-digits-1")
    b = _fake_run(tmp_path, "mlp-digits-2", model="mlp")
    assert resolve_run(a) == a
    assert resolve_run("mlp-digits-2", tmp_path) == b
    assert resolve_run("cnn", tmp_path) == a  # unique prefix
    assert resolve_run("latest", tmp_path) in (a, b)
    with pytest.raises(RunNotFoundError, match="no run 'nope'"):
        resolve_run("nope", tmp_path)
    _fake_run(tmp_path, "cnn-digits-3")
    with pytest.raises(RunNotFoundError, match="ambiguous"):
        resolve_run("cnn", tmp_path)


def test_metrics_round_trip(tmp_path):
    rows = [{"epoch": 1, "train_loss": 0.25, "train_acc": 0.5, "val_loss": 0.125,
             "val_acc": 0.75, "lr": 0.001, "seconds": 2.0}]
    write_metrics(tmp_path, rows)
    assert read_metrics(tmp_path) == rows
    header = (tmp_path / "metrics.csv").read_text().splitlines()[0]
    assert header == "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds"


def test_list_runs_and_the_runs_command(tmp_path, capsys):
    _fake_run(tmp_path, "cnn-digits-1", accs=(0.5, 0.9, 0.8))
    _fake_run(tmp_path / "experiment-1", "lr-0.1", model="mlp", accs=(0.6,))
    (tmp_path / "not-a-run").mkdir()
    runs = {r.path.name: r for r in list_runs(tmp_path)}
    assert set(runs) == {"cnn-digits-1", "lr-0.1"}
    assert runs["cnn-digits-1"].best_val_acc == 0.9 and runs["cnn-digits-1"].epochs_done == 3
    assert runs["lr-0.1"].model == "mlp"
    assert main(["runs", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "cnn-digits-1" in out and "90.00%" in out and "3/4" in out and "75.00%" in out
    assert main(["runs", "--root", str(tmp_path / "empty")]) == 0
    assert "no runs" in capsys.readouterr().out


def test_broken_config_does_not_break_the_listing(tmp_path):
    d = _fake_run(tmp_path, "a")
    (d / "config.json").write_text("{broken")
    runs = list_runs(tmp_path)
    assert len(runs) == 1 and runs[0].model == "?"
