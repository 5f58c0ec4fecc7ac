"""SyncBatchNorm: batch statistics over the whole global batch, across all ranks.

With plain BatchNorm each rank normalises by its own slice's mean and variance, so N ranks
of batch B differ from one process of batch N*B. SyncBatchNorm allreduces, per channel,
(sum x, sum x^2, count) in forward and (sum g, sum g xhat) in backward, so forward, backward
and running statistics equal those of one process on the global batch (to rounding). The
sums are taken in float64, so var = E[x^2] - E[x]^2 loses nothing for float32 data.

Backward, for the sum of the ranks' losses T = sum_r L_r:
    dT/dx = w invstd (g - sum_all(g) / n - xhat sum_all(g xhat) / n),   n = global count,
    dT/dw = sum_local(g xhat), dT/db = sum_local(g)   (DDP then averages these over ranks).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..nn.modules.module import Module
from ..nn.modules.normalization import _BatchNorm
from . import comm as C

__all__ = ["SyncBatchNorm", "convert_sync_batchnorm"]


def _allreduce64(a: np.ndarray) -> np.ndarray:
    g = C._G
    if g.world > 1:
        C._wait(g.comm.Iallreduce(g.MPI.IN_PLACE, a, op=g.MPI.SUM), "SyncBatchNorm all_reduce")
    return a


class SyncBatchNormFn(Function):
    """Batch norm with global statistics; inputs (x, [weight], [bias]) as flags say."""

    def forward(self, x, *wb, has_weight, has_bias, eps, stats):
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        c = x.shape[1]
        x64 = x.astype(np.float64, copy=False)
        local = np.empty(2 * c + 1, dtype=np.float64)
        local[:c] = x64.sum(axis=axes)
        local[c:2 * c] = (x64 * x64).sum(axis=axes)
        local[2 * c] = x.size // max(c, 1)
        tot = _allreduce64(local)
        n = float(tot[2 * c])
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {tuple(x.shape)} (over all ranks: {int(n)} values)")
        mean = tot[:c] / n
        var = np.maximum(tot[c:2 * c] / n - mean * mean, 0.0)  # biased
        stats.update(mean=mean, var=var, n=n)
        w = wb[0] if has_weight else None
        b = wb[-1] if has_bias else None
        mu = mean.astype(x.dtype).reshape(shape)
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype).reshape(shape)
        xc = x - mu
        y = xc * (invstd * w.reshape(shape) if w is not None else invstd)
        if b is not None:
            y += b.reshape(shape)
        self.x, self.mu, self.invstd, self.w, self.n = x, mu, invstd, w, n
        self.axes, self.shape, self.has_w, self.has_b = axes, shape, has_weight, has_bias
        return y.astype(x.dtype, copy=False)

    def backward(self, g):
        nig = self.needs_input_grad
        axes, invstd, shape = self.axes, self.invstd, self.shape
        xhat = (self.x - self.mu) * invstd
        c = g.shape[1]
        local = np.empty(2 * c, dtype=np.float64)
        local[:c] = g.sum(axis=axes, dtype=np.float64)
        local[c:] = (g * xhat).sum(axis=axes, dtype=np.float64)
        sg_local = local[:c].astype(g.dtype)
        sgx_local = local[c:].astype(g.dtype)
        gx = None
        if nig[0]:
            tot = _allreduce64(local.copy())
            sg = (tot[:c] / self.n).astype(g.dtype).reshape(shape)
            sgx = (tot[c:] / self.n).astype(g.dtype).reshape(shape)
            scale = invstd * self.w.reshape(shape) if self.w is not None else invstd
            gx = g - sg
            gx -= xhat * sgx
            gx *= scale
        out = [gx]
        if self.has_w:
            out.append(sgx_local if nig[len(out)] else None)
        if self.has_b:
            out.append(sg_local if nig[len(out)] else None)
        return tuple(out)


class SyncBatchNorm(_BatchNorm):
    """BatchNorm whose training statistics cover the global batch of all ranks.

    Outside training, or in a one-process world, it is plain batch norm. Running
    statistics use the global count n: running_var += m (var * n / (n - 1) - running_var).

    Shape:
        input (N, C, *) with at least 2 dims; output the same.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: Any = None, device: Any = None, dtype: Any = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D "
                             "input)")
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"SyncBatchNorm: expected input with {self.num_features} channels (dim 1), got "
                f"{input.shape[1]} channels in input of shape {tuple(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:
        if not self.training or C.get_world_size() == 1:
            return super().forward(input)
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        stats: dict = {}
        wb = tuple(t for t in (self.weight, self.bias) if t is not None)
        out = SyncBatchNormFn.apply(input, *wb, has_weight=self.weight is not None,
                                    has_bias=self.bias is not None, eps=float(self.eps),
                                    stats=stats)
        if self.track_running_stats:
            n = stats["n"]
            for buf, val in ((self.running_mean, stats["mean"]),
                             (self.running_var, stats["var"] * (n / (n - 1)))):
                a = buf._data
                a *= 1 - factor
                a += (factor * val).astype(a.dtype)
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """Replace every BatchNorm*d in ``module`` by a SyncBatchNorm with the same state."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            new = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                new.weight, new.bias = module.weight, module.bias
            new.running_mean = module.running_mean
            new.running_var = module.running_var
            new.num_batches_tracked = module.num_batches_tracked
            new.train(module.training)
            return new
        for name, child in list(module._modules.items()):
            if child is not None:
                setattr(module, name, cls.convert_sync_batchnorm(child, process_group))
        return module


def convert_sync_batchnorm(module: Module, process_group: Any = None) -> Module:
    """Function form of :meth:`SyncBatchNorm.convert_sync_batchnorm`."""
    return SyncBatchNorm.convert_sync_batchnorm(module, process_group)
