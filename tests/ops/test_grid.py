"""meshgrid, broadcast_tensors, cartesian_prod, tril/triu_indices, atleast_nd against
PyTorch (values and the gradients that flow back through the views)."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import compare, rand


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    a, b, c = rand(3, seed=1), rand(4, seed=2), rand(2, seed=3)
    compare(lambda x, y: sj.meshgrid(x, y, indexing=indexing),
            lambda x, y: torch.meshgrid(x, y, indexing=indexing), a, b)
    compare(lambda x, y, z: sj.meshgrid([x, y, z], indexing=indexing),
            lambda x, y, z: torch.meshgrid([x, y, z], indexing=indexing), a, b, c)


def test_meshgrid_errors():
    with pytest.raises(RuntimeError, match="indexing must be one of"):
        sj.meshgrid(sj.ones(2), indexing="yx")
    with pytest.raises(RuntimeError, match="0D or 1D"):
        sj.meshgrid(sj.ones(2, 2))


def test_broadcast_tensors_and_cartesian_prod():
    compare(lambda x, y, z: sj.broadcast_tensors(x, y, z),
            lambda x, y, z: torch.broadcast_tensors(x, y, z), rand(3, 1, seed=4),
            rand(1, 4, seed=5), rand(4, seed=6))
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        sj.broadcast_tensors(sj.ones(2, 3), sj.ones(4))
    compare(lambda x, y: sj.cartesian_prod(x, y), lambda x, y: torch.cartesian_prod(x, y),
            rand(3, seed=7), rand(2, seed=8))
    compare(sj.cartesian_prod, torch.cartesian_prod, rand(3, seed=9))


@pytest.mark.parametrize("args", [(4, 4), (3, 5, 1), (5, 3, -1), (4, 4, 0), (0, 3)])
def test_tri_indices(args):
    for name in ("tril_indices", "triu_indices"):
        ours, ref = getattr(sj, name)(*args), getattr(torch, name)(*args)
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
        assert ours.dtype == sj.int64
    assert sj.tril_indices(3, 3, dtype=sj.int32).dtype == sj.int32


@pytest.mark.parametrize("n", [1, 2, 3])
def test_atleast(n):
    for shape in [(), (3,), (2, 3), (2, 3, 4)]:
        x = rand(*shape, seed=10) if shape else np.array(1.5, np.float32)
        compare(getattr(sj, f"atleast_{n}d"), getattr(torch, f"atleast_{n}d"), x)
    outs = getattr(sj, f"atleast_{n}d")(sj.ones(2), sj.ones(()))
    refs = getattr(torch, f"atleast_{n}d")(torch.ones(2), torch.ones(()))
    assert [tuple(o.shape) for o in outs] == [tuple(r.shape) for r in refs]
