"""explain.gradcheck_model: central differences against backward for every parameter."""
import numpy as np
import pytest

import shenjing as sj
from shenjing import explain, nn
from shenjing.autograd import Function


class WrongCube(Function):
    """y = x^3 with a deliberately wrong backward (2x^2 instead of 3x^2)."""

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, g):
        return g * 2 * self.x ** 2  # bug: d(x^3)/dx = 3x^2


class Cube(WrongCube):
    def backward(self, g):
        return g * 3 * self.x ** 2


class CubeLayer(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.lin = nn.Linear(3, 4)
        self.head = nn.Linear(4, 2)
        self.fn = fn

    def forward(self, x):
        return self.head(self.fn.apply(self.lin(x)))


def test_mlp_passes_and_model_is_untouched():
    sj.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))
    before = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    report = explain.gradcheck_model(net, sj.randn(4, 5), sj.randint(0, 3, (4,)))
    assert report.ok and bool(report) and report.failed() == []
    assert [p.name for p in report.params] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.checked for p in report.params] == [20, 16, 20, 3]  # max_per_param=20
    assert all(p.max_abs_err < 1e-7 for p in report.params)
    for k, v in net.state_dict().items():
        assert v.dtype == sj.float32
        np.testing.assert_array_equal(v.detach().numpy(), before[k])
    assert all(p.grad is None for p in net.parameters())
    text = str(report)
    assert "gradcheck PASSED" in text and "0.weight" in text and "FAIL" not in text


def test_small_cnn_with_batchnorm_and_dropout_passes():
    sj.manual_seed(1)
    cnn = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Dropout(0.3), nn.Linear(3 * 3 * 3, 4))
    report = explain.gradcheck_model(cnn, sj.randn(2, 1, 8, 8), sj.randint(0, 4, (2,)),
                                     max_per_param=10)
    assert report.ok, str(report)
    assert len(report.params) == 6 and sum(p.checked for p in report.params) == 10 + 3 + 3 \
        + 3 + 10 + 4


def test_wrong_backward_fails_and_is_named():
    sj.manual_seed(2)
    x = sj.randn(6, 3)
    y = sj.randn(6, 2)
    good = explain.gradcheck_model(CubeLayer(Cube), x, y, loss_fn=nn.MSELoss())
    assert good.ok, str(good)
    bad_net = CubeLayer(WrongCube)
    bad = explain.gradcheck_model(bad_net, x, y, loss_fn=nn.MSELoss())
    assert not bad.ok and bad.failed() == ["lin.weight", "lin.bias"]  # head is upstream: fine
    worst = bad.params[1]
    assert worst.max_rel_err > 0.2  # 2x^2 vs 3x^2: a third off
    assert "FAIL" in str(bad) and "lin.bias" in str(bad) and "analytic" in str(bad)


def test_kinks_are_not_counted_as_failures():
    relu = nn.Sequential(nn.ReLU())
    x = sj.tensor([[0.0, 1.0, -1.0]])
    # a parameter-free model has nothing to check
    assert explain.gradcheck_model(relu, x).params == []
    lin = nn.Linear(1, 1)
    nn.init.constant_(lin.weight, 1.0)
    nn.init.constant_(lin.bias, 0.0)
    net = nn.Sequential(lin, nn.ReLU())
    report = explain.gradcheck_model(net, sj.tensor([[0.0]]), loss_fn=lambda out: out.sum())
    assert report.ok and report.params[1].kinks == 1  # relu(b) at b = 0 has no derivative


@pytest.mark.parametrize("per", [1, 5])
def test_max_per_param_and_seed_pick_entries(per):
    sj.manual_seed(3)
    net = nn.Linear(6, 6)
    report = explain.gradcheck_model(net, sj.randn(2, 6), sj.randn(2, 6), max_per_param=per,
                                     seed=7)
    assert [p.checked for p in report.params] == [per, per]


def test_cli_gradcheck_on_a_zoo_model(capsys):
    import argparse

    from shenjing.cli import explain as cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run(parser.parse_args(["gradcheck", "--model", "lenet", "--batch-size", "1"])) == 0
    text = capsys.readouterr().out
    assert "gradcheck PASSED" in text and "features.0.weight" in text
