"""Learning-rate schedulers: the lr sequence over many steps equals PyTorch's."""
import numpy as np
import pytest
import torch

import shenjing as sj

STEPS = 40


def _opts(lrs=(0.1, 0.02)):
    sp = [sj.zeros(2, requires_grad=True) for _ in lrs]
    tp = [torch.zeros(2, requires_grad=True) for _ in lrs]
    so = sj.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(sp, lrs)], lr=1.0,
                      momentum=0.9)
    to = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(tp, lrs)], lr=1.0,
                         momentum=0.9)
    return so, to


def _run(s_sched, t_sched, so, to, steps=STEPS):
    seq_s, seq_t = [s_sched.get_last_lr()], [t_sched.get_last_lr()]
    for _ in range(steps):
        so.step()
        to.step()
        s_sched.step()
        t_sched.step()
        seq_s.append(s_sched.get_last_lr())
        seq_t.append(t_sched.get_last_lr())
        assert [g["lr"] for g in so.param_groups] == seq_s[-1]
    np.testing.assert_allclose(np.array(seq_s), np.array(seq_t), rtol=1e-13, atol=1e-16)
    return seq_s


CASES = {
    "step": ("StepLR", dict(step_size=7, gamma=0.5)),
    "step1": ("StepLR", dict(step_size=1)),
    "multistep": ("MultiStepLR", dict(milestones=[3, 10, 10, 25], gamma=0.3)),
    "exp": ("ExponentialLR", dict(gamma=0.9)),
    "cosine": ("CosineAnnealingLR", dict(T_max=10)),
    "cosine_eta": ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    "lambda": ("LambdaLR", dict(lr_lambda=lambda e: 1.0 / (1 + e))),
    "lambda_list": ("LambdaLR", dict(lr_lambda=[lambda e: 0.95 ** e, lambda e: e // 5 + 1])),
    "multiplicative": ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.97)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_sequence_matches_torch(case):
    name, kw = CASES[case]
    so, to = _opts()
    s = getattr(sj.optim.lr_scheduler, name)(so, **kw)
    t = getattr(torch.optim.lr_scheduler, name)(to, **kw)
    seq = _run(s, t, so, to)
    assert len({tuple(x) for x in seq}) > 1  # the schedule actually moved


def test_cosine_goes_back_up_after_t_max():
    so, to = _opts()
    s = sj.optim.lr_scheduler.CosineAnnealingLR(so, T_max=5, eta_min=0.01)
    t = torch.optim.lr_scheduler.CosineAnnealingLR(to, T_max=5, eta_min=0.01)
    seq = _run(s, t, so, to, steps=23)
    assert seq[5][0] == pytest.approx(0.01) and seq[10][0] == pytest.approx(0.1)


def test_scheduler_state_dict_resume():
    so, to = _opts()
    s = sj.optim.lr_scheduler.StepLR(so, step_size=3, gamma=0.5)
    t = torch.optim.lr_scheduler.StepLR(to, step_size=3, gamma=0.5)
    _run(s, t, so, to, steps=7)
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 7 and sd["base_lrs"] == [0.1, 0.02]
    so2, _ = _opts()
    so2.load_state_dict(so.state_dict())
    s2 = sj.optim.lr_scheduler.StepLR(so2, step_size=3, gamma=0.5)
    s2.load_state_dict(sd)
    for _ in range(10):
        s.step()
        s2.step()
        t.step()
    assert s2.get_last_lr() == s.get_last_lr()
    np.testing.assert_allclose(s2.get_last_lr(), t.get_last_lr(), rtol=1e-13)


def test_lambda_state_dict_drops_functions():
    so, _ = _opts()
    s = sj.optim.lr_scheduler.LambdaLR(so, lambda e: 0.5)
    assert s.state_dict()["lr_lambdas"] == [None, None]


def test_resume_requires_initial_lr():
    so, _ = _opts()
    with pytest.raises(KeyError, match="initial_lr"):
        sj.optim.lr_scheduler.StepLR(so, step_size=2, last_epoch=4)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        sj.optim.lr_scheduler.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sj.optim.lr_scheduler.LambdaLR(so, [lambda e: 1.0])


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.01, cooldown=2),
    dict(mode="min", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs",
         min_lr=[0.01, 0.004]),
    dict(mode="max", patience=0, threshold_mode="abs", min_lr=0.001, eps=1e-3),
]


@pytest.mark.parametrize("kw", PLATEAU)
def test_reduce_on_plateau_matches_torch(kw):
    so, to = _opts()
    s = sj.optim.lr_scheduler.ReduceLROnPlateau(so, **kw)
    t = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kw)
    rng = np.random.default_rng(3)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 8), 0.5 + 0.02 * rng.standard_normal(40)])
    seq_s, seq_t = [], []
    for i, m in enumerate(metrics):
        metric = sj.tensor(m) if i % 2 else float(m)
        s.step(metric)
        t.step(float(m))
        seq_s.append(s.get_last_lr())
        seq_t.append(t.get_last_lr())
        assert s.num_bad_epochs == t.num_bad_epochs and s.best == t.best
    np.testing.assert_allclose(np.array(seq_s), np.array(seq_t), rtol=1e-13)
    assert seq_s[-1] != seq_s[0]


def test_reduce_on_plateau_errors():
    so, _ = _opts()
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        sj.optim.lr_scheduler.ReduceLROnPlateau(so, factor=1.0)
    with pytest.raises(ValueError, match="mode middle is unknown"):
        sj.optim.lr_scheduler.ReduceLROnPlateau(so, mode="middle")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        sj.optim.lr_scheduler.ReduceLROnPlateau(so, min_lr=[0.1])
