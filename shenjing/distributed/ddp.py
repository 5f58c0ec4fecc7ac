"""DistributedDataParallel: the same model on every rank, gradients averaged after backward.

Each rank runs forward and backward on its own slice of the batch; DDP makes the update the
one a single process would make on the whole batch, g = (1/N) sum_r g_r.

How the reduction overlaps backward. Parameters are grouped, in reverse registration order
(roughly the order backward finishes them), into contiguous buckets of at most
``bucket_cap_mb`` MB (the first one 1 MB, so communication starts early). The autograd
engine calls a leaf's post-accumulate hooks as soon as that leaf's gradient is final; DDP's
hook counts the bucket down and, when every gradient of the bucket is in, copies them into
the bucket's flat buffer and starts a non-blocking ``Iallreduce`` on it while backward goes
on with earlier layers (each later hook also polls the open requests, which is what moves
an MPI library without a progress thread). Buckets start in index order on every rank, so
all ranks issue the same collectives in the same order. When the last bucket has started
(inside the last gradient's hook, still within ``backward()``), DDP waits for all requests
and writes the averaged gradients back into ``.grad``: when ``loss.backward()`` returns the
gradients are already averaged, and no optimizer wrapper or explicit sync call is needed.

Parameters that get no gradient (unused in this forward) never fire their hook: pass
``find_unused_parameters=True`` and DDP finds them by walking the graph from the output
after forward, as PyTorch does; otherwise the next forward raises PyTorch's error.
"""
from __future__ import annotations

import weakref
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from ..autograd.grad_mode import is_grad_enabled
from ..autograd.tensor import Tensor
from ..nn.modules.module import Module
from . import comm as C

