"""DataLoader: batches of samples from a dataset, collated into tensors.

``num_workers > 0`` is accepted but loading runs in this process (NumPy indexing is already
vectorised; a TensorDataset batch is one fancy index per tensor). ``pin_memory`` is ignored.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from ...autograd import Tensor
from ...backend import Generator
from .collate import default_collate, default_convert
from .dataset import IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert"]


class DataLoader:
    """Iterate over ``dataset`` in batches, like ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style Dataset (or an IterableDataset, batched as it streams).
        batch_size: samples per batch; None turns automatic batching off.
        shuffle: a new random order each epoch (from ``generator`` or the default generator).
        sampler / batch_sampler: custom index order (mutually exclusive with shuffle etc.).
        collate_fn: merges a list of samples into a batch (default: :func:`default_collate`).
        drop_last: drop the last incomplete batch.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context: Any = None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError if the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self) -> Iterator[Any]:
        if self._iterable:
            return self._iter_stream()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return self._iter_batches()

    def _iter_batches(self) -> Iterator[Any]:
        src = _tensor_source(self.dataset) if self.collate_fn is default_collate else None
        if src is not None:
            base, index_map = src
        bs = self.batch_sampler
        batches = bs._index_batches() if isinstance(bs, BatchSampler) else iter(bs)
        dataset, collate = self.dataset, self.collate_fn
        for idx in batches:
            if src is not None:
                idx = np.asarray(idx, dtype=np.int64)
                if index_map is not None:
                    idx = index_map[idx]
                yield [Tensor._wrap(t._data[idx], None, False) for t in base.tensors]
            else:
                if isinstance(idx, np.ndarray):
                    idx = idx.tolist()
                getitems = getattr(dataset, "__getitems__", None)
                samples = getitems(idx) if getitems else [dataset[i] for i in idx]
                yield collate(samples)

    def _iter_stream(self) -> Iterator[Any]:
        if not self._auto_collation:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)


def _tensor_source(dataset: Any) -> tuple[TensorDataset, np.ndarray | None] | None:
    """(TensorDataset, composed index map) under a chain of Subsets, or None.

    Subset(Subset(base, inner), outer)[i] = base[inner[outer[i]]], so the map is inner[outer].
    """
    maps = []
    while isinstance(dataset, Subset):
        maps.append(dataset.indices)
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    index_map = None
    for m in reversed(maps):
        m = np.asarray(m._data if isinstance(m, Tensor) else m, dtype=np.int64)
        index_map = m if index_map is None else index_map[m]
    return dataset, index_map
