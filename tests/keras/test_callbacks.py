"""Keras-face callbacks driven through epochs by a fake model; Keras 3's own callbacks are the
oracle where they run on the same fake (EarlyStopping, ReduceLROnPlateau, CSVLogger)."""
import csv
import os

import numpy as np
import pytest

from shenjing.keras import callbacks as cb
from shenjing.keras import optimizers
from shenjing.utils.tensorboard import read_events

os.environ.setdefault("KERAS_BACKEND", "torch")


class FakeOptimizer:
    def __init__(self, lr=0.1):
        self.learning_rate = lr


class FakeModel:
    """What callbacks touch: weights, stop_training, optimizer, save / save_weights."""

    def __init__(self):
        self.weights = [np.zeros(2)]
        self.stop_training = False
        self.optimizer = FakeOptimizer()
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, ws):
        self.weights = [np.array(w) for w in ws]

    def save(self, path):
        self.saved.append(("model", path))
        open(path, "w").close()

    def save_weights(self, path):
        self.saved.append(("weights", path))
        open(path, "w").close()


def drive(callbacks, values, key="val_loss", extra=None, params=None):
    """Fit-like loop: epoch e sets weights to [e, e] and logs values[e]; returns epochs run."""
    model = FakeModel()
    cbs = cb.CallbackList(callbacks, model=model, **(params or {"epochs": len(values)}))
    cbs.on_train_begin()
    run = 0
    for epoch, v in enumerate(values):
        cbs.on_epoch_begin(epoch)
        model.weights = [np.full(2, float(epoch))]
        logs = {"loss": v + 1.0, key: v, **(extra or {})}
        cbs.on_train_batch_end(0, {"loss": v + 1.0})
        cbs.on_epoch_end(epoch, logs)
        run += 1
        if model.stop_training:
            break
    cbs.on_train_end()
    return model, run


def _keras():
    return pytest.importorskip("keras")


SEQS = [[1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.4], [0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
        [1.0, 0.99995, 0.9999, 0.99985, 0.9, 0.95]]


@pytest.mark.parametrize("seq", range(len(SEQS)))
@pytest.mark.parametrize("kw", [dict(patience=0), dict(patience=2),
                                dict(patience=2, restore_best_weights=True),
                                dict(patience=1, min_delta=0.01),
                                dict(patience=1, baseline=0.95, restore_best_weights=True),
                                dict(patience=1, start_from_epoch=2),
                                dict(patience=1, monitor="val_accuracy", mode="max")])
def test_early_stopping_matches_keras(seq, kw):
    keras = _keras()
    values = SEQS[seq]
    key = kw.get("monitor", "val_loss")
    ours_model, ours_run = drive([cb.EarlyStopping(**kw)], values, key)
    theirs_cb = keras.callbacks.EarlyStopping(**kw)
    model = FakeModel()
    theirs_cb.set_model(model)
    theirs_cb.on_train_begin()
    theirs_run = 0
    for epoch, v in enumerate(values):
        model.weights = [np.full(2, float(epoch))]
        theirs_cb.on_epoch_end(epoch, {"loss": v + 1.0, key: v})
        theirs_run += 1
        if model.stop_training:
            break
    theirs_cb.on_train_end()
    assert ours_run == theirs_run
    np.testing.assert_array_equal(ours_model.weights[0], model.weights[0])


def test_early_stopping_restores_best_and_stops_on_patience():
    es = cb.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model, run = drive([es], [1.0, 0.5, 0.7, 0.8, 0.3])
    assert run == 4 and es.stopped_epoch == 3 and es.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    with pytest.warns(UserWarning, match="not available"):
        drive([cb.EarlyStopping(monitor="val_nope", mode="min")], [1.0])
    with pytest.raises(ValueError, match="automatically determine"):
        drive([cb.EarlyStopping(monitor="val_zork")], [1.0], key="val_zork")


@pytest.mark.parametrize("kw", [dict(patience=1), dict(patience=2, factor=0.5, cooldown=1),
                                dict(patience=1, min_lr=0.05, factor=0.2),
                                dict(patience=1, min_delta=0.2)])
def test_reduce_lr_on_plateau_matches_keras(kw):
    keras = _keras()
    values = [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.61, 0.62, 0.63]
    ours = cb.ReduceLROnPlateau(**kw)
    theirs = keras.callbacks.ReduceLROnPlateau(**kw)
    lrs = []
    for c in (ours, theirs):
        model = FakeModel()
        c.set_model(model)
        c.on_train_begin()
        seen = []
        for epoch, v in enumerate(values):
            logs = {"val_loss": v}
            c.on_epoch_end(epoch, logs)
            seen.append((model.optimizer.learning_rate, logs["learning_rate"]))
        lrs.append(seen)
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-6)


