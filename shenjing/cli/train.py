"""``shenjing train``: fit a model on a data set with a progress bar and per-epoch metrics."""
from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..explain import summary
from ..backend import manual_seed
from ..ops.creation import from_numpy
from ..utils.data import DataLoader, TensorDataset
from ..utils.progress import ProgressBar


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--optimizer", choices=["adam", "sgd", "adamw", "rmsprop", "adagrad"], default="adam")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--hidden", type=int, nargs="+", default=[128, 64])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def mlp(sizes: list[int]) -> nn.Module:
    """Linear-ReLU stack ending in a Linear layer (logits)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, loss_fn: Any) -> tuple[float, float]:
    model.eval()
    with no_grad():
        logits = model(from_numpy(x))
        loss = float(loss_fn(logits, from_numpy(y)).item())
        acc = float((logits.numpy().argmax(1) == y).mean())
    model.train()
    return loss, acc


def make_optimizer(name: str, params: Any, lr: float, weight_decay: float) -> optim.Optimizer:
    table = {"adam": optim.Adam, "sgd": optim.SGD, "adamw": optim.AdamW,
             "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}
    kwargs = {"lr": lr, "weight_decay": weight_decay}
    if name == "sgd":
        kwargs["momentum"] = 0.9
    return table[name](params, **kwargs)


def run(args: argparse.Namespace) -> dict[str, float]:
    from ..datasets import load_digits  # noqa: PLC0415

    manual_seed(args.seed)
    data = load_digits(seed=args.seed)
    (xtr, ytr), (xva, yva), (xte, yte) = data["train"], data["val"], data["test"]
    n_classes = int(ytr.max()) + 1
    model = mlp([xtr.shape[1], *args.hidden, n_classes])
    loss_fn = nn.CrossEntropyLoss()
    opt = make_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    loader = DataLoader(TensorDataset(from_numpy(xtr), from_numpy(ytr)),
                        batch_size=args.batch_size, shuffle=True)
    print(f"shenjing train: digits 8x8, {len(xtr)} train / {len(xva)} val / {len(xte)} test")
    print(summary(model, (xtr.shape[1],)))
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        bar = ProgressBar(len(loader), prefix=f"epoch {epoch}/{args.epochs} ", enabled=not args.quiet)
        tot_loss = tot_correct = seen = 0.0
        for step, (xb, yb) in enumerate(loader, 1):
            opt.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            n = len(yb)
            tot_loss += float(loss.item()) * n
            tot_correct += float((logits.detach().numpy().argmax(1) == yb.numpy()).sum())
            seen += n
            bar.update(step, loss=tot_loss / seen, acc=tot_correct / seen)
        vl, va = evaluate(model, xva, yva, loss_fn)
        print(f"epoch {epoch}: train loss {tot_loss / seen:.4f} acc {tot_correct / seen:.4f} | "
              f"val loss {vl:.4f} acc {va:.4f}")
    tl, ta = evaluate(model, xte, yte, loss_fn)
    secs = time.perf_counter() - t0
    print(f"test loss {tl:.4f} | test accuracy {ta:.4f} ({ta * 100:.1f}%) | {secs:.1f}s")
    return {"test_loss": tl, "test_acc": ta, "seconds": secs}
