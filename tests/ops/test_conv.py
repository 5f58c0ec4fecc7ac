"""Convolutions against torch.nn.functional (values, input/weight/bias grads) and gradcheck."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import shenjing as sj
from helpers import check_grad, compare, rand

SF = sj.nn.functional
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.")

# (x shape, weight shape, kwargs)
CONV2D = [
    ((2, 3, 7, 7), (4, 3, 3, 3), {}),
    ((2, 3, 7, 7), (4, 3, 3, 3), {"padding": 1}),
    ((2, 3, 8, 9), (4, 3, 3, 3), {"stride": 2, "padding": 1}),
    ((2, 3, 9, 8), (5, 3, 3, 2), {"stride": (2, 1), "padding": (1, 0)}),
    ((1, 2, 9, 9), (3, 2, 3, 3), {"dilation": 2, "padding": 2}),
    ((2, 2, 10, 11), (3, 2, 2, 3), {"dilation": (1, 2), "stride": (1, 3)}),
    ((2, 4, 6, 6), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((2, 4, 6, 6), (4, 1, 3, 3), {"groups": 4, "padding": 1}),  # depthwise
    ((2, 4, 6, 6), (8, 1, 3, 3), {"groups": 4, "stride": 2}),  # depthwise, multiplier 2
    ((2, 3, 5, 5), (4, 3, 1, 1), {}),  # 1x1
    ((2, 3, 5, 6), (4, 3, 1, 1), {"stride": 2}),
    ((2, 3, 7, 6), (4, 3, 3, 3), {"padding": "same"}),
    ((2, 3, 7, 6), (4, 3, 2, 4), {"padding": "same"}),  # odd total: extra pad at the end
    ((2, 3, 7, 6), (4, 3, 2, 2), {"padding": "same", "dilation": (2, 3)}),
    ((2, 3, 7, 6), (4, 3, 3, 3), {"padding": "valid"}),
    ((1, 1, 3, 3), (1, 1, 3, 3), {}),  # output 1x1
    ((3, 2, 5, 5), (2, 2, 5, 5), {"padding": 1, "stride": 3}),
    ((2, 3, 6, 6), (4, 3, 3, 3), {"stride": 4, "padding": 1}),  # stride > kernel
]


def compare_conv2d(xs: tuple, ws: tuple, kw: dict, bias: bool, seed: int) -> None:
    """Assert conv2d equals PyTorch's (output and every input gradient) on random data."""
    x, w, b = rand(*xs, seed=seed), rand(*ws, seed=seed + 1), rand(ws[0], seed=seed + 2)
    if bias:
        compare(lambda a, c, d: SF.conv2d(a, c, d, **kw),
                lambda a, c, d: F.conv2d(a, c, d, **kw), x, w, b)
    else:
        compare(lambda a, c: SF.conv2d(a, c, **kw), lambda a, c: F.conv2d(a, c, **kw), x, w)


@pytest.mark.parametrize("xs,ws,kw", CONV2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_parity(xs, ws, kw, bias):
    compare_conv2d(xs, ws, kw, bias, seed=1)


def test_conv2d_unbatched_and_zero_batch():
    x, w, b = rand(3, 6, 5, seed=1), rand(4, 3, 3, 3, seed=2), rand(4, seed=3)
    out, _ = compare(lambda a, c, d: sj.conv2d(a, c, d, padding=1),
                     lambda a, c, d: torch.conv2d(a, c, d, padding=1), x, w, b)
    assert tuple(out[0].shape) == (4, 6, 5)
    x0 = rand(0, 3, 6, 5)
    compare(lambda a, c: sj.conv2d(a, c), lambda a, c: torch.conv2d(a, c), x0, w)


def test_conv2d_float64_keeps_dtype():
    x, w = rand(2, 2, 5, 5, dtype=np.float64), rand(3, 2, 3, 3, seed=2, dtype=np.float64)
    compare(lambda a, c: SF.conv2d(a, c, padding=1), lambda a, c: F.conv2d(a, c, padding=1),
            x, w, atol=1e-10, rtol=1e-10)


CONV1D = [
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 3, 9), (4, 3, 3), {"stride": 2, "padding": 1}),
    ((2, 4, 9), (6, 2, 2), {"groups": 2, "padding": "same", "dilation": 3}),
    ((2, 4, 9), (4, 1, 3), {"groups": 4, "padding": "same"}),
    ((3, 10), (5, 3, 4), {"padding": 2, "dilation": 2}),  # unbatched
    ((1, 3, 5), (2, 3, 1), {}),
]


