"""In-place methods against PyTorch: values, shared storage, dtype rules, grad-mode guards."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import assert_close, rand

A = rand(3, 4, seed=1, low=0.5, high=2.0)
B = rand(3, 4, seed=2, low=0.5, high=2.0)
ROW = rand(4, seed=3, low=0.5, high=2.0)

OPS = {
    "add_": lambda m, t: t.add_(m.tensor(B)),
    "add_alpha": lambda m, t: t.add_(m.tensor(ROW), alpha=-0.5),
    "add_scalar": lambda m, t: t.add_(2.5),
    "sub_": lambda m, t: t.sub_(m.tensor(ROW), alpha=2),
    "mul_": lambda m, t: t.mul_(m.tensor(B)),
    "mul_scalar": lambda m, t: t.mul_(0.9),
    "div_": lambda m, t: t.div_(m.tensor(ROW)),
    "pow_": lambda m, t: t.pow_(2),
    "pow_tensor": lambda m, t: t.pow_(m.tensor(B)),
    "addcmul_": lambda m, t: t.addcmul_(m.tensor(B), m.tensor(ROW), value=0.3),
    "addcdiv_": lambda m, t: t.addcdiv_(m.tensor(B), m.tensor(ROW), value=-0.1),
    "lerp_": lambda m, t: t.lerp_(m.tensor(B), 0.25),
    "lerp_tensor": lambda m, t: t.lerp_(m.tensor(B), m.tensor(ROW) / 2),
    "clamp_": lambda m, t: t.clamp_(0.8, 1.5),
    "clamp_min_": lambda m, t: t.clamp_min_(1.0),
    "clamp_max_": lambda m, t: t.clamp_max_(1.0),
    "clamp_tensor": lambda m, t: t.clamp_(min=m.tensor(ROW)),
    "zero_": lambda m, t: t.zero_(),
    "fill_": lambda m, t: t.fill_(3.25),
    "fill_tensor": lambda m, t: t.fill_(m.tensor(2.0)),
    "copy_": lambda m, t: t.copy_(m.tensor(B)),
    "copy_broadcast": lambda m, t: t.copy_(m.tensor(ROW)),
    "copy_cast": lambda m, t: t.copy_(m.tensor(B.astype(np.float64))),
    "copy_int": lambda m, t: t.copy_(m.tensor(np.arange(4))),
    "sqrt_": lambda m, t: t.sqrt_(), "exp_": lambda m, t: t.exp_(),
    "neg_": lambda m, t: t.neg_(), "abs_": lambda m, t: t.neg_().abs_(),
    "sign_": lambda m, t: t.sub_(1).sign_(), "log_": lambda m, t: t.log_(),
    "tanh_": lambda m, t: t.tanh_(), "sigmoid_": lambda m, t: t.sigmoid_(),
    "relu_": lambda m, t: t.sub_(1).relu_(), "floor_": lambda m, t: t.floor_(),
    "masked_fill_": lambda m, t: t.masked_fill_(m.tensor(ROW > 1), -1.0),
    "masked_fill_full": lambda m, t: t.masked_fill_(m.tensor(B > 1), m.tensor(7.0)),
    "index_fill_": lambda m, t: t.index_fill_(1, m.tensor(np.array([0, 2])), 9.0),
    "scatter_": lambda m, t: t.scatter_(1, m.tensor(np.array([[3, 1], [0, 0], [2, 3]])),
                                        m.tensor(B)),
    "scatter_value": lambda m, t: t.scatter_(0, m.tensor(np.array([[2, 1, 0, 1]])), value=5.0),
    "iadd": lambda m, t: t.__iadd__(m.tensor(ROW)), "isub": lambda m, t: t.__isub__(1.5),
    "imul": lambda m, t: t.__imul__(m.tensor(B)), "itruediv": lambda m, t: t.__itruediv__(4),
}


@pytest.mark.parametrize("name", list(OPS))
def test_inplace_matches_torch_and_returns_self(name):
    ours, theirs = sj.tensor(A.copy()), torch.tensor(A.copy())
    alias = ours.data  # shares storage
    r1, r2 = OPS[name](sj, ours), OPS[name](torch, theirs)
    assert r1 is ours and r2 is theirs
    assert_close(ours, theirs, 1e-6, 1e-5, name)
    assert_close(alias, theirs, 1e-6, 1e-5, name + " via .data")


def test_int_tensor_rules():
    for mod in (sj, torch):
        t = mod.tensor(np.arange(4))
        t.add_(2).mul_(3)
        assert t.tolist() == [6, 9, 12, 15]
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                               "output type Long"):
            t.add_(1.5)
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
            t.div_(2)


def test_broadcast_errors_match_torch():
    for mod in (sj, torch):
        with pytest.raises(RuntimeError, match=r"output with shape \[4\] doesn't match the "
                                               r"broadcast shape \[3, 4\]"):
            mod.tensor(ROW.copy()).add_(mod.tensor(A))
    for mod in (sj, torch):
        with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but "
                                               "got mask with dtype float"):
            mod.tensor(A.copy()).masked_fill_(mod.tensor(B), 1.0)


def test_leaf_requires_grad_guard_and_no_grad():
    for mod in (sj, torch):
        w = mod.tensor(A.copy(), requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                                               "used in an in-place operation."):
            w.add_(1.0)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            w += 1
        with mod.no_grad():
            w.mul_(2).add_(1)
            w -= 1
        np.testing.assert_allclose(w.detach().numpy(), A * 2, rtol=1e-6)
        assert w.requires_grad and w.is_leaf


def test_nonleaf_inplace_raises_but_augmented_assignment_rebinds():
    w = sj.tensor(A.copy(), requires_grad=True)
    y = w * 2
    with pytest.raises(RuntimeError, match="shenjing does not record in-place ops"):
        y.mul_(3)
    y2 = y
    y += 1
    y *= sj.tensor(B)
    assert y is not y2
    y.sum().backward()
    tw = torch.tensor(A.copy(), requires_grad=True)
    ty = tw * 2
    ty += 1
    ty *= torch.tensor(B)
    ty.sum().backward()
    assert_close(w.grad, tw.grad, 1e-6, 1e-5, "grad through rebinding")
    # a plain tensor updated with one that requires grad also takes the out-of-place path
    t = sj.tensor(B.copy())
    t += w
    assert t.requires_grad and t.grad_fn is not None
    with pytest.raises(RuntimeError, match="an argument requires grad"):
        sj.tensor(B.copy()).add_(w)


def test_optimizer_style_update_on_data():
    p = sj.tensor(A.copy(), requires_grad=True)
    (p * p).sum().backward()
    p.data.add_(p.grad, alpha=-0.1)  # SGD step through .data
    np.testing.assert_allclose(p.detach().numpy(), A - 0.1 * 2 * A, rtol=1e-6)
    p.grad.zero_()
    assert not p.grad.numpy().any()


def test_random_fills_use_shenjing_generator():
    t = sj.tensor(np.zeros((200, 50), np.float32))
    sj.manual_seed(0)
    t.uniform_(-2, 3)
    first = t.numpy().copy()
    assert first.min() >= -2 and first.max() < 3 and abs(first.mean() - 0.5) < 0.05
    sj.manual_seed(0)
    np.testing.assert_array_equal(t.uniform_(-2, 3).numpy(), first)
    t.normal_(1.0, 2.0)
    assert abs(t.numpy().mean() - 1) < 0.1 and abs(t.numpy().std() - 2) < 0.1
    assert t.dtype == sj.float32
    t.bernoulli_(0.3)
    assert set(np.unique(t.numpy())) <= {0.0, 1.0} and abs(t.numpy().mean() - 0.3) < 0.02
    t.exponential_(2.0)
    assert t.numpy().min() >= 0 and abs(t.numpy().mean() - 0.5) < 0.03
    g = sj.Generator().manual_seed(5)
    a = sj.tensor(np.zeros(5, np.float32)).normal_(generator=g).numpy()
    b = sj.tensor(np.zeros(5, np.float32)).normal_(generator=sj.Generator().manual_seed(5))
    np.testing.assert_array_equal(a, b.numpy())
    r = sj.tensor(np.zeros(1000, np.int64)).random_(0, 10).numpy()
    assert r.min() >= 0 and r.max() <= 9 and len(np.unique(r)) == 10
    u = sj.tensor(np.zeros(100, np.float32)).uniform_(**{"from": 1.0, "to": 2.0}).numpy()
    assert u.min() >= 1 and u.max() < 2
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        t.normal_(0, -1)


def test_zero_size_and_scalar():
    e = sj.tensor(np.zeros((0, 3), np.float32))
    assert e.add_(1).fill_(2).uniform_().shape == (0, 3)
    s = sj.tensor(1.5)
    s.mul_(2).add_(sj.tensor(0.5))
    assert s.item() == 3.5
