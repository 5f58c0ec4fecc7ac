"""Rank-0-only logging and saving, and the small API the CLI and the Keras fit call.

In a data-parallel job every rank runs the same script; logs, checkpoints and reports are
written once, by rank 0, and metrics are summed over ranks before they are printed.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

from ..autograd.tensor import Tensor
from ..nn.modules.module import Module
from . import comm as C

__all__ = ["is_main_process", "rank_zero_only", "print0", "save_on_main", "unwrap_model",
           "DistContext", "setup_for_cli", "sum_over_ranks", "broadcast_parameters",
           "average_gradients"]

F = TypeVar("F", bound=Callable[..., Any])


def is_main_process() -> bool:
    """True on rank 0 (and in a one-process world)."""
    return C.get_rank() == 0


def rank_zero_only(fn: F) -> F:
    """Decorator: ``fn`` runs on rank 0 only; other ranks get None."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if C.get_rank() == 0:
            return fn(*args, **kwargs)
        return None
    return wrapper  # type: ignore[return-value]


@rank_zero_only
def print0(*args: Any, **kwargs: Any) -> None:
    """``print`` on rank 0 only (flushed, so logs of a job arrive in order)."""
    kwargs.setdefault("flush", True)
    print(*args, **kwargs)


def unwrap_model(model: Module) -> Module:
    """The plain model inside a DistributedDataParallel (the model itself otherwise)."""
    from .ddp import DistributedDataParallel  # noqa: PLC0415

    return model.module if isinstance(model, DistributedDataParallel) else model


def save_on_main(obj: Any, path: Any) -> None:
    """``shenjing.save(obj, path)`` on rank 0 only, then a barrier so all ranks see the file.

    A DistributedDataParallel is saved as its inner model's state dict, loadable by the plain
    model.
    """
    from ..serialization import save  # noqa: PLC0415
    from .ddp import DistributedDataParallel  # noqa: PLC0415

    if isinstance(obj, DistributedDataParallel):
        obj = obj.module.state_dict()
    if C.get_rank() == 0:
        save(obj, path)
    C.barrier()


def sum_over_ranks(values: Sequence[float]) -> list[float]:
    """Each value summed over all ranks (float64), e.g. (loss * n, correct, n) for an epoch."""
    a = np.asarray(values, dtype=np.float64).copy()
    t = Tensor._wrap(a, None, False)
    C.all_reduce(t)
    return [float(v) for v in t._data]


def broadcast_parameters(module: Module, src: int = 0) -> None:
    """Copy rank ``src``'s parameters and buffers into every rank's ``module``, in place."""
    if C.get_world_size() == 1:
        return
    for t in list(module.parameters()) + list(module.buffers()):
        C.broadcast(t, src)


def average_gradients(params: Any, bucket_mb: float = 25.0) -> None:
    """Replace each ``.grad`` by its mean over ranks, after ``backward()`` (no overlap).

    For loops that cannot wrap the model in DistributedDataParallel (the Keras fit): the
    gradients go in flat float buckets of at most ``bucket_mb`` MB, all started
    non-blocking, then waited for. Every rank must pass the same parameters in the same order;
    a missing ``.grad`` counts as zeros.
    """
    n = C.get_world_size()
    if n == 1:
        return
    params = [p for p in params if p.requires_grad]
    cap = int(bucket_mb * 2 ** 20)
    groups: list[list] = [[]]
    size = 0
    for p in params:
        if groups[-1] and (size + p._data.nbytes > cap or
                           p._data.dtype != groups[-1][0]._data.dtype):
            groups.append([])
            size = 0
        groups[-1].append(p)
        size += p._data.nbytes
    pending = []
    for group in groups:
        if not group:
            continue
        flat = np.concatenate([p._grad._data.reshape(-1) if p._grad is not None
                               else np.zeros(p._data.size, p._data.dtype) for p in group])
        req = C._G.comm.Iallreduce(C._G.MPI.IN_PLACE, flat, op=C._G.MPI.SUM)
        pending.append((group, flat, req))
    for group, flat, req in pending:
        C._wait(req, "average_gradients")
        flat /= n
        off = 0
        for p in group:
            k = p._data.size
            p._grad = Tensor._wrap(flat[off:off + k].reshape(p._data.shape), None, False)
            off += k


class DistContext:
    """What a training loop needs to run data-parallel; a no-op in a one-process world.

    Attributes:
        rank, world_size, is_main: this process's place in the job.
    """

    def __init__(self, rank: int, world_size: int) -> None:
        self.rank, self.world_size = rank, world_size
        self.is_main = rank == 0
        self.sampler: Any = None

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def wrap_model(self, model: Module, sync_batchnorm: bool = True, **ddp_kwargs: Any) -> Module:
        """DistributedDataParallel(model) (BatchNorm made synchronous) when world > 1."""
        if not self.enabled:
            return model
        from .ddp import DistributedDataParallel  # noqa: PLC0415
        from .sync_bn import convert_sync_batchnorm  # noqa: PLC0415

        if sync_batchnorm:
            model = convert_sync_batchnorm(model)
        return DistributedDataParallel(model, **ddp_kwargs)

    def make_sampler(self, dataset: Any, shuffle: bool = True, seed: int = 0,
                     drop_last: bool = False) -> Any:
        """A DistributedSampler for ``dataset`` when world > 1 (None otherwise)."""
        if not self.enabled:
            return None
        from .sampler import DistributedSampler  # noqa: PLC0415

        self.sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed,
                                          drop_last=drop_last)
        return self.sampler

    def set_epoch(self, epoch: int) -> None:
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)

    def sum(self, values: Sequence[float]) -> list[float]:
        """Values summed over ranks (unchanged in a one-process world)."""
        return sum_over_ranks(values) if self.enabled else [float(v) for v in values]

    def print(self, *args: Any, **kwargs: Any) -> None:
        if self.is_main:
            kwargs.setdefault("flush", True)
            print(*args, **kwargs)

    def barrier(self) -> None:
        C.barrier()


def setup_for_cli() -> DistContext:
    """Initialise the process group (one process without mpiexec) and describe the job."""
    rank, world = C.init()
    return DistContext(rank, world)
