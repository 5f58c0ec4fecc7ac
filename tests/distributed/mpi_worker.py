"""Scenarios run under ``mpiexec -n 2`` by the tests of shenjing.distributed.

    mpiexec -n 2 python mpi_worker.py SCENARIO OUT_DIR

Each scenario asserts on every rank (an assertion error aborts the job with the rank's
name) and rank 0 prints ``OK <scenario>``; the equivalence scenarios also write the weights
of the 2-rank run and of a 1-process reference run into OUT_DIR for the test to compare.
"""
import os
import signal
import sys
import time

import numpy as np

import shenjing as sj
import shenjing.distributed as dist
from shenjing import nn, optim

STEPS, GLOBAL, FEATURES, CLASSES = 20, 64, 12, 3


def collectives() -> None:
    r, w = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and w == 2
    tot = w * (w + 1) / 2
    t = sj.tensor([1.0, 2.0]) * (r + 1)
    dist.all_reduce(t)
    np.testing.assert_allclose(t.numpy(), [tot, 2 * tot])
    t = sj.tensor([1.0, 2.0]) * (r + 1)
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    np.testing.assert_allclose(t.numpy(), [tot / w, 2 * tot / w])
    t = sj.tensor([3.0 - r, float(r)])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    np.testing.assert_allclose(t.numpy(), [3.0, w - 1.0])
    t = sj.tensor([3.0 - r, float(r)])
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    np.testing.assert_allclose(t.numpy(), [3.0 - (w - 1), 0.0])
    t = sj.tensor([r + 2, 1], dtype=sj.int64)
    dist.all_reduce(t, op=dist.ReduceOp.PRODUCT)
    assert t.dtype == sj.int64 and t.tolist() == [6, 1]
    base = sj.arange(6, dtype=sj.float32).reshape(2, 3) * (r + 1)
    view = base.t()  # non-contiguous: reduced in place all the same
    dist.all_reduce(view)
    np.testing.assert_allclose(view.numpy(), (np.arange(6).reshape(2, 3) * tot).T)
    work = dist.all_reduce(t2 := sj.ones(4) * r, async_op=True)
    assert work.wait() and work.is_completed()
    np.testing.assert_allclose(t2.numpy(), np.full(4, tot - w))
    b = sj.full((3,), float(r + 10))
    dist.broadcast(b, src=1)
    np.testing.assert_allclose(b.numpy(), np.full(3, 11.0))
    dist.barrier()
    outs = [sj.zeros(2, 2) for _ in range(w)]
    dist.all_gather(outs, sj.full((2, 2), float(r)))
    for k, o in enumerate(outs):
        np.testing.assert_allclose(o.numpy(), np.full((2, 2), float(k)))
    objs = [None] * w
    dist.all_gather_object(objs, {"rank": r})
    assert objs == [{"rank": k} for k in range(w)]
    lst = [f"from {r}", r]
    dist.broadcast_object_list(lst, src=0)
    assert lst == ["from 0", 0]
    red = sj.tensor([float(r + 1)])
    dist.reduce(red, dst=0)
    assert red.item() == (tot if r == 0 else r + 1)
    for bad in (lambda: dist.broadcast(b, src=5), lambda: dist.all_gather([b], b)):
        try:
            bad()
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError")
    assert dist.is_main_process() == (r == 0)
    sj.manual_seed(r)  # per-rank weights and gradients
    lin = nn.Linear(3, 2)
    dist.broadcast_parameters(lin)
    _same_on_all_ranks(lin)
    lin(sj.ones(4, 3) * (r + 1)).sum().backward()
    dist.average_gradients(lin.parameters(), bucket_mb=1e-5)  # one bucket per parameter
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.full((2, 3), 4 * tot / w))
    np.testing.assert_allclose(lin.bias.grad.numpy(), np.full(2, 4.0))
    dist.print0("OK collectives")


def _data(seed: int, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((STEPS * GLOBAL,) + shape).astype(np.float32)
    w = rng.standard_normal((int(np.prod(shape)), CLASSES))
    y = (x.reshape(len(x), -1) @ w).argmax(1).astype(np.int64)
    return x, y


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(FEATURES, 32), nn.Tanh(), nn.Linear(32, 16), nn.ReLU(),
                         nn.Linear(16, CLASSES))


def _cnn() -> nn.Module:
    # no bias before a BatchNorm: its gradient is 0 up to rounding, which Adam would blow up
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 8, bias=False),
                         nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, CLASSES))


def _train(model: nn.Module, opt_name: str, x: np.ndarray, y: np.ndarray, lo: int,
           hi: int) -> None:
    """STEPS steps on rows [lo, hi) of every 64-row global batch."""
    opt = (optim.SGD(model.parameters(), lr=0.05, momentum=0.9) if opt_name == "sgd"
           else optim.Adam(model.parameters(), lr=1e-2))
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for s in range(STEPS):
        xb = sj.from_numpy(x[s * GLOBAL + lo:s * GLOBAL + hi])
        yb = sj.from_numpy(y[s * GLOBAL + lo:s * GLOBAL + hi])
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        opt.step()


def _same_on_all_ranks(model: nn.Module) -> None:
    for name, v in model.state_dict().items():
        a = v.numpy().astype(np.float64)
        hi, lo = sj.from_numpy(a.copy()), sj.from_numpy(a.copy())
        dist.all_reduce(hi, op=dist.ReduceOp.MAX)
        dist.all_reduce(lo, op=dist.ReduceOp.MIN)
        assert np.array_equal(hi.numpy(), lo.numpy()), f"{name} differs across ranks"


