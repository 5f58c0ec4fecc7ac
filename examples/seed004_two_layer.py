"""Seed 004: the 2-2-1 sigmoid network, trained by hand in NumPy and with shenjing.

Both start from the constant 0.1 init and take per-sample SGD steps (lr 0.1, 1000 epochs), so
they print the same losses: the hand-written chain rule and autograd agree.
Run: python examples/seed004_two_layer.py
"""
from __future__ import annotations

import numpy as np

import shenjing as torch
from shenjing import nn, optim

DATA = np.array([[-2, -1], [25, 6], [17, 4], [-15, -6]])  # Alice, Bob, Charlie, Diana
Y = np.array([1, 0, 0, 1])
EMILY, FRANK = [-7, -2], [20, 2]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def deriv_sigmoid(x):
    fx = sigmoid(x)
    return fx * (1 - fx)


def train_numpy(epochs: int = 1000, lr: float = 0.1) -> tuple[list[float], float, float]:
    """The seed's hand-derived backpropagation, in float64."""
    w = np.full(6, 0.1)
    b = np.full(3, 0.1)

    def forward(x):
        h1 = sigmoid(w[0] * x[0] + w[1] * x[1] + b[0])
        h2 = sigmoid(w[2] * x[0] + w[3] * x[1] + b[1])
        return sigmoid(w[4] * h1 + w[5] * h2 + b[2])

    losses = []
    for epoch in range(epochs):
        for x, y_true in zip(DATA, Y):
            s1 = w[0] * x[0] + w[1] * x[1] + b[0]
            s2 = w[2] * x[0] + w[3] * x[1] + b[1]
            h1, h2 = sigmoid(s1), sigmoid(s2)
            so = w[4] * h1 + w[5] * h2 + b[2]
            y_pred = sigmoid(so)
            # the seed's own chain: dL/dw1 = dL/dypred * dypred/dh1 * dh1/dw1, ...
            d_l = -2 * (y_true - y_pred)
            d_o = deriv_sigmoid(so)
            d_h1, d_h2 = w[4] * d_o, w[5] * d_o
            g1, g2 = deriv_sigmoid(s1), deriv_sigmoid(s2)
            grads_w = [x[0] * g1 * d_h1, x[1] * g1 * d_h1, x[0] * g2 * d_h2, x[1] * g2 * d_h2,
                       h1 * d_o, h2 * d_o]
            grads_b = [g1 * d_h1, g2 * d_h2, d_o]
            w -= lr * d_l * np.array(grads_w)
            b -= lr * d_l * np.array(grads_b)
        if epoch % 10 == 0:
            preds = np.array([forward(x) for x in DATA])
            losses.append(float(((Y - preds) ** 2).mean()))
    return losses, float(forward(EMILY)), float(forward(FRANK))


def train_framework(torch, nn, optim, epochs: int = 1000) -> tuple[list[float], float, float]:
    """The seed's PyTorch program, unchanged: pass shenjing (or torch) as ``torch``."""

    class OurNeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(2, 2)
            self.layer2 = nn.Linear(2, 1)
            for p in (self.layer1.weight, self.layer1.bias, self.layer2.weight, self.layer2.bias):
                nn.init.constant_(p, 0.1)

        def forward(self, x):
            h1 = torch.sigmoid(self.layer1(x))
            o1 = torch.sigmoid(self.layer2(h1))
            return o1.flatten()

    data = torch.tensor(DATA, dtype=torch.float32)
    all_y_trues = torch.tensor(Y, dtype=torch.float32)
    network = OurNeuralNetwork()
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(network.parameters(), lr=0.1)
    losses = []
    for epoch in range(epochs):
        for i in range(len(data)):
            optimizer.zero_grad()
            y_pred = network(data[i])
            loss = loss_fn(y_pred, all_y_trues[i].unsqueeze(0))
            loss.backward()
            optimizer.step()
        if epoch % 10 == 0:
            with torch.no_grad():
                losses.append(loss_fn(network(data), all_y_trues).item())
    with torch.no_grad():
        emily = network(torch.tensor(EMILY, dtype=torch.float32)).item()
        frank = network(torch.tensor(FRANK, dtype=torch.float32)).item()
    return losses, emily, frank


if __name__ == "__main__":
    np_losses, np_e, np_f = train_numpy()
    sj_losses, sj_e, sj_f = train_framework(torch, nn, optim)
    for k, (a, b) in enumerate(zip(np_losses, sj_losses)):
        print("Epoch %d loss: numpy %.6f  shenjing %.6f" % (k * 10, a, b))
    print("Emily: numpy %.3f  shenjing %.3f" % (np_e, sj_e))
    print("Frank: numpy %.3f  shenjing %.3f" % (np_f, sj_f))
