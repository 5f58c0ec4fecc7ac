"""Keras models: Sequential, functional, subclassed; summary; saving; errors."""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

import shenjing
from shenjing import keras

L = keras.layers


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)



def cnn(k):
    return k.Sequential([k.Input((8, 8, 3)), k.layers.Conv2D(4, 3, activation="relu"),
                         k.layers.MaxPooling2D(), k.layers.BatchNormalization(),
                         k.layers.Flatten(), k.layers.Dense(5, activation="softmax")])


# ----------------------------------------------------------------------------- Sequential
def test_sequential_input_shape_kwarg_builds_at_once():
    model = keras.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(1)])
    assert model.built and [la.built for la in model.layers] == [True, True]
    assert model.layers[-1].output_shape == (None, 1)
    assert model.count_params() == 3 * 4 + 4 + 5


def test_sequential_lazy_build_and_add():
    model = keras.Sequential()
    model.add(L.Dense(2))
    model.add(L.Dense(3))
    assert not model.built
    with pytest.raises(ValueError, match="This model has not yet been built"):
        model.summary()
    out = model(np.zeros((4, 6), np.float32))
    assert tuple(out.shape) == (4, 3) and model.built
    assert [w.shape for w in model.get_weights()] == [(6, 2), (2,), (2, 3), (3,)]


def test_predict_on_unbuilt_model_builds_from_data_and_build_errors():
    model = keras.Sequential([L.Dense(2)])
    assert model.predict(np.zeros((3, 4)), verbose=0).shape == (3, 2)
    empty = keras.Sequential()
    with pytest.raises(ValueError, match="not yet been built"):
        empty.summary()
    with pytest.raises(ValueError, match="input_shape"):
        empty.build()


def test_sequential_keras_input_and_get_layer():
    model = keras.Sequential([keras.Input((5,)), L.Dense(3, name="hidden"), L.Dense(1)])
    assert model.get_layer("hidden") is model.layers[0]
    assert model.get_layer(index=1) is model.layers[1]
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="unique names"):
        model.add(L.Dense(2, name="hidden"))


def test_sequential_weights_match_keras_layout_and_summary(K):
    keras.backend.clear_session()
    K.backend.clear_session()
    ours, theirs = cnn(keras), cnn(K)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    lines: list[str] = []
    ours.summary(print_fn=lines.append)
    text = "\n".join(lines)
    captured: list[str] = []
    theirs.summary(print_fn=captured.append)
    ref = "".join(captured)
    assert ours.name == theirs.name and [la.name for la in ours.layers] == \
        [la.name for la in theirs.layers]
    assert text.strip().splitlines() == ref.strip().splitlines()


def test_sequential_predictions_equal_keras_with_copied_weights(K):
    ours, theirs = cnn(keras), cnn(K)
    ws = [rand(*w.shape, seed=i) for i, w in enumerate(ours.get_weights())]
    ws[-3] = np.abs(ws[-3]) + 0.5  # a positive moving variance
    ours.set_weights(ws)
    theirs.set_weights(ws)
    x = rand(4, 8, 8, 3)
    np.testing.assert_allclose(ours.predict(x, verbose=0),
                               np.asarray(theirs.predict(x, verbose=0)), atol=1e-5)


# ----------------------------------------------------------------------------- functional
def test_functional_multi_input_multi_output():
    keras.backend.clear_session()
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    h = L.Dense(4, activation="relu", name="h")(a)
    merged = L.Concatenate()([h, b])
    o1 = L.Dense(1, name="o1")(merged)
    o2 = L.Add(name="o2")([L.Dense(2)(merged), b])
    model = keras.Model([a, b], [o1, o2])
    assert model.name == "functional"
    assert [la.name for la in model.layers] == ["a", "b", "h", "concatenate", "o1", "dense",
                                                "o2"]
    xa, xb = rand(5, 3), rand(5, 2, seed=1)
    y1, y2 = model.predict([xa, xb], verbose=0)
    assert y1.shape == (5, 1) and y2.shape == (5, 2)
    k, bias = model.get_layer("h").get_weights()
    hid = np.maximum(xa @ k + bias, 0)
    k1, b1 = model.get_layer("o1").get_weights()
    np.testing.assert_allclose(y1, np.concatenate([hid, xb], 1) @ k1 + b1, atol=1e-5)
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    assert "Connected to" in lines[0] and "h[0][0], b[0][0]" in lines[0]
    with pytest.raises(ValueError, match="expects 2 input"):
        model.predict(xa, verbose=0)