def test_learning_rate_scheduler_with_a_real_optimizer():
    model = FakeModel()
    model.optimizer = optimizers.SGD(0.1)
    sched = cb.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    hist = cb.History()
    cbs = cb.CallbackList([sched, hist], model=model)
    cbs.on_train_begin()
    for epoch in range(3):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, {"loss": 1.0})
    assert model.optimizer.learning_rate == pytest.approx(0.025)
    assert hist.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    assert hist.epoch == [0, 1, 2]
    assert model.history is hist
    one_arg = cb.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    one_arg.set_model(model)
    one_arg.on_epoch_begin(4)
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_csv_logger_matches_keras(tmp_path):
    keras = _keras()
    rows = []
    for name, mod in (("ours.csv", cb), ("theirs.csv", keras.callbacks)):
        path = tmp_path / name
        for append in (False, True):
            c = mod.CSVLogger(str(path), separator=";", append=append)
            model = FakeModel()
            c.set_model(model)
            c.on_train_begin()
            for epoch in range(2):
                c.on_epoch_end(epoch, {"loss": 0.5 / (epoch + 1), "accuracy": 0.25 * epoch})
            c.on_train_end()
        rows.append(path.read_text())
    assert rows[0] == rows[1]
    parsed = list(csv.reader(rows[0].splitlines(), delimiter=";"))
    assert parsed[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert parsed[1] == ["0", "0.0", "0.5", "NA", "NA"] and len(parsed) == 5


def test_model_checkpoint_best_only_and_every_epoch(tmp_path):
    path = str(tmp_path / "ck" / "w.{epoch:02d}-{val_loss:.2f}.weights")
    ck = cb.ModelCheckpoint(path, monitor="val_loss", save_best_only=True,
                            save_weights_only=True)
    model, _ = drive([ck], [1.0, 0.5, 0.7, 0.3])
    names = [os.path.basename(p) for _, p in model.saved]
    assert names == ["w.01-1.00.weights", "w.02-0.50.weights", "w.04-0.30.weights"]
    assert {k for k, _ in model.saved} == {"weights"}
    every = cb.ModelCheckpoint(str(tmp_path / "m{epoch}.keras"))
    model, _ = drive([every], [1.0, 2.0])
    assert [os.path.basename(p) for _, p in model.saved] == ["m1.keras", "m2.keras"]
    assert model.saved[0][0] == "model"
    acc = cb.ModelCheckpoint(str(tmp_path / "a{epoch}.keras"), monitor="val_accuracy",
                             save_best_only=True)
    model, _ = drive([acc], [0.5, 0.4, 0.9], key="val_accuracy")
    assert [os.path.basename(p) for _, p in model.saved] == ["a1.keras", "a3.keras"]


def test_batch_hooks_forward_to_keras2_names_like_keras():
    keras = _keras()
    seen = []
    for mod in (cb, keras.callbacks):
        class Old(mod.Callback):
            def __init__(self):
                super().__init__()
                self.calls = []

            def on_batch_begin(self, batch, logs=None):
                self.calls.append(("begin", batch))

            def on_batch_end(self, batch, logs=None):
                self.calls.append(("end", batch))

        old = Old()
        cbs = mod.CallbackList([old])
        cbs.on_train_begin()
        cbs.on_train_batch_begin(0)
        cbs.on_train_batch_end(0, {"loss": 1.0})
        cbs.on_batch_begin(1)
        cbs.on_batch_end(1, {"loss": 1.0})
        cbs.on_test_batch_end(2, {"loss": 1.0})  # not a train batch: no forwarding
        cbs.on_train_end()
        seen.append(old.calls)
    assert seen[0] == seen[1] == [("begin", 0), ("end", 0), ("begin", 1), ("end", 1)]


def test_callback_order_lambda_terminate_on_nan():
    calls = []
    names = ["on_train_begin", "on_epoch_begin", "on_train_batch_end", "on_epoch_end",
             "on_train_end"]
    lam = cb.LambdaCallback(**{n: (lambda *a, n=n: calls.append(n)) for n in names})
    drive([lam], [1.0, 2.0])
    assert calls == ["on_train_begin"] + ["on_epoch_begin", "on_train_batch_end",
                                           "on_epoch_end"] * 2 + ["on_train_end"]
    _, run = drive([cb.TerminateOnNaN()], [1.0, float("nan"), 2.0])
    assert run == 2
    with pytest.raises(TypeError, match="unknown hook"):
        cb.LambdaCallback(on_nothing=print)
    base = cb.Callback()
    base.set_params({"epochs": 3})
    assert base.params == {"epochs": 3} and base.model is None


def test_history_plot_writes_png(tmp_path):
    h = cb.History()
    h.set_model(FakeModel())
    for e, (l, vl, a) in enumerate([(1.0, 1.1, 0.5), (0.6, 0.8, 0.7), (0.4, 0.7, 0.8)]):
        h.on_epoch_end(e, {"loss": l, "val_loss": vl, "accuracy": a})
    img = h.plot(str(tmp_path / "h.png"))
    assert img.ndim == 3 and img.shape[0] == 2 * 360  # loss and accuracy panels
    data = (tmp_path / "h.png").read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 1000
    assert (img != 255).any()


def test_tensorboard_callback_writes_train_and_validation(tmp_path):
    model = FakeModel()
    tb = cb.TensorBoard(log_dir=str(tmp_path), update_freq="batch")
    cbs = cb.CallbackList([tb], model=model)
    cbs.on_train_begin()
    for epoch in range(3):
        cbs.on_epoch_begin(epoch)
        cbs.on_train_batch_end(0, {"loss": 2.0 - epoch})
        cbs.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0 / (epoch + 1),
                                 "accuracy": 0.3 * epoch})
    cbs.on_train_end()
    scalars = {}
    for which in ("train", "validation"):
        files = os.listdir(tmp_path / which)
        assert len(files) == 1 and files[0].startswith("events.out.tfevents.")
        for ev in read_events(tmp_path / which / files[0]):
            for v in ev["values"]:
                scalars.setdefault((which, v["tag"]), []).append((ev["step"], v["simple_value"]))
    assert scalars[("train", "epoch_loss")] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert scalars[("validation", "epoch_loss")][1] == (1, 1.0)
    assert ("validation", "epoch_accuracy") not in scalars
    assert [s for s, _ in scalars[("train", "batch_loss")]] == [1, 2, 3]
    assert scalars[("train", "epoch_learning_rate")][0] == (0, pytest.approx(0.1))
