"""The process group: rank and world size from MPI, and collectives on tensors.

shenjing trains on many machines over MPI (mpi4py on any MPI library), the engine HPC
clusters use. Without ``mpiexec`` (or without mpi4py) the world is one process and every
collective is a no-op, so a script written for N ranks runs unchanged on one; importing
shenjing never imports mpi4py.

Every blocking collective is a non-blocking one plus a polling wait (``_wait``): a rank that
never answers ends the job after ``SHENJING_DIST_TIMEOUT`` seconds (default 600) with a
message, instead of hanging forever.
"""
from __future__ import annotations

import os
import time
from enum import Enum
from typing import Any, Sequence

import numpy as np

from ..autograd.tensor import Tensor

__all__ = ["ReduceOp", "init_process_group", "init", "is_initialized", "is_available",
           "is_mpi_available", "get_rank", "get_world_size", "get_backend",
           "destroy_process_group", "all_reduce", "broadcast", "barrier", "all_gather",
           "all_gather_object", "broadcast_object_list", "reduce", "Work"]

# variables an MPI launcher (hydra, Open MPI, PMIx, MVAPICH, Slurm's PMI) sets in each rank
_LAUNCH_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                "MV2_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")


class ReduceOp(Enum):
    """How ``all_reduce`` combines the ranks' values (torch.distributed.ReduceOp names)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class _Group:
    """The process group's state: the MPI communicator (None for a one-process world)."""

    comm: Any = None
    MPI: Any = None
    rank = 0
    world = 1
    initialized = False
    timeout = 600.0


_G = _Group()


def is_mpi_available() -> bool:
    """Whether mpi4py can be imported (an MPI library is installed)."""
    try:
        import mpi4py  # noqa: F401,PLC0415
    except ImportError:
        return False
    return True


def is_available() -> bool:
    """Always True: without MPI the world is one process."""
    return True


def _launched() -> bool:
    if os.environ.get("SHENJING_DIST_FORCE_MPI") == "1":
        return True
    return any(v in os.environ for v in _LAUNCH_VARS)


def init_process_group(backend: str | None = "mpi", init_method: str | None = None,
                       timeout: Any = None, world_size: int = -1, rank: int = -1,
                       **kwargs: Any) -> None:
    """Join the job: rank and world size come from ``MPI.COMM_WORLD``.

    Not launched by an MPI launcher, the world is one process (rank 0) and nothing imports
    mpi4py. In a world of more than one rank, an uncaught exception on any rank prints
    ``shenjing.distributed: rank R failed: ...`` and aborts the whole job (no hang).

    Args:
        backend: "mpi" (the only one; "gloo"/"nccl" are accepted and mean MPI here).
        timeout: seconds (or a timedelta) a collective waits before aborting the job.
        world_size, rank: checked against MPI's when given.
    """
    if _G.initialized:
        raise RuntimeError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() not in ("mpi", "gloo", "nccl"):
        raise ValueError(f"init_process_group: unknown backend {backend!r}; shenjing uses "
                         "'mpi'")
    t = timeout if timeout is not None else float(os.environ.get("SHENJING_DIST_TIMEOUT", 600))
    _G.timeout = float(t.total_seconds() if hasattr(t, "total_seconds") else t)
    if _launched():
        try:
            from mpi4py import MPI  # noqa: PLC0415
        except ImportError as e:
            size = os.environ.get("PMI_SIZE") or os.environ.get("OMPI_COMM_WORLD_SIZE") or "?"
            if size != "1":
                raise RuntimeError(
                    "shenjing.distributed: launched by an MPI launcher (world size "
                    f"{size}) but mpi4py is not installed; pip install mpi4py mpich") from e
            MPI = None
        if MPI is not None:
            _G.MPI, _G.comm = MPI, MPI.COMM_WORLD
            _G.rank, _G.world = _G.comm.Get_rank(), _G.comm.Get_size()
    for name, want, got in (("world_size", world_size, _G.world), ("rank", rank, _G.rank)):
        if want not in (-1, None) and want != got:
            raise ValueError(f"init_process_group: {name}={want} but MPI says {got}")
    _G.initialized = True
    if _G.world > 1:
        from . import failure  # noqa: PLC0415

        failure.install(_G)


