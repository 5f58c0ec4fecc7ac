"""Conv + batch norm fusion: PyTorch's fuse_conv_bn_eval / fuse_conv_bn_weights, and the
zoo's conv_bn_act (batch norm and ReLU applied inside the conv in eval mode without
autograd) against the unfused modules and PyTorch."""
import numpy as np
import pytest
import torch
from torch.nn.utils import fusion as tfusion

import shenjing as sj
from helpers import rand
from shenjing.nn.utils.fusion import conv_bn_act, fuse_conv_bn_eval, fuse_conv_bn_weights


def _pair(c_in=8, c_out=16, groups=1, bias=False, seed=0, **kw):
    """The same conv + batch norm (with non-trivial running stats) in both libraries, eval."""
    torch.manual_seed(seed)
    tc = torch.nn.Conv2d(c_in, c_out, 3, padding=1, groups=groups, bias=bias, **kw)
    tb = torch.nn.BatchNorm2d(c_out)
    with torch.no_grad():
        tb.running_mean.uniform_(-1, 1)
        tb.running_var.uniform_(0.5, 2)
        tb.weight.uniform_(0.5, 1.5)
        tb.bias.uniform_(-0.5, 0.5)
    sc = sj.nn.Conv2d(c_in, c_out, 3, padding=1, groups=groups, bias=bias, **kw)
    sb = sj.nn.BatchNorm2d(c_out)
    sc.load_state_dict({k: sj.tensor(v.numpy()) for k, v in tc.state_dict().items()})
    sb.load_state_dict({k: sj.tensor(v.numpy()) for k, v in tb.state_dict().items()})
    for m in (tc, tb, sc, sb):
        m.eval()
    return sc, sb, tc, tb


@pytest.mark.parametrize("groups,bias,relu,c_in", [(1, False, True, 8), (1, True, False, 8),
                                                   (2, True, True, 8), (16, False, True, 16),
                                                   (1, False, True, 32)])
def test_conv_bn_act_eval_matches_torch(groups, bias, relu, c_in):
    """Every conv kind (channels-last, grouped, depthwise, Winograd at 32 channels)."""
    sc, sb, tc, tb = _pair(c_in=c_in, groups=groups, bias=bias)
    x = rand(4, c_in, 8, 8, seed=1)
    with sj.no_grad():
        ours = conv_bn_act(sc, sb, sj.tensor(x), sj.nn.ReLU() if relu else None).numpy()
        plain = sb(sc(sj.tensor(x)))
        plain = (sj.relu(plain) if relu else plain).numpy()
    with torch.no_grad():
        theirs = tb(tc(torch.tensor(x)))
        theirs = (torch.relu(theirs) if relu else theirs).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=2e-5 * np.abs(theirs).max())
    np.testing.assert_allclose(ours, plain, rtol=1e-4, atol=2e-5 * np.abs(plain).max())
    if relu:
        assert ours.min() == 0.0


def test_with_autograd_or_training_or_hooks_it_is_the_plain_modules():
    sc, sb, _, _ = _pair()
    x = sj.tensor(rand(2, 8, 6, 6, seed=2), requires_grad=True)
    y = conv_bn_act(sc, sb, x, sj.nn.ReLU())  # autograd on: gradients flow as usual
    y.sum().backward()
    assert x.grad is not None and sc.weight.grad is not None
    sb.train()
    before = sb.running_mean.numpy().copy()
    with sj.no_grad():
        conv_bn_act(sc, sb, x)  # training: the batch's statistics, running stats updated
    assert not np.array_equal(sb.running_mean.numpy(), before)
    sb.eval()
    seen = []
    sb.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    with sj.no_grad():
        conv_bn_act(sc, sb, x)
    assert seen == [(2, 16, 6, 6)]  # the hook ran: the unfused path


def test_fused_epilogue_refuses_autograd():
    x = sj.tensor(rand(1, 2, 4, 4, seed=3), requires_grad=True)
    w = sj.tensor(rand(2, 2, 3, 3, seed=4))
    post = (np.ones(2, np.float32), np.zeros(2, np.float32), False)
    with pytest.raises(RuntimeError, match="inference only"):
        sj.ops.conv._conv("conv2d", 2, x, w, None, 1, 1, 1, 1, post=post)


def test_bad_input_names_the_conv():
    sc, sb, _, _ = _pair()
    with sj.no_grad(), pytest.raises(RuntimeError, match="Conv2d"):
        conv_bn_act(sc, sb, sj.zeros(2, 3, 6, 6))


@pytest.mark.parametrize("bias", [False, True])
def test_fuse_conv_bn_eval_matches_torch(bias):
    sc, sb, tc, tb = _pair(bias=bias, seed=5)
    ours, theirs = fuse_conv_bn_eval(sc, sb), tfusion.fuse_conv_bn_eval(tc, tb)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.bias.detach().numpy(), theirs.bias.detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    assert ours is not sc  # a copy: the original conv keeps its weights
    x = rand(2, 8, 6, 6, seed=6)
    with sj.no_grad():
        np.testing.assert_allclose(ours(sj.tensor(x)).numpy(), sb(sc(sj.tensor(x))).numpy(),
                                   rtol=1e-4, atol=1e-5)
    sb.train()
    with pytest.raises(AssertionError, match="only for eval"):
        fuse_conv_bn_eval(sc, sb)


