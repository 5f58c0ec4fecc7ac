"""Samplers: which dataset indices an epoch visits, and in what order.

Samplers with a whole-epoch index array (``_epoch_indices``) let the BatchSampler and the
DataLoader slice batches from one array instead of looping index by index.
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np

from ...autograd import Tensor
from ...backend import Generator, rng_of

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


class Sampler:
    """Base class: ``__iter__`` yields dataset indices (or lists of them)."""

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError

    def _epoch_indices(self) -> np.ndarray | None:
        """All indices of one epoch as an int64 array, or None if not known up front."""
        return None


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def _epoch_indices(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _check_bool(name: str, value: Any, exc: type = ValueError) -> None:
    if not isinstance(value, bool):
        raise exc(f"{name} should be a boolean value, but got {name}={value}")


def _check_positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


class RandomSampler(Sampler):
    """A random permutation each epoch (or ``num_samples`` draws with replacement).

    Draws from ``generator``, or from shenjing's default generator, so ``manual_seed`` makes
    the order reproducible. ``num_samples`` > len without replacement chains permutations.
    """

    def __init__(self, data_source: Any, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_bool("replacement", replacement, TypeError)
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _epoch_indices(self) -> np.ndarray:
        n, k = len(self.data_source), self.num_samples
        rng = rng_of(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=k, dtype=np.int64)
        parts = [rng.permutation(n) for _ in range(k // n)]
        if k % n:
            parts.append(rng.permutation(n)[:k % n])
        return np.concatenate(parts).astype(np.int64, copy=False)

    def __iter__(self) -> Iterator[int]:
        return iter(self._epoch_indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order, without replacement."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def _epoch_indices(self) -> np.ndarray:
        perm = rng_of(self.generator).permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.int64).reshape(-1)[perm]

    def __iter__(self) -> Iterator[int]:
        return iter(self._epoch_indices().tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        _check_positive_int("num_samples", num_samples)
        _check_bool("replacement", replacement)
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights,
                       dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (weights must be finite, "
                               "non-negative and have a positive sum)")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError(
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                f"(num_samples={num_samples}, non-zero weights={np.count_nonzero(w)})")
        self.weights = Tensor._wrap(w, None, False)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _epoch_indices(self) -> np.ndarray:
        w = self.weights._data
        return rng_of(self.generator).choice(len(w), size=self.num_samples,
                                             replace=self.replacement, p=w / w.sum())

    def __iter__(self) -> Iterator[int]:
        return iter(self._epoch_indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (last one shorter unless
    ``drop_last``)."""

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        _check_positive_int("batch_size", batch_size)
        _check_bool("drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _index_batches(self) -> Iterator[Any]:
        """Batches as int64 arrays when the sampler knows its epoch up front, else lists."""
        idx = self.sampler._epoch_indices() if isinstance(self.sampler, Sampler) else None
        bs = self.batch_size
        if idx is not None:
            n = len(idx) - len(idx) % bs if self.drop_last else len(idx)
            for start in range(0, n, bs):
                yield idx[start:start + bs]
            return
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == bs:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __iter__(self) -> Iterator[list[int]]:
        for b in self._index_batches():
            yield b.tolist() if isinstance(b, np.ndarray) else b

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