def init(backend: str = "mpi", **kwargs: Any) -> tuple[int, int]:
    """Initialise the process group if needed; returns ``(rank, world_size)``."""
    if not _G.initialized:
        init_process_group(backend, **kwargs)
    return _G.rank, _G.world


def is_initialized() -> bool:
    return _G.initialized


def get_rank(group: Any = None) -> int:
    """This process's rank (0 when the group is not initialised, like a one-process world)."""
    return _G.rank


def get_world_size(group: Any = None) -> int:
    """Number of ranks (1 when not initialised)."""
    return _G.world


def get_backend(group: Any = None) -> str:
    return "mpi"


def destroy_process_group(group: Any = None) -> None:
    """Leave the group: a barrier, then back to a one-process world (MPI finalises at exit)."""
    if _G.initialized and _G.world > 1:
        barrier()
        from . import failure  # noqa: PLC0415

        failure.uninstall()
    _G.initialized, _G.comm, _G.rank, _G.world = False, None, 0, 1


# ----------------------------------------------------------------------- waiting
_SPIN_S = 0.05  # busy-poll this long before sleeping: MPI moves a collective on only
# while it is being polled, so early sleeps made a 1.4 MB allreduce 20x slower


def _wait(req: Any, what: str) -> None:
    """Poll ``req`` until done; abort the job if no answer within the timeout."""
    if req.Test():
        return
    start = time.perf_counter()
    spins, delay = 0, 0.0
    while not req.Test():
        spins += 1
        if spins % 64:
            continue
        waited = time.perf_counter() - start
        if waited > _SPIN_S:  # a long wait (a slow or dead rank): back off, check the clock
            delay = min(max(delay * 2, 1e-4), 2e-3)
            time.sleep(delay)
            if waited > _G.timeout:
                from . import failure  # noqa: PLC0415

                failure.abort(f"rank {_G.rank}: {what} got no answer from the other ranks "
                              f"within {_G.timeout:g} s (a rank died or hangs)")


def wait_all(reqs: Sequence[Any], what: str) -> None:
    for r in reqs:
        _wait(r, what)


class Work:
    """Handle of an ``async_op=True`` collective: ``wait()`` finishes it."""

    def __init__(self, req: Any = None, finish: Any = None, what: str = "collective") -> None:
        self._req, self._finish, self._what, self._done = req, finish, what, req is None

    def is_completed(self) -> bool:
        if not self._done and self._req.Test():
            self._complete()
        return self._done

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()

    def wait(self, timeout: Any = None) -> bool:
        if not self._done:
            _wait(self._req, self._what)
            self._complete()
        return True


# ----------------------------------------------------------------------- collectives
def _contig(t: Tensor, name: str) -> np.ndarray:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    a = t._data
    if not isinstance(a, np.ndarray):  # CuPy: MPI works on host memory here
        a = a.get()
    return a if a.flags.c_contiguous and a.flags.writeable else np.ascontiguousarray(a)


def _store(t: Tensor, buf: np.ndarray) -> None:
    """Put ``buf`` back into ``t`` in place (tensors keep their identity)."""
    if buf is t._data:
        return
    if isinstance(t._data, np.ndarray) and t._data.flags.writeable:
        np.copyto(t._data, buf, casting="unsafe")
    else:
        from ..backend import get_array_module  # noqa: PLC0415

        xp = get_array_module(t._data)
        t._data[...] = xp.asarray(buf) if xp is not np else buf


def _mpi_op(op: ReduceOp) -> Any:
    M = _G.MPI
    return {ReduceOp.SUM: M.SUM, ReduceOp.AVG: M.SUM, ReduceOp.PRODUCT: M.PROD,
            ReduceOp.MIN: M.MIN, ReduceOp.MAX: M.MAX}[op]


