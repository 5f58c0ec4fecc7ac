"""BatchNorm/LayerNorm/GroupNorm/Dropout modules against torch modules with copied state."""
import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.nn as nn
from helpers import assert_close, rand


def _copy_state(ours, theirs):
    """Load torch's (randomised) state into our module through state_dict."""
    ours.load_state_dict({k: sj.tensor(v.detach().numpy().copy())
                          for k, v in theirs.state_dict().items()})


def _randomise(mod, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in mod.parameters():
            p.copy_(torch.rand(p.shape, generator=g) + 0.5)


def _step(ours, theirs, x, what):
    xs, xt = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ys, yt = ours(xs), theirs(xt)
    assert_close(ys, yt, 1e-5, 1e-4, f"{what}: output")
    u = rand(*x.shape, seed=99)
    (ys * sj.tensor(u)).sum().backward()
    (yt * torch.tensor(u)).sum().backward()
    assert_close(xs.grad, xt.grad, 1e-4, 1e-4, f"{what}: input grad")
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, tp.grad, 1e-4, 1e-4, f"{what}: grad of {name}")
        p.grad, tp.grad = None, None


BN = [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (2, 3, 4, 4)),
      ("BatchNorm3d", (2, 3, 2, 2, 3))]


@pytest.mark.parametrize("cls,shape", BN)
@pytest.mark.parametrize("kw", [{}, {"momentum": None}, {"affine": False},
                                {"track_running_stats": False}, {"momentum": 0.5, "eps": 1e-3},
                                {"bias": False}])
def test_batchnorm_train_then_eval(cls, shape, kw):
    c = shape[1]
    ours, theirs = getattr(nn, cls)(c, **kw), getattr(torch.nn, cls)(c, **kw)
    _randomise(theirs, 0)
    _copy_state(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for step in range(3):
        _step(ours, theirs, rand(*shape, seed=step, low=-1, high=2 + step), f"train {step}")
    for k, v in theirs.state_dict().items():
        assert_close(ours.state_dict()[k], v, 1e-5, 1e-5, f"buffer {k}")
    ours.eval()
    theirs.eval()
    _step(ours, theirs, rand(*shape, seed=10, low=-1, high=2), "eval")
    assert repr(ours) == repr(theirs)


def test_batchnorm_num_batches_tracked_dtype_and_input_errors():
    bn = nn.BatchNorm1d(3)
    assert bn.num_batches_tracked.dtype == sj.int64 and bn.num_batches_tracked.item() == 0
    bn(sj.tensor(rand(4, 3)))
    assert bn.num_batches_tracked.item() == 1
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input \(got 4D input\)"):
        bn(sj.zeros(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="BatchNorm1d: expected input with 3 channels"):
        bn(sj.zeros(2, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(sj.zeros(2, 3, 4))


@pytest.mark.parametrize("ns,shape", [(5, (4, 5)), ((3, 4), (2, 3, 4)), (4, (2, 3, 4))])
@pytest.mark.parametrize("kw", [{}, {"elementwise_affine": False}, {"bias": False},
                                {"eps": 1e-3}])
def test_layernorm(ns, shape, kw):
    ours, theirs = nn.LayerNorm(ns, **kw), torch.nn.LayerNorm(ns, **kw)
    _randomise(theirs, 1)
    _copy_state(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _step(ours, theirs, rand(*shape, seed=3, low=-2, high=2), "layernorm")
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kw", [{}, {"affine": False}])
def test_groupnorm(kw):
    ours, theirs = nn.GroupNorm(2, 4, **kw), torch.nn.GroupNorm(2, 4, **kw)
    _randomise(theirs, 2)
    _copy_state(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _step(ours, theirs, rand(3, 4, 5, seed=4, low=-2, high=2), "groupnorm")
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("cls,shape", [("Dropout", (4, 6, 5)), ("Dropout1d", (4, 6, 5)),
                                       ("Dropout2d", (4, 6, 5, 5)), ("Dropout3d", (2, 6, 3, 3, 3)),
                                       ("AlphaDropout", (4, 6, 5))])
def test_dropout_modules(cls, shape):
    ours, theirs = getattr(nn, cls)(0.3), getattr(torch.nn, cls)(0.3)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == []
    x = sj.tensor(rand(*shape, seed=5))
    ours.eval()
    np.testing.assert_array_equal(ours(x).numpy(), x.numpy())
    ours.train()
    sj.manual_seed(0)
    y = ours(x).numpy()
    assert y.shape == x.shape and not np.array_equal(y, x.numpy())
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        getattr(nn, cls)(1.5)
