"""compile / fit / evaluate / predict: Keras's documented behaviour, the seed-002 bar, errors."""
from __future__ import annotations

import os

import numpy as np
import pytest

from shenjing import keras

L = keras.layers


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)



class Recorder(keras.callbacks.Callback):
    """Writes down every hook call, in order."""

    def __init__(self):
        super().__init__()
        self.calls: list = []

    def _rec(name):  # noqa: N805 - a small factory of hook methods
        def hook(self, *args):
            self.calls.append((name,) + tuple(a for a in args if isinstance(a, int)))
        return hook

    for _n in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
               "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
               "on_test_batch_begin", "on_test_batch_end", "on_predict_begin",
               "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"):
        locals()[_n] = _rec(_n)
    del _n


def linear_model(units=1, inputs=1, **kw):
    return keras.Sequential([L.Dense(units, input_shape=(inputs,), **kw)])


# ----------------------------------------------------------------------------- the bar
def test_seed002_linear_regression_recovers_slope_and_intercept():
    rng = np.random.default_rng(0)
    X = rng.random((100, 1))
    Y = 2 * X + 1 + 0.05 * rng.standard_normal((100, 1))
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mean_squared_error")
    model.fit(X, Y, epochs=1000, verbose=0)
    (k,), (b,) = model.get_weights()[0][0], model.get_weights()[1]
    assert abs(k - 2) < 0.1 and abs(b - 1) < 0.1
    assert abs(float(model.predict(np.array([[0.5]]), verbose=0)[0, 0]) - 2.0) < 0.1


def test_sgd_fit_matches_keras_step_for_step(K):
    x, y = rand(24, 3), rand(24, 2, seed=1)
    ours = linear_model(2, 3, activation="tanh")
    theirs = K.Sequential([K.Input((3,)), K.layers.Dense(2, activation="tanh")])
    theirs.set_weights(ours.get_weights())
    for m in (ours, theirs):
        m.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    h1 = ours.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    h2 = theirs.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)
    assert list(h1.history) == list(h2.history)
    for k in h1.history:
        np.testing.assert_allclose(h1.history[k], h2.history[k], rtol=1e-4)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0),
                               rtol=1e-4)


