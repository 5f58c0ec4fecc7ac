"""Keras-face components against Keras 3 itself (torch backend): losses, metrics, optimizers,
schedules, initializers, regularizers, constraints, activations, utils."""
import os
import re

import numpy as np
import pytest
import torch

import shenjing
from helpers import check_grad
from shenjing.keras import activations, constraints, initializers, losses, metrics
from shenjing.keras import optimizers, regularizers
from shenjing.keras import utils as kutils

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)


def _probs(*shape):
    x = RNG.uniform(-2, 2, shape).astype(np.float32)
    e = np.exp(x)
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _sj(x):
    return np.asarray(x.detach()._data) if isinstance(x, shenjing.Tensor) else np.asarray(x)


# ----------------------------------------------------------------------------------- losses
def _loss_cases():
    n, c = 6, 4
    onehot = np.eye(c, dtype=np.float32)[RNG.integers(0, c, n)]
    labels = RNG.integers(0, c, n)
    binary = RNG.integers(0, 2, (n, 1)).astype(np.float32)
    reg_t = RNG.normal(size=(n, 3)).astype(np.float32)
    reg_p = RNG.normal(size=(n, 3)).astype(np.float32)
    logits = RNG.normal(size=(n, c)).astype(np.float32) * 2
    sig = (1 / (1 + np.exp(-RNG.normal(size=(n, 1))))).astype(np.float32)
    pos = RNG.uniform(0.1, 2, (n, 3)).astype(np.float32)
    return [
        ("MeanSquaredError", {}, reg_t, reg_p),
        ("MeanAbsoluteError", {}, reg_t, reg_p),
        ("MeanAbsolutePercentageError", {}, reg_t, reg_p),
        ("MeanSquaredLogarithmicError", {}, pos, pos[::-1].copy()),
        ("Huber", {}, reg_t, reg_p * 2),
        ("Huber", {"delta": 0.5}, reg_t, reg_p),
        ("LogCosh", {}, reg_t, reg_p),
        ("Hinge", {}, binary, sig * 2 - 1),
        ("SquaredHinge", {}, binary, sig * 2 - 1),
        ("Poisson", {}, pos, pos[::-1].copy()),
        ("KLDivergence", {}, _probs(n, c), _probs(n, c)),
        ("BinaryCrossentropy", {}, binary, sig),
        ("BinaryCrossentropy", {"label_smoothing": 0.1}, binary, sig),
        ("BinaryCrossentropy", {"from_logits": True}, binary, logits[:, :1]),
        ("BinaryCrossentropy", {}, onehot, _probs(n, c)),
        ("CategoricalCrossentropy", {}, onehot, _probs(n, c)),
        ("CategoricalCrossentropy", {}, onehot, np.abs(logits)),  # unnormalised probabilities
        ("CategoricalCrossentropy", {"from_logits": True}, onehot, logits),
        ("CategoricalCrossentropy", {"label_smoothing": 0.2}, onehot, _probs(n, c)),
        ("SparseCategoricalCrossentropy", {}, labels, _probs(n, c)),
        ("SparseCategoricalCrossentropy", {"from_logits": True}, labels, logits),
        ("SparseCategoricalCrossentropy", {"from_logits": True}, labels[:, None], logits),
        ("MeanSquaredError", {}, reg_t[:, 0], reg_p[:, :1]),  # (N,) vs (N, 1)
    ]


@pytest.mark.parametrize("case", range(len(_loss_cases())))
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_matches_keras_and_grad(case, weighted):
    name, kw, t, p = _loss_cases()[case]
    sw = RNG.uniform(0, 2, len(t)).astype(np.float32) if weighted else None
    ours_fn, theirs_fn = getattr(losses, name)(**kw), getattr(keras.losses, name)(**kw)
    assert ours_fn.name == theirs_fn.name
    pt = torch.tensor(p, requires_grad=True)
    theirs = theirs_fn(torch.tensor(t), pt, sample_weight=None if sw is None else torch.tensor(sw))
    theirs.backward()
    ps = shenjing.tensor(p, requires_grad=True)
    ours = ours_fn(t, ps, sample_weight=sw)
    ours.backward()
    assert ours.shape == ()
    np.testing.assert_allclose(_sj(ours), _np(theirs), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_sj(ps.grad), _np(pt.grad), rtol=1e-4, atol=1e-6)


