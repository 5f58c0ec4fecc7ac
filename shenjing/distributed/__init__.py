"""shenjing.distributed: data-parallel training over MPI (torch.distributed's names).

Launch N ranks with ``mpiexec -n N python train.py``; in the script::

    import shenjing.distributed as dist
    dist.init_process_group("mpi")
    model = dist.DistributedDataParallel(dist.convert_sync_batchnorm(model))
    sampler = dist.DistributedSampler(dataset, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        ...                       # the usual loop; gradients are averaged inside backward()
    dist.save_on_main(model, "model.pt")

Without mpiexec (or without mpi4py) the world is one process and all of it is a no-op.
Importing this package never imports mpi4py; ``init_process_group`` does, when launched.
"""
from .comm import (  # noqa: F401
    ReduceOp, Work, all_gather, all_gather_object, all_reduce, barrier, broadcast,
    broadcast_object_list, destroy_process_group, get_backend, get_rank, get_world_size, init,
    init_process_group, is_available, is_initialized, is_mpi_available, reduce,
)
from .ddp import DistributedDataParallel  # noqa: F401
from .helpers import (  # noqa: F401
    DistContext, average_gradients, broadcast_parameters, is_main_process, print0,
    rank_zero_only, save_on_main, setup_for_cli, sum_over_ranks, unwrap_model,
)
from .sampler import DistributedSampler  # noqa: F401
from .sync_bn import SyncBatchNorm, convert_sync_batchnorm  # noqa: F401

__all__ = ["ReduceOp", "Work", "init_process_group", "init", "is_initialized", "is_available",
           "is_mpi_available", "get_rank", "get_world_size", "get_backend",
           "destroy_process_group", "all_reduce", "reduce", "broadcast", "barrier",
           "all_gather", "all_gather_object", "broadcast_object_list",
           "DistributedDataParallel", "DistributedSampler", "SyncBatchNorm",
           "convert_sync_batchnorm", "is_main_process", "rank_zero_only", "print0",
           "save_on_main", "unwrap_model", "sum_over_ranks", "broadcast_parameters",
           "average_gradients", "DistContext", "setup_for_cli"]
