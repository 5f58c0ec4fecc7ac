"""nn.Embedding / nn.EmbeddingBag against PyTorch: init, forward, grads, options, errors."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import rand


def _copy(sj_mod, th_mod):
    with torch.no_grad():
        th_mod.weight.copy_(torch.tensor(sj_mod.weight.detach().numpy()))


def _run(sj_mod, th_mod, *args):
    up = None
    outs = []
    for mod, lib in ((sj_mod, sj), (th_mod, torch)):
        out = mod(*[lib.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
        if up is None:
            up = rand(*out.shape, seed=3)
        (out * lib.tensor(up)).sum().backward()
        outs.append(out)
    np.testing.assert_allclose(outs[0].detach().numpy(), outs[1].detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    gs, gt = sj_mod.weight.grad, th_mod.weight.grad
    gs = gs.to_dense() if gs.is_sparse else gs
    gt = gt.to_dense() if gt.is_sparse else gt
    np.testing.assert_allclose(gs.numpy(), gt.numpy(), rtol=1e-5, atol=1e-6)
    return outs[0]


def test_embedding_init_and_padding_row():
    sj.manual_seed(0)
    e = sj.nn.Embedding(1000, 16, padding_idx=-2)
    assert e.padding_idx == 998 and e.weight.shape == (1000, 16) and e.weight.dtype == sj.float32
    w = e.weight.detach().numpy()
    assert np.all(w[998] == 0)
    rest = np.delete(w, 998, axis=0)
    assert abs(rest.mean()) < 0.05 and abs(rest.std() - 1.0) < 0.05  # N(0, 1)
    assert repr(e) == "Embedding(1000, 16, padding_idx=998)"


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 1}, {"padding_idx": -1, "sparse": True},
                                {"scale_grad_by_freq": True}, {"sparse": True},
                                {"max_norm": 1.5, "norm_type": 3.0}])
def test_embedding_module_parity(kw):
    e = sj.nn.Embedding(7, 4, **kw)
    t = torch.nn.Embedding(7, 4, **kw)
    _copy(e, t)
    idx = np.array([[1, 2, 6, 1], [0, 1, 1, 5]])
    _run(e, t, idx)
    assert e.weight.grad.is_sparse == kw.get("sparse", False)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)


def test_padding_row_gets_no_gradient():
    e = sj.nn.Embedding(5, 3, padding_idx=0)
    e(sj.tensor([0, 0, 2])).sum().backward()
    g = e.weight.grad.numpy()
    assert np.all(g[0] == 0) and np.all(g[2] == 1)


def test_from_pretrained():
    w = sj.tensor(rand(4, 3, seed=1))
    e = sj.nn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad
    np.testing.assert_array_equal(e(sj.tensor([2])).numpy()[0], w.numpy()[2])
    e2 = sj.nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)
    assert e2.weight.requires_grad and e2.padding_idx == 1
    with pytest.raises(AssertionError, match="2-dimensional"):
        sj.nn.Embedding.from_pretrained(sj.ones(3))
    b = sj.nn.EmbeddingBag.from_pretrained(w, mode="sum")
    np.testing.assert_allclose(b(sj.tensor([[0, 1]])).numpy()[0], w.numpy()[:2].sum(0), rtol=1e-6)


def test_embedding_errors():
    e = sj.nn.Embedding(10, 2)
    msg = "Embedding: index 12 is out of range for num_embeddings=10"
    with pytest.raises(IndexError, match=msg):
        e(sj.tensor([3, 12]))
    with pytest.raises(RuntimeError, match="Long, Int"):
        e(sj.tensor([1.5]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        sj.nn.Embedding(10, 2, padding_idx=10)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("sparse", [False, True])
def test_embedding_bag_module_parity(mode, sparse):
    if sparse and mode == "max":
        with pytest.raises(ValueError, match="max mode does not support sparse weights"):
            sj.nn.EmbeddingBag(6, 3, mode=mode, sparse=True)(sj.tensor([[1, 2]]))
        return
    e = sj.nn.EmbeddingBag(6, 3, mode=mode, sparse=sparse, padding_idx=2)
    t = torch.nn.EmbeddingBag(6, 3, mode=mode, sparse=sparse, padding_idx=2)
    _copy(e, t)
    _run(e, t, np.array([1, 2, 5, 5, 0, 3]), np.array([0, 3, 3]))
    assert repr(e).startswith("EmbeddingBag(6, 3, mode=")


def test_embedding_bag_per_sample_weights_module():
    e = sj.nn.EmbeddingBag(6, 3, mode="sum")
    t = torch.nn.EmbeddingBag(6, 3, mode="sum")
    _copy(e, t)
    p = rand(2, 3, seed=4)
    out = _run(e, t, np.array([[1, 2, 5], [5, 0, 3]]), None, p)
    assert tuple(out.shape) == (2, 3)
