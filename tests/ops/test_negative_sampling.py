"""The fused negative-sampling loss (word2vec's step) against PyTorch's composite of
embedding, bmm and logsigmoid: loss, dh, dW (dense and row-sparse), and a gradcheck."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, rand
from shenjing.ops.embedding import negative_sampling_loss


def _torch_loss(h, w, t):
    o = torch.nn.functional.embedding(t, w)
    s = torch.bmm(o, h.unsqueeze(2)).squeeze(2)
    sign = torch.tensor([1.0] + [-1.0] * (t.shape[1] - 1), dtype=s.dtype)
    return -torch.nn.functional.logsigmoid(s * sign).sum()


@pytest.mark.parametrize("sparse", [False, True])
def test_matches_torch(sparse):
    rng = np.random.default_rng(0)
    h, w = rand(16, 8, seed=1) * 3, rand(20, 8, seed=2) * 3
    t = rng.integers(0, 20, (16, 6))  # duplicates across and within rows
    hs, ws = sj.tensor(h, requires_grad=True), sj.tensor(w, requires_grad=True)
    ht, wt = torch.tensor(h, requires_grad=True), torch.tensor(w, requires_grad=True)
    ours = negative_sampling_loss(hs, ws, t, sparse=sparse)
    theirs = _torch_loss(ht, wt, torch.tensor(t))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-5)
    (ours * 0.5).backward()
    (theirs * 0.5).backward()
    np.testing.assert_allclose(hs.grad.numpy(), ht.grad.numpy(), rtol=1e-4, atol=1e-5)
    gw = ws.grad.to_dense() if sparse else ws.grad
    assert ws.grad.is_sparse == sparse
    np.testing.assert_allclose(gw.numpy(), wt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_large_scores_stay_finite():
    """log(1 + e^-z) without overflow for scores far from zero either way."""
    h, w = np.full((2, 4), 30.0, np.float32), np.ones((3, 4), np.float32)
    w[1] = -1
    t = np.array([[0, 1, 2], [1, 0, 2]])
    hs, ws = sj.tensor(h, requires_grad=True), sj.tensor(w, requires_grad=True)
    loss = negative_sampling_loss(hs, ws, t)
    theirs = _torch_loss(torch.tensor(h), torch.tensor(w), torch.tensor(t))
    np.testing.assert_allclose(loss.item(), theirs.item(), rtol=1e-5)
    loss.backward()
    assert np.isfinite(hs.grad.numpy()).all() and np.isfinite(ws.grad.numpy()).all()


def test_gradcheck():
    t = np.random.default_rng(3).integers(0, 5, (4, 3))
    check_grad(lambda h, w: negative_sampling_loss(h, w, t), rand(4, 3, seed=4),
               rand(5, 3, seed=5))


@pytest.mark.parametrize("h_shape,t_shape,match", [
    ((4, 3), (4, 3, 1), r"targets \(4, 3, 1\)"),
    ((4, 2), (4, 3), r"h \(4, 2\)"),
    ((5, 3), (4, 3), r"h \(5, 3\) and targets \(4, 3\)"),
])
def test_bad_shapes_name_the_op(h_shape, t_shape, match):
    with pytest.raises(RuntimeError, match="negative_sampling_loss: .*" + match):
        negative_sampling_loss(sj.zeros(*h_shape), sj.zeros(5, 3), np.zeros(t_shape, np.int64))


def test_index_out_of_range():
    with pytest.raises(IndexError, match="negative_sampling_loss: index 7 is out of range"):
        negative_sampling_loss(sj.zeros(2, 3), sj.zeros(5, 3), np.array([[0, 7], [1, 2]]))
