"""Keras layers: weight layouts, outputs vs the PyTorch face / PyTorch / Keras 3, masks, errors."""
from __future__ import annotations


import numpy as np
import pytest
import torch

import shenjing
from shenjing import keras

L = keras.layers


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)



def to_np(t) -> np.ndarray:
    if isinstance(t, shenjing.Tensor):
        return np.asarray(t.detach()._data)
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return np.asarray(t)


def oracle(K, ours, theirs, x, **call_kw):
    """Build both layers on x, copy our weights into Keras's, return both outputs."""
    y = ours(x, **call_kw)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    y2 = theirs(x, **call_kw)
    return y, y2


# ----------------------------------------------------------------------------- Dense
@pytest.mark.parametrize("shape", [(5, 3), (1, 3), (2, 4, 3), (0, 3)])
def test_dense_matches_linear_with_transposed_kernel(shape):
    layer = L.Dense(4, activation="relu")
    x = shenjing.tensor(rand(*shape), requires_grad=True)
    y = layer(x)
    k, b = layer.get_weights()
    assert k.shape == (3, 4) and b.shape == (4,)
    xt = torch.tensor(rand(*shape), requires_grad=True)
    kt, bt = torch.tensor(k, requires_grad=True), torch.tensor(b + 0.0, requires_grad=True)
    yt = torch.relu(torch.nn.functional.linear(xt, kt.T, bt))
    np.testing.assert_allclose(to_np(y), to_np(yt), atol=1e-6)
    g = rand(*y.shape, seed=3)
    y.backward(shenjing.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(to_np(x.grad), to_np(xt.grad), atol=1e-5)
    np.testing.assert_allclose(to_np(layer.kernel.grad), to_np(kt.grad), atol=1e-5)
    np.testing.assert_allclose(to_np(layer.bias.grad), to_np(bt.grad), atol=1e-5)


def test_dense_lazy_build_names_and_weights():
    keras.backend.clear_session()
    d1, d2 = L.Dense(2), L.Dense(3, use_bias=False)
    assert (d1.name, d2.name) == ("dense", "dense_1")
    assert not d1.built and d1.weights == []
    d1(np.zeros((1, 5)))
    assert d1.built
    assert [w._keras_path for w in d1.weights] == ["dense/kernel", "dense/bias"]
    d2(np.zeros((2, 7)))
    assert [w.shape for w in d2.get_weights()] == [(7, 3)]
    assert d1.count_params() == 12


def test_dense_wrong_feature_size_names_layer_and_shapes():
    layer = L.Dense(2, name="head")
    layer(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match=r'"head".*axis -1.*value 3.*\(None, 4\)'):
        layer(np.zeros((2, 4), np.float32))


def test_get_set_weights_round_trip_and_errors():
    layer = L.Dense(3)
    layer(np.zeros((1, 2), np.float32))
    new = [rand(2, 3, seed=1), rand(3, seed=2)]
    layer.set_weights(new)
    for a, b in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(a, b)
    out = layer(np.ones((1, 2), np.float32))
    np.testing.assert_allclose(to_np(out), np.ones((1, 2)) @ new[0] + new[1], rtol=1e-6)
    with pytest.raises(ValueError, match="expecting 2 weights"):
        layer.set_weights(new[:1])
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        layer.set_weights([new[0].T, new[1]])


def test_trainable_flag_moves_weights_between_lists():
    layer = L.Dense(2)
    layer(np.zeros((1, 2), np.float32))
    assert len(layer.trainable_weights) == 2
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    assert not layer.kernel.requires_grad


def test_activation_dropout_flatten_reshape():
    x = rand(4, 2, 3)
    np.testing.assert_allclose(to_np(L.Activation("tanh")(x)), np.tanh(x), rtol=1e-6)
    drop = L.Dropout(0.5)
    np.testing.assert_array_equal(to_np(drop(x)), x)  # inference by default
    y = to_np(drop(np.ones((200, 50), np.float32), training=True))
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.3 < (y == 0).mean() < 0.7
    assert tuple(L.Flatten()(x).shape) == (4, 6)
    assert tuple(L.Reshape((3, -1))(x).shape) == (4, 3, 2)
    assert L.Reshape((3, -1)).compute_output_shape((None, 2, 3)) == (None, 3, 2)


def test_concatenate_add_and_shape_errors():
    a, b = rand(2, 3), rand(2, 5, seed=1)
    np.testing.assert_allclose(to_np(L.Concatenate()([a, b])), np.concatenate([a, b], -1))
    np.testing.assert_allclose(to_np(L.Add()([a, a])), 2 * a)
    with pytest.raises(ValueError, match="matching shapes"):
        L.Concatenate(axis=0).compute_output_shape([(None, 3), (None, 5)])


# ----------------------------------------------------------------------------- conv / pool
@pytest.mark.parametrize("kw", [dict(), dict(strides=2), dict(padding="same"),
                                dict(dilation_rate=2)])
def test_conv2d_channels_last_matches_torch_conv2d(kw):
    x = rand(2, 7, 6, 3)
    layer = L.Conv2D(4, (3, 2), **kw)
    y = to_np(layer(x))
    k, b = layer.get_weights()
    assert k.shape == (3, 2, 3, 4)
    pad = "same" if kw.get("padding") == "same" else 0
    yt = torch.nn.functional.conv2d(torch.tensor(x).permute(0, 3, 1, 2),
                                    torch.tensor(k).permute(3, 2, 0, 1), torch.tensor(b),
                                    stride=kw.get("strides", 1), padding=pad,
                                    dilation=kw.get("dilation_rate", 1))
    # padding="same" with an even kernel width: torch pads (0, 1) like TensorFlow
    np.testing.assert_allclose(y, to_np(yt.permute(0, 2, 3, 1)), atol=1e-5)
    assert layer.compute_output_shape((None, 7, 6, 3)) == (None,) + y.shape[1:]


def test_conv2d_channels_first():
    x = rand(2, 3, 6, 6)
    layer = L.Conv2D(4, 3, data_format="channels_first")
    y = to_np(layer(x))
    k, b = layer.get_weights()
    yt = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(k).permute(3, 2, 0, 1),
                                    torch.tensor(b))
    np.testing.assert_allclose(y, to_np(yt), atol=1e-5)


