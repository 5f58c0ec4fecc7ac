"""Shared by the sparse-optimizer tests: an Embedding(10, 4, sparse=True) trained a few steps."""
import numpy as np

BATCHES = [np.array([[1, 2, 1], [7, 2, 0]]), np.array([[3, 3, 3]]), np.array([[1, 9, 4, 4]]),
           np.array([[0, 5]]), np.array([[2, 2, 8, 1]])]


def trajectory(lib, opt_fn, w0, pad=None):
    """Weights after each step of ``opt_fn(lib, params)`` on BATCHES, and the optimizer.

    ``lib`` is shenjing or torch: the same code runs on both, so trajectories compare directly.
    """
    emb = lib.nn.Embedding(10, 4, padding_idx=pad, sparse=True)
    with lib.no_grad():
        emb.weight.copy_(lib.tensor(w0))
    opt = opt_fn(lib, emb.parameters())
    out = []
    for k, idx in enumerate(BATCHES):
        opt.zero_grad()
        y = emb(lib.tensor(idx))
        ((y - 0.1 * k) ** 2).sum().backward()
        opt.step()
        out.append(emb.weight.detach().numpy().copy())
    return out, opt
