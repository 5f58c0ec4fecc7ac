"""Conv layers against torch.nn with copied weights: outputs, grads, repr, state_dict, init."""
import math

import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import assert_close, rand

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.")

CASES = [
    ("Conv2d", (3, 4, 3), {}, (2, 3, 6, 7)),
    ("Conv2d", (3, 4, (3, 2)), {"stride": 2, "padding": 1, "bias": False}, (2, 3, 7, 6)),
    ("Conv2d", (4, 6, 3), {"groups": 2, "dilation": 2, "padding": "same"}, (2, 4, 7, 7)),
    ("Conv2d", (4, 4, 3), {"groups": 4, "padding": 1}, (4, 6, 6)),  # depthwise, unbatched
    ("Conv2d", (3, 4, 3), {"padding": "valid"}, (1, 3, 5, 5)),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "reflect"}, (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), {"padding": (2, 1), "padding_mode": "replicate"}, (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "circular", "stride": 2},
     (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 4), {"padding": "same", "padding_mode": "reflect"}, (2, 2, 6, 6)),
    ("Conv1d", (3, 4, 3), {"padding": 1}, (2, 3, 8)),
    ("Conv1d", (4, 4, 2), {"groups": 2, "stride": 2, "padding_mode": "circular",
                           "padding": 1}, (2, 4, 9)),
    ("Conv1d", (3, 4, 3), {}, (3, 8)),
    ("ConvTranspose2d", (3, 4, 3), {}, (2, 3, 4, 5)),
    ("ConvTranspose2d", (4, 2, 4), {"stride": 2, "padding": 1, "groups": 2, "bias": False},
     (2, 4, 3, 3)),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 2, "output_padding": 1, "dilation": 2},
     (3, 4, 5)),
    ("ConvTranspose1d", (3, 4, 3), {"stride": 2, "padding": 1}, (2, 3, 5)),
]


def _pair(name, args, kwargs):
    sm, tm = getattr(sj.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    sm.weight.data = sj.tensor(tm.weight.detach().numpy().copy())
    if tm.bias is not None:
        sm.bias.data = sj.tensor(tm.bias.detach().numpy().copy())
    return sm, tm


@pytest.mark.parametrize("name,args,kwargs,xs", CASES)
def test_layer_matches_torch(name, args, kwargs, xs):
    sm, tm = _pair(name, args, kwargs)
    assert repr(sm) == repr(tm)
    assert list(sm.state_dict()) == list(tm.state_dict())
    assert tuple(sm.weight.shape) == tuple(tm.weight.shape)
    x = rand(*xs, seed=4)
    sx, tx = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    sy, ty = sm(sx), tm(tx)
    assert_close(sy, ty, 1e-5, 1e-4, "output")
    up = rand(*ty.shape, seed=5)
    (sy * sj.tensor(up)).sum().backward()
    (ty * torch.tensor(up)).sum().backward()
    assert_close(sx.grad, tx.grad, 1e-5, 1e-4, "input grad")
    assert_close(sm.weight.grad, tm.weight.grad, 1e-4, 1e-4, "weight grad")
    if tm.bias is not None:
        assert_close(sm.bias.grad, tm.bias.grad, 1e-4, 1e-4, "bias grad")


def test_conv_transpose_output_size():
    sm, tm = _pair("ConvTranspose2d", (3, 2, 3), {"stride": 2, "padding": 1})
    x = rand(1, 3, 4, 4)
    sy = sm(sj.tensor(x), output_size=(8, 8))
    ty = tm(torch.tensor(x), output_size=[8, 8])
    assert tuple(sy.shape) == (1, 2, 8, 8)
    assert_close(sy, ty, 1e-5, 1e-4, "output")


@pytest.mark.parametrize("name,args,kw", [("Conv2d", (16, 32, 3), {}),
                                          ("Conv2d", (8, 8, 3), {"groups": 4}),
                                          ("ConvTranspose2d", (16, 8, 4), {}),
                                          ("Conv1d", (8, 16, 5), {})])
def test_init_bounds(name, args, kw):
    sj.manual_seed(0)
    m = getattr(sj.nn, name)(*args, **kw)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    fan_in = w.shape[1] * math.prod(w.shape[2:])  # torch's fan_in: dim 1 times kernel size
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.8 * bound  # spread over the whole range
    assert abs(w.std() - bound / math.sqrt(3)) < 0.2 * bound  # U(-a, a) has std a/sqrt(3)
    assert w.dtype == np.float32


def test_reset_parameters_and_dtype():
    m = sj.nn.Conv2d(2, 3, 3, dtype=sj.float64)
    assert m.weight.dtype == sj.float64 and m.bias.dtype == sj.float64
    before = m.weight.detach().numpy().copy()
    m.reset_parameters()
    assert not np.array_equal(before, m.weight.detach().numpy())


def test_wrong_channels_message():
    m = sj.nn.Conv2d(3, 32, 3)
    with pytest.raises(RuntimeError) as e:
        m(sj.zeros(8, 1, 28, 28))
    assert str(e.value) == ("Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1)): expected input "
                            "with 3 channels, got input of shape (8, 1, 28, 28)")


LAYER_ERRORS = [
    (lambda: sj.nn.Conv2d(3, 4, 3)(sj.zeros(2, 3, 2, 2)), RuntimeError,
     "Kernel size can't be greater than actual input size"),
    (lambda: sj.nn.Conv2d(3, 4, 3)(sj.zeros(2, 2, 1, 3, 2, 2)), RuntimeError,
     "expected 3D (unbatched) or 4D (batched) input"),
    (lambda: sj.nn.Conv1d(3, 4, 3)(sj.zeros(2, 2, 5)), RuntimeError, "expected input with 3"),
    (lambda: sj.nn.ConvTranspose2d(3, 4, 3)(sj.zeros(1, 4, 5, 5)), RuntimeError,
     "expected input with 3 channels"),
    (lambda: sj.nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible"),
    (lambda: sj.nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels must be divisible"),
    (lambda: sj.nn.Conv2d(3, 4, 3, padding_mode="foo"), ValueError, "padding_mode must be"),
    (lambda: sj.nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: sj.nn.Conv2d(3, 4, 3, padding="full"), ValueError, "Invalid padding string"),
    (lambda: sj.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
]


@pytest.mark.parametrize("fn,exc,msg", LAYER_ERRORS)
def test_layer_errors(fn, exc, msg):
    with pytest.raises(exc) as e:
        fn()
    assert msg in str(e.value)