def equivalence(kind: str, opt_name: str, out_dir: str) -> None:
    r, w = dist.get_rank(), dist.get_world_size()
    make, shape = (_mlp, (FEATURES,)) if kind == "mlp" else (_cnn, (2, 8, 8))
    x, y = _data(7, shape)
    sj.manual_seed(100 + r)  # different inits: DDP must broadcast rank 0's
    local = make()
    if kind == "cnn":
        local = dist.convert_sync_batchnorm(local)
    ddp = dist.DistributedDataParallel(local, bucket_cap_mb=0.001)  # several buckets
    assert len(ddp._buckets) > 1
    assert all(k.startswith("module.") for k in ddp.state_dict())
    per = GLOBAL // w
    _train(ddp, opt_name, x, y, per * r, per * (r + 1))
    _same_on_all_ranks(ddp.module)
    if r == 0:
        sj.manual_seed(100)
        ref = make()
        _train(ref, opt_name, x, y, 0, GLOBAL)
        got = {f"ddp/{k}": v.numpy() for k, v in ddp.module.state_dict().items()}
        want = {f"ref/{k}": v.numpy() for k, v in ref.state_dict().items()}
        np.savez(os.path.join(out_dir, f"{kind}_{opt_name}.npz"), **got, **want)
        print(f"OK equivalence {kind} {opt_name}", flush=True)


def no_sync(out_dir: str) -> None:
    """Two micro-batches per step, the first under no_sync, equal one process on both."""
    r, w = dist.get_rank(), dist.get_world_size()
    x, y = _data(3, (FEATURES,))
    sj.manual_seed(5)
    ddp = dist.DistributedDataParallel(_mlp())
    opt = optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    half, per = GLOBAL // 2, GLOBAL // 2 // w
    for s in range(5):
        opt.zero_grad()
        for m in range(2):
            lo = s * GLOBAL + m * half + r * per
            xb, yb = sj.from_numpy(x[lo:lo + per]), sj.from_numpy(y[lo:lo + per])
            if m == 0:
                with ddp.no_sync():
                    loss_fn(ddp(xb), yb).backward()
                g = ddp.module[0].weight.grad.clone()
                outs = [sj.zeros_like(g) for _ in range(w)]
                dist.all_gather(outs, g)  # still local: the ranks' gradients differ
                assert not np.allclose(outs[0].numpy(), outs[1].numpy())
            else:
                loss_fn(ddp(xb), yb).backward()
        opt.step()
    _same_on_all_ranks(ddp.module)
    if r == 0:
        sj.manual_seed(5)
        ref = _mlp()
        ropt = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
        for s in range(5):
            ropt.zero_grad()
            for m in range(2):
                lo = s * GLOBAL + m * half
                loss_fn(ref(sj.from_numpy(x[lo:lo + half])),
                        sj.from_numpy(y[lo:lo + half])).backward()
            ropt.step()
        for (k, a), b in zip(ddp.module.state_dict().items(), ref.state_dict().values()):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
        print("OK no_sync", flush=True)


def unused(out_dir: str) -> None:
    """find_unused_parameters: a branch unused in forward does not block the reduction."""
    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(4, 2), nn.Linear(4, 2)

        def forward(self, x):
            return self.a(x)

    sj.manual_seed(1)
    ddp = dist.DistributedDataParallel(Two(), find_unused_parameters=True)
    x = sj.ones(3, 4) * (dist.get_rank() + 1)
    ddp(x).sum().backward()
    assert ddp.module.b.weight.grad is None
    np.testing.assert_allclose(ddp.module.a.weight.grad.numpy(), np.full((2, 4), 4.5))
    ddp2 = dist.DistributedDataParallel(Two())
    ddp2(x).sum().backward()
    try:
        ddp2(x)
    except RuntimeError as e:
        assert "find_unused_parameters" in str(e)
    else:
        raise AssertionError("expected the unfinished-reduction error")
    dist.print0("OK unused")


def fail_raise(out_dir: str) -> None:
    dist.barrier()
    if dist.get_rank() == 1:
        raise ValueError("boom on purpose")
    dist.barrier()  # rank 0 would wait here forever without the abort
    time.sleep(60)


def fail_kill(out_dir: str) -> None:
    """Rank 1 is SIGKILLed at step 5 of a DDP training loop."""
    x, y = _data(1, (FEATURES,))
    ddp = dist.DistributedDataParallel(_mlp())
    opt = optim.SGD(ddp.parameters(), lr=0.1)
    for s in range(10_000):
        if s == 5 and dist.get_rank() == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        opt.zero_grad()
        nn.functional.cross_entropy(ddp(sj.from_numpy(x[:32])), sj.from_numpy(y[:32])).backward()
        opt.step()


def fail_hang(out_dir: str) -> None:
    """Rank 1 stops answering; rank 0's collective times out (SHENJING_DIST_TIMEOUT)."""
    if dist.get_rank() == 1:
        time.sleep(120)
    dist.barrier()


if __name__ == "__main__":
    scenario, out = sys.argv[1], sys.argv[2]
    dist.init_process_group("mpi")
    if scenario == "collectives":
        collectives()
    elif scenario.startswith("equivalence"):
        _, kind, opt_name = scenario.split(":")
        equivalence(kind, opt_name, out)
    else:
        globals()[scenario](out)
    dist.destroy_process_group()
