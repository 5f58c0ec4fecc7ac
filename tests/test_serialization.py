"""save / load: round trips, atomic writes, and refusal of truncated, tampered or pickle files."""
import io
import json
import os
import pickle

import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.serialization as ser

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.uint8, np.int16, np.int32, np.int64,
          np.bool_]


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (0, 3), (1, 1, 2)])
def test_tensor_round_trip_each_dtype(tmp_path, dt, shape):
    a = (np.random.default_rng(0).standard_normal(shape) * 50).astype(dt)
    path = tmp_path / "t.sj"
    sj.save(sj.tensor(a), path)
    back = sj.load(path)
    assert isinstance(back, sj.Tensor)
    assert back.dtype == sj.tensor(a).dtype and tuple(back.shape) == shape
    np.testing.assert_array_equal(back.numpy(), a)


def test_nested_state_dict_round_trip_file_object():
    w = sj.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    obj = {"model": {"w": w, "b": sj.zeros(3)},
           "optim": {"state": {0: {"step": sj.tensor(3.0), "exp_avg": sj.ones(2, 3)}},
                     "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False,
                                       "foreach": None, "params": [0]}]},
           "epoch": 7, "loss": float("nan"), "best": float("-inf"), "name": "run-1",
           "dtype": sj.float64, "shared": w, "arr": np.array([1, 2], np.int32)}
    buf = io.BytesIO()
    sj.save(obj, buf)
    buf.seek(0)
    back = sj.load(buf)
    assert back["epoch"] == 7 and back["name"] == "run-1" and np.isnan(back["loss"])
    assert back["best"] == float("-inf") and back["dtype"] == sj.float64
    g = back["optim"]["param_groups"][0]
    assert g == {"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False, "foreach": None,
                 "params": [0]}
    assert list(back["optim"]["state"]) == [0]  # int keys stay ints
    np.testing.assert_array_equal(back["model"]["w"].detach().numpy(), w.detach().numpy())
    assert back["model"]["w"].requires_grad and back["shared"] is back["model"]["w"]
    np.testing.assert_array_equal(back["arr"], [1, 2])
    # the loaded tensors own their memory: writing to one does not touch the file buffer
    back["model"]["b"]._data[0] = 5.0
    assert back["model"]["b"].numpy()[0] == 5.0


def test_optimizer_state_dict_round_trip(tmp_path):
    p = sj.tensor([1.0, -2.0], requires_grad=True)
    opt = sj.optim.Adam([p], lr=0.1, amsgrad=True)
    p.grad = sj.tensor([0.5, -0.25])
    opt.step()
    sj.save(opt.state_dict(), tmp_path / "opt.sj")
    opt2 = sj.optim.Adam([sj.tensor([1.0, -2.0], requires_grad=True)], lr=0.5)
    opt2.load_state_dict(sj.load(tmp_path / "opt.sj"))
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["amsgrad"] is True
    s = opt2.state[opt2.param_groups[0]["params"][0]]
    np.testing.assert_array_equal(s["exp_avg"].numpy(), opt.state[p]["exp_avg"].numpy())


def test_file_is_safetensors_layout(tmp_path):
    path = tmp_path / "m.sj"
    sj.save({"w": sj.tensor([[1.0, 2.0]]), "n": sj.tensor([3], dtype=sj.int64)}, path)
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"]["format"] == "shenjing"
    entries = [v for k, v in header.items() if k != "__metadata__"]
    assert sorted(e["dtype"] for e in entries) == ["F32", "I64"]
    assert len(raw) == 8 + n + 16
    assert n % 8 == 0  # header padded to 8 bytes, as safetensors writers do
    try:
        import safetensors.numpy as st
    except ImportError:  # the reference reader is optional
        return
    tensors = st.load(raw)
    assert sorted(a.dtype.name for a in tensors.values()) == ["float32", "int64"]


