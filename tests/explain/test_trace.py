"""explain.backward: the chain-rule trace of a real backward, checked against PyTorch.

The bar of issue 9: on seed 004's network (2 inputs, hidden h1 h2, output o1, sigmoid, MSE,
every weight 0.1) the traced chain-rule numbers equal the gradients PyTorch computes for the
same weights and sample.
"""
import argparse
import io

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing import explain, nn
from shenjing.explain import seed004

NAMES = seed004.NAMES


def torch_seed004(x, y):
    """Seed 004's network written in PyTorch with scalar weights, as the seed's NumPy code."""
    w = {n: torch.tensor(0.1, dtype=torch.float32, requires_grad=True) for n in NAMES}
    x0, x1 = torch.tensor(x[0]), torch.tensor(x[1])
    sum_h1 = w["w1"] * x0 + w["w2"] * x1 + w["b1"]
    h1 = torch.sigmoid(sum_h1)
    sum_h2 = w["w3"] * x0 + w["w4"] * x1 + w["b2"]
    h2 = torch.sigmoid(sum_h2)
    sum_o1 = w["w5"] * h1 + w["w6"] * h2 + w["b3"]
    o1 = torch.sigmoid(sum_o1)
    inter = dict(sum_h1=sum_h1, h1=h1, sum_h2=sum_h2, h2=h2, sum_o1=sum_o1, o1=o1)
    for t in inter.values():
        t.retain_grad()
    loss = torch.nn.functional.mse_loss(o1, torch.tensor(y))
    loss.backward()
    return w, inter


@pytest.mark.parametrize("who", ["alice", "bob", "diana"])
def test_seed004_chain_rule_steps_equal_torch(who):
    (x, y) = seed004.DATA[who]
    out = io.StringIO()
    trace = seed004.explain_seed004(who, file=out)
    w, inter = torch_seed004(x, y)
    for n in NAMES:  # leaf gradients
        np.testing.assert_allclose(trace.grads[n], w[n].grad.numpy(), rtol=1e-5, atol=1e-9,
                                   err_msg=n)
    for name, t in inter.items():  # every upstream gradient dL/d(node)
        np.testing.assert_allclose(trace.step(name).upstream, t.grad.numpy(), rtol=1e-5,
                                   atol=1e-9, err_msg=name)
    # the seed's factors read off the trace: d_L_d_ypred, d_ypred_d_h1, d_h1_d_w1
    d_L_d_ypred = float(trace.step("o1").upstream)
    d_ypred_d_h1 = float(trace.step("h1").upstream) / d_L_d_ypred
    hand = seed004.hand_gradients({n: 0.1 for n in NAMES}, x, y)
    assert d_L_d_ypred == pytest.approx(-2 * (y - inter["o1"].item()), rel=1e-5)
    assert d_ypred_d_h1 == pytest.approx(hand["factors"]["d_ypred_d_h1"], rel=1e-4)
    s = inter["h1"].item()
    assert float(trace.step("sum_h1").upstream) == pytest.approx(
        d_L_d_ypred * d_ypred_d_h1 * s * (1 - s), rel=1e-4)  # the sigmoid step s(1-s)
    np.testing.assert_allclose([hand["grads"][n] for n in NAMES],
                               [float(w[n].grad) for n in NAMES], rtol=1e-5)
    text = out.getvalue()
    assert "SigmoidBackward0 -> h1" in text and "d(sigmoid)/dx = s(1-s)" in text
    assert f"{float(w['w5'].grad):.6g}" in text and "=> w1.grad" in text