def _check_op(op: Any, t: Tensor) -> ReduceOp:
    if not isinstance(op, ReduceOp):
        raise ValueError(f"all_reduce: op should be a ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and t._data.dtype.kind not in "fc":
        raise ValueError(f"all_reduce: ReduceOp.AVG needs a floating-point tensor, got dtype "
                         f"{t._data.dtype}")
    return op


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Combine ``tensor`` over all ranks, in place: every rank ends with the result."""
    op = _check_op(op, tensor)
    buf = _contig(tensor, "all_reduce")
    if _G.world == 1:
        _store(tensor, buf)
        return Work() if async_op else None
    req = _G.comm.Iallreduce(_G.MPI.IN_PLACE, buf, op=_mpi_op(op))

    def finish() -> None:
        if op is ReduceOp.AVG:
            buf[...] /= _G.world
        _store(tensor, buf)

    work = Work(req, finish, "all_reduce")
    if async_op:
        return work
    work.wait()
    return None


def reduce(tensor: Tensor, dst: int, op: ReduceOp = ReduceOp.SUM, group: Any = None,
           async_op: bool = False) -> Work | None:
    """Combine ``tensor`` over all ranks into rank ``dst``'s tensor (others keep theirs)."""
    op = _check_op(op, tensor)
    _check_rank(dst, "reduce", "dst")
    buf = _contig(tensor, "reduce")
    if _G.world > 1:
        M = _G.MPI
        if _G.rank == dst:
            req = _G.comm.Ireduce(M.IN_PLACE, buf, op=_mpi_op(op), root=dst)
        else:
            req = _G.comm.Ireduce(buf, None, op=_mpi_op(op), root=dst)
        _wait(req, "reduce")
        if _G.rank == dst and op is ReduceOp.AVG:
            buf[...] /= _G.world
    if _G.rank == dst:
        _store(tensor, buf)
    return Work() if async_op else None


def _check_rank(r: int, fn: str, name: str) -> None:
    if not 0 <= int(r) < _G.world:
        raise ValueError(f"{fn}: {name}={r} is not a rank of a world of size {_G.world}")


def broadcast(tensor: Tensor, src: int, group: Any = None, async_op: bool = False) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``, in place."""
    _check_rank(src, "broadcast", "src")
    buf = _contig(tensor, "broadcast")
    if _G.world > 1:
        _wait(_G.comm.Ibcast(buf, root=src), "broadcast")
        _store(tensor, buf)
    return Work() if async_op else None


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> Work | None:
    """Wait until every rank reaches this point."""
    if _G.world > 1:
        _wait(_G.comm.Ibarrier(), "barrier")
    return Work() if async_op else None


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` (same shape on every rank)."""
    if len(tensor_list) != _G.world:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} entries, expected "
                         f"world size {_G.world}")
    buf = _contig(tensor, "all_gather")
    for i, t in enumerate(tensor_list):
        if tuple(t.shape) != buf.shape:
            raise ValueError(f"all_gather: tensor_list[{i}] has shape {tuple(t.shape)}, "
                             f"expected {buf.shape}")
    if _G.world == 1:
        out = buf[None]
    else:
        out = np.empty((_G.world,) + buf.shape, dtype=buf.dtype)
        _wait(_G.comm.Iallgather(buf, out), "all_gather")
    for t, part in zip(tensor_list, out):
        _store(t, part)
    return Work() if async_op else None


def all_gather_object(object_list: list, obj: Any, group: Any = None) -> None:
    """Fill ``object_list[r]`` with rank r's picklable ``obj``."""
    if len(object_list) != _G.world:
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} entries, "
                         f"expected world size {_G.world}")
    object_list[:] = [obj] if _G.world == 1 else _G.comm.allgather(obj)


def broadcast_object_list(object_list: list, src: int = 0, group: Any = None,
                          device: Any = None) -> None:
    """Replace ``object_list``'s items by rank ``src``'s, in place."""
    _check_rank(src, "broadcast_object_list", "src")
    if _G.world > 1:
        object_list[:] = _G.comm.bcast(list(object_list) if _G.rank == src else None, root=src)