@pytest.mark.parametrize("make", [
    lambda k: (L.Conv2D(3, 3, strides=2, padding="same"), k.layers.Conv2D(3, 3, strides=2,
                                                                          padding="same")),
    lambda k: (L.Conv2DTranspose(3, 3, strides=2), k.layers.Conv2DTranspose(3, 3, strides=2)),
    lambda k: (L.Conv2DTranspose(2, 3, strides=2, padding="same"),
               k.layers.Conv2DTranspose(2, 3, strides=2, padding="same")),
    lambda k: (L.Conv2DTranspose(2, 2, strides=3), k.layers.Conv2DTranspose(2, 2, strides=3)),
    lambda k: (L.MaxPooling2D(3, 2, padding="same"), k.layers.MaxPooling2D(3, 2,
                                                                          padding="same")),
    lambda k: (L.AveragePooling2D(2), k.layers.AveragePooling2D(2)),
    lambda k: (L.GlobalAveragePooling2D(), k.layers.GlobalAveragePooling2D()),
])
def test_conv_and_pool_layers_match_keras(K, make):
    ours, theirs = make(K)
    x = rand(2, 6, 5, 3)
    y, y2 = oracle(K, ours, theirs, x)
    np.testing.assert_allclose(to_np(y), to_np(y2), atol=1e-5)
    assert ours.compute_output_shape((None, 6, 5, 3)) == tuple(theirs.compute_output_shape(
        (None, 6, 5, 3)))


def test_average_pooling_same_excludes_padding_like_tensorflow():
    x = rand(2, 6, 5, 3)
    y = to_np(L.AveragePooling2D(3, 2, padding="same")(x))
    # TensorFlow 'same': pads (0, 1) rows and (1, 1) columns; the mean is over real pixels
    xp = np.pad(x, ((0, 0), (0, 1), (1, 1), (0, 0)), constant_values=np.nan)
    ref = np.stack([np.stack([np.nanmean(xp[:, i:i + 3, j:j + 3], axis=(1, 2))
                              for j in range(0, 5, 2)], 1) for i in range(0, 5, 2)], 1)
    np.testing.assert_allclose(y, ref, atol=1e-6)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_matches_keras(K, padding):
    y, y2 = oracle(K, L.Conv1D(4, 3, padding=padding),
                   K.layers.Conv1D(4, 3, padding=padding), rand(2, 7, 3))
    np.testing.assert_allclose(to_np(y), to_np(y2), atol=1e-5)


# ----------------------------------------------------------------------------- normalization
def test_batch_normalization_training_update_and_inference_match_keras(K):
    x = rand(8, 4, 4, 3) * 3 + 1
    ours, theirs = L.BatchNormalization(momentum=0.9), K.layers.BatchNormalization(momentum=0.9)
    ours(x)
    theirs.build(x.shape)
    theirs.set_weights([w + 0.1 * i for i, w in enumerate(ours.get_weights())])
    ours.set_weights(theirs.get_weights())
    y = ours(x, training=True)
    y2 = theirs(x, training=True)
    np.testing.assert_allclose(to_np(y), to_np(y2), atol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):  # moving stats updated alike
        np.testing.assert_allclose(a, to_np(b), atol=1e-5)
    np.testing.assert_allclose(to_np(ours(x)), to_np(theirs(x, training=False)), atol=1e-4)
    assert [w.shape for w in ours.get_weights()] == [(3,)] * 4


def test_frozen_batch_normalization_runs_in_inference_mode():
    bn = L.BatchNormalization()
    x = rand(6, 3) + 5
    bn(x)
    bn.trainable = False
    before = bn.get_weights()
    y = to_np(bn(x, training=True))
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), rtol=1e-5)  # moving stats 0 / 1
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_layer_normalization_matches_torch():
    x = rand(3, 5, 6)
    layer = L.LayerNormalization()
    y = to_np(layer(x))
    yt = torch.nn.functional.layer_norm(torch.tensor(x), (6,), eps=1e-3)
    np.testing.assert_allclose(y, to_np(yt), atol=1e-5)


