"""explain.layer_stats: per-layer activation and gradient statistics, checked against torch."""
import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing import explain, nn


def deep_sigmoid(depth=10, width=16):
    sj.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(width, 1))


def kaiming_relu(depth=6, width=32):
    sj.manual_seed(1)
    layers = []
    for _ in range(depth):
        lin = nn.Linear(width, width)
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, 10))


def to_torch(net):
    """The same Sequential in torch with our weights copied in."""
    mods = []
    for m in net:
        if isinstance(m, nn.Linear):
            t = torch.nn.Linear(m.in_features, m.out_features)
            t.weight.data = torch.tensor(m.weight.detach().numpy())
            t.bias.data = torch.tensor(m.bias.detach().numpy())
            mods.append(t)
        else:
            mods.append(getattr(torch.nn, type(m).__name__)())
    return torch.nn.Sequential(*mods)


def test_deep_sigmoid_mlp_flags_vanishing_early_layers_and_matches_torch():
    net = deep_sigmoid()
    x, y = sj.randn(32, 16), sj.randn(32, 1)
    stats = explain.layer_stats(net, x, y)
    assert "vanishing" in stats["0"].flags and "vanishing" in stats["2"].flags
    assert stats["20"].flags == [] and stats.output_layer == "20"
    assert stats.flagged("exploding") == []
    # gradient and activation numbers equal torch's for the same weights and batch
    tnet = to_torch(net)
    acts = []
    for m in tnet:
        m.register_forward_hook(lambda m, a, o: acts.append(o.detach().numpy()))
    loss = torch.nn.functional.mse_loss(tnet(torch.tensor(x.numpy())), torch.tensor(y.numpy()))
    loss.backward()
    assert stats.loss == pytest.approx(loss.item(), rel=1e-5)
    for i, m in enumerate(tnet):
        row = stats[str(i)]
        assert row.act_mean == pytest.approx(acts[i].mean(), rel=1e-4, abs=1e-6)
        assert row.act_std == pytest.approx(acts[i].std(), rel=1e-3, abs=1e-6)
        if isinstance(m, torch.nn.Linear):
            g = np.concatenate([m.weight.grad.numpy().ravel(), m.bias.grad.numpy().ravel()])
            assert row.grad_norm == pytest.approx(np.linalg.norm(g), rel=1e-3), i
            assert row.grad_mean == pytest.approx(g.mean(), rel=1e-3, abs=1e-12)
            assert row.params == g.size
        else:
            assert row.grad_norm is None and row.params == 0
    assert all(p.grad is None for p in net.parameters())  # .grad untouched


def test_well_initialised_relu_net_has_no_flags():
    net = kaiming_relu()
    stats = explain.layer_stats(net, sj.randn(64, 32), sj.randint(0, 10, (64,)))
    assert [r.flags for r in stats.layers] == [[]] * len(stats.layers)
    relu = stats["1"]
    assert 0.3 < relu.act_zeros < 0.7  # about half of a ReLU's outputs are zero
    assert stats["0"].act_zeros == 0.0
    text = str(stats)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["layer", "type", "act"]
    assert len(lines[2]) == len(lines[4]) == lines[0].index("grad norm") + 9  # aligned
    assert "vanishing: |g| < 1e-07" in text


def test_dead_relu_and_exploding_are_flagged():
    sj.manual_seed(2)
    dead = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    nn.init.constant_(dead[0].bias, -100.0)
    stats = explain.layer_stats(dead, sj.randn(16, 8), sj.randint(0, 2, (16,)))
    assert stats.flagged("dead") == ["1"]
    assert "vanishing" in stats["0"].flags  # nothing flows back through a dead ReLU
    big = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 1))
    nn.init.constant_(big[1].weight, 1e5)
    stats = explain.layer_stats(big, sj.randn(8, 4), sj.randn(8, 1))
    assert "exploding" in stats["0"].flags


def test_rnn_per_module():
    sj.manual_seed(3)
    lstm = nn.LSTM(4, 6, batch_first=True)
    x = sj.randn(2, 5, 4)
    stats = explain.layer_stats(lstm, x, loss_fn=lambda out: (out ** 2).mean())
    assert [r.name for r in stats.layers] == ["LSTM"]
    t = torch.nn.LSTM(4, 6, batch_first=True)
    t.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in lstm.state_dict().items()})
    out, _ = t(torch.tensor(x.numpy()))
    (out ** 2).mean().backward()
    g = np.concatenate([p.grad.numpy().ravel() for p in t.parameters()])
    row = stats["LSTM"]
    assert row.grad_norm == pytest.approx(np.linalg.norm(g), rel=1e-3)
    assert row.act_mean == pytest.approx(out.detach().numpy().mean(), rel=1e-4, abs=1e-7)


def test_cli_stats_on_a_zoo_model(capsys):
    import argparse

    from shenjing.cli import explain as cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run(parser.parse_args(["stats", "--model", "lenet"])) == 0
    text = capsys.readouterr().out
    assert "features.0" in text and "classifier.4" in text and "grad norm" in text
    assert cli.run(parser.parse_args(["stats", "--model", "nosuchnet"])) == 2
