"""Tensor.new_tensor / new_zeros / new_ones / new_empty / new_full against PyTorch."""
import numpy as np
import pytest
import torch

import shenjing


@pytest.mark.parametrize("base", ["float64", "float32", "int64"])
@pytest.mark.parametrize("call", [
    ("new_zeros", (2, 3), {}), ("new_zeros", ((2, 3),), {}), ("new_ones", ([4],), {}),
    ("new_full", ((2, 2), 7), {}), ("new_full", ((3,), 0.5), {"dtype": "float16"}),
    ("new_tensor", ([1, 2.5],), {}), ("new_tensor", ([[0.1, 1e-310]],), {}),
    ("new_ones", (2,), {"dtype": "int64"}), ("new_empty", (0, 2), {}),
])
def test_new_methods_take_dtype_and_device_from_the_tensor(base, call):
    name, args, kw = call

    def run(lib):
        t = lib.ones(2, dtype=getattr(lib, base))
        out = getattr(t, name)(*args, **{k: getattr(lib, v) for k, v in kw.items()})
        return out

    ours, ref = run(shenjing), run(torch)
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    assert not ours.requires_grad and ours.device.type == "cpu"
    if name != "new_empty":
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_new_tensor_copies_and_can_require_grad():
    base = shenjing.zeros(3)
    data = np.array([1.0, 2.0], np.float32)
    t = base.new_tensor(data, requires_grad=True)
    data[0] = 9.0
    assert t.requires_grad and t.detach().numpy().tolist() == [1.0, 2.0]
    (t * 3).sum().backward()
    assert t.grad.numpy().tolist() == [3.0, 3.0]
