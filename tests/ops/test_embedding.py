"""embedding / embedding_bag against PyTorch (values, weight grads), gradcheck, sparse grads."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shenjing as sj
import shenjing.nn.functional as F
from helpers import check_grad, compare, rand


def _idx(shape, num=10, seed=0):
    return np.random.default_rng(seed).integers(0, num, size=shape).astype(np.int64)


@pytest.mark.parametrize("shape", [(5,), (2, 3), (), (0,), (2, 0), (1, 1), (3, 2, 4)])
def test_embedding_parity(shape):
    compare(lambda i, w: F.embedding(i, w), lambda i, w: TF.embedding(i, w),
            _idx(shape), rand(10, 4, seed=1))


@pytest.mark.parametrize("pad", [0, 3, -1])
def test_embedding_padding_idx_parity(pad):
    idx = np.array([[0, 3, 9, 3], [9, 9, 1, 0]])
    compare(lambda i, w: F.embedding(i, w, padding_idx=pad),
            lambda i, w: TF.embedding(i, w, padding_idx=pad), idx, rand(10, 3, seed=2))


def test_embedding_scale_grad_by_freq_parity():
    idx = np.array([[1, 1, 1, 2], [2, 5, 1, 0]])
    compare(lambda i, w: F.embedding(i, w, scale_grad_by_freq=True, padding_idx=0),
            lambda i, w: TF.embedding(i, w, scale_grad_by_freq=True, padding_idx=0),
            idx, rand(6, 3, seed=3))


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalises_weight_in_place(norm_type):
    w0 = rand(8, 4, seed=4, low=-2, high=2)
    idx = np.array([1, 2, 2, 7])
    ws, wt = sj.tensor(w0.copy()), torch.tensor(w0.copy())
    out_s = F.embedding(sj.tensor(idx), ws, max_norm=1.0, norm_type=norm_type)
    out_t = TF.embedding(torch.tensor(idx), wt, max_norm=1.0, norm_type=norm_type)
    np.testing.assert_allclose(ws.numpy(), wt.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out_s.numpy(), out_t.numpy(), rtol=1e-6, atol=1e-6)
    assert not np.allclose(ws.numpy(), w0)  # rows 1, 2, 7 were too long
    np.testing.assert_array_equal(ws.numpy()[[0, 3, 4, 5, 6]], w0[[0, 3, 4, 5, 6]])


def test_embedding_gradcheck():
    idx = np.array([[0, 2, 2], [3, 1, 2]])
    check_grad(lambda w: F.embedding(sj.tensor(idx), w), rand(4, 3, seed=5))
    check_grad(lambda w: F.embedding(sj.tensor(idx[0]), w).sum(0), rand(4, 3, seed=6))


def test_embedding_errors():
    w = sj.randn(10, 3)
    with pytest.raises(IndexError, match="index 12 is out of range for num_embeddings=10"):
        F.embedding(sj.tensor([1, 12]), w)
    with pytest.raises(IndexError, match="index -1 is out of range"):
        F.embedding(sj.tensor([-1]), w)
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types"):
        F.embedding(sj.tensor([1.0]), w)
    with pytest.raises(RuntimeError, match="2-D"):
        F.embedding(sj.tensor([1]), sj.randn(10))


# ----------------------------------------------------------------- sparse gradients
def _sparse_pair(idx, w0, pad=None, freq=False, mult=1.0):
    ws = sj.tensor(w0.copy(), requires_grad=True)
    wt = torch.tensor(w0.copy(), requires_grad=True)
    up = rand(*idx.shape, w0.shape[1], seed=9)
    (F.embedding(sj.tensor(idx), ws, padding_idx=pad, scale_grad_by_freq=freq, sparse=True)
     * sj.tensor(up) * mult).sum().backward()
    (TF.embedding(torch.tensor(idx), wt, padding_idx=pad, scale_grad_by_freq=freq, sparse=True)
     * torch.tensor(up) * mult).sum().backward()
    return ws, wt


@pytest.mark.parametrize("pad", [None, 2, -6])
def test_sparse_grad_matches_torch(pad):
    idx = np.array([[1, 2, 1], [4, 2, 0]])
    ws, wt = _sparse_pair(idx, rand(6, 3, seed=8), pad)
    g = ws.grad
    assert g.is_sparse and g.layout == "sparse_coo" and tuple(g.shape) == (6, 3)
    assert g._indices().shape[0] == 1 and g._indices().dtype == sj.int64
    assert g._nnz() == wt.grad._nnz()
    c = g.coalesce()
    assert c.is_coalesced() and np.all(np.diff(c.indices().numpy()[0]) > 0)
    np.testing.assert_allclose(c.to_dense().numpy(), wt.grad.to_dense().numpy(), rtol=1e-6)
    np.testing.assert_allclose(c.values().numpy(), wt.grad.coalesce().values().numpy(),
                               rtol=1e-6)


def test_sparse_grads_accumulate_by_concatenation():
    w0 = rand(5, 2, seed=10)
    ws = sj.tensor(w0, requires_grad=True)
    wt = torch.tensor(w0, requires_grad=True)
    for idx in ([0, 1], [1, 4, 4]):
        F.embedding(sj.tensor(idx), ws, sparse=True).sum().backward()
        TF.embedding(torch.tensor(idx), wt, sparse=True).sum().backward()
    assert ws.grad.is_sparse and ws.grad._nnz() == 5
    np.testing.assert_allclose(ws.grad.to_dense().numpy(), wt.grad.to_dense().numpy())
    # used twice in one graph: still sparse
    ws.grad = None
    x = sj.tensor([2])
    (F.embedding(x, ws, sparse=True) + F.embedding(x, ws, sparse=True)).sum().backward()
    assert ws.grad.is_sparse and ws.grad.to_dense().numpy()[2, 0] == 2.0
    # sparse + dense gives a dense sum
    (ws * 1.0).sum().backward()
    assert not ws.grad.is_sparse
    np.testing.assert_allclose(ws.grad.numpy()[2], [3.0, 3.0])


def test_sparse_grad_non_leaf_weight_is_dense():
    w = sj.tensor(rand(4, 2, seed=11), requires_grad=True)
    F.embedding(sj.tensor([1, 1]), w * 2.0, sparse=True).sum().backward()
    assert not w.grad.is_sparse
    np.testing.assert_allclose(w.grad.numpy()[1], [4.0, 4.0])


def test_sparse_grad_with_scale_grad_by_freq_is_refused_like_torch():
    with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported with sparse"):
        _sparse_pair(np.array([1, 1]), rand(4, 2, seed=13), freq=True)


def test_sparse_grad_refuses_dense_math():
    ws, _ = _sparse_pair(np.array([1, 2]), rand(4, 2, seed=12))
    opt = sj.optim.Adam([ws])
    with pytest.raises(RuntimeError, match="sparse"):
        opt.step()
    ws.grad.zero_()
    assert ws.grad._nnz() == 0


# ----------------------------------------------------------------- embedding_bag
BAG_MODES = ["sum", "mean", "max"]


@pytest.mark.parametrize("mode", BAG_MODES)
@pytest.mark.parametrize("shape", [(3, 4), (1, 1), (2, 1), (0, 3)])
def test_embedding_bag_2d_parity(mode, shape):
    compare(lambda i, w: F.embedding_bag(i, w, mode=mode),
            lambda i, w: TF.embedding_bag(i, w, mode=mode), _idx(shape, 7, 13),
            rand(7, 5, seed=14))


@pytest.mark.parametrize("mode", BAG_MODES)
@pytest.mark.parametrize("last", [False, True])
def test_embedding_bag_offsets_parity(mode, last):
    idx = _idx((9,), 7, 15)
    off = np.array([0, 2, 2, 6] + ([9] if last else []))  # bag 1 is empty
    compare(lambda i, w, o: F.embedding_bag(i, w, o, mode=mode, include_last_offset=last),
            lambda i, w, o: TF.embedding_bag(i, w, o, mode=mode, include_last_offset=last),
            idx, rand(7, 3, seed=16), off)


@pytest.mark.parametrize("mode", BAG_MODES)
def test_embedding_bag_padding_idx_parity(mode):
    idx = np.array([1, 0, 0, 3, 0, 2, 2, 1])
    off = np.array([0, 1, 3, 5])  # bag 1 holds only padding
    compare(lambda i, w, o: F.embedding_bag(i, w, o, mode=mode, padding_idx=0),
            lambda i, w, o: TF.embedding_bag(i, w, o, mode=mode, padding_idx=0),
            idx, rand(4, 3, seed=17), off)


def test_embedding_bag_per_sample_weights_and_freq_parity():
    idx = np.array([[1, 4, 1], [2, 2, 0]])
    compare(lambda i, w, p: F.embedding_bag(i, w, mode="sum", per_sample_weights=p),
            lambda i, w, p: TF.embedding_bag(i, w, mode="sum", per_sample_weights=p),
            idx, rand(5, 3, seed=18), rand(2, 3, seed=19))
    # torch's CPU embedding_bag miscounts frequencies (a row seen once gets 1/2), so the
    # reference is the documented rule: embedding(scale_grad_by_freq) then the bag's mean
    compare(lambda i, w: F.embedding_bag(i, w, mode="mean", scale_grad_by_freq=True),
            lambda i, w: TF.embedding(i, w, scale_grad_by_freq=True).mean(1),
            idx, rand(5, 3, seed=20))


def test_embedding_bag_sparse_grad_matches_torch():
    idx, off = np.array([1, 3, 3, 0, 2]), np.array([0, 2])
    w0 = rand(4, 3, seed=21)
    ws = sj.tensor(w0, requires_grad=True)
    wt = torch.tensor(w0, requires_grad=True)
    F.embedding_bag(sj.tensor(idx), ws, sj.tensor(off), sparse=True).pow(2).sum().backward()
    TF.embedding_bag(torch.tensor(idx), wt, torch.tensor(off), sparse=True).pow(2).sum().backward()
    assert ws.grad.is_sparse
    np.testing.assert_allclose(ws.grad.to_dense().numpy(), wt.grad.to_dense().numpy(), rtol=1e-5)


def test_embedding_bag_gradcheck():
    idx, off = sj.tensor([1, 3, 3, 0, 2, 2]), sj.tensor([0, 2, 2, 5])
    for mode in BAG_MODES:
        check_grad(lambda w: F.embedding_bag(idx, w, off, mode=mode),
                   rand(4, 3, seed=22))
    check_grad(lambda w, p: F.embedding_bag(idx, w, off, mode="sum", per_sample_weights=p),
               rand(4, 3, seed=23), rand(6, seed=24))


def test_embedding_bag_errors():
    w = sj.randn(5, 2)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(sj.tensor([1, 2]), w)
    with pytest.raises(ValueError, match="offsets has to be None"):
        F.embedding_bag(sj.tensor([[1, 2]]), w, sj.tensor([0]))
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(sj.tensor([[1, 2]]), w, per_sample_weights=sj.ones(1, 2))
    with pytest.raises(IndexError, match="index 5 is out of range for num_embeddings=5"):
        F.embedding_bag(sj.tensor([[1, 5]]), w)


def test_embedding_gradient_in_time_major_memory():
    """An RNN's input gradient arrives batch-first but time-major in memory: the weight
    gradient takes the rows in that order (indices permuted instead of rows copied)."""
    idx = np.random.default_rng(3).integers(0, 7, (4, 5))
    w = rand(7, 3, seed=4)

    def run(mod):
        def f(weight, lin):
            e = mod.nn.functional.embedding(mod.tensor(idx), weight)  # (B, T, E)
            t = e.transpose(0, 1).reshape(20, 3)  # time-major rows, as an RNN reads them
            return (t @ lin).tanh()
        return f

    compare(run(sj), run(torch), w, rand(3, 2, seed=5))