# ----------------------------------------------------------------------------- recurrent
@pytest.mark.parametrize("name,kw", [("SimpleRNN", {}), ("LSTM", {}), ("GRU", {}),
                                     ("LSTM", {"return_sequences": True}),
                                     ("GRU", {"return_state": True}),
                                     ("LSTM", {"return_state": True, "go_backwards": True}),
                                     ("SimpleRNN", {"activation": "relu",
                                                    "return_sequences": True})])
def test_recurrent_layers_match_keras(K, name, kw):
    ours, theirs = getattr(L, name)(4, **kw), getattr(K.layers, name)(4, **kw)
    x = rand(3, 5, 2)
    ours(x)
    theirs.build(x.shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    ws = [rand(*w.shape, seed=i) * 0.5 for i, w in enumerate(ours.get_weights())]
    ours.set_weights(ws)
    theirs.set_weights(ws)
    y, y2 = ours(x), theirs(x)
    ys, y2s = (y, y2) if isinstance(y, list) else ([y], [y2])
    assert len(ys) == len(y2s)
    for a, b in zip(ys, y2s):
        np.testing.assert_allclose(to_np(a), to_np(b), atol=1e-5)


def test_lstm_gradient_reaches_all_weights():
    layer = L.LSTM(3)
    x = shenjing.tensor(rand(2, 4, 2), requires_grad=True)
    layer(x).sum().backward()
    assert all(w.grad is not None and np.abs(to_np(w.grad)).sum() > 0 for w in layer.weights)
    assert x.grad is not None


def test_lstm_unit_forget_bias():
    layer = L.LSTM(2)
    layer(rand(1, 3, 2))
    np.testing.assert_array_equal(layer.get_weights()[2], [0, 0, 1, 1, 0, 0, 0, 0])


def test_embedding_mask_zero_matches_keras(K):
    ids = np.array([[3, 1, 2, 0, 0], [4, 0, 0, 0, 0], [1, 2, 3, 4, 5]])
    ours = keras.Sequential([L.Embedding(6, 3, mask_zero=True), L.GRU(4, return_sequences=True),
                             L.LSTM(2)])
    theirs = K.Sequential([K.layers.Embedding(6, 3, mask_zero=True),
                           K.layers.GRU(4, return_sequences=True), K.layers.LSTM(2)])
    ours.build((None, 5))
    theirs.build((None, 5))
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours.predict(ids, verbose=0), to_np(theirs.predict(ids, verbose=0)),
                               atol=1e-5)


def test_masked_steps_keep_state():
    emb = L.Embedding(5, 2, mask_zero=True)
    rnn = L.SimpleRNN(3, return_sequences=True)
    out = to_np(rnn(emb(np.array([[1, 2, 0, 0]]))))
    np.testing.assert_allclose(out[0, 2], out[0, 1])
    np.testing.assert_allclose(out[0, 3], out[0, 1])
    assert emb(np.array([[1, 0]]))._keras_mask.tolist() == [[True, False]]


def test_embedding_out_of_range_error():
    with pytest.raises(ValueError, match=r"index 7 is out of range \[0, 5\)"):
        L.Embedding(5, 2)(np.array([[1, 7]]))


@pytest.mark.parametrize("merge", ["concat", "sum", "ave", "mul"])
def test_bidirectional_matches_keras(K, merge):
    ours = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=merge)
    theirs = K.layers.Bidirectional(K.layers.LSTM(3, return_sequences=True), merge_mode=merge)
    y, y2 = oracle(K, ours, theirs, rand(2, 4, 2))
    np.testing.assert_allclose(to_np(y), to_np(y2), atol=1e-5)


def test_layer_config_round_trip():
    for layer in [L.Dense(3, activation="relu", kernel_regularizer="l2"),
                  L.Conv2D(2, 3, strides=2, padding="same"), L.LSTM(4, return_sequences=True),
                  L.Bidirectional(L.GRU(2)), L.BatchNormalization(momentum=0.5),
                  L.Embedding(5, 2, mask_zero=True), L.Dropout(0.3), L.Reshape((2, -1))]:
        clone = L.deserialize(L.serialize(layer))
        assert type(clone) is type(layer)
        a, b = layer.get_config(), clone.get_config()
        a.pop("name"), b.pop("name")
        assert a == b


def test_symbolic_call_records_shapes():
    inp = keras.Input((8, 8, 3))
    out = L.Conv2D(4, 3, padding="same")(inp)
    assert out.shape == (None, 8, 8, 4)
    out = L.Flatten()(L.MaxPooling2D()(out))
    assert out.shape == (None, 64)
    with pytest.raises(ValueError, match="expected ndim=4"):
        L.Conv2D(2, 3)(keras.Input((5,)))
