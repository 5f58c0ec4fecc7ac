"""Tensor creation, dtypes, conversion and printing, against PyTorch."""
import numpy as np
import pytest
import torch

import shenjing as sj


def assert_same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).split(".")[-1], (ours.dtype, theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("data", [
    [1.0, 2.0], [1, 2], [True, False], 3.5, 7, [[1, 2], [3, 4]], [], np.float64(2.0),
    np.arange(3, dtype=np.int32), np.ones((2, 2), np.float64), [1, 2.5],
])
def test_tensor_dtype_inference(data):
    assert_same(sj.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64"])
@pytest.mark.parametrize("data", [[0.1, 1e-310, 1e300], 0.1, [[1.5, 2], [3, 1e-40]]])
def test_python_floats_with_an_explicit_dtype_cast_once(data, dtype):
    """No detour through the default float32: 0.1 stays 0.1 in float64, 1e-310 is kept."""
    if dtype == "int64" and np.asarray(data).max() > 1e18:
        data = [0.1, 2.9]  # torch refuses float overflow into int64; not the point here
    for make in ("tensor", "as_tensor"):
        assert_same(getattr(sj, make)(data, dtype=getattr(sj, dtype)),
                    getattr(torch, make)(data, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("name,args,kw", [
    ("zeros", (2, 3), {}), ("ones", ((2, 3),), {}), ("zeros", (2,), {"dtype": "int64"}),
    ("full", ((2, 2), 1.5), {}), ("full", ((2,), 7), {}), ("full", ((2,), True), {}),
    ("arange", (5,), {}), ("arange", (1, 4, 0.5), {}), ("arange", (0, 10, 3), {}),
    ("arange", (5.0,), {}), ("linspace", (0, 1, 5), {}), ("eye", (3,), {}), ("eye", (2, 3), {}),
    ("ones", (0, 3), {}),
])
def test_creation_matches_torch(name, args, kw):
    kws = {k: getattr(sj, v) for k, v in kw.items()}
    kwt = {k: getattr(torch, v) for k, v in kw.items()}
    assert_same(getattr(sj, name)(*args, **kws), getattr(torch, name)(*args, **kwt))


def test_like_functions_and_dtypes():
    x = sj.ones(2, 3, dtype=sj.float64)
    for f in ("zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"):
        y = getattr(sj, f)(x)
        assert y.shape == (2, 3) and y.dtype == sj.float64
    assert sj.full_like(x, 4).numpy().max() == 4
    assert sj.randint_like(x, 5).dtype == sj.float64


def test_random_creation_reproducible_and_in_range():
    sj.manual_seed(0)
    a = sj.rand(1000)
    sj.manual_seed(0)
    b = sj.rand(1000)
    assert sj.equal(a, b) and a.dtype == sj.float32
    assert 0 <= a.numpy().min() and a.numpy().max() < 1
    n = sj.randn(20000)
    assert abs(float(n.mean())) < 0.03 and abs(float(n.std()) - 1) < 0.03
    r = sj.randint(3, 7, (1000,))
    assert r.dtype == sj.int64 and r.numpy().min() == 3 and r.numpy().max() == 6
    p = sj.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == sj.int64
    g = sj.Generator().manual_seed(3)
    assert sj.equal(sj.rand(4, generator=g), sj.rand(4, generator=sj.Generator().manual_seed(3)))


def test_conversions():
    x = sj.tensor([1.7, -2.2])
    assert x.long().dtype == sj.int64 and x.long().tolist() == [1, -2]
    assert x.int().dtype == sj.int32
    assert x.double().dtype == sj.float64 and x.to(sj.float64).dtype == sj.float64
    assert x.bool().tolist() == [True, True]
    assert x.float() is x
    assert sj.tensor(3.0).item() == 3.0 and isinstance(sj.tensor(3).item(), int)
    assert x.tolist() == pytest.approx([1.7, -2.2])
    assert x.size() == (2,) and x.size(0) == 2 and x.dim() == 1 and x.numel() == 2
    assert x.shape == sj.Size([2])
    a = np.arange(3.0)
    t = sj.from_numpy(a)
    a[0] = 9
    assert t[0].item() == 9.0 and t.dtype == sj.float64
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    with pytest.raises(RuntimeError, match="requires grad"):
        sj.tensor([1.0], requires_grad=True).numpy()


def test_clone_and_detach():
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and c.grad_fn is not None
    c.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])
    d = x.detach()
    d._data[0] = 5
    assert x[0].item() == 5  # detach shares storage


@pytest.mark.parametrize("make", [
    lambda m: m.tensor([1.0, 2.0, 3.0]), lambda m: m.tensor([[1.5, -2.25], [3.0, 4.0]]),
    lambda m: m.tensor(3.0), lambda m: m.tensor([1, 2, 3]), lambda m: m.tensor([True, False]),
    lambda m: m.tensor([0.1234567, 100.5]), lambda m: m.tensor([1e-5, 1.0]),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True), lambda m: m.zeros(2, 0),
    lambda m: m.tensor([1.0, float("nan"), float("inf")]), lambda m: m.arange(12).reshape(3, 4),
    lambda m: m.tensor([1, 2], dtype=m.int32), lambda m: m.tensor([1.5], dtype=m.float64),
])
def test_repr_like_torch(make):
    ours, theirs = repr(make(sj)), repr(make(torch))
    assert ours == theirs.replace("torch.", "shenjing.")


def test_repr_grad_fn():
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"


def test_device_cpu_and_cuda_error():
    x = sj.ones(2)
    assert str(x.device) == "cpu" and x.to("cpu") is x and x.cpu() is x
    with pytest.raises(RuntimeError, match="cuda"):
        sj.ones(2, device="cuda")