@pytest.mark.parametrize("xs,ws,kw", CONV1D)
def test_conv1d_parity(xs, ws, kw):
    x, w, b = rand(*xs, seed=1), rand(*ws, seed=2), rand(ws[0], seed=3)
    compare(lambda a, c, d: SF.conv1d(a, c, d, **kw), lambda a, c, d: F.conv1d(a, c, d, **kw),
            x, w, b)


# (x shape, weight shape (C_in, C_out/groups, kh, kw), kwargs)
CONVT2D = [
    ((2, 3, 4, 5), (3, 2, 3, 3), {}),
    ((2, 3, 4, 5), (3, 2, 3, 3), {"stride": 2}),
    ((2, 3, 4, 5), (3, 2, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((2, 3, 4, 5), (3, 4, 2, 3), {"stride": (2, 3), "padding": (0, 1),
                                  "output_padding": (1, 2)}),
    ((2, 4, 4, 4), (4, 3, 3, 3), {"groups": 2, "stride": 2, "padding": 1}),
    ((2, 4, 4, 4), (4, 1, 3, 3), {"groups": 4, "padding": 1}),
    ((2, 2, 4, 4), (2, 3, 3, 2), {"dilation": 2, "stride": 3, "output_padding": 2}),
    ((2, 2, 4, 4), (2, 3, 1, 1), {}),
    ((2, 3, 3), (2, 2, 4, 4), {"stride": 2, "padding": 1}),  # unbatched
    ((1, 2, 3, 3), (2, 2, 4, 4), {"stride": 2, "padding": 1}),  # DCGAN-style upsampling
]


@pytest.mark.parametrize("xs,ws,kw", CONVT2D)
def test_conv_transpose2d_parity(xs, ws, kw):
    x, w = rand(*xs, seed=1), rand(*ws, seed=2)
    b = rand(ws[1] * kw.get("groups", 1), seed=3)
    compare(lambda a, c, d: SF.conv_transpose2d(a, c, d, **kw),
            lambda a, c, d: F.conv_transpose2d(a, c, d, **kw), x, w, b)


def test_conv_transpose1d_parity():
    x, w, b = rand(2, 4, 6, seed=1), rand(4, 3, 3, seed=2), rand(6, seed=3)
    kw = {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}
    compare(lambda a, c, d: sj.conv_transpose1d(a, c, d, **kw),
            lambda a, c, d: torch.conv_transpose1d(a, c, d, **kw), x, w, b)


def test_conv_transpose_is_adjoint_of_conv():
    # <conv(x, w), y> == <x, conv_transpose(y, w)> for the same geometry
    x, w, y = rand(2, 3, 7, 7, seed=1), rand(4, 3, 3, 3, seed=2), rand(2, 4, 4, 4, seed=3)
    lhs = (sj.conv2d(sj.tensor(x), sj.tensor(w), stride=2, padding=1) * sj.tensor(y)).sum()
    xt = sj.conv_transpose2d(sj.tensor(y), sj.tensor(w), stride=2, padding=1)
    rhs = (xt * sj.tensor(x)).sum()
    assert abs(lhs.item() - rhs.item()) < 1e-4 * max(1.0, abs(lhs.item()))


GRADCHECK = [
    (lambda a, c, d: sj.conv2d(a, c, d, stride=2, padding=1), (2, 2, 5, 4), (3, 2, 3, 2), 3),
    (lambda a, c, d: sj.conv2d(a, c, d, padding="same", dilation=2, groups=2), (1, 4, 5, 5),
     (2, 2, 2, 3), 2),
    (lambda a, c, d: sj.conv1d(a, c, d, padding=1, stride=2), (2, 2, 7), (3, 2, 3), 3),
    (lambda a, c, d: sj.conv2d(a, c, d, padding=1, groups=3), (2, 3, 4, 5), (3, 1, 3, 2), 3),
    (lambda a, c, d: sj.conv_transpose2d(a, c, d, stride=2, padding=1, output_padding=1,
                                         groups=2), (1, 4, 3, 3), (4, 1, 3, 3), 2),
]


@pytest.mark.parametrize("fn,xs,ws,nb", GRADCHECK)
def test_gradcheck(fn, xs, ws, nb):
    check_grad(fn, rand(*xs, seed=1), rand(*ws, seed=2), rand(nb, seed=3))


def _t(*shape):
    return sj.tensor(rand(*shape))


ERRORS = [
    (lambda: sj.conv2d(_t(1, 3, 5, 5), _t(4, 2, 3, 3)), "expected input[1, 3, 5, 5] to have 2"),
    (lambda: sj.conv2d(_t(1, 3, 2, 2), _t(4, 3, 3, 3)), "Kernel size can't be greater"),
    (lambda: sj.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), dilation=3), "Kernel size: (7 x 7)"),
    (lambda: sj.conv2d(_t(1, 4, 5, 5), _t(4, 2, 3, 3), groups=3), "divisible by 3"),
    (lambda: sj.conv2d(_t(5, 5), _t(4, 3, 3, 3)), "Expected 3D (unbatched) or 4D (batched)"),
    (lambda: sj.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3)), "weight to be 4-dimensional"),
    (lambda: sj.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda: sj.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), padding="foo"), "Invalid padding string"),
    (lambda: sj.conv2d(_t(1, 3, 5, 5).double(), _t(4, 3, 3, 3)), "expected scalar type Double"),
    (lambda: sj.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), _t(3)), "expected bias to be 1-dim"),
    (lambda: sj.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), stride=0), "non-positive stride"),
    (lambda: sj.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), padding=-1), "negative padding"),
    (lambda: sj.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), stride=(1, 1, 1)), "stride"),
    (lambda: sj.conv_transpose2d(_t(1, 3, 5, 5), _t(3, 2, 3, 3), output_padding=1),
     "output padding must be smaller than either stride or dilation"),
    (lambda: sj.conv_transpose2d(_t(1, 4, 5, 5), _t(3, 2, 3, 3)), "transposed=1"),
    (lambda: sj.conv_transpose2d(_t(1, 3, 1, 1), _t(3, 2, 1, 1), padding=1),
     "Output size is too small"),
    (lambda: sj.conv1d(_t(1, 3, 2), _t(4, 3, 3)), "Kernel size can't be greater"),
]


