"""DistributedSampler: each rank visits its own 1/N of the data set, all equally many.

One permutation per epoch, drawn from ``seed + epoch`` so every rank draws the same one
without talking; rank r takes positions r, r + N, r + 2N, ... of it. To give every rank
the same number of samples the permutation is padded with its own first indices (or, with
``drop_last``, its tail is cut), PyTorch's rule.
"""
from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from ..utils.data.sampler import Sampler
from . import comm as C

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Restrict data loading to this rank's share of the data set.

    Call ``set_epoch(epoch)`` before each epoch (before making the DataLoader iterator) so
    shuffling differs epoch to epoch; otherwise every epoch repeats the same order.

    Args:
        dataset: a map-style data set (anything with ``len``).
        num_replicas: number of ranks (default: the world size).
        rank: this rank (default: the current rank).
        shuffle: a new permutation every epoch.
        seed: base of the permutation's seed (must be equal on all ranks).
        drop_last: cut the tail so the length divides evenly instead of padding.
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = C.get_world_size()
        if rank is None:
            rank = C.get_rank()
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas should be >= 1, got "
                             f"{num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = bool(shuffle)
        self.seed = int(seed)

    def _epoch_indices(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n, dtype=np.int64)
        order = order.astype(np.int64, copy=False)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n:  # pad with the first indices, repeated as often as needed
            pad = self.total_size - n
            order = np.concatenate([order, np.tile(order, -(-pad // n))[:pad]]) if n else order
        mine = order[self.rank:self.total_size:self.num_replicas]
        return mine

    def __iter__(self) -> Iterator[int]:
        return iter(self._epoch_indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation (the same on every rank)."""
        self.epoch = int(epoch)