def _fast_cases():
    n, c = 6, 4
    labels = RNG.integers(0, c, n)
    logits = RNG.normal(size=(n, c)).astype(np.float32)
    seq = RNG.normal(size=(n, 3, c)).astype(np.float32)
    return _loss_cases() + [
        ("SparseCategoricalCrossentropy", {"from_logits": True}, labels.astype(np.float32),
         logits),  # float labels
        ("SparseCategoricalCrossentropy", {"from_logits": True}, RNG.integers(0, c, (n, 3)),
         seq),  # a sequence: the Keras kernel, not cross_entropy
        ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
         np.eye(c, dtype=np.float32)[labels], logits),
        ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2},
         RNG.integers(0, 2, (n, 1)).astype(np.float32), logits[:, :1]),
        ("Huber", {"delta": 0.3}, RNG.normal(size=(n,)).astype(np.float32), logits[:, :1]),
        ("MeanAbsoluteError", {}, RNG.normal(size=(n, 1)).astype(np.float32), logits[:, 0]),
    ]


@pytest.mark.parametrize("case", range(len(_fast_cases())))
def test_loss_fast_path_matches_keras(case):
    # the trainer's check-free path (fused ops.loss where Keras's formula is PyTorch's)
    name, kw, t, p = _fast_cases()[case]
    ours_fn, theirs_fn = getattr(losses, name)(**kw), getattr(keras.losses, name)(**kw)
    fast = ours_fn.fast_path(t, shenjing.tensor(p))
    assert fast is not None
    for rows in (slice(None), slice(0, 2)):  # a later, smaller batch of the same shapes
        pt = torch.tensor(p[rows], requires_grad=True)
        theirs = theirs_fn(torch.tensor(t[rows]), pt)
        theirs.backward()
        ps = shenjing.tensor(p[rows], requires_grad=True)
        ours = fast(t[rows], ps)
        ours.backward()
        assert ours.shape == () and ours.dtype == shenjing.float32
        np.testing.assert_allclose(_sj(ours), _np(theirs), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(_sj(ps.grad), _np(pt.grad), rtol=1e-4, atol=1e-6)


def test_loss_fast_path_errors_and_absence():
    p = np.zeros((2, 5), np.float32)
    for kw in ({}, {"from_logits": True}):
        fast = losses.SparseCategoricalCrossentropy(**kw).fast_path(np.array([0, 1]),
                                                                     shenjing.tensor(p))
        with pytest.raises(ValueError, match="label value of 7 which is outside"):
            fast(np.array([0, 7]), shenjing.tensor(p))
    onehot = np.eye(5, dtype=np.float32)[[0, 1]]
    for loss, t, node in ((losses.MeanSquaredError(), p, "PointwiseLoss"),
                          (losses.Huber(), p, "PointwiseLoss"),
                          (losses.SparseCategoricalCrossentropy(from_logits=True),
                           np.array([0, 1]), "CrossEntropy"),
                          (losses.CategoricalCrossentropy(from_logits=True), onehot,
                           "CrossEntropyProbs"),
                          (losses.BinaryCrossentropy(from_logits=True), onehot, "BCEWithLogits"),
                          (losses.BinaryCrossentropy(), onehot + 0.5, "_KerasLoss")):
        q = shenjing.tensor(p + 0.25, requires_grad=True)
        assert type(loss.fast_path(t, q)(t, q).grad_fn).__name__ == node  # one fused node
    assert losses.MeanSquaredError(reduction="sum").fast_path(p, shenjing.tensor(p)) is None
    assert losses.get(lambda t, q: q).fast_path(p, shenjing.tensor(p)) is None
    # a target broadcast over the outputs keeps the general path
    assert losses.MeanSquaredError().fast_path(p[:, :1], shenjing.tensor(p)) is None


def test_fit_uses_the_fast_loss_after_one_checked_batch():
    from shenjing import keras as sk
    x = RNG.normal(size=(10, 3)).astype(np.float32)
    y = RNG.integers(0, 4, 10)
    model = sk.Sequential([sk.Input((3,)), sk.layers.Dense(4)])
    model.compile(optimizer=sk.optimizers.SGD(0.0),
                  loss=sk.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert len(model._fast_losses) == 1 and None not in model._fast_losses.values()
    logits = torch.tensor(model.predict(x, verbose=0))
    want = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(torch.tensor(y), logits)
    np.testing.assert_allclose(hist.history["loss"][0], _np(want), rtol=1e-5)
    bad = y.copy()
    bad[9] = 4  # in the last batch, after the checked first one
    with pytest.raises(ValueError, match="label value of 4 which is outside"):
        model.fit(x, bad, batch_size=4, epochs=1, shuffle=False, verbose=0)


@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_error", "huber",
                                  "categorical_crossentropy", "binary_crossentropy",
                                  "kl_divergence"])
