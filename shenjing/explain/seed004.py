"""Seed 004's network from scratch: 2 inputs, hidden neurons h1 h2, output o1, all sigmoid.

    h1 = sigmoid(w1 x0 + w2 x1 + b1)      h2 = sigmoid(w3 x0 + w4 x1 + b2)
    o1 = sigmoid(w5 h1 + w6 h2 + b3)      L  = (y - o1)^2

Every weight starts at 0.1 as in the seed, so the numbers can be reproduced by hand.
``Seed004Network`` keeps one scalar Parameter per weight (named w1..w6, b1..b3) so the backward
trace reads like the seed's derivation; ``Seed004Linear`` is the seed's PyTorch version
(``layer1 = Linear(2, 2)``, ``layer2 = Linear(2, 1)``). ``hand_gradients`` evaluates the seed's
own formulas (d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w1, ...) for comparison.
"""
from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from ..nn import functional as F
from ..nn.modules.linear import Linear
from ..nn.modules.module import Module
from ..nn.parameter import Parameter
from ..ops.creation import tensor

NAMES = ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")

# the seed's data set: (weight - 135, height - 66) -> 1 for female
DATA = {"alice": ((-2.0, -1.0), 1.0), "bob": ((25.0, 6.0), 0.0),
        "charlie": ((17.0, 4.0), 0.0), "diana": ((-15.0, -6.0), 1.0)}


class Seed004Network(Module):
    """The seed's ``OurNeuralNetwork`` with one 0-d Parameter per weight and bias."""

    def __init__(self, init: float = 0.1) -> None:
        super().__init__()
        for n in NAMES:
            setattr(self, n, Parameter(tensor(float(init))))
        self.intermediates: dict[str, Tensor] = {}

    def forward(self, x: Tensor) -> Tensor:
        x0, x1 = x[0], x[1]
        sum_h1 = self.w1 * x0 + self.w2 * x1 + self.b1
        h1 = sum_h1.sigmoid()
        sum_h2 = self.w3 * x0 + self.w4 * x1 + self.b2
        h2 = sum_h2.sigmoid()
        sum_o1 = self.w5 * h1 + self.w6 * h2 + self.b3
        o1 = sum_o1.sigmoid()
        self.intermediates = {"sum_h1": sum_h1, "h1": h1, "sum_h2": sum_h2, "h2": h2,
                              "sum_o1": sum_o1, "o1": o1}
        return o1


class Seed004Linear(Module):
    """The seed's PyTorch version: two Linear layers with every weight and bias 0.1."""

    def __init__(self, init: float = 0.1) -> None:
        super().__init__()
        self.layer1 = Linear(2, 2)
        self.layer2 = Linear(2, 1)
        for p in self.parameters():
            p.data.fill_(init)
        self.intermediates: dict[str, Tensor] = {}

    def forward(self, x: Tensor) -> Tensor:
        h = F.sigmoid(self.layer1(x))
        o1 = F.sigmoid(self.layer2(h))
        self.intermediates = {"h": h, "o1": o1}
        return o1.flatten()


def sample(name: str = "alice") -> tuple[Tensor, Tensor]:
    """One of the seed's people as (x of shape (2,), y of shape ())."""
    try:
        x, y = DATA[name.lower()]
    except KeyError:
        raise ValueError(f"seed004: unknown sample {name!r}; pick one of "
                         f"{', '.join(DATA)}") from None
    return tensor(list(x)), tensor(y)


def loss_of(net: Module, x: Tensor, y: Tensor) -> Tensor:
    """The seed's loss for one sample: mean((y_true - y_pred)^2)."""
    out = net(x)
    return F.mse_loss(out, y.reshape(out.shape))


def hand_gradients(w: dict[str, float], x: tuple[float, float], y: float) -> dict[str, Any]:
    """The seed's hand derivation, evaluated in plain Python floats (its own formulas)."""
    def sig(v: float) -> float:
        return 1.0 / (1.0 + math.exp(-v))

    def dsig(v: float) -> float:
        return sig(v) * (1.0 - sig(v))

    sum_h1 = w["w1"] * x[0] + w["w2"] * x[1] + w["b1"]
    sum_h2 = w["w3"] * x[0] + w["w4"] * x[1] + w["b2"]
    h1, h2 = sig(sum_h1), sig(sum_h2)
    sum_o1 = w["w5"] * h1 + w["w6"] * h2 + w["b3"]
    y_pred = sig(sum_o1)
    d_L_d_ypred = -2 * (y - y_pred)
    d_ypred_d_h1 = w["w5"] * dsig(sum_o1)
    d_ypred_d_h2 = w["w6"] * dsig(sum_o1)
    grads = {
        "w1": d_L_d_ypred * d_ypred_d_h1 * x[0] * dsig(sum_h1),
        "w2": d_L_d_ypred * d_ypred_d_h1 * x[1] * dsig(sum_h1),
        "b1": d_L_d_ypred * d_ypred_d_h1 * dsig(sum_h1),
        "w3": d_L_d_ypred * d_ypred_d_h2 * x[0] * dsig(sum_h2),
        "w4": d_L_d_ypred * d_ypred_d_h2 * x[1] * dsig(sum_h2),
        "b2": d_L_d_ypred * d_ypred_d_h2 * dsig(sum_h2),
        "w5": d_L_d_ypred * h1 * dsig(sum_o1),
        "w6": d_L_d_ypred * h2 * dsig(sum_o1),
        "b3": d_L_d_ypred * dsig(sum_o1),
    }
    factors = {"d_L_d_ypred": d_L_d_ypred, "d_ypred_d_h1": d_ypred_d_h1,
               "d_ypred_d_h2": d_ypred_d_h2, "d_h1_d_w1": x[0] * dsig(sum_h1),
               "d_ypred_d_b3": dsig(sum_o1)}
    return {"grads": grads, "factors": factors}


def explain_seed004(sample_name: str = "alice", linear: bool = False, file: Any = None,
                    quiet: bool = False) -> Any:
    """Build the seed's network, run one sample and print the traced chain rule."""
    from .trace import backward  # noqa: PLC0415

    net = Seed004Linear() if linear else Seed004Network()
    x, y = sample(sample_name)
    loss = loss_of(net, x, y)
    names = {**dict(net.named_parameters()), **net.intermediates}
    return backward(loss, params=names, file=file, quiet=quiet)
