"""DistributedSampler: each rank's share, PyTorch's padding rule, per-epoch shuffling."""
import numpy as np
import pytest
import torch
import torch.utils.data as tud

import shenjing as sj
from shenjing.distributed import DistributedSampler
from shenjing.utils.data import DataLoader, TensorDataset


def shares(n, reps, **kw):
    data = list(range(n))
    return [list(DistributedSampler(data, num_replicas=reps, rank=r, **kw)) for r in range(reps)]


@pytest.mark.parametrize("n,reps", [(10, 3), (12, 4), (1, 2), (5, 8), (7, 1), (0, 2)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_indices_equal_pytorch(n, reps, drop_last):
    data = list(range(n))
    for r in range(reps):
        ours = DistributedSampler(data, num_replicas=reps, rank=r, shuffle=False,
                                  drop_last=drop_last)
        theirs = tud.DistributedSampler(data, num_replicas=reps, rank=r, shuffle=False,
                                        drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs) == len(list(ours))


@pytest.mark.parametrize("n,reps", [(10, 3), (64, 2), (3, 5), (100, 7)])
def test_shuffled_shares_cover_the_data_and_pad_from_the_start(n, reps):
    parts = shares(n, reps, seed=3)
    assert len({len(p) for p in parts}) == 1  # equal lengths
    total = reps * len(parts[0])
    assert total == -(-n // reps) * reps
    # interleaving the shares gives the padded permutation back
    merged = np.empty(total, dtype=np.int64)
    for r, p in enumerate(parts):
        merged[r::reps] = p
    perm = merged[:n]
    assert sorted(perm.tolist()) == list(range(n))  # every index once ...
    pad = merged[n:]
    np.testing.assert_array_equal(pad, np.tile(perm, -(-len(pad) // n))[:len(pad)] if n else pad)


def test_drop_last_gives_disjoint_shares():
    parts = shares(10, 3, drop_last=True, seed=1)
    flat = sum(parts, [])
    assert len(flat) == len(set(flat)) == 9 and all(len(p) == 3 for p in parts)


def test_epochs_reshuffle_deterministically():
    data = list(range(50))
    a, b = DistributedSampler(data, 2, 0, seed=5), DistributedSampler(data, 2, 0, seed=5)
    e0 = list(a)
    assert list(a) == e0 == list(b)  # no set_epoch: same order again; same seed: same order
    a.set_epoch(1)
    e1 = list(a)
    assert e1 != e0
    b.set_epoch(1)
    assert list(b) == e1
    other = DistributedSampler(data, 2, 1, seed=5)
    other.set_epoch(1)
    assert sorted(e1 + list(other)) == data  # same permutation on both ranks at epoch 1
    assert list(DistributedSampler(data, 2, 0, seed=6)) != e0


def test_defaults_and_errors():
    s = DistributedSampler(list(range(9)))  # one-process world
    assert (s.num_replicas, s.rank, len(s)) == (1, 0, 9)
    assert sorted(s) == list(range(9))
    with pytest.raises(ValueError,
                       match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=-1)


def test_works_with_the_dataloader():
    x = sj.arange(20, dtype=sj.float32).reshape(10, 2)
    y = sj.arange(10)
    ds = TensorDataset(x, y)
    seen = []
    for r in range(3):
        s = DistributedSampler(ds, num_replicas=3, rank=r, seed=0)
        s.set_epoch(2)
        batches = list(DataLoader(ds, batch_size=2, sampler=s))
        assert [len(b[1]) for b in batches] == [2, 2]
        ids = [int(v) for b in batches for v in b[1].tolist()]
        assert ids == list(s)
        np.testing.assert_array_equal(batches[0][0].numpy(), x.numpy()[ids[:2]])
        seen += ids
    assert set(seen) == set(range(10)) and len(seen) == 12
    assert torch  # the oracle is imported for the unshuffled comparison above
