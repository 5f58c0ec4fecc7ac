"""Pooling, upsampling, padding and LRN modules against torch.nn: outputs, grads, reprs."""
import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.nn as nn
from helpers import compare, rand

LAYERS = [
    ("MaxPool1d", (3,), {}, (2, 3, 10)), ("MaxPool1d", (3, 2, 1, 2, True, True), {}, (3, 11)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)), ("MaxPool2d", ((2, 3),), {"stride": (1, 2)},
                                             (1, 2, 5, 7)),
    ("MaxPool2d", (3, 2, 1), {"ceil_mode": True, "return_indices": True}, (2, 7, 7)),
    ("AvgPool1d", (2,), {}, (2, 3, 9)), ("AvgPool2d", (3, 2, 1), {}, (2, 3, 7, 6)),
    ("AvgPool2d", (2,), {"divisor_override": 3, "count_include_pad": False}, (1, 2, 5, 4)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 7)), ("AdaptiveAvgPool2d", ((None, 3),), {},
                                                  (2, 3, 5, 7)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 5, 7)), ("AdaptiveMaxPool1d", (2,), {}, (2, 3, 7)),
    ("AdaptiveMaxPool2d", (2, True), {}, (2, 3, 5, 7)),
    ("Upsample", (), {"scale_factor": 2}, (1, 2, 3, 4)),
    ("Upsample", (), {"size": (3, 5), "mode": "bilinear", "align_corners": True}, (1, 2, 4, 4)),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "bicubic"}, (1, 2, 4, 4)),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, (1, 2, 3, 3)),
    ("UpsamplingBilinear2d", (), {"size": 5}, (1, 2, 3, 3)),
    ("PixelShuffle", (2,), {}, (1, 8, 2, 3)), ("PixelUnshuffle", (2,), {}, (1, 2, 4, 6)),
    ("ZeroPad2d", (1,), {}, (1, 2, 3, 3)), ("ZeroPad2d", ((1, 2, 3, 4),), {}, (2, 3, 3)),
    ("ConstantPad2d", (2, 3.5), {}, (1, 2, 3, 3)), ("ConstantPad1d", (2, 1.0), {}, (2, 3)),
    ("ReflectionPad2d", (2,), {}, (1, 2, 3, 4)), ("ReflectionPad1d", (1,), {}, (2, 3, 4)),
    ("ReplicationPad2d", ((1, 0, 1, 0),), {}, (1, 2, 3, 3)),
    ("ReplicationPad1d", (2,), {}, (2, 3, 4)), ("CircularPad2d", (1,), {}, (1, 2, 3, 3)),
    ("LocalResponseNorm", (3,), {}, (2, 5, 3, 3)),
    ("LocalResponseNorm", (2,), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, (2, 4, 3)),
]


@pytest.mark.parametrize("name,args,kw,shape", LAYERS)
def test_layer_matches_torch(name, args, kw, shape):
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    compare(ours, theirs, rand(*shape, seed=1))


def test_pool_layers_in_a_cnn_head():
    """A small conv-free head: pool -> upsample -> pad -> pool, gradients end to end."""
    def head(m):
        return m.nn.Sequential(m.nn.MaxPool2d(2), m.nn.Upsample(scale_factor=2, mode="bilinear"),
                               m.nn.ReflectionPad2d(1), m.nn.AvgPool2d(3, 1),
                               m.nn.AdaptiveAvgPool2d((2, 2)), m.nn.Flatten())
    compare(head(sj), head(torch), rand(2, 3, 8, 8, seed=2))


def test_max_unpool_layer():
    pool_s, unpool_s = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    pool_t, unpool_t = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
    assert repr(unpool_s) == repr(unpool_t)
    x = rand(1, 2, 4, 6, seed=3)
    ys = unpool_s(*pool_s(sj.tensor(x)))
    yt = unpool_t(*pool_t(torch.tensor(x)))
    np.testing.assert_allclose(ys.numpy(), yt.numpy())


@pytest.mark.parametrize("layer,shape,msg", [
    (lambda: nn.MaxPool2d(2), (3, 1, 1), "Given input size: (3x1x1). Calculated output size: "
                                         "(3x0x0). Output size is too small"),
    (lambda: nn.AvgPool2d(3), (1, 2, 2, 2), "Output size is too small"),
    (lambda: nn.MaxPool2d(2), (5,), "Expected 3D or 4D"),
    (lambda: nn.AvgPool1d(2), (1, 2, 3, 4), "Expected 2D or 3D"),
])
def test_layer_errors(layer, shape, msg):
    with pytest.raises(RuntimeError) as e:
        layer()(sj.zeros(*shape))
    assert msg in str(e.value)
