"""shenjing.distributed in a one-process world (no mpiexec): everything is a no-op.

Also checks SyncBatchNorm's math against PyTorch's batch norm (in one process the global
batch is the local one) and that importing shenjing never needs mpi4py.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.distributed as dist
from shenjing import nn, optim
from shenjing.distributed.sync_bn import SyncBatchNormFn
from tests.helpers import compare, rand


@pytest.fixture
def world():
    assert not any(k in os.environ for k in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE"))
    if dist.is_initialized():
        dist.destroy_process_group()
    assert dist.init() == (0, 1)
    yield
    dist.destroy_process_group()


def test_import_and_init_do_not_need_mpi4py():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import shenjing, shenjing.distributed as d\n"
            "print(d.init(), d.is_initialized(), d.get_world_size(), d.is_mpi_available())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={k: v for k, v in os.environ.items()
                                          if not k.startswith(("PMI_", "OMPI_", "PMIX_"))})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(0, 1) True 1 False"


def test_collectives_are_identities(world):
    t = sj.tensor([1.0, -2.0])
    for op in dist.ReduceOp:
        dist.all_reduce(t, op=op)
    np.testing.assert_allclose(t.numpy(), [1.0, -2.0])
    dist.broadcast(t, src=0)
    dist.barrier()
    outs = [sj.zeros(2)]
    dist.all_gather(outs, t)
    np.testing.assert_allclose(outs[0].numpy(), [1.0, -2.0])
    assert dist.all_reduce(t, async_op=True).wait()
    with pytest.raises(ValueError, match="broadcast: src=1 is not a rank"):
        dist.broadcast(t, src=1)
    with pytest.raises(ValueError, match="AVG needs a floating-point"):
        dist.all_reduce(sj.tensor([1, 2]), op=dist.ReduceOp.AVG)
    with pytest.raises(TypeError, match="all_reduce: expected a Tensor"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group("mpi")


def test_rank_zero_helpers(world, tmp_path, capsys):
    assert dist.is_main_process()
    dist.print0("hello", 3)
    assert capsys.readouterr().out == "hello 3\n"
    assert dist.rank_zero_only(lambda a: a * 2)(4) == 8
    model = dist.DistributedDataParallel(nn.Linear(3, 2))
    dist.save_on_main(model, tmp_path / "m.pt")
    state = sj.load(tmp_path / "m.pt")
    assert sorted(state) == ["bias", "weight"]  # the inner model's keys, loadable by it
    assert dist.unwrap_model(model) is model.module
    ctx = dist.setup_for_cli()
    assert (ctx.rank, ctx.world_size, ctx.is_main, ctx.enabled) == (0, 1, True, False)
    lin = nn.Linear(2, 2)
    assert ctx.wrap_model(lin) is lin and ctx.make_sampler([1, 2]) is None
    assert ctx.sum([1.5, 2]) == [1.5, 2.0]


def test_ddp_in_one_process_is_the_plain_model(world):
    sj.manual_seed(0)
    a = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    b = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    b.load_state_dict(a.state_dict())
    ddp = dist.DistributedDataParallel(a)
    assert ddp.module is a
    assert list(ddp.state_dict()) == ["module." + k for k in b.state_dict()]
    oa, ob = optim.SGD(ddp.parameters(), lr=0.1), optim.SGD(b.parameters(), lr=0.1)
    x = sj.from_numpy(rand(16, 4))
    for _ in range(3):
        for m, o in ((ddp, oa), (b, ob)):
            o.zero_grad()
            m(x).pow(2).mean().backward()
            o.step()
    with ddp.no_sync():
        ddp(x).sum().backward()
    b(x).sum().backward()
    np.testing.assert_array_equal(a[0].weight.grad.numpy(), b[0].weight.grad.numpy())
    for (k, u), v in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(u.numpy(), v.numpy(), err_msg=k)
    with pytest.raises(TypeError, match="expected an nn.Module"):
        dist.DistributedDataParallel(lambda x: x)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 4), (2, 2, 1, 3, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_sync_batchnorm_math_equals_pytorch_batch_norm(shape, affine):
    c = shape[1]
    x = rand(*shape, seed=1) * 3 + 1
    w, b = rand(c, seed=2) + 1.5, rand(c, seed=3)

    def ours(x, *wb):
        return SyncBatchNormFn.apply(x, *wb, has_weight=affine, has_bias=affine, eps=1e-5,
                                     stats={})

    def theirs(x, *wb):
        return torch.nn.functional.batch_norm(x, None, None, *(wb or (None, None)),
                                              training=True, eps=1e-5)

    compare(ours, theirs, x, *((w, b) if affine else ()), atol=1e-5, rtol=1e-4)


def test_convert_sync_batchnorm_keeps_state_and_trains_like_batchnorm(world):
    sj.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3, momentum=0.2),
                        nn.Sequential(nn.Flatten(), nn.BatchNorm1d(12)))
    ref = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3, momentum=0.2),
                        nn.Sequential(nn.Flatten(), nn.BatchNorm1d(12)))
    ref.load_state_dict(net.state_dict())
    keys = list(net.state_dict())
    conv = dist.convert_sync_batchnorm(net)
    assert isinstance(conv[1], dist.SyncBatchNorm) and isinstance(conv[2][1], dist.SyncBatchNorm)
    assert conv[1].momentum == 0.2 and list(conv.state_dict()) == keys
    x = sj.from_numpy(rand(5, 1, 4, 4))
    np.testing.assert_allclose(conv(x).detach().numpy(), ref(x).detach().numpy(), rtol=1e-6,
                               atol=1e-6)
    for (k, u), v in zip(conv.state_dict().items(), ref.state_dict().values()):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-6, err_msg=k)
    with pytest.raises(ValueError, match="SyncBatchNorm: expected at least 2D input"):
        dist.SyncBatchNorm(3)(sj.ones(3))
