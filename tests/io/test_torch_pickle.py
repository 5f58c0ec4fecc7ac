"""Reading torch.save zip files through the restricted unpickler: every zoo model's PyTorch
weights load and give PyTorch's outputs; crafted pickles are refused and run nothing."""
from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import shenjing
from shenjing import models
from shenjing.io import (TorchFileError, UnsafePickleError, load_torch_pickle,
                         load_torch_state_dict)
from _io_zoo import (BIG, assert_rel_close, forward_both, input_for, randomize_, reference,
                     zoo_params)


@pytest.mark.parametrize("name", zoo_params())
def test_zoo_weights_saved_by_pytorch_load(name, tmp_path):
    """torch.save(state_dict) (and safetensors when installed) -> shenjing model -> same output."""
    torch.manual_seed(1)
    ref = reference(name, 10)
    randomize_(ref, seed=2)
    torch.save(ref.state_dict(), tmp_path / "w.pt")
    sd = load_torch_state_dict(tmp_path / "w.pt")
    assert list(sd) == list(ref.state_dict())
    ours = models.get_model(name, num_classes=10)
    ours.load_state_dict(sd)
    a, b = forward_both(ours, ref, input_for(name))
    assert np.isfinite(b).all() and np.abs(b).max() > 0
    assert_rel_close(a, b, 1e-4, name)
    if name in BIG:  # hundreds of MB more to write; the format is the same for every model
        return
    st = pytest.importorskip("safetensors.torch")
    st.save_file(ref.state_dict(), str(tmp_path / "w.safetensors"))
    sd2 = load_torch_state_dict(tmp_path / "w.safetensors")
    assert set(sd2) == set(sd)
    for k, v in sd.items():
        assert sd2[k].dtype == v.dtype and np.array_equal(sd2[k].numpy(), v.numpy()), k


def test_dtypes_views_parameters_and_metadata(tmp_path):
    sd = OrderedDict([
        ("f64", torch.randn(2, 3, dtype=torch.float64)),
        ("f16", torch.randn(4).half()),
        ("bf16", torch.randn(3).bfloat16()),
        ("i64", torch.arange(5)), ("i32", torch.arange(3, dtype=torch.int32)),
        ("i16", torch.arange(3, dtype=torch.int16)), ("i8", torch.arange(-2, 2).char()),
        ("u8", torch.arange(4).byte()), ("b", torch.tensor([True, False])),
        ("scalar", torch.tensor(3.5)), ("empty", torch.zeros(0, 3)),
        ("t", torch.arange(12.).reshape(3, 4).t()),  # non-contiguous strides
        ("slice", torch.arange(10.)[3:7]),  # a storage offset
    ])
    sd["shared"] = sd["i64"]  # two names, one storage
    torch.save(sd, tmp_path / "d.pth")
    out = load_torch_state_dict(str(tmp_path / "d.pth"))
    assert list(out) == list(sd)
    for k, v in sd.items():
        want = v.float().numpy() if v.dtype == torch.bfloat16 else v.numpy()
        got = out[k].numpy()
        assert got.dtype == want.dtype and got.shape == want.shape, k
        assert np.array_equal(got, want), k
    torch.save({"p": torch.nn.Parameter(torch.ones(2)), "n": 3, "s": "x", "l": [1, (2, 3)]},
               tmp_path / "p.pt")
    obj = load_torch_pickle(tmp_path / "p.pt")
    assert obj["n"] == 3 and obj["s"] == "x" and obj["l"] == [1, (2, 3)]
    assert np.array_equal(obj["p"].numpy(), np.ones(2, np.float32))
    with pytest.raises(TorchFileError, match="not tensors"):
        load_torch_state_dict(tmp_path / "p.pt")
    m = torch.nn.BatchNorm1d(2)
    torch.save(m.state_dict(), tmp_path / "m.pt")
    got = load_torch_pickle(tmp_path / "m.pt")
    assert got._metadata == m.state_dict()._metadata  # the OrderedDict's BUILD state