def test_seed004_linear_version_equals_torch_linear():
    x, y = seed004.DATA["charlie"]
    trace = seed004.explain_seed004("charlie", linear=True, quiet=True)
    tnet = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 1),
                               torch.nn.Sigmoid())
    for p in tnet.parameters():
        torch.nn.init.constant_(p, 0.1)
    loss = torch.nn.functional.mse_loss(tnet(torch.tensor([x])).flatten(), torch.tensor([y]))
    loss.backward()
    for ours, theirs in (("layer1.weight", "0.weight"), ("layer1.bias", "0.bias"),
                         ("layer2.weight", "2.weight"), ("layer2.bias", "2.bias")):
        np.testing.assert_allclose(trace.grads[ours], dict(tnet.named_parameters())[theirs].grad,
                                   rtol=1e-5, atol=1e-9, err_msg=ours)
    assert [s.op for s in trace][:3] == ["PointwiseLossBackward0", "ReshapeBackward0",
                                         "SigmoidBackward0"]


def _mlp():
    sj.manual_seed(3)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def test_same_gradients_as_loss_backward_with_broadcast_and_reuse():
    net = _mlp()
    x, y = sj.randn(5, 3), sj.randn(5, 2)
    scale = sj.tensor([0.5, 2.0], requires_grad=True)
    # scale is broadcast over rows and used twice: its gradient sums both paths
    loss = ((net(x) * scale - y) ** 2).mean() + (scale * scale).sum()
    params = {**dict(net.named_parameters()), "scale": scale}
    trace = explain.backward(loss, params=params, quiet=True)
    mine = {n: p.grad.numpy().copy() for n, p in params.items()}
    for p in params.values():
        p.grad = None
    loss2 = ((net(x) * scale - y) ** 2).mean() + (scale * scale).sum()
    loss2.backward()
    for n, p in params.items():
        np.testing.assert_allclose(mine[n], p.grad.numpy(), rtol=1e-6, err_msg=n)
        np.testing.assert_allclose(trace.grads[n], p.grad.numpy(), rtol=1e-6, err_msg=n)
    # the gradient scale received is unbroadcast to its shape at every step
    flows = [f for s in trace for f in s.flows if f.target == "scale"]
    assert len(flows) == 3 and all(f.grad.shape == (2,) for f in flows)
    np.testing.assert_allclose(sum(f.grad for f in flows), trace.grads["scale"], rtol=1e-6)
    assert scale._hooks is None and "backward" not in loss2.grad_fn.__dict__


def test_each_step_upstream_is_the_sum_of_what_flows_into_it():
    net = _mlp()
    h = net[1](net[0](sj.randn(4, 3)))
    loss = net[2](h).pow(2).sum() + h.sum()  # h feeds two ops
    trace = explain.backward(loss, params={"h": h, **dict(net.named_parameters())}, quiet=True)
    into_h = [f.grad for s in trace for f in s.flows if f.target == "h"]
    assert len(into_h) == 2
    np.testing.assert_allclose(trace.step("h").upstream, into_h[0] + into_h[1], rtol=1e-6)
    # steps run in reverse topological order: h's step comes after both of its consumers
    names = [s.name for s in trace]
    assert names[0] == "loss" and names.index("h") > 1


def test_printing_limits_and_errors():
    net = _mlp()
    loss = net(sj.randn(2, 3)).sum()
    out = io.StringIO()
    trace = explain.backward(loss, params=dict(net.named_parameters()), file=out, max_steps=1,
                             retain_graph=True)
    text = out.getvalue()
    assert "[1] SumBackward0 -> loss" in text and f"... {len(trace) - 1} more steps" in text
    assert "shape (4, 3) mean" in text  # 12 numbers print as a summary, not values
    loss.backward()  # the graph was retained and the watchers removed
    with pytest.raises(RuntimeError, match="no grad_fn"):
        explain.backward(sj.ones(2).sum())


def test_cli_seed004_prints_torch_numbers(capsys):
    from shenjing.cli import explain as cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run(parser.parse_args(["seed004"])) == 0
    text = capsys.readouterr().out
    w, _ = torch_seed004(*seed004.DATA["alice"])
    for n in ("w1", "w5", "b3"):
        assert f"{float(w[n].grad):.6g}" in text, n
    assert "d_L_d_ypred" in text and "AddBackward0" in text
    assert cli.run(parser.parse_args(["seed004", "--sample", "zed"])) == 2
