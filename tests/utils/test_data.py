"""Datasets, samplers, DataLoader and default_collate against torch.utils.data."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import shenjing as sj
import shenjing.utils.data as sud


def _np(x):
    return np.asarray(x.detach().numpy() if hasattr(x, "detach") else x)


def _same(ours, theirs):
    """Batches equal in structure, values and dtype."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, sj.Tensor)
        assert str(_np(ours).dtype) == str(theirs.numpy().dtype)
        np.testing.assert_array_equal(_np(ours), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours).__name__ == type(theirs).__name__ and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert ours == theirs


X = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
Y = np.arange(10, dtype=np.int64)


@pytest.mark.parametrize("bs,drop", [(1, False), (3, False), (3, True), (10, False), (4, True),
                                     (16, False), (16, True)])
def test_tensor_dataset_batches_match_torch(bs, drop):
    ours = sud.DataLoader(sud.TensorDataset(sj.tensor(X), sj.tensor(Y)), batch_size=bs,
                          drop_last=drop)
    theirs = tud.DataLoader(tud.TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=bs,
                            drop_last=drop)
    assert len(ours) == len(theirs)
    ob, tb = list(ours), list(theirs)
    assert len(ob) == len(tb)
    for a, b in zip(ob, tb):
        _same(a, b)


class PyDataset(sud.Dataset):
    """Samples of every kind default_collate handles."""
    Point = collections.namedtuple("Point", "x y")

    def __init__(self, n=7):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"img": np.full((2, 2), i, np.float32), "label": i, "w": i * 0.5,
                "name": f"s{i}", "pair": (i, [float(i), i + 1.0]),
                "pt": self.Point(np.int32(i), True), "t": self._t(i)}

    def _t(self, i):
        return sj.tensor([i, i]) if type(self) is PyDataset else torch.tensor([i, i])


class TorchPyDataset(PyDataset, tud.Dataset):
    pass


@pytest.mark.parametrize("bs,drop", [(3, False), (3, True), (7, False)])
def test_collate_of_dicts_tuples_namedtuples_matches_torch(bs, drop):
    ours = list(sud.DataLoader(PyDataset(), batch_size=bs, drop_last=drop))
    theirs = list(tud.DataLoader(TorchPyDataset(), batch_size=bs, drop_last=drop))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a["pt"].__class__.__name__ == "Point"
        a = dict(a, pt=tuple(a["pt"]))
        b = dict(b, pt=tuple(b["pt"]))
        _same(a, b)


def test_default_collate_scalars_dtypes():
    _same(sud.default_collate([1, 2, 3]), tud.default_collate([1, 2, 3]))
    _same(sud.default_collate([1.5, 2.0]), tud.default_collate([1.5, 2.0]))
    _same(sud.default_collate([True, False]), tud.default_collate([True, False]))
    _same(sud.default_collate([np.float32(1), np.float32(2)]),
          tud.default_collate([np.float32(1), np.float32(2)]))
    _same(sud.default_collate([(1, 2.0), (3, 4.0)]), tud.default_collate([(1, 2.0), (3, 4.0)]))
    with pytest.raises(RuntimeError, match="equal size"):
        sud.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        sud.default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        sud.default_collate([sj.zeros(2), sj.zeros(3)])


def test_no_auto_batching_and_custom_collate():
    ds = sud.TensorDataset(sj.tensor(X), sj.tensor(Y))
    items = list(sud.DataLoader(ds, batch_size=None))
    assert len(items) == 10 and tuple(items[2][0].shape) == (3,) and items[2][1].item() == 2
    sums = list(sud.DataLoader(ds, batch_size=4, collate_fn=lambda b: sum(int(y) for _, y in b)))
    assert sums == [0 + 1 + 2 + 3, 4 + 5 + 6 + 7, 8 + 9]


def _order(loader):
    return np.concatenate([_np(b[1]) for b in loader]).tolist()


def test_shuffle_is_a_permutation_and_reproducible_with_generator():
    ds = sud.TensorDataset(sj.tensor(X), sj.tensor(Y))
    g1, g2 = sj.Generator().manual_seed(5), sj.Generator().manual_seed(5)
    a = _order(sud.DataLoader(ds, batch_size=3, shuffle=True, generator=g1))
    b = _order(sud.DataLoader(ds, batch_size=3, shuffle=True, generator=g2))
    assert a == b and sorted(a) == list(range(10)) and a != list(range(10))
    loader = sud.DataLoader(ds, batch_size=3, shuffle=True, generator=g1)
    assert _order(loader) != _order(loader)  # a new order each epoch


def test_shuffle_reproducible_under_manual_seed():
    ds = PyDataset(20)
    sj.manual_seed(123)
    a = [b["label"].tolist() for b in sud.DataLoader(ds, batch_size=4, shuffle=True)]
    sj.manual_seed(123)
    b = [b["label"].tolist() for b in sud.DataLoader(ds, batch_size=4, shuffle=True)]
    assert a == b and sorted(sum(a, [])) == list(range(20))


