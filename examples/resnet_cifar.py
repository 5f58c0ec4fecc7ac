"""A CIFAR-size ResNet (3x3 stem, no max pool) trained on generated CIFAR-shaped images.

Run: python examples/resnet_cifar.py [--depth 18] [--epochs 2]
"""
from __future__ import annotations

import argparse

import shenjing as torch
from shenjing import nn, optim
from shenjing.models import get_model
from shenjing.utils.data import DataLoader, TensorDataset

from seed_cifar_cnn import generated_cifar


def main(depth: int = 18, epochs: int = 2, n_train: int = 512, n_test: int = 256,
         width_batch: int = 32) -> float:
    torch.manual_seed(0)
    xtr, ytr = generated_cifar(n_train, 0)
    xte, yte = generated_cifar(n_test, 1)
    model = get_model(f"resnet{depth}_cifar", num_classes=10)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(torch.from_numpy(xtr), torch.from_numpy(ytr)),
                        batch_size=width_batch, shuffle=True)
    acc = 0.0
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            acc = float((model(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean())
        print(f"epoch {epoch + 1}: test accuracy {acc:.3f}")
    return acc


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--depth", type=int, default=18)
    ap.add_argument("--epochs", type=int, default=2)
    a = ap.parse_args()
    main(a.depth, a.epochs)
