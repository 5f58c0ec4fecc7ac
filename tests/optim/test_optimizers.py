"""Optimizers against torch.optim: same params, same gradient sequence, float32 rounding."""
import copy

import numpy as np
import pytest
import torch

import shenjing as sj

SHAPES = [(3, 4), (5,), (1,), ()]
STEPS = 30


def _params(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _grads(step, seed=1, dtype=np.float32):
    rng = np.random.default_rng(seed * 1000 + step)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _pair(arrays):
    sp = [sj.tensor(a.copy(), requires_grad=True) for a in arrays]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    return sp, tp


def _set_grads(sp, tp, grads, skip=None):
    for i, (s, t, g) in enumerate(zip(sp, tp, grads)):
        if i == skip:
            s.grad, t.grad = None, None
            continue
        s.grad = sj.tensor(g.copy())
        t.grad = torch.tensor(g.copy())


def _check(sp, tp, rtol=2e-5, atol=2e-6, what=""):
    for i, (s, t) in enumerate(zip(sp, tp)):
        a, b = s.detach().numpy(), t.detach().numpy()
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{what} param {i}")


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5,
                     eps=1e-6)),
    ("Adagrad", dict(lr=0.05, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.6, 0.9), maximize=True, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.02, betas=(0.5, 0.95), maximize=True)),
]


def _ids(c):
    return c[0] + "-" + ",".join(f"{k}={v}" for k, v in c[1].items())


def _make(name, sp, tp, kw):
    tkw = dict(kw, foreach=False)
    return getattr(sj.optim, name)(sp, **kw), getattr(torch.optim, name)(tp, **tkw)


@pytest.mark.parametrize("name,kw", CASES, ids=[_ids(c) for c in CASES])
def test_matches_torch_on_gradient_sequence(name, kw):
    sp, tp = _pair(_params())
    so, to = _make(name, sp, tp, kw)
    for step in range(STEPS):
        # param 1 gets no gradient every 4th step: it must be skipped, as torch skips it
        _set_grads(sp, tp, _grads(step), skip=1 if step % 4 == 3 else None)
        so.step()
        to.step()
    _check(sp, tp, what=name)
    # the per-parameter state agrees too
    for s, t in zip(sp, tp):
        ss, ts = so.state[s], to.state[t]
        assert set(ss) == set(ts)
        for k in ts:
            np.testing.assert_allclose(np.asarray(ss[k].numpy()), ts[k].numpy(),
                                       rtol=2e-5, atol=2e-6, err_msg=k)


@pytest.mark.parametrize("name,kw", [CASES[2], CASES[11], CASES[15]],
                         ids=[_ids(c) for c in (CASES[2], CASES[11], CASES[15])])
def test_float64_params(name, kw):
    sp, tp = _pair(_params(dtype=np.float64))
    so, to = _make(name, sp, tp, kw)
    for step in range(STEPS):
        _set_grads(sp, tp, _grads(step, dtype=np.float64))
        so.step()
        to.step()
    _check(sp, tp, rtol=1e-12, atol=1e-13, what=name)


def test_quadratic_loss_computed_in_each_library():
    target = np.linspace(-1, 1, 6).astype(np.float32)
    sp, tp = _pair([np.zeros(6, np.float32)])
    so = sj.optim.Adam(sp, lr=0.05)
    to = torch.optim.Adam(tp, lr=0.05, foreach=False)
    for _ in range(40):
        so.zero_grad()
        to.zero_grad()
        ((sp[0] - sj.tensor(target)) ** 2).sum().backward()
        ((tp[0] - torch.tensor(target)) ** 2).sum().backward()
        so.step()
        to.step()
    _check(sp, tp, what="adam-quadratic")
    assert np.abs(sp[0].detach().numpy() - target).max() < 0.2


def test_closure_returns_loss():
    p = sj.tensor([3.0], requires_grad=True)
    opt = sj.optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == pytest.approx(9.0)
    assert float(p.detach().numpy()[0]) == pytest.approx(3.0 - 0.1 * 6.0)


RT = [CASES[3], CASES[6], CASES[12], CASES[16], CASES[18]]