def test_functional_shared_layer_and_wrong_input_shape():
    inp = keras.Input((4,))
    shared = L.Dense(4)
    model = keras.Model(inp, shared(shared(inp)))
    assert len(model.weights) == 2
    x = rand(2, 4)
    k, b = shared.get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), (x @ k + b) @ k + b, atol=1e-5)
    with pytest.raises(ValueError, match="incompatible"):
        model.predict(rand(2, 5), verbose=0)


def test_functional_graph_disconnected():
    a, b = keras.Input((2,)), keras.Input((2,))
    out = L.Add()([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, out)


# ----------------------------------------------------------------------------- subclassing
class TwoTower(keras.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [L.Dense(4, activation="relu"), L.Dense(4, activation="relu")]
        self.drop = L.Dropout(0.5)
        self.head = L.Dense(1)

    def call(self, x, training=None):
        for block in self.blocks:
            x = block(x)
        return self.head(self.drop(x, training=training))


def test_subclassed_model_tracks_layers_and_builds():
    model = TwoTower()
    assert not model.built
    model.build((None, 3))
    assert model.built and len(model.layers) == 4
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4, 4), (4,), (4, 1), (1,)]
    x = rand(6, 3)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    model.compile("sgd", "mse")
    before = model.get_weights()
    model.fit(x, rand(6, 1), epochs=1, verbose=0)
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))


# ----------------------------------------------------------------------------- saving
def test_save_and_load_model_round_trip(tmp_path):
    model = cnn(keras)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = rand(16, 8, 8, 3), np.arange(16) % 5
    model.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]  # no temporary files left
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert {"config.json", "model.weights.safetensors"} <= names
        config = json.loads(zf.read("config.json"))
        assert not any(b"\x80\x04" in zf.read(n)[:2] for n in names)  # no pickles
    assert config["class_name"] == "Sequential"
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
    assert [la.name for la in loaded.layers] == [la.name for la in model.layers]
    assert loaded.compiled
    loaded.fit(x, y, epochs=1, verbose=0)  # the restored compile config trains


def test_save_and_load_functional_and_weights(tmp_path):
    a, b = keras.Input((3,)), keras.Input((2,))
    out = L.Dense(2)(L.Concatenate()([L.Dense(3, activation="tanh")(a), b]))
    model = keras.Model([a, b], out)
    xs = [rand(4, 3), rand(4, 2, seed=1)]
    path = str(tmp_path / "f.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0),
                               atol=1e-6)
    wpath = str(tmp_path / "f.weights.h5")
    model.save_weights(wpath)
    clone = keras.models.clone_model(model)
    assert not np.allclose(clone.predict(xs, verbose=0), model.predict(xs, verbose=0))
    clone.load_weights(wpath)
    np.testing.assert_allclose(clone.predict(xs, verbose=0), model.predict(xs, verbose=0),
                               atol=1e-6)
    other = keras.Sequential([keras.Input((3,)), L.Dense(4)])
    with pytest.raises(ValueError, match="architectures differ|shape"):
        other.load_weights(wpath)


def test_save_errors(tmp_path):
    model = keras.Sequential([L.Dense(1)])
    with pytest.raises(ValueError, match="not been built"):
        model.save(str(tmp_path / "x.keras"))
    model.build((None, 2))
    with pytest.raises(ValueError, match=".keras"):
        model.save(str(tmp_path / "x.h5"))
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="zip"):
        keras.models.load_model(str(bad))


def test_load_model_with_custom_subclass(tmp_path):
    model = TwoTower()
    model.build((None, 3))
    path = str(tmp_path / "t.keras")
    model.save(path)
    with pytest.raises(TypeError, match="TwoTower"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"TwoTower": TwoTower})
    x = rand(2, 3)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


def test_model_is_a_shenjing_module():
    model = keras.Sequential([keras.Input((2,)), L.Dense(3), L.Dense(1)])
    assert isinstance(model, shenjing.nn.Module)
    assert len(list(model.parameters())) == 4
    keys = list(model.state_dict())
    assert len(keys) == 4 and keys[0].endswith(".kernel") and keys[1].endswith(".bias")