# ----------------------------------------------------------------------------- crafted files
class _Boom:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def _zip_with(pkl: bytes, path, prefix: str = "archive") -> None:
    """A torch.save-shaped zip whose data.pkl is ``pkl``."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{prefix}/data.pkl", pkl)
        z.writestr(f"{prefix}/byteorder", "little")
        z.writestr(f"{prefix}/version", "3\n")


def _payloads(marker: str) -> dict:
    import builtins
    import subprocess
    cmd = f"touch {marker}"
    return {
        "os.system": _Boom(os.system, (cmd,)),
        "builtins.eval": _Boom(builtins.eval, (f"open({marker!r}, 'w').close()",)),
        "builtins.exec": _Boom(builtins.exec, (f"open({marker!r}, 'w').close()",)),
        "subprocess": _Boom(subprocess.call, (["touch", marker],)),
        # hidden inside a legitimate-looking state_dict, after a real tensor
        "nested": OrderedDict([("w", torch.ones(2)),
                               ("evil", [{"x": _Boom(os.system, (cmd,))}])]),
        # hand-written: getattr(__import__('os'), 'system')(cmd), a reduce of reduces
        "getattr": (b"cbuiltins\ngetattr\n(cbuiltins\n__import__\n(S'os'\ntRS'system'\ntR(S'"
                    + cmd.encode() + b"'\ntR."),
    }


@pytest.mark.parametrize("kind", ["os.system", "builtins.eval", "builtins.exec", "subprocess",
                                  "nested", "getattr"])
def test_code_running_pickle_is_refused(kind, tmp_path):
    marker = str(tmp_path / "marker")
    obj = _payloads(marker)[kind]
    path = tmp_path / "evil.pt"
    if isinstance(obj, bytes):  # check the hand-written pickle really runs its payload
        pickle.loads(obj.replace(b"marker", b"probe"))
        assert os.path.exists(marker.replace("marker", "probe"))
    if kind == "nested":
        torch.save(obj, path)  # a real torch.save zip with the payload inside
    else:
        _zip_with(obj if isinstance(obj, bytes) else pickle.dumps(obj, protocol=2), path)
    with pytest.raises(UnsafePickleError, match="refusing to load.*global '") as e:
        load_torch_state_dict(path)
    assert "Nothing was executed" in str(e.value)
    assert not os.path.exists(marker)
    # the same payload through the plain loader fails the same way
    with pytest.raises(UnsafePickleError):
        load_torch_pickle(path)
    assert not os.path.exists(marker)


def test_refused_global_is_named(tmp_path):
    _zip_with(pickle.dumps(_Boom(os.system, ("true",)), protocol=2), tmp_path / "e.pt")
    with pytest.raises(UnsafePickleError, match=r"'(posix|os)\.system'"):
        load_torch_state_dict(tmp_path / "e.pt")
    # a torch global outside the allow-list is refused too
    pkl = b"\x80\x02ctorch.serialization\n_load_from_bytes\nq\x00."
    _zip_with(pkl, tmp_path / "f.pt")
    with pytest.raises(UnsafePickleError, match="torch.serialization._load_from_bytes"):
        load_torch_pickle(tmp_path / "f.pt")


def test_bad_files_give_clear_errors(tmp_path):
    torch.save({"w": torch.ones(3)}, tmp_path / "ok.pt")
    data = (tmp_path / "ok.pt").read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(TorchFileError, match="damaged|torch.save"):
        load_torch_state_dict(tmp_path / "trunc.pt")
    (tmp_path / "garbage.pt").write_bytes(b"PK\x03\x04" + os.urandom(200))
    with pytest.raises(TorchFileError, match="damaged|torch.save"):
        load_torch_pickle(tmp_path / "garbage.pt")
    (tmp_path / "text.pt").write_bytes(b"hello world, not a zip")
    with pytest.raises(TorchFileError, match="not a torch.save zip"):
        load_torch_pickle(tmp_path / "text.pt")
    torch.save({"w": torch.ones(3)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(TorchFileError, match="legacy"):
        load_torch_state_dict(tmp_path / "legacy.pt")
    # a storage too small for the tensor that views it
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(buf, "w") as out:
        for n in z.namelist():
            out.writestr(n, z.read(n)[:4] if n.endswith("data/0") else z.read(n))
    (tmp_path / "short.pt").write_bytes(buf.getvalue())
    with pytest.raises(TorchFileError, match="has 4 bytes"):
        load_torch_state_dict(tmp_path / "short.pt")


def test_loaded_state_dict_trains_in_shenjing(tmp_path):
    """The loaded tensors are ordinary shenjing tensors: load, then a gradient step runs."""
    ref = torch.nn.Linear(3, 2)
    torch.save(ref.state_dict(), tmp_path / "l.pt")
    ours = shenjing.nn.Linear(3, 2)
    ours.load_state_dict(load_torch_state_dict(tmp_path / "l.pt"))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    ours(shenjing.tensor(x)).sum().backward()
    ref(torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-6)