@pytest.mark.parametrize("fn,msg", ERRORS)
def test_errors(fn, msg):
    with pytest.raises(RuntimeError) as e:
        fn()
    assert msg in str(e.value)


def test_int_input_rejected():
    with pytest.raises(RuntimeError, match="floating point"):
        sj.conv2d(sj.zeros(1, 1, 3, 3, dtype=sj.int64), sj.zeros(1, 1, 1, 1, dtype=sj.int64))


# Few input taps (C*KH*KW <= 64) on images of 64+ output pixels take the sample-major path
# (per-sample cols without junk columns, results written straight into y; dW from a batched
# matmul): every geometry it accepts, against PyTorch, and proof that the path was taken.
SAMPLE_MAJOR = [
    ((2, 3, 12, 12), (4, 3, 3, 3), {"padding": 1}),
    ((3, 1, 18, 16), (5, 1, 4, 4), {"stride": 2, "padding": 1}),
    ((2, 2, 17, 15), (3, 2, 3, 3), {"dilation": 2, "padding": 2}),
    ((1, 3, 11, 10), (2, 3, 3, 3), {}),
    ((2, 1, 12, 13), (4, 1, 5, 5), {"padding": "same"}),
    ((2, 3, 13, 12), (4, 3, 2, 3), {"stride": (2, 1), "padding": (0, 1)}),
]


