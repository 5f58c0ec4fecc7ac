"""Plain safetensors files: compatible with the ``safetensors`` library both ways, every field
validated; shenjing's saved zoo weights load into PyTorch's twins and give the same outputs."""
from __future__ import annotations

import io
import json
import os
from collections import OrderedDict

import numpy as np
import pytest
import torch

import shenjing
from shenjing import models
from shenjing.io import (SafetensorsError, load_file, load_metadata, load_torch_state_dict,
                         save_file, save_torch_compatible)
from _io_zoo import assert_rel_close, forward_both, input_for, reference, zoo_params

st = pytest.importorskip("safetensors.torch")


def _randomize_ours_(model, seed: int = 3) -> None:
    """Non-trivial running statistics so eval mode exercises them."""
    rng = np.random.default_rng(seed)
    for name, b in model.named_buffers():
        if name.endswith("running_mean"):
            b._data[...] = 0.1 * rng.standard_normal(b.shape)
        elif name.endswith("running_var"):
            b._data[...] = 0.5 + rng.random(b.shape)


@pytest.mark.parametrize("name", zoo_params())
def test_zoo_weights_saved_by_shenjing_load_into_pytorch(name, tmp_path):
    shenjing.manual_seed(0)
    ours = models.get_model(name, num_classes=10)
    _randomize_ours_(ours)
    save_torch_compatible(ours.state_dict(), tmp_path / "w.safetensors")
    ref = reference(name, 10)
    ref.load_state_dict(st.load_file(str(tmp_path / "w.safetensors")))  # strict
    a, b = forward_both(ours, ref, input_for(name, seed=1))
    assert np.isfinite(b).all() and np.abs(b).max() > 0
    assert_rel_close(a, b, 1e-4, name)


def test_round_trip_with_the_safetensors_library(tmp_path):
    rng = np.random.default_rng(0)
    ours = OrderedDict([
        ("f32", shenjing.tensor(rng.standard_normal((2, 3)).astype(np.float32))),
        ("f64", rng.standard_normal(4)), ("f16", rng.standard_normal(3).astype(np.float16)),
        ("i64", np.arange(5)), ("i32", np.arange(3, dtype=np.int32)),
        ("i16", np.arange(2, dtype=np.int16)), ("i8", np.arange(-2, 2, dtype=np.int8)),
        ("u8", np.arange(4, dtype=np.uint8)), ("b", np.array([True, False])),
        ("scalar", np.array(2.5, np.float32)), ("empty", np.zeros((0, 3), "f4")),
        ("view", np.arange(12.0).reshape(3, 4).T),  # non-contiguous input
    ])
    save_file(ours, tmp_path / "a.safetensors", metadata={"k": "v"})
    theirs = st.load_file(str(tmp_path / "a.safetensors"))
    assert set(theirs) == set(ours)
    for k, v in ours.items():
        want = v.numpy() if isinstance(v, shenjing.Tensor) else v
        assert theirs[k].numpy().dtype == want.dtype, k
        assert np.array_equal(theirs[k].numpy(), want), k
    from safetensors import safe_open
    with safe_open(str(tmp_path / "a.safetensors"), "pt") as f:
        assert f.metadata() == {"k": "v"}
    assert load_metadata(tmp_path / "a.safetensors") == {"k": "v"}
    # and the library's files (bf16 widened exactly) read back
    src = {"w": torch.randn(3, 2), "h": torch.randn(2).bfloat16(), "i": torch.arange(3)}
    st.save_file(src, str(tmp_path / "b.safetensors"), metadata={"format": "pt"})
    got = load_file(tmp_path / "b.safetensors")
    for k, v in src.items():
        assert np.array_equal(got[k].numpy(), v.float().numpy() if k == "h" else v.numpy())
    assert load_metadata(tmp_path / "b.safetensors") == {"format": "pt"}
    buf = io.BytesIO()  # file objects work too
    save_file({"x": np.ones(2, np.float32)}, buf)
    buf.seek(0)
    assert np.array_equal(load_file(buf)["x"].numpy(), np.ones(2, np.float32))


def _raw(header: dict, body: bytes) -> bytes:
    h = json.dumps(header).encode()
    return len(h).to_bytes(8, "little") + h + body


@pytest.mark.parametrize("header,body,match", [
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4, "truncated"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4, "need 8"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8, "contiguous"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, "contiguous"),
    ({"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8, "dtype"),
    ({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4, "shape"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4, "data_offsets"),
    ({"a": {"dtype": "F32", "shape": [1]}}, b"\0" * 4, "exactly"),
    ({"__metadata__": {"k": 1}}, b"", "metadata"),
])
def test_invalid_files_are_refused(header, body, match, tmp_path):
    (tmp_path / "x.safetensors").write_bytes(_raw(header, body))
    with pytest.raises(SafetensorsError, match=match):
        load_file(tmp_path / "x.safetensors")


def test_garbage_and_atomic_write(tmp_path):
    p = tmp_path / "g.safetensors"
    p.write_bytes(b"\x05\0\0\0\0\0\0\0nope!")
    with pytest.raises(SafetensorsError, match="JSON"):
        load_torch_state_dict(p)
    p.write_bytes(b"abc")
    with pytest.raises(SafetensorsError, match="too short"):
        load_file(p)
    save_file({"x": np.ones(2, np.float32)}, p)
    with pytest.raises(TypeError, match="unsupported dtype"):
        save_file({"x": np.ones(2, np.complex64)}, p)
    with pytest.raises(TypeError, match="Tensor or a NumPy"):
        save_file({"x": [1, 2]}, p)
    # the failed writes left the earlier file intact and no temporary files behind
    assert np.array_equal(load_file(p)["x"].numpy(), np.ones(2, np.float32))
    assert os.listdir(tmp_path) == ["g.safetensors"]


@pytest.mark.slow
def test_transfer_learning_example(tmp_path):
    """examples/transfer_learning.py: PyTorch-made ResNet-18 safetensors -> frozen backbone,
    new head; only the head trains and it learns the generated classes."""
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.join(root, "examples"))
    import transfer_learning as ex

    path = str(tmp_path / "r18.safetensors")
    ex.make_pytorch_weights(path)
    theirs = st.load_file(path)
    assert len(theirs) == 122 and theirs["fc.weight"].shape == (1000, 512)
    acc = ex.main(path, classes=3, steps=20)
    assert acc >= 0.8  # chance is 1/3
