"""Loss functions against PyTorch (values, input grads), float64 gradcheck and errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shenjing as sj
import shenjing.nn.functional as F
from helpers import check_grad, compare, rand

REDUCTIONS = ["mean", "sum", "none"]
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _int(a):
    return np.asarray(a, dtype=np.int64)


# ----------------------------------------------------------------------------- pointwise
POINTWISE = {
    "mse": ("mse_loss", {}),
    "l1": ("l1_loss", {}),
    "smooth_l1": ("smooth_l1_loss", {}),
    "smooth_l1_b05": ("smooth_l1_loss", {"beta": 0.5}),
    "smooth_l1_b0": ("smooth_l1_loss", {"beta": 0.0}),
    "huber": ("huber_loss", {}),
    "huber_d03": ("huber_loss", {"delta": 0.3}),
}
SHAPES = [((5, 4), (5, 4)), ((7,), (7,)), ((), ()), ((0, 3), (0, 3)), ((4, 3), (3,)),
          ((1,), (1,))]


@pytest.mark.parametrize("name", list(POINTWISE))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_pointwise_parity(name, reduction, sa, sb):
    fn, kw = POINTWISE[name]
    a, b = rand(*sa, seed=1, low=-2, high=2), rand(*sb, seed=2, low=-2, high=2)
    compare(lambda x, y: getattr(F, fn)(x, y, reduction=reduction, **kw),
            lambda x, y: getattr(TF, fn)(x, y, reduction=reduction, **kw), a, b)


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_weight_parity(fn, reduction):
    a, b = rand(5, 4, seed=1, low=-2, high=2), rand(5, 4, seed=2, low=-2, high=2)
    w = rand(5, 4, seed=3, low=0.2, high=2)
    compare(lambda x, y, w: getattr(F, fn)(x, y, reduction=reduction, weight=w),
            lambda x, y, w: getattr(TF, fn)(x, y, reduction=reduction, weight=w), a, b, w)


@pytest.mark.parametrize("name", list(POINTWISE))
def test_pointwise_gradcheck(name):
    fn, kw = POINTWISE[name]
    a, b = rand(3, 4, seed=4, low=-2, high=2), rand(3, 4, seed=5, low=-2, high=2)
    for red in REDUCTIONS:
        check_grad(lambda x, y: getattr(F, fn)(x, y, reduction=red, **kw), a, b)
    w = rand(3, 4, seed=6, low=0.2, high=2)
    if fn != "smooth_l1_loss":
        check_grad(lambda x, y, w: getattr(F, fn)(x, y, weight=w), a, b, w)


def test_legacy_size_average_reduce():
    a, b = rand(3, 4, seed=1), rand(3, 4, seed=2)
    for sa, rd in [(False, None), (None, False), (True, True)]:
        compare(lambda x, y: F.mse_loss(x, y, size_average=sa, reduce=rd),
                lambda x, y: TF.mse_loss(x, y, size_average=sa, reduce=rd), a, b)


# ----------------------------------------------------------------------------- cross entropy
CE_CASES = {
    "2d": ((5, 4), [0, 3, 1, 2, -100]),
    "2d_all_valid": ((6, 3), [0, 1, 2, 2, 1, 0]),
    "4d": ((2, 4, 3, 2), [[[0, 1], [3, 2], [1, -100]], [[2, 2], [0, 3], [1, 1]]]),
    "3d": ((3, 5, 2), [[0, 4], [2, 2], [-100, 1]]),
    "unbatched": ((4,), 2),
    "one": ((1, 1), [0]),
    "empty": ((0, 4), np.zeros((0,), np.int64)),
}


@pytest.mark.parametrize("case", list(CE_CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_index_parity(case, reduction, weighted, smoothing):
    shape, target = CE_CASES[case]
    x = rand(*shape, seed=7, low=-3, high=3)
    t = _int(target)
    c = shape[1] if len(shape) > 1 else shape[0]
    w = rand(c, seed=8, low=0.2, high=2) if weighted else None

    def run(mod, fn):
        return lambda x: fn(x, mod.tensor(t), weight=None if w is None else mod.tensor(w),
                            reduction=reduction, label_smoothing=smoothing)
    compare(run(sj, F.cross_entropy), run(torch, TF.cross_entropy), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_custom_ignore_index(reduction):
    x, t = rand(6, 3, seed=9, low=-2, high=2), _int([0, 1, 2, 1, 1, 0])
    w = rand(3, seed=10, low=0.5, high=2)
    compare(lambda x: F.cross_entropy(x, sj.tensor(t), sj.tensor(w), ignore_index=1,
                                      reduction=reduction, label_smoothing=0.1),
            lambda x: TF.cross_entropy(x, torch.tensor(t), torch.tensor(w), ignore_index=1,
                                       reduction=reduction, label_smoothing=0.1), x)


def test_cross_entropy_all_ignored_is_nan():
    x = rand(2, 3, seed=1)
    compare(lambda x: F.cross_entropy(x, sj.tensor(_int([-100, -100]))),
            lambda x: TF.cross_entropy(x, torch.tensor(_int([-100, -100]))), x)


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probs_parity(shape, reduction, weighted, smoothing):
    x = rand(*shape, seed=11, low=-3, high=3)
    p = rand(*shape, seed=12, low=0, high=1)
    c = shape[1] if len(shape) > 1 else shape[0]
    w = rand(c, seed=13, low=0.2, high=2) if weighted else None

    def run(mod, fn):
        return lambda x, p: fn(x, p, weight=None if w is None else mod.tensor(w),
                               reduction=reduction, label_smoothing=smoothing)
    compare(run(sj, F.cross_entropy), run(torch, TF.cross_entropy), x, p)


@pytest.mark.parametrize("scale", [100.0, 1000.0])
def test_cross_entropy_extreme_logits(scale):
    x = rand(6, 5, seed=14) * np.float32(scale)
    t = _int([0, 1, 2, 3, 4, 0])
    out, _ = compare(lambda x: F.cross_entropy(x, sj.tensor(t), label_smoothing=0.1),
                     lambda x: TF.cross_entropy(x, torch.tensor(t), label_smoothing=0.1), x,
                     rtol=1e-4, atol=1e-3)
    assert np.isfinite(out[0].item())


def test_cross_entropy_gradcheck():
    x = rand(4, 3, seed=15, low=-2, high=2)
    t = sj.tensor(_int([0, 2, -100, 1]))
    w = sj.tensor(rand(3, seed=16, low=0.5, high=2).astype(np.float64))
    for red in REDUCTIONS:
        for eps in (0.0, 0.2):
            check_grad(lambda x: F.cross_entropy(x, t, w, reduction=red, label_smoothing=eps), x)
    x4 = rand(2, 3, 2, 2, seed=17)
    t4 = sj.tensor(_int(np.arange(8).reshape(2, 2, 2) % 3))
    check_grad(lambda x: F.cross_entropy(x, t4, label_smoothing=0.1), x4)
    p = rand(4, 3, seed=18, low=0, high=1)
    check_grad(lambda x, p: F.cross_entropy(x, p, w, label_smoothing=0.2), x, p)
    check_grad(lambda x: F.cross_entropy(x, sj.tensor(1), reduction="none"), rand(3, seed=19))


# ----------------------------------------------------------------------------- nll
@pytest.mark.parametrize("case", list(CE_CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_parity(case, reduction, weighted):
    shape, target = CE_CASES[case]
    x = rand(*shape, seed=20, low=-3, high=0)
    t = _int(target)
    c = shape[1] if len(shape) > 1 else shape[0]
    w = rand(c, seed=21, low=0.2, high=2) if weighted else None

    def run(mod, fn):
        return lambda x: fn(x, mod.tensor(t), weight=None if w is None else mod.tensor(w),
                            reduction=reduction)
    compare(run(sj, F.nll_loss), run(torch, TF.nll_loss), x)


def test_nll_loss_ignore_index_and_gradcheck():
    x, t = rand(5, 3, seed=22, low=-3, high=0), _int([0, 2, 2, 1, 0])
    compare(lambda x: F.nll_loss(x, sj.tensor(t), ignore_index=2),
            lambda x: TF.nll_loss(x, torch.tensor(t), ignore_index=2), x)
    w = sj.tensor(rand(3, seed=23, low=0.5, high=2).astype(np.float64))
    for red in REDUCTIONS:
        check_grad(lambda x: F.nll_loss(x, sj.tensor(t), w, reduction=red, ignore_index=2), x)


def test_cross_entropy_is_log_softmax_plus_nll():
    x, t = rand(4, 5, seed=24, low=-2, high=2), _int([1, 0, 4, 3])
    fused = F.cross_entropy(sj.tensor(x), sj.tensor(t)).item()
    z = x - x.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    composed = F.nll_loss(sj.tensor(logp), sj.tensor(t)).item()
    assert abs(fused - composed) < 1e-6


# ----------------------------------------------------------------------------- binary
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", [None, (4,), "full"])
@pytest.mark.parametrize("shape", [(5, 4), (0, 4)])
def test_bce_parity(reduction, weight_shape, shape):
    p, y = rand(*shape, seed=25, low=0.02, high=0.98), rand(*shape, seed=26, low=0, high=1)
    weight_shape = shape if weight_shape == "full" else weight_shape
    w = None if weight_shape is None else rand(*weight_shape, seed=27, low=0.2, high=2)

    def run(mod, fn):
        return lambda p, y: fn(p, y, weight=None if w is None else mod.tensor(w),
                               reduction=reduction)
    compare(run(sj, F.binary_cross_entropy), run(torch, TF.binary_cross_entropy), p, y)


def test_bce_clamps_log_at_exact_zero_and_one():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0], np.float32)
    out, _ = compare(lambda p, y: F.binary_cross_entropy(p, y, reduction="none"),
                     lambda p, y: TF.binary_cross_entropy(p, y, reduction="none"), p, y,
                     grad=False)
    assert out[0].detach().numpy()[0] == pytest.approx(100.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos", [None, (4,), (5, 4)])
@pytest.mark.parametrize("scale", [3.0, 100.0])
def test_bce_with_logits_parity(reduction, weighted, pos, scale):
    x = rand(5, 4, seed=28) * np.float32(scale)
    y = rand(5, 4, seed=29, low=0, high=1)
    w = rand(5, 4, seed=30, low=0.2, high=2) if weighted else None
    pw = None if pos is None else rand(*pos, seed=31, low=0.2, high=3)

    def run(mod, fn):
        return lambda x, y: fn(x, y, weight=None if w is None else mod.tensor(w),
                               pos_weight=None if pw is None else mod.tensor(pw),
                               reduction=reduction)
    out, _ = compare(run(sj, F.binary_cross_entropy_with_logits),
                     run(torch, TF.binary_cross_entropy_with_logits), x, y, atol=1e-4)
    assert np.all(np.isfinite(out[0].detach().numpy()))


def test_binary_gradcheck():
    p, y = rand(3, 4, seed=32, low=0.1, high=0.9), rand(3, 4, seed=33, low=0, high=1)
    w = sj.tensor(rand(4, seed=34, low=0.5, high=2).astype(np.float64))
    pw = sj.tensor(rand(4, seed=35, low=0.5, high=3).astype(np.float64))
    x = rand(3, 4, seed=36, low=-4, high=4)
    for red in REDUCTIONS:
        check_grad(lambda p, y: F.binary_cross_entropy(p, y, w, reduction=red), p, y)
        check_grad(lambda x, y: F.binary_cross_entropy_with_logits(
            x, y, w, reduction=red, pos_weight=pw), x, y)
        check_grad(lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=red), x, y)


# ----------------------------------------------------------------------------- kl
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_parity_and_gradcheck(reduction, log_target):
    x = np.log(rand(4, 5, seed=37, low=0.05, high=1))
    t = rand(4, 5, seed=38, low=0.05, high=1)
    if log_target:
        t = np.log(t)
    compare(lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
            lambda x, t: TF.kl_div(x, t, reduction=reduction, log_target=log_target), x, t)
    check_grad(lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target), x, t)


def test_kl_div_zero_target_value():
    x, t = rand(2, 3, seed=39, low=-3, high=0), np.array([[0, 0.5, 0.5], [1, 0, 0]], np.float32)
    compare(lambda x: F.kl_div(x, sj.tensor(t), reduction="sum"),
            lambda x: TF.kl_div(x, torch.tensor(t), reduction="sum"), x)


# ----------------------------------------------------------------------------- errors
ALL_LOSSES = [
    lambda r: F.mse_loss(sj.ones(2), sj.ones(2), reduction=r),
    lambda r: F.l1_loss(sj.ones(2), sj.ones(2), reduction=r),
    lambda r: F.smooth_l1_loss(sj.ones(2), sj.ones(2), reduction=r),
    lambda r: F.huber_loss(sj.ones(2), sj.ones(2), reduction=r),
    lambda r: F.cross_entropy(sj.ones(2, 3), sj.tensor([0, 1]), reduction=r),
    lambda r: F.nll_loss(sj.ones(2, 3), sj.tensor([0, 1]), reduction=r),
    lambda r: F.binary_cross_entropy(sj.ones(2) / 2, sj.ones(2), reduction=r),
    lambda r: F.binary_cross_entropy_with_logits(sj.ones(2), sj.ones(2), reduction=r),
    lambda r: F.kl_div(sj.ones(2), sj.ones(2), reduction=r),
]


@pytest.mark.parametrize("k", range(len(ALL_LOSSES)))
def test_unknown_reduction(k):
    with pytest.raises(ValueError, match="boo is not a valid value for reduction"):
        ALL_LOSSES[k]("boo")


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_target_out_of_bounds(fn):
    name = fn.__name__
    with pytest.raises(IndexError, match=f"{name}: Target 5 is out of bounds for 3 classes"):
        fn(sj.zeros(2, 3), sj.tensor([0, 5]))
    with pytest.raises(IndexError, match="Target -2 is out of bounds"):
        fn(sj.zeros(2, 3), sj.tensor([-2, 0]))


def test_cross_entropy_target_dtype_errors():
    with pytest.raises(RuntimeError, match=r"expected target of dtype int64 .*got float32"):
        F.cross_entropy(sj.zeros(4, 3), sj.zeros(4))
    with pytest.raises(RuntimeError, match=r"expected target of dtype int64 .*got int64 of shape"):
        F.cross_entropy(sj.zeros(4, 3), sj.zeros(4, 3).long())
    with pytest.raises(RuntimeError, match=r"nll_loss: expected target of dtype int64"):
        F.nll_loss(sj.zeros(4, 3), sj.zeros(4, 3))
    with pytest.raises(ValueError, match=r"batch_size \(4\) to match target batch_size \(3\)"):
        F.cross_entropy(sj.zeros(4, 3), sj.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating"):
        F.cross_entropy(sj.zeros(4, 3), sj.zeros(4, 3), ignore_index=1)
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 3"):
        F.cross_entropy(sj.zeros(4, 3), sj.tensor([0, 1, 2, 1]), weight=sj.ones(4))


def test_shape_and_range_errors():
    with pytest.raises(ValueError, match=r"mse_loss: input of shape \(3,\) and target of "
                                         r"shape \(4,\)"):
        F.mse_loss(sj.zeros(3), sj.zeros(4))
    with pytest.raises(ValueError, match="different to the input size"):
        F.binary_cross_entropy(sj.zeros(3), sj.zeros(3, 1))
    with pytest.raises(ValueError, match=r"Target size \(3, 1\) must be the same as input"):
        F.binary_cross_entropy_with_logits(sj.zeros(3), sj.zeros(3, 1))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(sj.ones(3) * 2, sj.zeros(3))
    with pytest.raises(RuntimeError, match=r"pos_weight of shape \(3,\) cannot be broadcast"):
        F.binary_cross_entropy_with_logits(sj.zeros(2, 4), sj.zeros(2, 4), pos_weight=sj.ones(3))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(sj.zeros(2, 3), sj.tensor([0, 1]), label_smoothing=1.5)
