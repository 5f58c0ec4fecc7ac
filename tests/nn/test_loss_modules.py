"""Loss modules against torch.nn losses: values, input grads, buffers, state_dict, repr."""
import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.nn as nn
from helpers import compare, rand


def _both(name, **kw):
    """Our module and torch's, with tensor kwargs built in each library."""
    def conv(mod):
        return {k: mod.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    return getattr(nn, name)(**conv(sj)), getattr(torch.nn, name)(**conv(torch))


W3 = rand(3, seed=1, low=0.5, high=2)
CASES = [
    ("MSELoss", {}, "reg"), ("MSELoss", {"reduction": "sum"}, "reg"),
    ("L1Loss", {"reduction": "none"}, "reg"), ("SmoothL1Loss", {"beta": 0.4}, "reg"),
    ("HuberLoss", {"delta": 0.5, "reduction": "sum"}, "reg"),
    ("CrossEntropyLoss", {}, "cls"),
    ("CrossEntropyLoss", {"weight": W3, "label_smoothing": 0.1, "ignore_index": 0}, "cls"),
    ("CrossEntropyLoss", {"weight": W3, "reduction": "none"}, "prob"),
    ("NLLLoss", {"weight": W3}, "cls"), ("NLLLoss", {"reduction": "sum"}, "cls"),
    ("BCELoss", {"weight": W3}, "bin"),
    ("BCEWithLogitsLoss", {"weight": W3, "pos_weight": W3 * 2}, "logit"),
    ("BCEWithLogitsLoss", {"reduction": "none"}, "logit"),
    ("KLDivLoss", {"reduction": "batchmean"}, "kl"),
    ("KLDivLoss", {"log_target": True, "reduction": "sum"}, "kl"),
    ("MSELoss", {"size_average": False}, "reg"),
]


def _inputs(kind):
    x = rand(5, 3, seed=2, low=-2, high=2)
    if kind == "reg":
        return x, rand(5, 3, seed=3, low=-2, high=2)
    if kind == "cls":
        return x, np.array([0, 2, 1, 1, 0], np.int64)
    if kind == "prob":
        return x, rand(5, 3, seed=4, low=0, high=1)
    if kind == "bin":
        return rand(5, 3, seed=5, low=0.05, high=0.95), rand(5, 3, seed=6, low=0, high=1)
    if kind == "logit":
        return x * 30, rand(5, 3, seed=7, low=0, high=1)
    return np.log(rand(5, 3, seed=8, low=0.1, high=1)), rand(5, 3, seed=9, low=0.1, high=1)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("k", range(len(CASES)))
def test_loss_module_parity(k):
    name, kw, kind = CASES[k]
    ours, theirs = _both(name, **kw)
    assert ours.reduction == theirs.reduction
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), v.numpy())
    assert repr(ours) == repr(theirs)
    compare(ours, theirs, *_inputs(kind), atol=1e-5, grad_atol=1e-5)


def test_weights_are_buffers():
    ce = nn.CrossEntropyLoss(weight=sj.tensor(W3))
    assert [n for n, _ in ce.named_buffers()] == ["weight"]
    assert list(ce.parameters()) == []
    bce = nn.BCEWithLogitsLoss(pos_weight=sj.ones(3))
    assert [n for n, _ in bce.named_buffers()] == ["pos_weight"]
    assert nn.BCEWithLogitsLoss().weight is None


def test_module_bad_reduction_errors_on_call():
    loss = nn.MSELoss(reduction="boo")
    with pytest.raises(ValueError, match="boo is not a valid value for reduction"):
        loss(sj.zeros(2), sj.zeros(2))