def test_loss_functions_per_sample_and_gradcheck(name):
    t, p = _probs(5, 3), _probs(5, 3)
    ours = getattr(losses, name)(t, shenjing.tensor(p))
    theirs = getattr(keras.losses, name)(torch.tensor(t), torch.tensor(p))
    assert tuple(ours.shape) == (5,)
    np.testing.assert_allclose(_sj(ours), _np(theirs), rtol=1e-5, atol=1e-6)
    check_grad(lambda x: getattr(losses, name)(t, x), p.astype(np.float64))


def test_loss_reductions_and_lookup():
    t, p = RNG.normal(size=(4, 2)), RNG.normal(size=(4, 2)).astype(np.float32)
    for red in ("sum", "none", "mean_with_sample_weight"):
        sw = np.array([1.0, 0.0, 2.0, 0.5], np.float32)
        ours = losses.MeanSquaredError(reduction=red)(t, p, sample_weight=sw)
        theirs = keras.losses.MeanSquaredError(reduction=red)(t, p, sample_weight=sw)
        np.testing.assert_allclose(_sj(ours), _np(theirs), rtol=1e-5)
    assert losses.get("mse").name == "mean_squared_error"
    assert isinstance(losses.get("sparse_categorical_crossentropy"),
                      losses.SparseCategoricalCrossentropy)
    assert losses.get(losses.mean_absolute_error).name == "mean_absolute_error"
    with pytest.raises(ValueError, match="Could not interpret loss"):
        losses.get("nope")


def test_loss_custom_subclass_and_function():
    class Twice(losses.Loss):
        def call(self, y_true, y_pred):
            return ((y_pred - shenjing.tensor(y_true)) ** 2).mean(-1) * 2

    t, p = np.ones((3, 2), np.float32), np.zeros((3, 2), np.float32)
    assert float(Twice()(t, p)) == pytest.approx(2.0)
    wrapped = losses.get(lambda yt, yp: (yp - shenjing.tensor(yt)).abs().sum(-1))
    assert float(wrapped(t, p, sample_weight=np.array([1, 0, 0]))) == pytest.approx(2 / 3)


def test_loss_bad_shapes_name_both():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 5\)"):
        losses.MeanSquaredError()(np.zeros((4, 3)), np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match=r"\(4, 2\).*\(4, 5\)"):
        losses.SparseCategoricalCrossentropy()(np.zeros((4, 2)), np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match="outside the valid range"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 7]), np.zeros((2, 5), np.float32))


# ---------------------------------------------------------------------------------- metrics
def _run_metric(m, batches):
    for b in batches:
        m.update_state(*b)
    return m.result()