__all__ = ["DistributedDataParallel"]

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by "
    "making sure all `forward` function outputs participate in calculating loss.")


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer."""

    __slots__ = ("params", "offsets", "buf", "pending", "req")

    def __init__(self, params: list, dtype: np.dtype) -> None:
        self.params = params
        sizes = [int(p._data.size) for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64).tolist()
        self.buf = np.zeros(self.offsets[-1], dtype=dtype)
        self.pending = 0
        self.req: Any = None


def _hook_for(ddp: "DistributedDataParallel", idx: int) -> Any:
    ref = weakref.ref(ddp)

    def hook(param: Tensor) -> None:
        d = ref()
        if d is not None and d._armed:
            d._grad_ready(idx)
    return hook


def _leaves_of(outputs: Any) -> set[int]:
    """ids of the leaf tensors the autograd graph of ``outputs`` reaches."""
    roots: list = []
    leaves: set[int] = set()
    stack: list = [outputs]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            if o.grad_fn is not None:
                roots.append(o.grad_fn)
            elif o.requires_grad:
                leaves.add(id(o))
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
    seen: set[int] = set()
    while roots:
        fn = roots.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for t, nxt, need in zip(fn.inputs, fn.next_fns, fn.needs_input_grad):
            if not need:
                continue
            if nxt is None:
                leaves.add(id(t))
            elif id(nxt) not in seen:
                roots.append(nxt)
    return leaves


class DistributedDataParallel(Module):
    """Data parallelism over MPI ranks: wrap the model, train as usual.

    At construction the parameters and buffers of rank 0 are copied to every rank. In
    training, gradients are averaged across ranks by the time ``loss.backward()`` returns,
    in bucketed non-blocking allreduces overlapped with backward (module docstring).
    ``state_dict()`` keys carry the ``module.`` prefix, as in PyTorch; save
    ``ddp.module.state_dict()`` for a checkpoint a plain model loads.

    Args:
        module: the model (the same architecture on every rank).
        broadcast_buffers: copy rank 0's buffers (e.g. BatchNorm running stats) to every
            rank at the start of each training forward.
        bucket_cap_mb: the largest bucket, in MB.
        find_unused_parameters: walk the graph after forward to find parameters that will get
            no gradient, so their buckets do not wait for them.

    Shape:
        whatever ``module`` takes and returns.
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, **kwargs: Any) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got "
                            f"{type(module).__name__}")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_cap_mb = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        self.world_size = C.get_world_size()
        self._require_sync = True
        self._armed = False
        self._comm = C._G.comm.Dup() if self.world_size > 1 else None
        params = [p for p in module.parameters() if p.requires_grad]
        self._params = params
        self._check_same_model()
        self._sync_module_states()
        self._buckets = self._make_buckets(params)
        self._where: list[int] = [0] * len(params)
        self._ready = np.zeros(len(params), dtype=bool)
        self._next = 0
        index = {id(p): i for i, p in enumerate(params)}
        for b, bucket in enumerate(self._buckets):
            for p in bucket.params:
                self._where[index[id(p)]] = b
        if self.world_size > 1:
            for i, p in enumerate(params):
                p.register_post_accumulate_grad_hook(_hook_for(self, i))

    # ------------------------------------------------------------------ setup
    def _make_buckets(self, params: list) -> list[_Bucket]:
        """Reverse registration order, split by dtype and size (first bucket 1 MB)."""
        cap = self.bucket_cap_mb * 2 ** 20
        first_cap = min(2 ** 20, cap)
        buckets: list[_Bucket] = []
        open_: dict[np.dtype, tuple[list, int]] = {}
        for p in reversed(params):
            dt = p._data.dtype
            group, size = open_.get(dt, ([], 0))
            limit = first_cap if not buckets else cap
            if group and size + p._data.nbytes > limit:
                buckets.append(_Bucket(group, dt))
                group, size = [], 0
            group.append(p)
            open_[dt] = (group, size + p._data.nbytes)
        for dt, (group, _) in open_.items():
            if group:
                buckets.append(_Bucket(group, dt))
        return buckets

    def _check_same_model(self) -> None:
        if self.world_size == 1:
            return
        shapes = [tuple(p._data.shape) for p in self._params]
        everyone = self._comm.allgather(shapes)
        for r, other in enumerate(everyone):
            if other != shapes:
                raise RuntimeError(
                    f"DistributedDataParallel: rank {C.get_rank()} has {len(shapes)} "
                    f"parameters but rank {r} has {len(other)} (or their shapes differ): every "
                    "rank must wrap the same model")

    def _broadcast_arrays(self, arrays: list[np.ndarray]) -> None:
        """Copy rank 0's arrays into everyone's, one flat message per dtype."""
        by_dtype: dict[np.dtype, list[np.ndarray]] = {}
        for a in arrays:
            by_dtype.setdefault(a.dtype, []).append(a)
        for dt in sorted(by_dtype, key=str):
            group = by_dtype[dt]
            flat = np.concatenate([a.reshape(-1) for a in group]) if group else None
            C._wait(self._comm.Ibcast(flat, root=0), "DistributedDataParallel broadcast")
            off = 0
            for a in group:
                a[...] = flat[off:off + a.size].reshape(a.shape)
                off += a.size

    def _sync_module_states(self) -> None:
        if self.world_size == 1:
            return
        arrays = [p._data for p in self.module.parameters()]
        arrays += [b._data for b in self.module.buffers()]
        self._broadcast_arrays(arrays)

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._armed:
            if self._ready.any():
                raise RuntimeError(_UNFINISHED)
            self._armed = False  # a forward whose backward never ran
        if self.world_size > 1 and self.broadcast_buffers and self.training:
            bufs = [b._data for b in self.module.buffers()]
            if bufs:
                self._broadcast_arrays(bufs)
        out = self.module(*inputs, **kwargs)
        if self.world_size > 1 and self._require_sync and is_grad_enabled() and self._params:
            self._prepare_backward(out)
        return out

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside accumulate local gradients without communication."""
        old = self._require_sync
        self._require_sync = False
        try:
            yield
        finally:
            self._require_sync = old

    # ------------------------------------------------------------------ reduction
    def _prepare_backward(self, out: Any) -> None:
        self._armed = True
        self._ready[:] = False
        self._next = 0
        for b in self._buckets:
            b.pending, b.req = len(b.params), None
        if self.find_unused_parameters:
            used = _leaves_of(out)
            for i, p in enumerate(self._params):
                if id(p) not in used:
                    self._grad_ready(i)

    def _grad_ready(self, idx: int) -> None:
        if self._ready[idx]:
            return
        self._ready[idx] = True
        b = self._buckets[self._where[idx]]
        b.pending -= 1
        if b.pending == 0:
            self._launch_ready()
        elif self._next:  # drive the open requests (MPI progresses inside its calls)
            for bk in self._buckets[:self._next]:
                if bk.req is not None:
                    bk.req.Test()

    def _launch_ready(self) -> None:
        bks = self._buckets
        while self._next < len(bks) and bks[self._next].pending == 0:
            b = bks[self._next]
            for p, lo, hi in zip(b.params, b.offsets, b.offsets[1:]):
                g = p._grad
                if g is None:
                    b.buf[lo:hi] = 0
                elif g.is_sparse:
                    raise RuntimeError("DistributedDataParallel: sparse gradients are not "
                                       "supported; use a dense embedding (sparse=False)")
                else:
                    b.buf[lo:hi] = g._data.reshape(-1)
            b.req = self._comm.Iallreduce(C._G.MPI.IN_PLACE, b.buf, op=C._G.MPI.SUM)
            self._next += 1
        if self._next == len(bks):
            self._finish()

    def _finish(self) -> None:
        """Wait for every bucket and write g = sum_r g_r / N back into ``.grad``."""
        n = self.world_size
        for b in self._buckets:
            C._wait(b.req, "DistributedDataParallel gradient all_reduce")
            b.req = None
            b.buf /= n
            for p, lo, hi in zip(b.params, b.offsets, b.offsets[1:]):
                avg = b.buf[lo:hi].reshape(p._data.shape)
                g = p._grad
                if g is None:
                    if avg.any():
                        p._grad = Tensor._wrap(avg.copy(), None, False)
                elif g._data.flags.writeable and g._data.dtype == avg.dtype:
                    np.copyto(g._data, avg)
                else:
                    p._grad = Tensor._wrap(avg.astype(g._data.dtype), None, False)
        self._armed = False
        self._ready[:] = False

    def extra_repr(self) -> str:
        return (f"world_size={self.world_size}, buckets={len(self._buckets)}, "
                f"bucket_cap_mb={self.bucket_cap_mb:g}")