@pytest.mark.parametrize("name,kw", RT, ids=[_ids(c) for c in RT])
def test_state_dict_round_trip_mid_run(name, kw):
    sp, tp = _pair(_params())
    so, to = _make(name, sp, tp, kw)
    for step in range(12):
        _set_grads(sp, tp, _grads(step))
        so.step()
        to.step()
    saved = copy.deepcopy(so.state_dict())
    # structure matches PyTorch's: integer keys, index lists, same option keys
    tsd = to.state_dict()
    assert sorted(saved["state"]) == sorted(tsd["state"])
    assert saved["param_groups"][0]["params"] == tsd["param_groups"][0]["params"]
    assert set(saved["state"][0]) == set(tsd["state"][0])
    # a fresh optimizer on fresh copies of the params continues identically
    sp2 = [sj.tensor(p.detach().numpy().copy(), requires_grad=True) for p in sp]
    so2 = getattr(sj.optim, name)(sp2, lr=123.0)
    so2.load_state_dict(saved)
    assert so2.param_groups[0]["lr"] == kw["lr"]
    for step in range(12, 30):
        g = _grads(step)
        _set_grads(sp, tp, g)
        _set_grads(sp2, tp, g)
        so.step()
        so2.step()
        to.step()
    _check(sp2, tp, what=name + " reloaded")
    for a, b in zip(sp, sp2):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_load_state_dict_copies_and_validates():
    sp, _ = _pair(_params())
    opt = sj.optim.Adam(sp, lr=0.1)
    for s, g in zip(sp, _grads(0)):
        s.grad = sj.tensor(g)
    opt.step()
    sd = opt.state_dict()
    opt2 = sj.optim.Adam([sj.tensor(p.detach().numpy(), requires_grad=True) for p in sp])
    opt2.load_state_dict(sd)
    assert opt2.state_dict()["state"][0]["exp_avg"]._data is not sd["state"][0]["exp_avg"]._data
    with pytest.raises(ValueError, match="different number of parameter groups"):
        sj.optim.Adam([{"params": sp[:2]}, {"params": sp[2:]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        sj.optim.Adam(sp[:2]).load_state_dict(sd)


def test_param_groups_with_different_lr():
    sp, tp = _pair(_params())
    so = sj.optim.SGD([{"params": sp[:2]}, {"params": sp[2:], "lr": 0.5}], lr=0.1, momentum=0.9)
    to = torch.optim.SGD([{"params": tp[:2]}, {"params": tp[2:], "lr": 0.5}], lr=0.1,
                         momentum=0.9, foreach=False)
    assert [g["lr"] for g in so.param_groups] == [0.1, 0.5]
    assert so.param_groups[0]["momentum"] == 0.9
    for step in range(25):
        _set_grads(sp, tp, _grads(step))
        so.step()
        to.step()
    _check(sp, tp, what="groups")
    assert so.state_dict()["param_groups"][1]["params"] == [2, 3]


def test_add_param_group_and_zero_grad():
    sp, tp = _pair(_params())
    so = sj.optim.Adam(sp[:2], lr=0.01)
    to = torch.optim.Adam(tp[:2], lr=0.01, foreach=False)
    so.add_param_group({"params": sp[2:], "lr": 0.1, "amsgrad": True})
    to.add_param_group({"params": tp[2:], "lr": 0.1, "amsgrad": True})
    assert so.param_groups[1]["betas"] == (0.9, 0.999)
    for step in range(25):
        _set_grads(sp, tp, _grads(step))
        so.step()
        to.step()
    _check(sp, tp, what="added group")
    so.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in sp)
    so.zero_grad()
    assert all(p.grad is None for p in sp)
    with pytest.raises(ValueError, match="more than one parameter group"):
        so.add_param_group({"params": [sp[0]]})


def test_construction_errors():
    p = sj.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        sj.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        sj.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="sets will change between runs"):
        sj.optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        sj.optim.SGD([p, 3.0], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        sj.optim.SGD([p * 2], lr=0.1)


@pytest.mark.parametrize("name,kw", [
    ("SGD", dict(lr=-1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1)), ("Adam", dict(eps=-1)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1)),
    ("AdamW", dict(lr=-0.5)), ("Adagrad", dict(lr_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(eps=-1)),
    ("RMSprop", dict(alpha=-1)), ("RMSprop", dict(momentum=-1)), ("RMSprop", dict(eps=-1)),
])
def test_validation_messages_match_torch(name, kw):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as ours:
        getattr(sj.optim, name)([sj.zeros(1, requires_grad=True)], **kw)
    assert str(ours.value) == str(theirs.value)


def test_defaults_match_torch():
    for name in ("SGD", "Adam", "AdamW", "Adagrad", "RMSprop"):
        ours = getattr(sj.optim, name)([sj.zeros(1, requires_grad=True)]).defaults
        theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
        for k in ("lr", "betas", "eps", "weight_decay", "momentum", "alpha", "lr_decay",
                  "dampening", "amsgrad", "centered", "nesterov", "maximize"):
            if k in theirs:
                assert ours[k] == theirs[k], (name, k)


_BLOCKED = [CASES[i] for i in (1, 2, 3, 4, 13, 16, 18)]


@pytest.mark.parametrize("name,kw", _BLOCKED, ids=[_ids(c) for c in _BLOCKED])
def test_large_tensor_block_by_block_matches_torch(name, kw):
    """A tensor over 2^17 elements takes Adam's and momentum SGD's update block by block (in
    cache, over the intra-op threads); a non-contiguous gradient falls back to the
    whole-tensor update."""
    rng = np.random.default_rng(5)
    sp, tp = _pair([rng.standard_normal((300, 500)).astype(np.float32)])
    so, to = _make(name, sp, tp, kw)
    for step in range(4):
        g = np.random.default_rng(50 + step).standard_normal((300, 500)).astype(np.float32)
        _set_grads(sp, tp, [g])
        if step == 3:
            sp[0].grad = sj.tensor(np.asfortranarray(g))
        so.step()
        to.step()
    _check(sp, tp, what=name)