def _metric_cases():
    n, c = 20, 4
    onehot = np.eye(c, dtype=np.float32)[RNG.integers(0, c, n)]
    labels = RNG.integers(0, c, n)
    binary = RNG.integers(0, 2, (n, 1)).astype(np.float32)
    sig = RNG.uniform(0, 1, (n, 1)).astype(np.float32)
    probs = _probs(n, c)
    reg_t, reg_p = RNG.normal(size=(n, 3)), RNG.normal(size=(n, 3)).astype(np.float32)
    return [
        ("BinaryAccuracy", {}, binary, sig),
        ("BinaryAccuracy", {"threshold": 0.3}, binary, sig),
        ("CategoricalAccuracy", {}, onehot, probs),
        ("SparseCategoricalAccuracy", {}, labels, probs),
        ("SparseCategoricalAccuracy", {}, labels[:, None], probs),
        ("TopKCategoricalAccuracy", {"k": 2}, onehot, probs),
        ("MeanSquaredError", {}, reg_t, reg_p),
        ("MeanAbsoluteError", {}, reg_t, reg_p),
        ("RootMeanSquaredError", {}, reg_t, reg_p),
        ("CategoricalCrossentropy", {}, onehot, probs),
        ("Precision", {}, binary, sig),
        ("Precision", {"thresholds": 0.3}, binary, sig),
        ("Recall", {}, binary, sig),
        ("Recall", {"thresholds": 0.7}, onehot, probs),
        ("AUC", {}, binary, sig),
        ("AUC", {}, onehot, probs),
        ("AUC", {"curve": "PR"}, binary, sig),
        ("AUC", {"num_thresholds": 7}, binary, sig),
        ("AUC", {"summation_method": "minoring"}, binary, sig),
    ]


@pytest.mark.parametrize("case", range(len(_metric_cases())))
@pytest.mark.parametrize("weighted", [False, True])
def test_metric_matches_keras(case, weighted):
    name, kw, t, p = _metric_cases()[case]
    sw = RNG.uniform(0, 2, len(t)).astype(np.float32) if weighted else None
    half = len(t) // 2
    parts = [slice(0, half), slice(half, None)]
    ours, theirs = getattr(metrics, name)(**kw), getattr(keras.metrics, name)(**kw)
    assert ours.name == re.sub(r"_\d+$", "", theirs.name)  # keras numbers repeated names
    for s in parts:
        w = None if sw is None else sw[s]
        ours.update_state(t[s], shenjing.tensor(p[s]), sample_weight=w)
        theirs.update_state(t[s], p[s], sample_weight=w)
    assert isinstance(ours.result(), float)
    np.testing.assert_allclose(ours.result(), _np(theirs.result()), rtol=1e-5, atol=1e-6)
    ours.reset_state()
    theirs.reset_state()
    ours.update_state(t[:3], p[:3])
    theirs.update_state(t[:3], p[:3])
    np.testing.assert_allclose(ours.result(), _np(theirs.result()), rtol=1e-5, atol=1e-6)


def test_auc_close_to_sklearn():
    from sklearn.metrics import roc_auc_score
    t = RNG.integers(0, 2, 500)
    p = np.clip(t * 0.3 + RNG.uniform(0, 0.7, 500), 0, 1)
    m = metrics.AUC(num_thresholds=1000)
    m.update_state(t, p)
    assert abs(m.result() - roc_auc_score(t, p)) < 2e-3


@pytest.mark.parametrize("name", ["BinaryAccuracy", "Accuracy", "RootMeanSquaredError",
                                  "MeanSquaredError"])
def test_metric_rank1_true_with_column_pred_matches_keras(name):
    # Keras expands y_true (N,) to (N, 1) against y_pred (N, 1): each sample counts once, so
    # batches of different sizes weigh by their sizes
    t = RNG.integers(0, 2, 7).astype(np.float32)
    p = RNG.uniform(0, 1, (7, 1)).astype(np.float32)
    if name == "Accuracy":
        p = np.round(p)
    ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
    for s in (slice(0, 5), slice(5, 7)):
        ours.update_state(t[s], p[s])
        theirs.update_state(t[s], p[s])
    np.testing.assert_allclose(ours.result(), _np(theirs.result()), rtol=1e-6)
    if name == "BinaryAccuracy":
        assert metrics.binary_accuracy(t, p).shape == _np(keras.metrics.binary_accuracy(t, p)).shape


