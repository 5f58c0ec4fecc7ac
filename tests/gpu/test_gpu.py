"""The same code on a GPU: ops, fused kernels and a training step on cuda equal the CPU path
(to float32 tolerance). Run only where a CUDA GPU and CuPy exist; skipped elsewhere."""
import numpy as np
import pytest

import shenjing as sj
from shenjing import nn, optim
import shenjing.nn.functional as F

pytestmark = pytest.mark.gpu

R = np.random.default_rng(0)


def _f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _recurrent(mode: str):
    """A one-layer fused recurrent op (12 steps: several runs of steps on a CPU, one on a
    GPU), reduced to one tensor that depends on every output and final state."""
    from shenjing.ops.recurrent import rnn_stack

    def run(x, h0, *rest):
        states = (h0, rest[0]) if mode == "LSTM" else (h0,)
        out, h, c = rnn_stack(mode, x, states, list(rest[len(states) - 1:]), 1, 1)
        return out.sum(2) + h.sum() + (c.sum() if c is not None else 0)

    g = 4 if mode == "LSTM" else 3
    states = [_f32(1, 3, 5)] * (2 if mode == "LSTM" else 1)
    return run, [_f32(12, 3, 4), *states, _f32(g * 5, 4), _f32(g * 5, 5), _f32(g * 5),
                 _f32(g * 5)]


CASES = {
    "lstm": _recurrent("LSTM"),
    "gru": _recurrent("GRU"),
    "matmul": (lambda a, b: a @ b, [_f32(5, 7), _f32(7, 3)]),
    "repeat_take": (lambda x: x.repeat_interleave(2, dim=1).take_along_dim(
        sj.tensor([[0, 3, 3]], device=x.device), 1), [_f32(4, 3)]),
    "sort_topk": (lambda x: x.sort(dim=1, descending=True).values[:, :3] * x.topk(3, 1).values,
                  [_f32(4, 6)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [_f32(4, 6), _f32(3, 6), _f32(3)]),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1),
               [_f32(2, 3, 8, 8), _f32(4, 3, 3, 3), _f32(4)]),
    "conv2d_s2_groups": (lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2),
                         [_f32(2, 4, 9, 9), _f32(6, 2, 3, 3)]),
    "depthwise": (lambda x, w: F.conv2d(x, w, padding=1, groups=4),
                  [_f32(2, 4, 6, 6), _f32(4, 1, 3, 3)]),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1,
                                                         output_padding=1),
                         [_f32(2, 4, 5, 5), _f32(4, 3, 3, 3)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [_f32(2, 3, 8, 8)]),
    # channels-last memory end to end: conv output, batch norm's pixel rows, tiled max pool
    "conv_bn_relu_pool": (lambda x, w, g, b: F.max_pool2d(F.relu(F.batch_norm(
        F.conv2d(x, w, padding=1), None, None, g, b, training=True)), 2),
        [_f32(2, 3, 8, 8), _f32(5, 3, 3, 3), _f32(5), _f32(5)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), [_f32(2, 3, 8, 8)]),
    "adaptive_avg": (lambda x: F.adaptive_avg_pool2d(x, 3), [_f32(2, 3, 7, 7)]),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   [_f32(4, 3, 5, 5), _f32(3), _f32(3)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (6,), w, b), [_f32(4, 6), _f32(6), _f32(6)]),
    "softmax_ce": (lambda x: F.cross_entropy(x, sj.tensor([0, 2, 1, 4], device=x.device)),
                   [_f32(4, 5)]),
    "bce_logits": (lambda x, t: F.binary_cross_entropy_with_logits(x, t.sigmoid()),
                   [_f32(4, 5), _f32(4, 5)]),
    "elementwise": (lambda a, b: (a.exp() * b.tanh() + a.sigmoid() / (1 + b * b)).sum(1),
                    [_f32(3, 4), _f32(3, 4)]),
    "reductions": (lambda a: a.max(1).values + a.mean(0).sum() + a.logsumexp(1),
                   [_f32(3, 4)]),
    "indexing": (lambda a: a[sj.tensor([0, 2, 2], device=a.device)][:, 1:3], [_f32(4, 5)]),
    "interpolate": (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"),
                    [_f32(1, 2, 4, 4)]),
}


def _run(fn, arrays, device):
    xs = [sj.tensor(a, device=device, requires_grad=True) for a in arrays]
    out = fn(*xs)
    out.backward(sj.ones_like(out))
    return out.detach().cpu().numpy(), [x.grad.cpu().numpy() for x in xs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_on_cuda_equals_cpu(name):
    fn, arrays = CASES[name]
    y_cpu, g_cpu = _run(fn, arrays, "cpu")
    y_gpu, g_gpu = _run(fn, arrays, "cuda")
    np.testing.assert_allclose(y_gpu, y_cpu, rtol=1e-4, atol=1e-5)
    for a, b in zip(g_gpu, g_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["seed_cnn", "resnet18_cifar"])
def test_training_step_on_cuda_equals_cpu(name):
    from shenjing import models

    x, y = _f32(4, 3, 32, 32), R.integers(0, 10, 4)

    def step(device):
        sj.manual_seed(0)
        model = models.get_model(name, num_classes=10).to(device)
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        for _ in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(model(sj.tensor(x, device=device)),
                                   sj.tensor(y, device=device))
            loss.backward()
            opt.step()
        return [p.detach().cpu().numpy() for p in model.parameters()]

    for a, b in zip(step("cuda"), step("cpu")):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_dropout_masks_come_from_the_gpu_stream():
    x = sj.ones(1000, device="cuda")
    sj.manual_seed(1)
    a = F.dropout(x, 0.5).cpu().numpy()
    sj.manual_seed(1)
    b = F.dropout(x, 0.5).cpu().numpy()
    np.testing.assert_array_equal(a, b)
    assert 0.4 < (a == 0).mean() < 0.6


def test_mlp_trains_on_cuda():
    sj.manual_seed(0)
    xs = _f32(256, 8)
    ys = (xs[:, 0] + xs[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2)).cuda()
    opt = optim.Adam(model.parameters(), lr=0.01)
    xb, yb = sj.tensor(xs, device="cuda"), sj.tensor(ys, device="cuda")
    for _ in range(200):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    acc = float((model(xb).argmax(1) == yb).float().mean().item())
    assert acc > 0.95