def test_fast_path_equals_per_sample_path_through_subsets():
    base = sud.TensorDataset(sj.tensor(X), sj.tensor(Y))
    sub = sud.Subset(sud.Subset(base, [9, 7, 5, 3, 1, 0, 2]), [6, 0, 3, 1])
    fast = list(sud.DataLoader(sub, batch_size=3))
    # a wrapper around default_collate takes the per-sample path
    slow = list(sud.DataLoader(sub, batch_size=3, collate_fn=lambda b: sud.default_collate(b)))
    assert len(fast) == len(slow) == 2
    for f, s in zip(fast, slow):
        for a, b in zip(f, s):
            np.testing.assert_array_equal(_np(a), _np(b))
    assert _np(fast[0][1]).tolist() == [2, 9, 3]


def test_random_split_sizes_and_disjointness():
    ds = PyDataset(10)
    parts = sud.random_split(ds, [3, 7], generator=sj.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    idx = [i for p in parts for i in p.indices]
    assert sorted(idx) == list(range(10))
    frac = sud.random_split(ds, [0.5, 0.3, 0.2])
    assert [len(p) for p in frac] == [len(p) for p in tud.random_split(range(10), [0.5, 0.3, 0.2])]
    frac = sud.random_split(PyDataset(11), [0.34, 0.33, 0.33])
    assert [len(p) for p in frac] == [len(p) for p in
                                      tud.random_split(range(11), [0.34, 0.33, 0.33])]
    again = sud.random_split(ds, [3, 7], generator=sj.Generator().manual_seed(0))
    assert again[0].indices == parts[0].indices
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        sud.random_split(ds, [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        sud.random_split(ds, [0.5, 1.5, -1.0])


def test_tensor_dataset_errors_and_indexing():
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors.*10, 4"):
        sud.TensorDataset(sj.tensor(X), sj.tensor(Y[:4]))
    with pytest.raises(ValueError, match="Size mismatch"):
        sud.TensorDataset(sj.tensor(X), sj.tensor(Y[:4]))
    ds = sud.TensorDataset(sj.tensor(X), sj.tensor(Y))
    x, y = ds[4]
    np.testing.assert_array_equal(_np(x), X[4])
    assert y.item() == 4 and len(ds) == 10


def test_concat_dataset():
    a, b = PyDataset(3), PyDataset(4)
    c = a + b
    assert len(c) == 7 and c[3]["label"] == 0 and c[-1]["label"] == 3 and c[2]["label"] == 2
    assert c.cumulative_sizes == [3, 7]
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        c[-8]
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        sud.ConcatDataset([])


def test_samplers():
    assert list(sud.SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    g = sj.Generator().manual_seed(1)
    rs = list(sud.RandomSampler(range(6), generator=g))
    assert sorted(rs) == list(range(6))
    long = list(sud.RandomSampler(range(4), num_samples=10, generator=g))
    assert len(long) == 10 and sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3]
    rep = list(sud.RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(rep) == 50 and set(rep) <= {0, 1, 2}
    sub = list(sud.SubsetRandomSampler([10, 20, 30], generator=g))
    assert sorted(sub) == [10, 20, 30]
    w = list(sud.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=g))
    assert set(w) == {1, 3} and 100 < w.count(3) < 200
    nw = list(sud.WeightedRandomSampler([1.0, 1.0, 0.0, 1.0], 3, replacement=False, generator=g))
    assert sorted(nw) == [0, 1, 3]
    bs = sud.BatchSampler(sud.SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    bs = sud.BatchSampler(range(7), 3, drop_last=True)  # any iterable of indices
    assert list(bs) == [[0, 1, 2], [3, 4, 5]] and len(bs) == 2
    assert list(sud.BatchSampler(range(7), 3, False)) == list(tud.BatchSampler(range(7), 3, False))


@pytest.mark.parametrize("fn,exc,msg", [
    (lambda m: m.RandomSampler(range(3), replacement=1), TypeError, "replacement should be"),
    (lambda m: m.RandomSampler(range(3), num_samples=0), ValueError, "num_samples should be"),
    (lambda m: m.BatchSampler(range(3), 0, False), ValueError, "batch_size should be"),
    (lambda m: m.BatchSampler(range(3), 2, 1), ValueError, "drop_last should be"),
    (lambda m: m.WeightedRandomSampler([[1.0]], 2), ValueError, "weights should be a 1d"),
    (lambda m: m.DataLoader(range(3), batch_sampler=[[0]], batch_size=2), ValueError,
     "batch_sampler option is mutually exclusive"),
    (lambda m: m.DataLoader(range(3), sampler=[0, 1], shuffle=True), ValueError,
     "sampler option is mutually exclusive with shuffle"),
    (lambda m: m.DataLoader(range(3), num_workers=-1), ValueError, "num_workers option"),
])
def test_errors_match_torch(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn(tud)
    with pytest.raises(exc, match=msg):
        fn(sud)


def test_custom_sampler_batch_sampler_and_workers():
    ds = sud.TensorDataset(sj.tensor(X), sj.tensor(Y))
    loader = sud.DataLoader(ds, batch_size=2, sampler=[9, 8, 1], num_workers=2, pin_memory=True)
    assert [_np(b[1]).tolist() for b in loader] == [[9, 8], [1]] and len(loader) == 2
    loader = sud.DataLoader(ds, batch_sampler=[[0, 5], [3]])
    assert [_np(b[1]).tolist() for b in loader] == [[0, 5], [3]] and len(loader) == 2


def test_iterable_dataset():
    class Stream(sud.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in sud.DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5],
                                                                            [6]]
    assert len(list(sud.DataLoader(Stream(), batch_size=3, drop_last=True))) == 2
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        sud.DataLoader(Stream(), shuffle=True)
