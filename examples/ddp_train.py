"""Data-parallel training of an MLP on the 8x8 digits over MPI.

    mpiexec -n 2 python examples/ddp_train.py          # two ranks, batch 32 each
    python examples/ddp_train.py                        # the same script on one process

Every rank builds the same model; DistributedDataParallel copies rank 0's weights to all
and averages gradients inside ``backward()``; DistributedSampler gives each rank its own
share of every epoch. Only rank 0 prints and saves.
"""
import argparse
import os

import numpy as np

import shenjing as torch
import shenjing.distributed as dist
from shenjing import nn, optim
from shenjing.datasets.digits import load_digits
from shenjing.utils.data import DataLoader, TensorDataset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32, help="per rank")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--save", default=None, help="write the weights here (rank 0)")
    args = ap.parse_args()

    rank, world = dist.init()
    torch.manual_seed(0)
    data = load_digits(seed=0)
    (xtr, ytr), (xte, yte) = data["train"], data["test"]
    train = TensorDataset(torch.from_numpy(xtr), torch.from_numpy(ytr))
    sampler = dist.DistributedSampler(train, shuffle=True, seed=0)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler)

    model = dist.DistributedDataParallel(
        nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)))
    opt = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    dist.print0(f"ddp_train: {world} rank(s) x batch {args.batch_size}, "
                f"{len(loader)} steps per epoch per rank")
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        model.train()
        tot = np.zeros(3)  # loss * n, correct, n
        for xb, yb in loader:
            opt.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()  # gradients are averaged over the ranks when this returns
            opt.step()
            tot += [loss.item() * len(yb), (logits.argmax(1) == yb).sum().item(), len(yb)]
        loss_sum, correct, n = dist.sum_over_ranks(tot)
        model.eval()
        with torch.no_grad():
            acc = (model(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean()
        dist.print0(f"epoch {epoch}: train loss {loss_sum / n:.4f} acc {correct / n:.4f} "
                    f"| test acc {acc:.4f}")
    if args.save:
        dist.save_on_main(model, args.save)
        dist.print0(f"saved {os.path.abspath(args.save)}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
