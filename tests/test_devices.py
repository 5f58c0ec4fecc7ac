"""Devices as PyTorch has them. Without CuPy: the clear install error. With a NumPy-backed
stand-in for CuPy (tests/fake_cupy.py): tensors, modules, optimizers and checkpoints move
between 'cpu' and 'cuda' and mixing devices fails as in PyTorch."""
import io
import sys

import numpy as np
import pytest

import shenjing as sj
from shenjing import nn, optim


@pytest.fixture
def no_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError


@pytest.fixture
def fake_gpu(monkeypatch):
    import fake_cupy

    monkeypatch.setitem(sys.modules, "cupy", None)
    mod = fake_cupy.install()
    yield mod
    monkeypatch.delitem(sys.modules, "cupy", raising=False)


def test_without_cupy_cuda_is_unavailable_and_says_how_to_install(no_cupy):
    assert sj.cuda.is_available() is False and sj.cuda.device_count() == 0
    d = sj.device("cuda:0")  # constructing a device works, as in PyTorch
    assert str(d) == "cuda:0" and d.type == "cuda" and d.index == 0
    for make in (lambda: sj.ones(2, device="cuda"), lambda: sj.ones(2).cuda(),
                 lambda: sj.ones(2).to("cuda"), lambda: nn.Linear(2, 2).cuda()):
        with pytest.raises(RuntimeError, match=r"pip install shenjing\[cuda12\]"):
            make()


def test_bad_device_strings():
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        sj.device("tpu")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        sj.device("cuda:x")
    assert sj.device("cpu") == "cpu" and sj.device(1) == sj.device("cuda:1")


def test_tensor_moves_and_gradients_flow_back(fake_gpu):
    assert sj.cuda.is_available() and sj.cuda.device_count() == 1
    x = sj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = x.cuda()
    assert g.device == sj.device("cuda:0") and g.is_cuda and not x.is_cuda
    assert type(g._data).__module__ == "cupy"
    y = (g * g).sum()
    y.backward()
    assert x.grad.device.type == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    assert g.cpu().device.type == "cpu" and g.to("cuda") is g
    with pytest.raises(TypeError, match="cuda:0 device type tensor to numpy"):
        g.detach().numpy()
    assert sj.zeros_like(g).device.type == "cuda"  # *_like keeps the input's device
    assert sj.randn(3, device="cuda").is_cuda


def test_random_draws_equal_on_both_devices(fake_gpu):
    sj.manual_seed(3)
    a = sj.randn(4, 5)
    sj.manual_seed(3)
    b = sj.randn(4, 5, device="cuda")
    np.testing.assert_array_equal(a.numpy(), b.cpu().numpy())


def test_new_methods_stay_on_the_tensors_device(fake_gpu):
    w = sj.ones(2, device="cuda")
    for t in (w.new_zeros(3), w.new_ones((2, 2)), w.new_full((2,), 1.5), w.new_tensor([1.0]),
              w.new_empty(1)):
        assert t.is_cuda and t.dtype == sj.float32
    assert not w.new_zeros(2, device="cpu").is_cuda


def test_mixing_devices_raises_naming_both(fake_gpu):
    a, b = sj.ones(3), sj.ones(3).cuda()
    with pytest.raises(RuntimeError, match="same device.*(cuda:0 and cpu|cpu and cuda:0)"):
        a + b
    lin = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="same device"):
        lin(b.reshape(1, 3))


def test_module_optimizer_and_training_on_the_device(fake_gpu):
    sj.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)

    def train(dev):
        sj.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(dev)
        opt = optim.Adam(model.parameters(), lr=0.05)
        xb, yb = sj.tensor(x, device=dev), sj.tensor(y, device=dev)
        for _ in range(20):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        return model, opt, float(loss.item())

    m_gpu, opt, loss_gpu = train("cuda")
    assert all(p.is_cuda for p in m_gpu.parameters())
    assert all(type(v._data).__module__ == "cupy" for st in opt.state.values()
               for k, v in st.items() if k != "step")
    m_cpu, _, loss_cpu = train("cpu")
    assert loss_gpu == pytest.approx(loss_cpu, rel=1e-6)
    for a, b in zip(m_gpu.parameters(), m_cpu.parameters()):
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), rtol=1e-6)
    assert not any(p.is_cuda for p in m_gpu.cpu().parameters())


def test_checkpoint_written_on_gpu_loads_on_cpu_and_back(fake_gpu):
    model = nn.Linear(3, 2).cuda()
    buf = io.BytesIO()
    sj.save(model.state_dict(), buf)
    on_gpu = sj.load(io.BytesIO(buf.getvalue()))
    assert all(t.is_cuda for t in on_gpu.values())  # back where it was saved
    on_cpu = sj.load(io.BytesIO(buf.getvalue()), map_location="cpu")
    assert not any(t.is_cuda for t in on_cpu.values())
    mapped = sj.load(io.BytesIO(buf.getvalue()), map_location={"cuda:0": "cpu"})
    assert not any(t.is_cuda for t in mapped.values())
    np.testing.assert_array_equal(on_cpu["weight"].numpy(), model.weight.detach().cpu().numpy())
    cpu_model = nn.Linear(3, 2)
    cpu_buf = io.BytesIO()
    sj.save(cpu_model.state_dict(), cpu_buf)
    back = sj.load(io.BytesIO(cpu_buf.getvalue()), map_location="cuda")
    assert all(t.is_cuda for t in back.values())


def test_optimizer_state_follows_its_parameter_on_load(fake_gpu):
    p = nn.Parameter(sj.ones(3))
    opt = optim.Adam([p], lr=0.1)
    p.grad = sj.ones(3)
    opt.step()
    sd = opt.state_dict()
    p.data = p.data.cuda()  # the parameter now lives on the GPU
    p._data = p.data._data
    opt2 = optim.Adam([p], lr=0.1)
    opt2.load_state_dict(sd)
    assert type(opt2.state[p]["exp_avg"]._data).__module__ == "cupy"


def _case_names():
    from gpu.test_gpu import CASES

    return sorted(CASES)


@pytest.mark.parametrize("name", _case_names())
def test_ops_keep_their_outputs_and_gradients_on_the_device(fake_gpu, name):
    """Each op family on 'cuda' arrays gives 'cuda' outputs and gradients equal to the CPU
    path: an op that allocated with NumPy instead of the input's array module shows here."""
    from gpu.test_gpu import CASES

    fn, arrays = CASES[name]

    def run(device):
        xs = [sj.tensor(a, device=device, requires_grad=True) for a in arrays]
        out = fn(*xs)
        out.backward(sj.ones_like(out))
        return out, xs

    out, xs = run("cuda")
    assert out.is_cuda and all(x.grad.is_cuda for x in xs), name
    ref, rxs = run("cpu")
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    for x, r in zip(xs, rxs):
        np.testing.assert_allclose(x.grad.cpu().numpy(), r.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_cli_train_runs_on_the_device(fake_gpu, tmp_path, capsys):
    """`shenjing train --device cuda` puts the model and batches on the GPU (the stand-in)."""
    from shenjing.cli import main

    seen = []
    orig = nn.Module.to

    def spy(self, *a, **k):
        seen.append(str(a[0]) if a else str(k.get("device")))
        return orig(self, *a, **k)

    nn.Module.to = spy
    try:
        status = main.main(["train", "--device", "cuda", "--epochs", "1", "--limit", "64",
                            "--model", "mlp", "--quiet", "--out", str(tmp_path / "run")])
    finally:
        nn.Module.to = orig
    assert status == 0 and "cuda" in seen
    assert (tmp_path / "run" / "metrics.csv").exists()
