"""ONNX export: every zoo model, Sequential stacks of supported layers and a Keras-face model
export, run in onnxruntime for batch sizes 1 and 3 from one file, and match shenjing to 1e-4."""
from __future__ import annotations

import numpy as np
import pytest

import shenjing
from shenjing import models, nn
from _io_zoo import input_for, zoo_params

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from shenjing.io import export_onnx  # noqa: E402
from shenjing.io.onnx_export import UnsupportedOperatorError, export  # noqa: E402


def _ours(model, x: np.ndarray) -> np.ndarray:
    with shenjing.no_grad():
        return np.asarray(model(shenjing.tensor(x)).numpy())


def _check(model, x: np.ndarray, path, batches=(1, 3), tol: float = 1e-4, **kw) -> None:
    """Export at batch 2, then run the one file at each batch size against shenjing."""
    model.eval()
    export(model, shenjing.tensor(x), str(path), **kw)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    rng = np.random.default_rng(7)
    for b in batches:
        xb = (rng.standard_normal((b,) + x.shape[1:]).astype(x.dtype) if x.dtype.kind == "f"
              else rng.integers(0, int(x.max()) + 1, (b,) + x.shape[1:]).astype(x.dtype))
        want = _ours(model, xb)
        got = sess.run(None, {name: xb})[0]
        assert got.shape == want.shape, (got.shape, want.shape)
        scale = max(1.0, float(np.abs(want).max()))
        err = float(np.abs(got - want).max()) if want.size else 0.0
        assert err <= tol * scale, f"batch {b}: max |diff| {err:.3g} > {tol} * {scale:.3g}"


@pytest.mark.parametrize("name", zoo_params())
def test_zoo_models_export(name, tmp_path):
    shenjing.manual_seed(0)
    model = models.get_model(name, num_classes=10)
    _check(model, input_for(name, batch=2), tmp_path / "m.onnx",
           batches=(1,) if name in ("alexnet_paper",) else (1, 3))


def test_graph_inputs_outputs_and_initializers(tmp_path):
    shenjing.manual_seed(0)
    model = models.get_model("lenet", num_classes=10)
    proto = export_onnx(model, shenjing.tensor(input_for("lenet", batch=2)),
                        str(tmp_path / "l.onnx"), input_names=["images"],
                        output_names=["logits"])
    assert [i.name for i in proto.graph.input] == ["images"]
    assert [o.name for o in proto.graph.output] == ["logits"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [1, 32, 32]
    assert proto.opset_import[0].version == 17
    inits = {i.name for i in proto.graph.initializer}
    assert set(model.state_dict()) <= inits  # parameters keep their state_dict names
    assert model.training  # traced in eval mode, then put back in training mode
    loaded = onnx.load(str(tmp_path / "l.onnx"))
    onnx.checker.check_model(loaded)
    # dynamic_axes overrides the default batch axis; dynamic_batch=False fixes it
    p2 = export(model, shenjing.tensor(input_for("lenet", batch=2)), str(tmp_path / "d.onnx"),
                dynamic_axes={"input": {0: "n"}, "output": [0]})
    assert p2.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "n"
    p3 = export(model, shenjing.tensor(input_for("lenet", batch=2)), str(tmp_path / "f.onnx"),
                dynamic_batch=False)
    assert p3.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2
    with pytest.raises(ValueError, match="opset_version"):
        export(model, shenjing.tensor(input_for("lenet")), str(tmp_path / "x.onnx"),
               opset_version=13)


def test_training_mode_is_restored(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5), nn.BatchNorm1d(3))
    model.train()
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    _check(model, x, tmp_path / "t.onnx")
    model.train()
    export(model, shenjing.tensor(x), str(tmp_path / "t2.onnx"))
    assert model.training and model[1].training


def _img(c: int, s: int, n: int = 2) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((n, c, s, s)).astype(np.float32)