def test_fuse_conv_bn_weights_transpose_matches_torch():
    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 6, 3, 3)).astype(np.float32)  # ConvTranspose: (in, out, k, k)
    rm, rv = rng.standard_normal(6).astype(np.float32), rng.uniform(0.5, 2, 6).astype(np.float32)
    bw, bb = rng.standard_normal(6).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    ours = fuse_conv_bn_weights(*(sj.tensor(a) for a in (w,)), None, sj.tensor(rm),
                                sj.tensor(rv), 1e-5, sj.tensor(bw), sj.tensor(bb),
                                transpose=True)
    theirs = tfusion.fuse_conv_bn_weights(torch.tensor(w), None, torch.tensor(rm),
                                          torch.tensor(rv), 1e-5, torch.tensor(bw),
                                          torch.tensor(bb), transpose=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_resnet_eval_takes_the_fused_path_and_matches_unfused(monkeypatch):
    """The zoo's ResNet-18 (CIFAR) in eval mode: fused and unfused forwards agree."""
    from shenjing.models import resnet
    model = sj.models.get_model("resnet18_cifar", num_classes=10)
    model.eval()
    for m in model.modules():  # non-trivial running statistics
        if isinstance(m, sj.nn.BatchNorm2d):
            m.running_mean._data[:] = np.random.default_rng(8).uniform(-0.2, 0.2, m.num_features)
    x = sj.tensor(rand(2, 3, 32, 32, seed=9))
    calls = [0]
    real = resnet.conv_bn_act

    def counting(*a):
        calls[0] += 1
        return real(*a)

    monkeypatch.setattr(resnet, "conv_bn_act", counting)
    with sj.no_grad():
        fused = model(x).numpy()
    assert calls[0] == 20  # stem + 8 blocks x 2 + 3 projection shortcuts
    with sj.enable_grad():
        plain = model(x).detach().numpy()  # autograd on: the unfused modules
    np.testing.assert_allclose(fused, plain, rtol=1e-4, atol=1e-4 * np.abs(plain).max())


def test_add_act_joins_in_place_without_autograd_only():
    from shenjing.nn.utils.fusion import add_act
    a, b = rand(2, 4, 5, 5, seed=10), rand(2, 4, 5, 5, seed=11)
    want = np.maximum(a + b, 0)
    out = sj.tensor(a.copy())
    with sj.no_grad():
        got = add_act(out, sj.tensor(b), sj.nn.ReLU())
    assert got is out
    np.testing.assert_array_equal(got.numpy(), want)
    x = sj.tensor(a.copy(), requires_grad=True)
    y = add_act(x * 1, sj.tensor(b), sj.nn.ReLU())  # autograd on: a new tensor, grads flow
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), want)
    np.testing.assert_array_equal(x.grad.numpy(), (a + b > 0).astype(np.float32))


def test_relu_after_pool_gives_the_same_values_and_gradients():
    """Conv, ReLU, MaxPool run as conv, pool, ReLU: bit-identical outputs, gradients equal up
    to summation order (the pooled gradient's memory layout differs), windows of all-negative
    values, exact zeros and ties included."""
    from shenjing.nn.utils.fusion import relu_after_pool
    sj.manual_seed(0)
    seq = sj.nn.Sequential(sj.nn.Conv2d(3, 4, 3, padding=1), sj.nn.ReLU(inplace=True),
                           sj.nn.MaxPool2d(2), sj.nn.Conv2d(4, 4, 3, padding=1),
                           sj.nn.ReLU(), sj.nn.MaxPool2d(2, ceil_mode=True))
    x = rand(2, 3, 10, 10, seed=12) - 0.3
    x[0, :, :4, :4] = 0.0  # windows of exact zeros (ties) after the first conv's bias

    def run(fn):
        xt = sj.tensor(x, requires_grad=True)
        y = fn(xt)
        y.backward(sj.tensor(rand(*y.shape, seed=13)))
        return [y.detach().numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in seq.parameters()]

    ref = run(seq)
    seq.zero_grad()
    got = run(lambda t: relu_after_pool(seq, t))
    np.testing.assert_array_equal(got[0], ref[0])
    for a, b in zip(got[1:], ref[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert (ref[0] == 0).any() and (ref[0] > 0).any()


def test_relu_after_pool_keeps_the_order_with_hooks():
    from shenjing.nn.utils.fusion import relu_after_pool
    seq = sj.nn.Sequential(sj.nn.ReLU(), sj.nn.MaxPool2d(2))
    seen = []
    seq[0].register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
    relu_after_pool(seq, sj.tensor(rand(1, 2, 4, 4, seed=14)))
    assert seen == [(1, 2, 4, 4)]  # the ReLU saw the unpooled input: the written order