def test_fit_accuracy_with_rank1_targets_weighs_batches_by_size():
    from shenjing import keras as sk
    x = RNG.normal(size=(7, 2)).astype(np.float32)
    y = RNG.integers(0, 2, 7).astype(np.float32)
    model = sk.Sequential([sk.Input((2,)), sk.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=sk.optimizers.SGD(0.0), loss="binary_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=5, epochs=1, shuffle=False, verbose=0)
    want = np.mean((model.predict(x, verbose=0)[:, 0] > 0.5) == y)
    assert hist.history["accuracy"][0] == pytest.approx(want)


def test_accuracy_string_picks_like_keras():
    onehot = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]]
    probs = _probs(4, 3)
    cases = [(np.array([[1.0], [0.0]]), np.array([[0.7], [0.6]]), 0.5),
             (np.array([0, 1, 2, 1]), probs, None), (np.array([[0], [1], [2], [1]]), probs, None),
             (onehot, probs, None)]
    for t, p, expect in cases:
        m = metrics.get("accuracy")
        assert m.name == "accuracy"
        m.update_state(t, p)
        ref = (np.mean(np.asarray(t).reshape(len(t), -1).argmax(-1) == p.argmax(-1))
               if t.ndim == 2 and t.shape[1] > 1 else
               np.mean(np.asarray(t).reshape(-1) == p.argmax(-1)) if p.shape[1] > 1 else expect)
        assert m.result() == pytest.approx(ref)
    assert metrics.get("acc").name == "acc"
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert metrics.get("mae").name == "mae"
    assert isinstance(metrics.get(metrics.AUC()), metrics.AUC)
    assert metrics.get(losses.MeanSquaredError())(np.ones((2, 1)), np.zeros((2, 1))) == 1.0
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="Could not interpret metric"):
        metrics.get("nope")


# ------------------------------------------------------------------------------- optimizers
def _optimizer_cases():
    return [
        ("SGD", {}), ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
        ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
        ("Adam", {"learning_rate": 0.01}), ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
        ("RMSprop", {"learning_rate": 0.01}), ("RMSprop", {"momentum": 0.5, "centered": True}),
        ("Adagrad", {"learning_rate": 0.1}), ("AdamW", {"learning_rate": 0.01}),
        ("SGD", {"learning_rate": 0.1, "weight_decay": 0.1}),
        ("Adam", {"clipnorm": 0.5}), ("SGD", {"global_clipnorm": 0.5}),
        ("RMSprop", {"clipvalue": 0.1}),
    ]


@pytest.mark.parametrize("case", range(len(_optimizer_cases())))
def test_optimizer_trajectory_matches_keras(case):
    name, kw = _optimizer_cases()[case]
    shapes = [(3, 4), (4,)]
    init = [RNG.normal(size=s).astype(np.float32) for s in shapes]
    grads = [[RNG.normal(size=s).astype(np.float32) * 3 for s in shapes] for _ in range(6)]
    ours_vars = [shenjing.nn.Parameter(shenjing.tensor(a.copy())) for a in init]
    theirs_vars = [keras.Variable(a.copy()) for a in init]
    ours, theirs = getattr(optimizers, name)(**kw), getattr(keras.optimizers, name)(**kw)
    for step, gs in enumerate(grads):
        if step % 2:
            ours.apply_gradients(zip(gs, ours_vars))
        else:  # the step() path reads .grad
            for v, g in zip(ours_vars, gs):
                v.grad = shenjing.tensor(g)
            ours.step(ours_vars)
        theirs.apply_gradients(zip([torch.tensor(g) for g in gs], theirs_vars))
    assert ours.iterations == 6
    for o, t in zip(ours_vars, theirs_vars):
        np.testing.assert_allclose(_sj(o), _np(t.value), rtol=1e-5, atol=1e-6)


def test_optimizer_schedule_lookup_and_lr_setting():
    sched = optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = optimizers.SGD(learning_rate=sched)
    w = shenjing.nn.Parameter(shenjing.zeros(2))
    lrs = []
    for _ in range(4):
        lrs.append(opt.learning_rate)
        opt.apply_gradients([(np.ones(2, np.float32), w)])
    np.testing.assert_allclose(lrs, [0.1 * 0.5 ** (i / 2) for i in range(4)], rtol=1e-6)
    np.testing.assert_allclose(_sj(w), -sum(lrs) * np.ones(2), rtol=1e-5)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.5
    adam = optimizers.get("adam")
    assert isinstance(adam, optimizers.Adam) and adam.learning_rate == pytest.approx(0.001)
    adam.learning_rate = 0.05
    assert adam.learning_rate == pytest.approx(0.05)
    assert optimizers.get("sgd").learning_rate == pytest.approx(0.01)
    cfg = optimizers.serialize(optimizers.RMSprop(0.02, momentum=0.3))
    again = optimizers.deserialize(cfg)
    assert isinstance(again, optimizers.RMSprop) and again.momentum == 0.3
    with pytest.raises(ValueError, match="Could not interpret optimizer"):
        optimizers.get("nope")
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    skip = shenjing.nn.Parameter(shenjing.ones(2))
    optimizers.SGD(0.5).step([skip])  # no grad: left alone
    np.testing.assert_array_equal(_sj(skip), np.ones(2))