@pytest.fixture
def sample_major_calls(monkeypatch):
    from shenjing.ops import conv

    calls = []
    real = conv._cols_sm

    def spy(*args):
        calls.append(args[0].shape)
        return real(*args)

    monkeypatch.setattr(conv, "_cols_sm", spy)
    return calls


@pytest.mark.parametrize("xs,ws,kw", SAMPLE_MAJOR)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_sample_major_parity(xs, ws, kw, bias, sample_major_calls):
    compare_conv2d(xs, ws, kw, bias, seed=4)
    assert len(sample_major_calls) >= 2  # forward and the weight gradient


def test_sample_major_with_copying_padding_conv1d_and_transpose(sample_major_calls):
    x, w = rand(2, 3, 12, 12, seed=7), rand(4, 3, 3, 3, seed=8)
    conv = sj.nn.Conv2d(3, 4, 3, padding=2, padding_mode="reflect", bias=False)
    ref = torch.nn.Conv2d(3, 4, 3, padding=2, padding_mode="reflect", bias=False)
    with sj.no_grad():
        conv.weight.copy_(sj.tensor(w))
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
    compare(lambda a: conv(a), lambda a: ref(a), x)
    assert len(sample_major_calls) >= 2
    compare(lambda a, c: SF.conv1d(a, c, padding=2), lambda a, c: F.conv1d(a, c, padding=2),
            rand(2, 4, 100, seed=9), rand(6, 4, 5, seed=10))  # 4 x 5 taps, 100 outputs
    n = len(sample_major_calls)
    # a transposed conv's weight gradient is a conv weight gradient with dY as the input
    compare(lambda a, c: SF.conv_transpose2d(a, c, stride=2, padding=1),
            lambda a, c: F.conv_transpose2d(a, c, stride=2, padding=1),
            rand(2, 2, 8, 8, seed=11), rand(2, 3, 4, 4, seed=12))
    assert len(sample_major_calls) > n


def test_sample_major_gradcheck(sample_major_calls):
    check_grad(lambda a, c, d: sj.conv2d(a, c, d, stride=2, padding=1),
               rand(2, 2, 16, 16, seed=13), rand(3, 2, 3, 3, seed=14), rand(3, seed=15))
    assert sample_major_calls


@pytest.mark.parametrize("kw", [{"stride": 2, "padding": 1}, {"stride": 2, "padding": 1,
                                                             "groups": 2},
                                {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2)}])
def test_strided_overlapping_input_gradient_batch_last(kw, monkeypatch):
    """4x4 stride-2 kernels take the batch-last input gradient in grouped convs and grouped
    transposed convs; with groups 1 both take the channels-last col2im instead."""
    from shenjing.ops import conv, conv_cl

    calls, cl_calls = [], []
    real, real_cl = conv._dx_batch_last, conv_cl.col2im
    monkeypatch.setattr(conv, "_dx_batch_last", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(conv_cl, "col2im", lambda *a: cl_calls.append(1) or real_cl(*a))
    g = kw.get("groups", 1)
    x, w = rand(3, 8, 14, 13, seed=16), rand(6, 8 // g, 4, 4, seed=17)
    compare(lambda a, c: SF.conv2d(a, c, **kw), lambda a, c: F.conv2d(a, c, **kw), x, w)
    assert (calls and not cl_calls) if g > 1 else (cl_calls and not calls)
    calls.clear()
    cl_calls.clear()
    if "dilation" not in kw:
        xt, wt = rand(3, 8, 7, 6, seed=18), rand(8, 10 // g, 4, 4, seed=19)
        compare(lambda a, c: SF.conv_transpose2d(a, c, **kw),
                lambda a, c: F.conv_transpose2d(a, c, **kw), xt, wt)
        # a transposed conv's forward is a conv's input gradient
        assert (calls and not cl_calls) if g > 1 else (cl_calls and not calls)
