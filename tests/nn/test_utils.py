"""nn.utils: gradient clipping and parameter/vector conversion against PyTorch."""
import math

import numpy as np
import pytest
import torch

import shenjing
from shenjing import nn
from helpers import assert_close, rand


def twin_params(grads):
    """Parameters with the given gradients in both libraries."""
    sj, th = [], []
    for i, g in enumerate(grads):
        p = nn.Parameter(shenjing.tensor(rand(*g.shape, seed=i)))
        q = torch.nn.Parameter(torch.tensor(rand(*g.shape, seed=i)))
        if g is not None:
            p.grad = shenjing.tensor(g.copy())
            q.grad = torch.tensor(g.copy())
        sj.append(p)
        th.append(q)
    return sj, th


GRADS = [rand(3, 4, seed=10, low=-3, high=3), rand(5, seed=11), rand(2, 2, 2, seed=12)]


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    nt = float(norm_type)
    sj, th = twin_params(GRADS)
    n_sj = nn.utils.clip_grad_norm_(sj, max_norm, norm_type=nt)
    n_th = torch.nn.utils.clip_grad_norm_(th, max_norm, norm_type=nt)
    assert_close(n_sj, n_th, 1e-5, 1e-5, "total norm")
    for p, q in zip(sj, th):
        assert_close(p.grad, q.grad, 1e-6, 1e-5, "clipped grad")


def test_clip_grad_norm_single_tensor_missing_grads_and_generator():
    sj, th = twin_params(GRADS[:1])
    extra_s = nn.Parameter(shenjing.zeros(3))  # no grad: ignored
    n_sj = nn.utils.clip_grad_norm_((p for p in [sj[0], extra_s]), 1.0)
    n_th = torch.nn.utils.clip_grad_norm_(th[0], 1.0)
    assert_close(n_sj, n_th, 1e-5, 1e-5, "total norm")
    assert extra_s.grad is None
    assert float(nn.utils.clip_grad_norm_([extra_s], 1.0)) == 0.0


def test_clip_grad_norm_nonfinite():
    sj, _ = twin_params([np.array([np.inf, 1.0], dtype=np.float32)])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(sj, 1.0, error_if_nonfinite=True)
    assert math.isinf(float(nn.utils.clip_grad_norm_(sj, 1.0)))


def test_clip_grad_value_matches_torch():
    sj, th = twin_params(GRADS)
    nn.utils.clip_grad_value_(sj, 0.3)
    torch.nn.utils.clip_grad_value_(th, 0.3)
    for p, q in zip(sj, th):
        assert_close(p.grad, q.grad, 0, 0, "clipped grad")


def test_clip_on_model_after_backward():
    def make(L):
        return L.nn.Sequential(L.nn.Linear(4, 5), L.nn.Tanh(), L.nn.Linear(5, 2))

    sj, th = make(shenjing), make(torch)
    sj.load_state_dict({k: v.numpy() for k, v in th.state_dict().items()})
    x = rand(6, 4, low=-5, high=5)
    (sj(shenjing.tensor(x)) ** 2).sum().backward()
    (th(torch.tensor(x)) ** 2).sum().backward()
    assert_close(nn.utils.clip_grad_norm_(sj.parameters(), 0.1),
                 torch.nn.utils.clip_grad_norm_(th.parameters(), 0.1), 1e-4, 1e-5, "norm")
    for p, q in zip(sj.parameters(), th.parameters()):
        assert_close(p.grad, q.grad, 1e-6, 1e-4, "clipped grad")


def test_parameters_to_vector_and_back():
    sj, th = twin_params(GRADS)
    v = nn.utils.parameters_to_vector(sj)
    assert_close(v, torch.nn.utils.parameters_to_vector(th), 0, 0, "vector")
    v.sum().backward()  # differentiable, like torch.cat
    assert all(np.all(p.grad.numpy() == g + 1) for p, g in zip(sj, GRADS))
    new = shenjing.arange(v.numel(), dtype=shenjing.float32)
    nn.utils.vector_to_parameters(new, sj)
    torch.nn.utils.vector_to_parameters(torch.arange(v.numel(), dtype=torch.float32), th)
    for p, q in zip(sj, th):
        assert_close(p.detach(), q.detach(), 0, 0, "param")
        assert isinstance(p, nn.Parameter)
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters(np.zeros(3), sj)
    with pytest.raises(RuntimeError):
        nn.utils.vector_to_parameters(shenjing.zeros(3), sj)
