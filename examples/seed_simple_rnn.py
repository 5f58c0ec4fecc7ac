"""Seed 002, 4.4 (the SimpleRNN example) with shenjing's PyTorch face, ``import shenjing as torch``.

The seed's Keras model, written the PyTorch way: Embedding(2, 16) -> RNN(16 -> 16, tanh, last
hidden state) -> Linear(16, 1) -> sigmoid, Adam (lr 1e-3, Keras's default), binary
cross-entropy, 100 epochs of shuffled batches of 16. The seed feeds random floats in [0, 1) to
the embedding (Keras truncates them all to token 0) with random labels, so nothing could be
learned; here the 100 sequences of 10 steps hold tokens 0/1 and the label says whether token 1
is the majority, which an RNN can count. (examples/keras_rnn.py is the same with the Keras
face.)  Run: python examples/seed_simple_rnn.py [--epochs 100]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import shenjing as torch  # noqa: E402
from shenjing import nn  # noqa: E402


class SimpleRNNModel(nn.Module):
    """Embedding -> SimpleRNN (the final hidden state) -> Dense(1, sigmoid)."""

    def __init__(self, vocab: int = 2, dim: int = 16, hidden: int = 16) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.rnn = nn.RNN(dim, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.rnn(self.embedding(x))  # h: (1, N, hidden), the state after the last step
        return torch.sigmoid(self.fc(h[-1]))


def main(argv: list[str] | None = None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--n", type=int, default=100, help="training sequences")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    # generated data: 0/1 tokens, label 1 when ones are the majority of the 10 steps
    X = torch.tensor(rng.integers(0, 2, (args.n, 10)))
    Y = (X.sum(dim=1, keepdim=True) > 5).float()

    model = SimpleRNNModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCELoss()
    for epoch in range(args.epochs):
        perm = torch.randperm(args.n)
        for i in range(0, args.n, 16):
            idx = perm[i:i + 16]
            optimizer.zero_grad()
            loss = loss_fn(model(X[idx]), Y[idx])
            loss.backward()
            optimizer.step()
        if (epoch + 1) % max(1, args.epochs // 5) == 0:
            print(f"epoch {epoch + 1}/{args.epochs}: loss {loss.item():.4f}")

    with torch.no_grad():
        p = model(X)
        acc = ((p > 0.5).float() == Y).float().mean().item()
        X_new = torch.tensor([[1, 1, 1, 0, 1, 1, 0, 1, 1, 1], [0, 0, 1, 0, 0, 0, 1, 0, 0, 0]])
        probs = model(X_new)[:, 0]
    print(f"training accuracy {acc:.3f}, loss {loss_fn(p, Y).item():.4f}")
    print(f"P(majority of ones) for a mostly-ones sequence {probs[0].item():.3f}, "
          f"a mostly-zeros one {probs[1].item():.3f}")
    return acc


if __name__ == "__main__":
    main()