# ----------------------------------------------------------------------------- History
def test_history_keys_epochs_and_values():
    x = rand(40, 2)
    y = (x.sum(1) > 0).astype(np.float32)
    model = linear_model(1, 2, activation="sigmoid")
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    before = model.evaluate(x, y, batch_size=40, verbose=0)
    hist = model.fit(x, y, batch_size=40, epochs=3, validation_data=(x, y), shuffle=False,
                     verbose=0)
    assert sorted(hist.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert hist.epoch == [0, 1, 2] and all(len(v) == 3 for v in hist.history.values())
    # one batch per epoch: the epoch's loss is the loss before that epoch's single step
    np.testing.assert_allclose(hist.history["loss"][0], before[0], rtol=1e-5)
    np.testing.assert_allclose(hist.history["accuracy"][0], before[1], rtol=1e-5)
    after = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(hist.history["val_loss"][-1], after[0], rtol=1e-5)
    assert model.history is hist


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x = np.arange(20, dtype=np.float32).reshape(20, 1)
    y = 3 * x
    seen: list = []

    class Spy(L.Layer):
        def call(self, inputs):
            seen.append(np.asarray(inputs._data).ravel().copy())
            return inputs

    model = keras.Sequential([keras.Input((1,)), Spy(), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen.clear()  # building ran the layer once on zeros
    hist = model.fit(x, y, validation_split=0.25, epochs=1, batch_size=5, verbose=0)
    train_seen = np.concatenate(seen[:3])
    val_seen = np.concatenate(seen[3:])
    assert sorted(train_seen.tolist()) == list(range(15))  # shuffled, first 75 %
    assert val_seen.tolist() == list(range(15, 20))  # last 25 %, in order
    np.testing.assert_allclose(hist.history["val_loss"][0],
                               model.evaluate(x[15:], y[15:], verbose=0), rtol=1e-5)


def test_callback_call_order():
    x, y = rand(10, 2), rand(10, 1)
    model = linear_model(1, 2)
    model.compile(optimizer="sgd", loss="mse")
    rec = Recorder()
    model.fit(x, y, batch_size=5, epochs=2, validation_data=(x, y), callbacks=[rec], verbose=0)
    epoch = [("on_epoch_begin",), ("on_train_batch_begin", 0), ("on_train_batch_end", 0),
             ("on_train_batch_begin", 1), ("on_train_batch_end", 1), ("on_test_begin",),
             ("on_test_batch_begin", 0), ("on_test_batch_end", 0), ("on_test_batch_begin", 1),
             ("on_test_batch_end", 1), ("on_test_end",), ("on_epoch_end",)]
    expect = [("on_train_begin",)] + [(c[0], 0) if c[0].startswith("on_epoch") else c
                                      for c in epoch] + \
        [(c[0], 1) if c[0].startswith("on_epoch") else c for c in epoch] + [("on_train_end",)]
    assert rec.calls == expect
    rec.calls.clear()
    model.predict(x, batch_size=10, callbacks=[rec], verbose=0)
    assert rec.calls == [("on_predict_begin",), ("on_predict_batch_begin", 0),
                         ("on_predict_batch_end", 0), ("on_predict_end",)]


def _batch_spies(base):
    """Callbacks overriding only the Keras 2 names, only the Keras 3 names, or both."""
    class Old(base):
        def __init__(self):
            super().__init__()
            self.calls = []

        def on_batch_begin(self, batch, logs=None):
            self.calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            self.calls.append(("end", batch, sorted(logs)))

    class Both(Old):
        def on_train_batch_end(self, batch, logs=None):  # replaces the default forwarding
            self.calls.append(("train_end", batch))

    class Super(Old):
        def on_train_batch_end(self, batch, logs=None):
            self.calls.append(("train_end", batch))
            super().on_train_batch_end(batch, logs)

    return [Old(), Both(), Super()]


def test_on_batch_hooks_fire_through_train_batch_hooks_like_keras(K):
    x, y = rand(10, 2), rand(10, 1)
    ours = linear_model(1, 2)
    theirs = K.Sequential([K.Input((2,)), K.layers.Dense(1)])
    seen = []
    for model, base in ((ours, keras.callbacks.Callback), (theirs, K.callbacks.Callback)):
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        spies = _batch_spies(base)
        model.fit(x, y, batch_size=5, epochs=1, callbacks=spies, verbose=0,
                  validation_data=(x, y))
        seen.append([s.calls for s in spies])
    assert seen[0] == seen[1]
    old, both, sup = seen[0]
    assert old == [("begin", 0), ("end", 0, ["loss", "mae"]), ("begin", 1),
                   ("end", 1, ["loss", "mae"])]  # once per batch, train batches only
    assert both == [("begin", 0), ("train_end", 0), ("begin", 1), ("train_end", 1)]
    assert sup == [("begin", 0), ("train_end", 0), ("end", 0, ["loss", "mae"]),
                   ("begin", 1), ("train_end", 1), ("end", 1, ["loss", "mae"])]
    ends = []
    lam = keras.callbacks.LambdaCallback(on_batch_end=lambda b, logs: ends.append(b))
    ours.fit(x, y, batch_size=5, epochs=2, callbacks=[lam], verbose=0)
    assert ends == [0, 1, 0, 1]


def test_batch_logs_and_stop_training():
    class StopAt(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.logs = []

        def on_train_batch_end(self, batch, logs=None):
            self.logs.append(dict(logs))
            if batch == 1:
                self.model.stop_training = True

    x, y = rand(40, 2), rand(40, 1)
    model = linear_model(1, 2)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    cb = StopAt()
    hist = model.fit(x, y, batch_size=10, epochs=5, callbacks=[cb], verbose=0)
    assert len(cb.logs) == 2 and set(cb.logs[0]) == {"loss", "mae"}
    assert hist.epoch == [0]


# ----------------------------------------------------------------------------- losses
def test_regularization_penalties_are_added_to_the_loss():
    reg = keras.regularizers.l2(0.1)
    model = keras.Sequential([L.Dense(2, input_shape=(3,), kernel_regularizer=reg,
                                      activity_regularizer=keras.regularizers.l1(0.01))])
    k = rand(3, 2)
    model.set_weights([k, np.zeros(2, np.float32)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = rand(4, 3, seed=1), rand(4, 2, seed=2)
    out = x @ k
    expected = ((out - y) ** 2).mean() + 0.1 * (k ** 2).sum() + 0.01 * np.abs(out).sum()
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=4, verbose=0), expected,
                               rtol=1e-5)
    assert len(model.losses) == 2
    np.testing.assert_allclose(float(sum(t.item() for t in model.losses)),
                               0.1 * (k ** 2).sum() + 0.01 * np.abs(out).sum(), rtol=1e-5)


def test_constraints_are_applied_after_each_update():
    model = keras.Sequential([L.Dense(3, input_shape=(2,),
                                      kernel_constraint=keras.constraints.NonNeg())])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    x = rand(32, 2)
    model.fit(x, -5 * np.ones((32, 3), np.float32), epochs=2, verbose=0)
    assert (model.get_weights()[0] >= 0).all()


def test_sample_weight_and_class_weight():
    x, y = rand(8, 2), rand(8, 1, seed=1)
    model = linear_model(1, 2)
    model.compile(optimizer="sgd", loss="mse")
    sw = np.array([1, 1, 1, 1, 0, 0, 0, 0], np.float32)
    full = model.evaluate(x, y, sample_weight=sw, verbose=0)
    # Keras divides the weighted sum by the batch size
    half = model.evaluate(x[:4], y[:4], verbose=0)
    np.testing.assert_allclose(full, half / 2, rtol=1e-5)
    clf = linear_model(1, 2, activation="sigmoid")
    clf.compile(optimizer="sgd", loss="binary_crossentropy")
    labels = np.array([0, 1] * 4, np.float32)
    before = clf.get_weights()
    clf.fit(x, labels, class_weight={0: 0.0, 1: 0.0}, epochs=1, verbose=0)
    for a, b in zip(before, clf.get_weights()):  # zero class weights: no gradient
        np.testing.assert_allclose(a, b)


def test_frozen_layer_is_not_updated():
    model = keras.Sequential([L.Dense(3, input_shape=(2,)), L.Dense(1)])
    model.layers[0].trainable = False
    model.compile(optimizer="sgd", loss="mse")
    frozen, head = model.layers[0].get_weights(), model.layers[1].get_weights()
    model.fit(rand(16, 2), rand(16, 1), epochs=2, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(head[0], model.layers[1].get_weights()[0])


def test_dropout_and_batchnorm_train_in_fit_infer_in_predict():
    model = keras.Sequential([L.Dense(8, input_shape=(4,)), L.BatchNormalization(),
                              L.Dropout(0.5), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = rand(32, 4) + 3
    p1 = model.predict(x, verbose=0)
    np.testing.assert_array_equal(p1, model.predict(x, verbose=0))
    mean_before = model.layers[1].get_weights()[2].copy()
    model.fit(x, rand(32, 1), epochs=1, batch_size=32, verbose=0)
    assert not np.allclose(model.layers[1].get_weights()[2], mean_before)
    assert not model.training and not model.layers[2].training


def test_multi_output_losses_weights_and_metrics():
    inp = keras.Input((3,))
    o1 = L.Dense(1, name="reg")(inp)
    o2 = L.Dense(3, activation="softmax", name="cls")(inp)
    model = keras.Model(inp, [o1, o2])
    model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"],
                  loss_weights=[1.0, 0.5], metrics=[["mae"], ["accuracy"]])
    x, y1, y2 = rand(12, 3), rand(12, 1), np.arange(12) % 3
    hist = model.fit(x, [y1, y2], epochs=1, verbose=0)
    assert sorted(hist.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae"]
    res = model.evaluate(x, [y1, y2], verbose=0, return_dict=True)
    np.testing.assert_allclose(res["loss"], res["reg_loss"] + 0.5 * res["cls_loss"], rtol=1e-5)


def test_single_batch_methods():
    x, y = rand(6, 2), rand(6, 1)
    model = linear_model(1, 2)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    before = model.test_on_batch(x, y)
    loss, mae = model.train_on_batch(x, y)
    np.testing.assert_allclose([loss, mae], before, rtol=1e-5)
    assert model.test_on_batch(x, y)[0] < before[0]
    k, b = model.get_weights()
    np.testing.assert_allclose(model.predict_on_batch(x), x @ k + b, atol=1e-6)
    assert isinstance(model.train_on_batch(x, y, return_dict=True), dict)


# ----------------------------------------------------------------------------- progress bar
def test_verbose_output(capsys):
    model = linear_model(1, 2)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = rand(64, 2), rand(64, 1)
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2"
    assert out[1].startswith("2/2 - ") and "/step - loss: " in out[1] and " - mae: " in out[1]
    model.fit(x, y, epochs=1, verbose=1)
    line = capsys.readouterr().out.strip()
    assert line.startswith("2/2 ━━━━━━━━━━━━━━━━━━━━ ") and "loss:" in line
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------- errors
def test_data_cardinality_error():
    model = linear_model(1, 3)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"Data cardinality is ambiguous(.|\n)*'x' sizes: 100"
                                         r"(.|\n)*'y' sizes: 90"):
        model.fit(rand(100, 3), rand(90, 1), verbose=0)


def test_loss_that_does_not_fit_the_output_names_layer_and_shapes():
    model = keras.Sequential([L.Dense(4, input_shape=(3,), name="features"),
                              L.Dense(1, name="out")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"layer 'out'(.|\n)*\(None, 10\)(.|\n)*\(None, 1\)"):
        model.fit(rand(8, 3), np.eye(10, dtype=np.float32)[np.arange(8)], verbose=0)


def test_fit_before_compile_and_bad_validation_split():
    model = linear_model()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(rand(4, 1), rand(4, 1), verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(rand(1, 1), rand(1, 1), validation_split=0.5, verbose=0)


# ----------------------------------------------------------------------------- examples
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "examples")


def _example(name: str):
    import runpy

    return runpy.run_path(os.path.join(EXAMPLES, name))


def test_seed002_examples_learn(capsys):
    slope, intercept, pred = _example("keras_linear_regression.py")["main"](epochs=1000)
    assert abs(slope - 2) < 0.1 and abs(intercept - 1) < 0.1 and abs(pred - 2) < 0.1
    acc, p_high = _example("keras_logistic_regression.py")["main"](epochs=100)
    assert acc > 0.9 and p_high > 0.8
    assert _example("keras_rnn.py")["main"](epochs=30) > 0.9
    assert "learned y =" in capsys.readouterr().out


@pytest.mark.slow
def test_seed002_cifar_cnn_example_learns_generated_images():
    acc = _example("keras_cifar_cnn.py")["main"](epochs=2, n_train=1024, n_test=128, verbose=0)
    assert acc > 0.5  # ten classes; chance is 0.1