SEQUENTIALS = {
    "mlp": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(48, 16), nn.ReLU(), nn.Linear(16, 5),
                                  nn.Softmax(dim=1)), lambda: _img(3, 4)),
    "conv_bn_pool": (lambda: nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1, dilation=1), nn.BatchNorm2d(8), nn.LeakyReLU(0.1),
        nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), nn.Conv2d(8, 8, 3, groups=4,
                                                                        dilation=2, padding=2),
        nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False, padding=1), nn.Tanh(),
        nn.AdaptiveAvgPool2d((3, 2)), nn.Flatten(), nn.Linear(48, 4), nn.LogSoftmax(dim=1)),
        lambda: _img(3, 11)),
    "transpose_shuffle_upsample": (lambda: nn.Sequential(
        nn.ConvTranspose2d(4, 8, 3, stride=2, padding=1, output_padding=1), nn.ELU(),
        nn.PixelShuffle(2), nn.Upsample(scale_factor=2, mode="nearest"), nn.Sigmoid(),
        nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=False), nn.GELU(),
        nn.ZeroPad2d((1, 2, 0, 1)), nn.ReflectionPad2d(1), nn.Conv2d(2, 3, 3)),
        lambda: _img(4, 3)),
    "conv1d_norms": (lambda: nn.Sequential(
        nn.Conv1d(3, 6, 3, padding=1), nn.GroupNorm(2, 6), nn.SiLU(), nn.MaxPool1d(2),
        nn.AvgPool1d(2), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.LayerNorm(6), nn.Hardtanh(),
        nn.Dropout(0.3), nn.Linear(6, 2)),
        lambda: np.random.default_rng(1).standard_normal((2, 3, 16)).astype(np.float32)),
    "lrn_and_friends": (lambda: nn.Sequential(
        nn.Conv2d(3, 6, 1), nn.LocalResponseNorm(3), nn.Softplus(), nn.Mish(), nn.ReLU6(),
        nn.Identity(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.SELU()),
        lambda: _img(3, 5)),
}


@pytest.mark.parametrize("name", sorted(SEQUENTIALS))
def test_sequential_of_supported_layers(name, tmp_path):
    shenjing.manual_seed(0)
    build, data = SEQUENTIALS[name]
    model = build()
    for m in model.modules():  # non-trivial running statistics
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean._data[...] = 0.1
            m.running_var._data[...] = 1.5
    _check(model, data(), tmp_path / f"{name}.onnx")


class _TextNet(nn.Module):
    """Embedding of integer tokens, a transpose and a mean: an integer graph input."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 6)
        self.fc = nn.Linear(6, 3)

    def forward(self, idx):
        h = self.emb(idx)  # (N, L, 6)
        h = h.permute(0, 2, 1)[:, :, 1:]
        return self.fc(h.mean(dim=2) * 2.0 - 1.0)


def test_embedding_model_with_integer_input(tmp_path):
    shenjing.manual_seed(0)
    idx = np.random.default_rng(0).integers(0, 20, (2, 7)).astype(np.int64)
    _check(_TextNet(), idx, tmp_path / "text.onnx")


class _Cumsum(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return shenjing.cumsum(self.fc(x), dim=1)


def test_unsupported_op_is_named(tmp_path):
    model = nn.Sequential(nn.Linear(4, 4), _Cumsum())
    x = shenjing.tensor(np.ones((2, 4), np.float32))
    with pytest.raises(UnsupportedOperatorError, match=r"op CumSum in layer 1 \(_Cumsum\)"):
        export(model, x, str(tmp_path / "u.onnx"))
    assert not (tmp_path / "u.onnx").exists()
    # and the tracer left Function.apply as it was
    from shenjing.autograd.function import Function
    assert Function.__dict__["apply"].__func__.__qualname__ == "Function.apply"
    assert model(x).shape == (2, 4)


def test_keras_sequential_exports(tmp_path):
    keras = pytest.importorskip("shenjing.keras")
    try:
        model = keras.Sequential([keras.Input(shape=(8, 8, 3)),
                                  keras.layers.Conv2D(4, 3, activation="relu"),
                                  keras.layers.Flatten(),
                                  keras.layers.Dense(5, activation="softmax")])
        x = np.random.default_rng(0).standard_normal((2, 8, 8, 3)).astype(np.float32)
        want = np.asarray(model.predict(x, verbose=0))
    except Exception as e:  # the Keras face is still being written
        pytest.skip(f"keras face not usable yet: {type(e).__name__}: {e}")
    export(model, shenjing.tensor(x), str(tmp_path / "k.onnx"))
    sess = ort.InferenceSession(str(tmp_path / "k.onnx"), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": x})[0]
    np.testing.assert_allclose(got, want, atol=1e-5)
    x3 = np.random.default_rng(1).standard_normal((3, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(sess.run(None, {"input": x3})[0],
                               np.asarray(model.predict(x3, verbose=0)), atol=1e-5)