def test_save_is_atomic_previous_file_survives(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.sj"
    sj.save({"v": sj.tensor([1.0, 2.0])}, path)
    before = path.read_bytes()

    def broken(fh, arrays):
        fh.write(b"\x00" * 5)  # a partial write, then the disk "fails"
        raise OSError("disk full")

    monkeypatch.setattr(ser, "_write_arrays", broken)
    with pytest.raises(OSError, match="disk full"):
        sj.save({"v": sj.tensor([9.0, 9.0, 9.0])}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.sj"]  # no temporary file left behind
    np.testing.assert_array_equal(sj.load(path)["v"].numpy(), [1.0, 2.0])


def test_unsupported_object_raises_before_writing(tmp_path):
    path = tmp_path / "x.sj"
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        sj.save({"x": object()}, path)
    assert not path.exists()


def _saved(tmp_path):
    path = tmp_path / "c.sj"
    sj.save({"w": sj.tensor(np.linspace(0, 1, 10, dtype=np.float32)), "k": [1, 2]}, path)
    return path, path.read_bytes()


@pytest.mark.parametrize("cut", [0, 3, 8, 20, -1, -17])
def test_truncated_file_is_refused(tmp_path, cut):
    path, raw = _saved(tmp_path)
    path.write_bytes(raw[:cut])
    with pytest.raises(ValueError, match="shenjing.load"):
        sj.load(path)


def test_tampered_data_is_refused(tmp_path):
    path, raw = _saved(tmp_path)
    bad = bytearray(raw)
    bad[-3] ^= 0xFF
    path.write_bytes(bytes(bad))
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        sj.load(path)


def _rewrite_header(raw, edit):
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    edit(header)
    h = json.dumps(header).encode()
    return len(h).to_bytes(8, "little") + h + raw[8 + n:]


@pytest.mark.parametrize("edit,msg", [
    (lambda h: h["t0"].update(shape=[11]), "need"),
    (lambda h: h["t0"].update(dtype="F99"), "unknown dtype"),
    (lambda h: h["t0"].update(data_offsets=[4, 44]), "not contiguous"),
    (lambda h: h["t0"].update(shape=[-10]), "non-negative"),
    (lambda h: h.pop("__metadata__"), "no shenjing metadata"),
    (lambda h: h["__metadata__"].update(structure='{"tensor": "t7"}'), "not in the file"),
    (lambda h: h["__metadata__"].update(structure='{"evil": []}'), "unknown structure tag"),
    (lambda h: h["__metadata__"].update(structure="{not json"), "not valid JSON"),
    (lambda h: h["__metadata__"].update(version="9"), "unsupported checkpoint version"),
])
def test_tampered_header_is_refused(tmp_path, edit, msg):
    path, raw = _saved(tmp_path)
    path.write_bytes(_rewrite_header(raw, edit))
    with pytest.raises(ValueError, match=msg):
        sj.load(path)


def test_garbage_header_is_refused(tmp_path):
    path, raw = _saved(tmp_path)
    path.write_bytes(raw[:8] + b"\xff" * (len(raw) - 8))
    with pytest.raises(RuntimeError, match="not valid JSON"):
        sj.load(path)


class _Bomb:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_pickle_is_refused_without_executing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": _Bomb()}))
    with pytest.raises(RuntimeError, match="pickle"):
        sj.load(path)
    assert not (tmp_path / "PWNED").exists()
    torch.save({"w": torch.ones(2)}, tmp_path / "torch.pt")
    with pytest.raises(RuntimeError, match="zip archive"):
        sj.load(tmp_path / "torch.pt")
    with pytest.raises(ValueError, match="pickle"):
        sj.load(io.BytesIO(pickle.dumps([1, 2], protocol=2)))


def test_header_length_starting_with_0x80_is_not_taken_for_a_pickle():
    """The 8-byte header length is little-endian: its first byte may be 0x80 (a pickle's
    first byte); such checkpoints must still load."""
    hit = 0
    for pad in range(0, 300):
        buf = io.BytesIO()
        sj.save({"k" * (1 + pad): sj.ones(1)}, buf)
        data = buf.getvalue()
        if data[:1] == b"\x80":
            hit += 1
            assert list(sj.load(io.BytesIO(data))) == ["k" * (1 + pad)]
    assert hit > 0
