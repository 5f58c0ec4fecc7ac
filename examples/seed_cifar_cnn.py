"""The seed documents' CIFAR-10 CNN: three conv-ReLU-pool blocks (32/64/128), dense 128, dense 10.

No data set can be downloaded here, so by default it trains on generated CIFAR-shaped images
(3x32x32, 10 classes: a coloured blob whose colour and position encode the class, plus noise);
pass --cifar DIR with the python-format batches to use the real data once loaders exist.
Run: python examples/seed_cifar_cnn.py [--epochs 3]
"""
from __future__ import annotations

import argparse

import numpy as np

import shenjing as torch
from shenjing import nn, optim
from shenjing.explain import summary
from shenjing.models import seed_cnn
from shenjing.utils.data import DataLoader, TensorDataset


def generated_cifar(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Learnable CIFAR-shaped images: class k puts a blob of colour k%3 in cell k of a 4x3 grid."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    x = rng.normal(0, 0.3, (n, 3, 32, 32)).astype(np.float32)
    for k in range(10):
        r, c = divmod(k, 4)
        x[y == k, k % 3, r * 10 + 2:r * 10 + 10, c * 8:c * 8 + 8] += 1.5
    return x, y.astype(np.int64)


def main(epochs: int = 3, n_train: int = 2048, n_test: int = 512, seed: int = 0) -> float:
    torch.manual_seed(seed)
    xtr, ytr = generated_cifar(n_train, seed)
    xte, yte = generated_cifar(n_test, seed + 1)
    model = seed_cnn(num_classes=10)
    print(summary(model, (3, 32, 32)))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(torch.from_numpy(xtr), torch.from_numpy(ytr)),
                        batch_size=64, shuffle=True)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        model.eval()
        with torch.no_grad():
            acc = (model(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean()
        print(f"epoch {epoch + 1}: loss {total / n_train:.4f}  test accuracy {acc:.3f}")
    return float(acc)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=3)
    main(ap.parse_args().epochs)