@pytest.mark.parametrize("name,kw", [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.7)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.7,
                              staircase=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5,
                              staircase=True)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=10, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=10, warmup_target=0.1,
                         warmup_steps=4)),
    ("PiecewiseConstantDecay", dict(boundaries=[3, 7], values=[1.0, 0.5, 0.1])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=8, power=2.0)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=4, cycle=True)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=3)),
])
def test_schedules_match_keras(name, kw):
    ours = getattr(optimizers.schedules, name)(**kw)
    theirs = getattr(keras.optimizers.schedules, name)(**kw)
    for step in range(0, 20):
        assert ours(step) == pytest.approx(float(_np(theirs(step))), rel=1e-5, abs=1e-7), step


# ----------------------------------------------------------------- initializers and friends
@pytest.mark.parametrize("name,shape", [
    ("GlorotUniform", (30, 50)), ("GlorotNormal", (3, 3, 16, 32)), ("HeNormal", (200, 40)),
    ("HeUniform", (5, 5, 8, 4)), ("LecunNormal", (100, 60)), ("LecunUniform", (64, 30)),
    ("RandomNormal", (100, 100)), ("RandomUniform", (100, 100)),
    ("TruncatedNormal", (100, 100)),
])
def test_initializer_statistics_match_keras(name, shape):
    shenjing.manual_seed(0)
    ours = initializers.get(name)(shape)
    theirs = _np(getattr(keras.initializers, name)(seed=1)(shape))
    assert ours.shape == shape and ours.dtype == np.float32
    assert abs(ours.mean() - theirs.mean()) < 4 * theirs.std() / np.sqrt(ours.size) + 1e-4
    assert ours.std() == pytest.approx(theirs.std(), rel=0.08)
    assert np.abs(ours).max() <= np.abs(theirs).max() * 1.1 + 1e-6


@pytest.mark.parametrize("name", ["uniform", "normal"])
def test_initializer_short_names_match_keras(name):
    ours, theirs = initializers.get(name), keras.initializers.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    cfg = theirs.get_config()
    assert ours.get_config() == {k: cfg[k] for k in ours.get_config()}
    w = ours((200, 100))
    if name == "uniform":
        assert np.abs(w).max() <= 0.05 and np.abs(w).max() > 0.049
    else:
        assert w.std() == pytest.approx(0.05, rel=0.05)
    from shenjing.keras import layers as sl
    emb = sl.Embedding(10, 4)  # Keras's default embeddings_initializer is 'uniform'
    assert isinstance(emb.embeddings_initializer, initializers.RandomUniform)


