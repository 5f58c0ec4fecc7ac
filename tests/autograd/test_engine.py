"""The backward engine: accumulation, graph reuse, hooks, grad modes, autograd.grad."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import rand


def both(fn, *arrays):
    """Run ``fn(module, *tensors)`` in both libraries; return the input tensors of each."""
    ours = [sj.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    fn(sj, *ours)
    fn(torch, *theirs)
    return ours, theirs


def test_seed_autograd_example():
    x = sj.tensor([1., 2., 3.], requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    assert repr(x.grad) == "tensor([2., 2., 2.])"
    assert repr(x) == "tensor([1., 2., 3.], requires_grad=True)"


def test_value_used_twice_accumulates():
    def f(m, x, w):
        h = x * w
        (h * h + h * 3 + w).sum().backward()

    ours, theirs = both(f, rand(3, 4, seed=1), rand(4, seed=2))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_backward_twice_accumulates_into_grad():
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


def test_backward_through_freed_graph_says_so():
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_non_scalar_needs_gradient():
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(sj.tensor([1.0, -1.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -2.0])


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        sj.tensor([1.0]).sum().backward()


def test_int_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        sj.tensor([1, 2]).requires_grad_()


def test_leaf_and_grad_fn():
    x = sj.tensor([1.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf
    assert x.grad_fn is None and y.grad_fn.name() == "MulBackward0"
    assert sj.tensor([1.0]).is_leaf
    assert y.detach().is_leaf and not y.detach().requires_grad


def test_retain_grad_on_intermediate():
    hs = {}

    def f(m, x):
        h = x * 3
        h.retain_grad()
        (h * h).sum().backward()
        hs[m.__name__] = h

    both(f, rand(5))
    np.testing.assert_allclose(hs["shenjing"].grad.numpy(), hs["torch"].grad.numpy(), rtol=1e-6)
    x = sj.tensor([1.0], requires_grad=True)
    h = x * 1
    (h * 2).sum().backward()
    assert h.grad is None  # not retained


def test_no_grad_records_nothing():
    x = sj.tensor([1.0], requires_grad=True)
    with sj.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    with sj.no_grad():
        with sj.enable_grad():
            z = x * 2
    assert z.requires_grad
    with sj.set_grad_enabled(False):
        assert not sj.is_grad_enabled()
    assert sj.is_grad_enabled()

    @sj.no_grad()
    def g(t):
        return t * 2

    assert not g(x).requires_grad


def test_autograd_grad_does_not_touch_dot_grad():
    x = sj.tensor(rand(3), requires_grad=True)
    w = sj.tensor(rand(3, seed=3), requires_grad=True)
    y = (x * w).sum()
    gx, gw = sj.autograd.grad(y, [x, w])
    np.testing.assert_allclose(gx.numpy(), w.detach().numpy())
    np.testing.assert_allclose(gw.numpy(), x.detach().numpy())
    assert x.grad is None and w.grad is None


def test_autograd_grad_of_intermediate_and_unused():
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    u = sj.tensor([1.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    (gh,) = sj.autograd.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        sj.autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = sj.autograd.grad(y, [x, u], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.numpy(), [8.0, 16.0])


def test_hooks_can_replace_gradient():
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    h = x * 1
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    (h * 2).sum().backward()
    np.testing.assert_allclose(seen[0], [2.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])


def test_deep_chain_has_no_recursion_limit():
    x = sj.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0])


def test_grads_of_leaves_do_not_alias():
    a = sj.tensor([1.0, 2.0], requires_grad=True)
    b = sj.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad._data[:] = 0  # writing one grad must not change the other
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_gradcheck_catches_a_wrong_rule():
    class BadSquare(sj.autograd.Function):
        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, g):
            return g * self.a  # wrong: should be 2 a g

    x = sj.tensor(rand(3).astype(np.float64), requires_grad=True)
    with pytest.raises(sj.autograd.GradcheckError):
        sj.autograd.gradcheck(lambda t: BadSquare.apply(t), [x])
    assert sj.autograd.gradcheck(lambda t: t * t, [x])


def test_broadcast_grad_unbroadcasts():
    def f(m, a, b):
        (a * b).sum().backward()

    ours, theirs = both(f, rand(4, 1, 3), rand(5, 1))
    for o, t in zip(ours, theirs):
        assert tuple(o.grad.shape) == tuple(t.grad.shape)
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-5)


def test_setitem_after_use_keeps_earlier_edges():
    def f(m, x, w):
        y = x * 2
        z = (y + 1).sum() * 2  # uses y (without saving it) before the write below
        y[1:, 0] = w
        (z + (y * 3).sum()).backward()

    ours, theirs = both(f, rand(3, 2, seed=4), rand(2, seed=5))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)
