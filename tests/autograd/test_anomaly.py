"""Anomaly detection: the op that first makes a NaN/Inf, in forward or backward, is named."""
import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing import autograd
from shenjing.autograd import Function
from shenjing.autograd import engine as engine_mod
from shenjing.autograd import function as function_mod

pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning",
                                        "ignore:divide by zero encountered:RuntimeWarning")


@pytest.fixture(autouse=True)
def _off_after():
    yield
    autograd.set_detect_anomaly(False)


class NanGrad(Function):
    """y = a * b whose backward returns NaN for its second input (a deliberate bug)."""

    def forward(self, a, b):
        return a * b

    def backward(self, g):
        return g, g * np.nan


def test_off_by_default_and_modes_restore():
    assert autograd.is_anomaly_enabled() is False
    assert function_mod._anomaly is False and engine_mod._anomaly is False
    with autograd.detect_anomaly():
        assert autograd.is_anomaly_enabled()
        with autograd.set_detect_anomaly(False):
            assert not autograd.is_anomaly_enabled()
        assert autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()
    autograd.set_detect_anomaly(True)
    assert function_mod._anomaly and engine_mod._anomaly
    autograd.set_detect_anomaly(False)

    @autograd.detect_anomaly()
    def f():
        return autograd.is_anomaly_enabled()

    assert f() is True and not autograd.is_anomaly_enabled()


def test_forward_nan_and_inf_name_the_op_and_shapes():
    x = sj.tensor([-1.0, 1.0, 2.0], requires_grad=True)
    with autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match=r"Log produced nan in forward \(input shapes "
                                               r"\[\(3,\)\]\)"):
            sj.log(x)
        z = sj.zeros(2, 3)
        with pytest.raises(RuntimeError, match=r"Div produced nan .*\[\(2, 3\), \(2, 3\)\]"):
            z / z  # 0/0, no grad recorded: still checked
        with pytest.raises(RuntimeError, match="Div produced inf"):
            sj.ones(2) / sj.zeros(2)
        with sj.no_grad():
            with pytest.raises(RuntimeError, match="Log produced nan"):
                sj.log(x)


def _torch_anomaly_message(fn):
    with pytest.warns(UserWarning), torch.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as e:
            fn()
    return str(e.value)


def test_backward_names_the_op_like_pytorch():
    # d(sqrt x)/dx at 0 is inf; times the 0 from Mul it stays inf*0 = nan in Sqrt's output
    def ours():
        x = sj.zeros(3, requires_grad=True)
        (sj.sqrt(x) * 0).sum().backward()

    def theirs():
        x = torch.zeros(3, requires_grad=True)
        (torch.sqrt(x) * 0).sum().backward()

    torch_msg = _torch_anomaly_message(theirs)
    with autograd.detect_anomaly():
        with pytest.warns(RuntimeWarning, match=r"(?s)Error detected in SqrtBackward0.*"
                                                r"test_anomaly\.py") as rec:
            with pytest.raises(RuntimeError) as e:
                ours()
    assert str(e.value).startswith(torch_msg)  # "Function 'SqrtBackward0' returned nan ..."
    assert "input shapes [(3,)]" in str(e.value)
    made = [str(w.message) for w in rec if "Error detected" in str(w.message)]
    assert "sj.sqrt(x)" in made[0]  # the forward line that made the node


def test_backward_inf_and_which_output():
    a = sj.ones(2, requires_grad=True)
    b = sj.ones(2, requires_grad=True)
    with autograd.detect_anomaly():
        with pytest.warns(RuntimeWarning), pytest.raises(
                RuntimeError, match=r"Function 'NanGradBackward0' returned nan values in its "
                                    r"1th output"):
            NanGrad.apply(a, b).sum().backward()
        x = sj.zeros(3, requires_grad=True)
        with pytest.warns(RuntimeWarning), pytest.raises(
                RuntimeError, match="Function 'SqrtBackward0' returned inf values in its 0th"):
            sj.sqrt(x).sum().backward()


def test_off_means_no_checks_and_same_gradients():
    x = sj.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = sj.log(x)  # nan and -inf pass silently, as in PyTorch
    assert np.isnan(y.detach().numpy()[0])
    assert "_anomaly_stack" not in y.grad_fn.__dict__  # nothing recorded on the fast path
    w = sj.tensor([0.5, 1.5, 2.5], requires_grad=True)
    (w.exp() * w).sum().backward()
    plain = w.grad.numpy().copy()
    w.grad = None
    with autograd.detect_anomaly():
        out = (w.exp() * w).sum()
        assert "_anomaly_stack" in out.grad_fn.__dict__
        out.backward()
    np.testing.assert_array_equal(w.grad.numpy(), plain)