def test_initializer_limits_fans_and_lookup():
    for shape in [(7,), (30, 50), (3, 3, 16, 32), (2, 5, 4, 6)]:
        fi, fo = initializers.compute_fans(shape)
        lim = np.sqrt(6 / (fi + fo))
        w = initializers.GlorotUniform()(shape)
        # all |w| under 0.8 lim has probability 0.8^size: only asked of larger draws
        assert np.abs(w).max() <= lim and (w.size < 100 or np.abs(w).max() > 0.8 * lim)
        he = initializers.HeUniform()(shape)
        assert np.abs(he).max() <= np.sqrt(6 / fi)
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    t = initializers.TruncatedNormal(stddev=0.5)((4000,))
    assert np.abs(t).max() <= 1.0 and t.std() == pytest.approx(0.5 * 0.8796, rel=0.05)
    shenjing.manual_seed(3)
    a = initializers.get("he_normal")((4, 5))
    shenjing.manual_seed(3)
    np.testing.assert_array_equal(a, initializers.get("he_normal")((4, 5)))
    seeded = initializers.RandomNormal(seed=5)
    np.testing.assert_array_equal(seeded((3,)), seeded((3,)))
    q = initializers.Orthogonal()((6, 4))
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    np.testing.assert_array_equal(initializers.get("identity")((2, 3)), np.eye(2, 3))
    assert initializers.get("zeros")((2,), dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(initializers.Constant(3.0)((2,)), [3.0, 3.0])
    assert initializers.VarianceScaling(2.0, "fan_out", "uniform").get_config()["scale"] == 2.0
    assert initializers.get("GlorotUniform").get_config() == {"seed": None}
    with pytest.raises(ValueError):
        initializers.get("nope")


def test_regularizers_and_constraints_match_keras():
    w = RNG.normal(size=(5, 3)).astype(np.float32) * 2
    for ours, theirs in [(regularizers.L1(0.3), keras.regularizers.L1(0.3)),
                         (regularizers.L2(0.2), keras.regularizers.L2(0.2)),
                         (regularizers.L1L2(0.1, 0.2), keras.regularizers.L1L2(0.1, 0.2)),
                         (regularizers.get("l2"), keras.regularizers.get("l2")),
                         (regularizers.l1_l2(), keras.regularizers.l1_l2())]:
        np.testing.assert_allclose(_sj(ours(shenjing.tensor(w))), _np(theirs(w)), rtol=1e-5)
        assert ours.get_config() == pytest.approx(theirs.get_config())
    check_grad(lambda x: regularizers.L1L2(0.1, 0.2)(x), w.astype(np.float64))
    assert regularizers.get(None) is None
    for ours, theirs in [(constraints.MaxNorm(1.5), keras.constraints.MaxNorm(1.5)),
                         (constraints.MaxNorm(2, axis=1), keras.constraints.MaxNorm(2, axis=1)),
                         (constraints.NonNeg(), keras.constraints.NonNeg()),
                         (constraints.UnitNorm(), keras.constraints.UnitNorm()),
                         (constraints.MinMaxNorm(0.5, 1.0, 0.7),
                          keras.constraints.MinMaxNorm(0.5, 1.0, 0.7))]:
        np.testing.assert_allclose(_sj(ours(shenjing.tensor(w))), _np(theirs(w)), rtol=1e-5)
        np.testing.assert_allclose(ours(w), _np(theirs(w)), rtol=1e-5)
    assert isinstance(constraints.get("max_norm"), constraints.MaxNorm)
    assert constraints.get(None) is None


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "linear", "leaky_relu",
                                  "elu", "selu", "gelu", "softplus", "softsign", "swish", "silu",
                                  "exponential", "hard_sigmoid", "log_softmax", "relu6", "mish"])
def test_activations_match_keras(name):
    x = RNG.normal(size=(3, 5)).astype(np.float32) * 3
    ours = activations.get(name)(shenjing.tensor(x))
    np.testing.assert_allclose(_sj(ours), _np(keras.activations.get(name)(torch.tensor(x))),
                               rtol=1e-5, atol=1e-6)
    assert activations.get(None) is activations.linear
    if name not in ("linear",):
        check_grad(activations.get(name), x.astype(np.float64) + 0.01)


def test_activation_module_functions_and_errors():
    x = shenjing.tensor([-2.0, 0.5, 3.0])
    np.testing.assert_allclose(_sj(activations.relu(x, max_value=1.0)), [0, 0.5, 1.0])
    np.testing.assert_allclose(
        _sj(activations.relu(x, negative_slope=0.1, threshold=1.0)),
        _np(keras.activations.relu(torch.tensor([-2.0, 0.5, 3.0]), negative_slope=0.1,
                                   threshold=1.0)), rtol=1e-6)
    with pytest.raises(ValueError, match="activation"):
        activations.get("nope")


def test_to_categorical_and_normalize():
    y = np.array([0, 2, 1, 2])
    np.testing.assert_array_equal(kutils.to_categorical(y),
                                  _np(keras.utils.to_categorical(y)))
    assert kutils.to_categorical(y).dtype == np.float32
    assert kutils.to_categorical(y[:, None], 5).shape == (4, 5)
    assert kutils.to_categorical(np.zeros((2, 3), int), 4).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="outside"):
        kutils.to_categorical([0, 3], num_classes=3)
    x = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(kutils.normalize(x), _np(keras.utils.normalize(x)), rtol=1e-6)
