"""Word2vec skip-gram negative-sampling train step: vocab 10000, dim 100, 1024 pairs, 5
negatives, two embedding tables with sparse gradients, in shenjing and in PyTorch.

Both sides run the same step on the same pre-drawn index batches (sampling is not timed):
zero_grad, h = in[center], o = out[context + negatives], s = bmm(o, h), loss =
-sum log sigmoid(+-s), backward (row-sparse grads), optimizer step on the touched rows.
shenjing's Word2Vec computes the lookup of o, the scores and the log-sigmoids as one fused
node (ops.embedding.negative_sampling_loss), whose output-table gradient stays factored
(ds[b, k] * h[b] at targets[b, k]); the sparse SGD step scatters it, and the input table's
rows, as one SciPy CSR product each (backend/scatter.py). PyTorch's side is the usual module
code.
"""
from __future__ import annotations

import numpy as np
import torch

import shenjing
from harness import Workload
from shenjing.models.word2vec import Word2Vec

VOCAB, DIM, BATCH, NEG = 10000, 100, 1024, 5


def _batches(n: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    zipf = 1.0 / np.arange(1, VOCAB + 1) ** 0.75  # frequent words repeat, like text
    p = zipf / zipf.sum()
    return [(rng.choice(VOCAB, BATCH, p=p), rng.choice(VOCAB, (BATCH, 1 + NEG), p=p))
            for _ in range(n)]


def _stepper(model, optimizer, batches: list):
    """One train step per call, cycling through ``batches`` (same code for both libraries)."""
    k = [0]

    def step():
        c, t = batches[k[0] % len(batches)]
        k[0] += 1
        optimizer.zero_grad()
        model.loss(c, t).backward()
        optimizer.step()

    return step


def _shenjing(opt: str):
    model = Word2Vec(dim=DIM, negative=NEG, sparse=True, optimizer=opt, lr=0.025)
    words = [str(i) for i in range(VOCAB)]
    from shenjing.datasets.text import Vocabulary  # noqa: PLC0415

    model._set_vocab(Vocabulary(words, None, None), np.ones(VOCAB, np.int64))
    return _stepper(model, model._optimizer(), _batches())


class _TorchSGNS(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.in_embed = torch.nn.Embedding(VOCAB, DIM, sparse=True)
        self.out_embed = torch.nn.Embedding(VOCAB, DIM, sparse=True)
        self.sign = torch.tensor([1.0] + [-1.0] * NEG)

    def loss(self, centers: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        h = self.in_embed(centers)
        o = self.out_embed(targets)
        s = torch.bmm(o, h.unsqueeze(2)).squeeze(2)
        return -torch.nn.functional.logsigmoid(s * self.sign).sum()


def _torch(opt: str):
    model = _TorchSGNS()
    params = list(model.parameters())
    optimizer = torch.optim.SparseAdam(params, lr=0.025) if opt == "sparse_adam" \
        else torch.optim.SGD(params, lr=0.025)
    return _stepper(model, optimizer, [(torch.tensor(c), torch.tensor(t)) for c, t in _batches()])


WORKLOADS = [
    Workload("word2vec SGNS train step (sparse grads, SGD; V=10k, d=100, 1024 pairs, 5 neg)",
             _shenjing("sgd"), _torch("sgd"), unit="ms", note="pairs/s = 1024 / time"),
    Workload("word2vec SGNS train step (sparse grads, SparseAdam; same sizes)",
             _shenjing("sparse_adam"), _torch("sparse_adam"), unit="ms",
             note="pairs/s = 1024 / time"),
]
