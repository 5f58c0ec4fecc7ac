"""Word2Vec (Mikolov et al. 2013): skip-gram or CBOW with negative sampling, on shenjing.

Two ``nn.Embedding`` tables (input and output vectors, sparse gradients by default) train
through shenjing's autograd and optimizers. One step scores a batch of (center, context) pairs
against ``negative`` noise words drawn from unigram^0.75 with one batched matmul:

    s = <in[center], out[target]>,  loss = -sum log sigmoid(s_pos) - sum log sigmoid(-s_neg)

Frequent words are subsampled (keep prob (sqrt(f / (t N)) + 1) t N / f, word2vec's formula)
and the learning rate decays linearly to ``min_lr`` over all epochs.
"""
from __future__ import annotations

import os
from typing import Any, Iterable, Sequence

import numpy as np

from .. import nn
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..datasets.text import Vocabulary
from ..nn import functional as F
from ..ops.embedding import negative_sampling_loss
from ..utils.atomic import atomic_write
from .. import optim

__all__ = ["Word2Vec"]
BUILDERS: dict = {}  # word vectors are not a classifier: nothing for get_model


def _sentences(corpus: Iterable[Any]) -> list[list[str]]:
    corpus = list(corpus)
    if corpus and isinstance(corpus[0], str):
        return [corpus]  # one flat token list
    return [list(s) for s in corpus]


class Word2Vec(nn.Module):
    """Word vectors by skip-gram (``mode='skipgram'``) or CBOW with negative sampling.

    Args:
        dim: vector size.  window: max context distance (each center draws 1..window).
        negative: noise words per positive pair.  min_count: drop rarer words.
        sample: subsampling threshold t (0 disables).  lr, min_lr: linear decay endpoints.
        batch_size: pairs (skip-gram) or centers (CBOW) per step.
        sparse: row-sparse embedding gradients.  optimizer: 'sgd' or 'sparse_adam'.
    """

    def __init__(self, dim: int = 100, window: int = 5, negative: int = 5, mode: str = "skipgram",
                 min_count: int = 1, sample: float = 1e-3, lr: float = 0.025,
                 min_lr: float = 1e-4, batch_size: int = 1024, sparse: bool = True,
                 optimizer: str = "sgd", seed: int = 0) -> None:
        super().__init__()
        if mode not in ("skipgram", "cbow"):
            raise ValueError(f"Word2Vec: mode must be 'skipgram' or 'cbow', got {mode!r}")
        if optimizer not in ("sgd", "sparse_adam"):
            raise ValueError(
                f"Word2Vec: optimizer must be 'sgd' or 'sparse_adam', got {optimizer!r}")
        if window < 1 or negative < 1 or dim < 1:
            raise ValueError(f"Word2Vec: dim, window and negative must be >= 1, got {dim}, "
                             f"{window}, {negative}")
        self.dim, self.window, self.negative, self.mode = dim, window, negative, mode
        self.min_count, self.sample, self.lr, self.min_lr = min_count, sample, lr, min_lr
        self.batch_size, self.sparse, self.optimizer_name = batch_size, sparse, optimizer
        self.rng = np.random.default_rng(seed)
        self.vocab: Vocabulary | None = None
        self._unit: np.ndarray | None = None

    # ------------------------------------------------------------------ vocabulary
    def build_vocab(self, corpus: Iterable[Any]) -> None:
        """Count words, keep those seen >= min_count times, and make fresh tables."""
        sents = _sentences(corpus)
        vocab = Vocabulary.build(sents, min_freq=self.min_count, specials=())
        if len(vocab) == 0:
            raise ValueError("Word2Vec.build_vocab: no word occurs min_count times")
        self._set_vocab(vocab, np.array([vocab.freqs[w] for w in vocab.itos], dtype=np.int64))
        d = self.dim
        with no_grad():  # word2vec's init: in ~ U(-0.5/d, 0.5/d), out = 0
            nn.init.uniform_(self.in_embed.weight, -0.5 / d, 0.5 / d)
            nn.init.zeros_(self.out_embed.weight)

    def _set_vocab(self, vocab: Vocabulary, counts: np.ndarray) -> None:
        self.vocab, self.counts = vocab, counts
        self.in_embed = nn.Embedding(len(vocab), self.dim, sparse=self.sparse)
        self.out_embed = nn.Embedding(len(vocab), self.dim, sparse=self.sparse)
        noise = counts.astype(np.float64) ** 0.75
        self._noise_cdf = np.cumsum(noise / noise.sum())
        self._unit = None

    def _encode(self, sents: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Word ids of the corpus (unknown words dropped) and the sentence of each."""
        get = self.vocab.stoi.get
        ids, sid = [], []
        for k, s in enumerate(sents):
            row = [i for i in map(get, s) if i is not None]
            ids.extend(row)
            sid.extend([k] * len(row))
        return np.array(ids, dtype=np.int64), np.array(sid, dtype=np.int64)

    # ------------------------------------------------------------------ pairs
    def _subsample(self, ids: np.ndarray) -> np.ndarray:
        if not self.sample:
            return np.ones(ids.shape[0], bool)
        f = self.counts.astype(np.float64)
        tn = self.sample * f.sum()
        keep = np.minimum(1.0, (np.sqrt(f / tn) + 1.0) * tn / f)
        return self.rng.random(ids.shape[0]) < keep[ids]

    def _pairs(self, ids: np.ndarray, sid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(center position, context position) for every center and context within its
        random window 1..window in the same sentence, as arrays."""
        n = ids.shape[0]
        b = self.rng.integers(1, self.window + 1, n)
        cs, xs = [], []
        for o in range(1, min(self.window, n - 1) + 1):
            same = sid[:-o] == sid[o:]
            i = np.flatnonzero(same & (b[:-o] >= o))  # center i, context i + o
            cs.append(i)
            xs.append(i + o)
            j = np.flatnonzero(same & (b[o:] >= o)) + o  # center j, context j - o
            cs.append(j)
            xs.append(j - o)
        if not cs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(cs), np.concatenate(xs)

    def _noise(self, n: int) -> np.ndarray:
        return np.searchsorted(self._noise_cdf, self.rng.random(n), side="right").clip(
            0, len(self.vocab) - 1)

    # ------------------------------------------------------------------ training
    def loss(self, centers: np.ndarray, targets: np.ndarray, ctx_offsets: np.ndarray | None = None
             ) -> Tensor:
        """Negative-sampling loss, summed over the batch.

        centers: (B,) ids (skip-gram) or flat context ids with ``ctx_offsets`` (CBOW, bag
        means); targets: (B, 1 + negative) ids, column 0 the true word.
        """
        if ctx_offsets is None:
            h = self.in_embed(Tensor._wrap(centers, None, False))
        else:
            h = F.embedding_bag(Tensor._wrap(centers, None, False), self.in_embed.weight,
                                Tensor._wrap(ctx_offsets, None, False), mode="mean",
                                sparse=self.sparse)
        # output lookup, scores and log-sigmoids fused: one node, row-sparse dW
        return negative_sampling_loss(h, self.out_embed.weight, targets, sparse=self.sparse)

    def _optimizer(self) -> optim.Optimizer:
        params = [self.in_embed.weight, self.out_embed.weight]
        if self.optimizer_name == "sparse_adam":
            return optim.SparseAdam(params, lr=self.lr)
        return optim.SGD(params, lr=self.lr)

    def train(self, corpus_tokens: Iterable[Any] | bool = True, epochs: int = 5) -> Any:
        """Train on ``corpus_tokens`` (sentences of tokens) for ``epochs``; returns the mean
        loss per pair of each epoch. ``train(True/False)`` keeps nn.Module's meaning."""
        if isinstance(corpus_tokens, bool):
            return super().train(corpus_tokens)
        sents = _sentences(corpus_tokens)
        if self.vocab is None:
            self.build_vocab(sents)
        ids, sid = self._encode(sents)
        opt = self._optimizer()
        base = self.lr if self.optimizer_name == "sgd" else opt.param_groups[0]["lr"]
        done, history, est_total = 0, [], 1
        for epoch in range(epochs):
            keep = self._subsample(ids)
            w, s = ids[keep], sid[keep]
            c, x = self._pairs(w, s)
            order = self.rng.permutation(c.shape[0])
            c, x = c[order], x[order]
            if epoch == 0:
                est_total = max(1, epochs * c.shape[0])  # pairs to see: the lr decay's clock
            total, count = 0.0, 0
            if self.mode == "skipgram":
                batches = self._skipgram_batches(w, c, x)
            else:
                batches = self._cbow_batches(w, c, x)
            for centers, tgt, off in batches:
                frac = min(1.0, done / est_total)
                for g in opt.param_groups:
                    g["lr"] = max(self.min_lr, base - (base - self.min_lr) * frac)
                opt.zero_grad()
                loss = self.loss(centers, tgt, off)
                loss.backward()
                opt.step()
                total += float(loss.item())
                count += tgt.shape[0]
                done += centers.shape[0]  # pairs (skip-gram) or context words (CBOW)
            history.append(total / max(count, 1))
        self._unit = None
        return history

    def _targets(self, words: np.ndarray) -> np.ndarray:
        tgt = np.empty((words.shape[0], 1 + self.negative), dtype=np.int64)
        tgt[:, 0] = words
        tgt[:, 1:] = self._noise(words.shape[0] * self.negative).reshape(-1, self.negative)
        return tgt

    def _skipgram_batches(self, w: np.ndarray, c: np.ndarray, x: np.ndarray) -> Iterable:
        for k in range(0, c.shape[0], self.batch_size):
            yield w[c[k:k + self.batch_size]], self._targets(w[x[k:k + self.batch_size]]), None

    def _cbow_batches(self, w: np.ndarray, c: np.ndarray, x: np.ndarray) -> Iterable:
        """Bags of context words per center, centers in a random order, in contiguous runs."""
        centers = np.unique(c)
        rank = np.empty(w.shape[0], np.int64)
        rank[self.rng.permutation(centers)] = np.arange(centers.shape[0])
        order = np.argsort(rank[c], kind="stable")
        r, ctx = rank[c[order]], w[x[order]]
        starts = np.searchsorted(r, np.arange(centers.shape[0] + 1))
        by_rank = np.empty(centers.shape[0], np.int64)
        by_rank[rank[centers]] = centers
        for k in range(0, centers.shape[0], self.batch_size):
            k1 = min(k + self.batch_size, centers.shape[0])
            lo, hi = starts[k], starts[k1]
            yield ctx[lo:hi], self._targets(w[by_rank[k:k1]]), starts[k:k1] - lo

    # ------------------------------------------------------------------ queries
    @property
    def vectors(self) -> np.ndarray:
        """(V, dim) input vectors."""
        return self.in_embed.weight._data

    def _normed(self) -> np.ndarray:
        if self._unit is None:
            v = self.vectors.astype(np.float64)
            self._unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return self._unit

    def __contains__(self, word: str) -> bool:
        return self.vocab is not None and word in self.vocab.stoi

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self._index(word)]

    def _index(self, word: str) -> int:
        if self.vocab is None:
            raise RuntimeError("Word2Vec: no vocabulary yet; call train() or build_vocab()")
        i = self.vocab.stoi.get(word)
        if i is None:
            raise KeyError(f"Word2Vec: word {word!r} not in vocabulary")
        return i

    def _nearest(self, q: np.ndarray, exclude: Sequence[int], k: int) -> list[tuple[str, float]]:
        u = self._normed()
        sims = u @ (q / max(np.linalg.norm(q), 1e-12))
        sims[list(exclude)] = -np.inf
        k = min(k, sims.shape[0] - len(set(exclude)))
        top = np.argpartition(-sims, k - 1)[:k] if k > 0 else np.zeros(0, np.int64)
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(self.vocab.itos[i], float(sims[i])) for i in top]

    def most_similar(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` words of highest cosine similarity to ``word`` (itself excluded)."""
        i = self._index(word)
        return self._nearest(self._normed()[i], [i], k)

    def analogy(self, a: str, b: str, c: str, topn: int | None = None) -> Any:
        """``a`` is to ``b`` as ``c`` is to ?: nearest to unit(b) - unit(a) + unit(c), inputs
        excluded. Returns the word, or ``topn`` (word, cosine) pairs."""
        ia, ib, ic = self._index(a), self._index(b), self._index(c)
        u = self._normed()
        res = self._nearest(u[ib] - u[ia] + u[ic], [ia, ib, ic], topn or 1)
        return res if topn else res[0][0]

    def evaluate_analogies(self, path: str | os.PathLike) -> dict[str, Any]:
        """Accuracy on a questions-words file (": section" lines, then "a b c d" lines meaning
        a:b :: c:d). Questions with a word outside the vocabulary are skipped and counted."""
        sections: dict[str, dict[str, Any]] = {}
        name, qs = "default", []
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                if line.startswith(":"):
                    name = line[1:].strip()
                    sections.setdefault(name, {"correct": 0, "total": 0, "skipped": 0})
                    continue
                words = line.split()
                if len(words) != 4:
                    raise ValueError(f"evaluate_analogies: expected 4 words per line, got {line!r}")
                sec = sections.setdefault(name, {"correct": 0, "total": 0, "skipped": 0})
                ids = [self.vocab.stoi.get(x, self.vocab.stoi.get(x.lower())) for x in words]
                if None in ids:
                    sec["skipped"] += 1
                else:
                    qs.append((name, ids))
        if qs:
            u = self._normed()
            q = np.array([ids for _, ids in qs])
            target = u[q[:, 1]] - u[q[:, 0]] + u[q[:, 2]]
            sims = target @ u.T  # ranking by cosine: the target's norm does not matter
            rows = np.arange(q.shape[0])[:, None]
            sims[rows, q[:, :3]] = -np.inf
            pred = sims.argmax(axis=1)
            for (sec_name, ids), p in zip(qs, pred):
                sec = sections[sec_name]
                sec["total"] += 1
                sec["correct"] += int(p == ids[3])
        for sec in sections.values():
            sec["accuracy"] = sec["correct"] / sec["total"] if sec["total"] else 0.0
        correct = sum(s["correct"] for s in sections.values())
        total = sum(s["total"] for s in sections.values())
        return {"accuracy": correct / total if total else 0.0, "correct": correct,
                "total": total, "skipped": sum(s["skipped"] for s in sections.values()),
                "sections": sections}

    # ------------------------------------------------------------------ text format
    def save_word2vec_format(self, path: str | os.PathLike) -> None:
        """Write "V dim" then one "word v1 ... vdim" line per word (atomically)."""
        v = self.vectors
        lines = [f"{v.shape[0]} {v.shape[1]}"]
        lines += [w + " " + " ".join(repr(float(x)) for x in row)
                  for w, row in zip(self.vocab.itos, v.astype(np.float32).tolist())]
        atomic_write(path, "\n".join(lines) + "\n", fsync=False)

    @classmethod
    def load_word2vec_format(cls, path: str | os.PathLike, **kwargs: Any) -> "Word2Vec":
        """A Word2Vec holding the vectors of a word2vec text file (as its input table)."""
        with open(path, encoding="utf-8") as f:
            head = f.readline().split()
            if len(head) != 2:
                raise ValueError(f"load_word2vec_format: bad header {' '.join(head)!r} in {path}")
            n, d = int(head[0]), int(head[1])
            words, rows = [], []
            for k, line in enumerate(f):
                parts = line.rstrip("\n").split(" ")
                if len(parts) != d + 1:
                    raise ValueError(f"load_word2vec_format: line {k + 2} has {len(parts) - 1} "
                                     f"values, expected {d}")
                words.append(parts[0])
                rows.append(parts[1:])
        if len(words) != n:
            raise ValueError(f"load_word2vec_format: header says {n} words, file has {len(words)}")
        model = cls(dim=d, **kwargs)
        model._set_vocab(Vocabulary(words, None, None), np.ones(n, np.int64))
        model.vocab.freqs = dict.fromkeys(words, 1)
        with no_grad():
            model.in_embed.weight._data[...] = np.array(rows, dtype=np.float32).reshape(n, d)
            model.out_embed.weight._data[...] = 0
        return model



# ---------------------------------------------------------------------- a planted corpus
_CAPITALS = [("france", "paris", "french"), ("germany", "berlin", "german"),
             ("italy", "rome", "italian"), ("spain", "madrid", "spanish"),
             ("japan", "tokyo", "japanese"), ("china", "beijing", "chinese"),
             ("russia", "moscow", "russian"), ("egypt", "cairo", "egyptian"),
             ("greece", "athens", "greek"), ("poland", "warsaw", "polish")]
_FAMILY = [("king", "queen", "throne"), ("prince", "princess", "castle"),
           ("father", "mother", "parent"), ("son", "daughter", "child"),
           ("brother", "sister", "sibling"), ("uncle", "aunt", "relative"),
           ("husband", "wife", "spouse"), ("boy", "girl", "youth"),
           ("actor", "actress", "stage"), ("nephew", "niece", "cousin")]


def planted_corpus(sentences_per_pair: int = 40, seed: int = 0
                   ) -> tuple[list[list[str]], str]:
    """Templated sentences with planted relations, and matching questions-words text.

    Country i and capital i share a people-word (``french``) while countries co-occur with
    nation words and capitals with city words; each male/female pair shares a role word and
    differs by he/man vs she/woman contexts. So capital = city + people_i and
    female = role_i + woman-direction, which analogies recover.
    """
    rng = np.random.default_rng(seed)
    country_t = ["{c} is a nation of {p} people", "the {p} nation {c} has a border",
                 "people of {c} speak {p}", "{c} is a large country"]
    capital_t = ["{k} is a {p} city", "the city of {k} has many {p} streets",
                 "{k} is the capital of the {p} state", "many people live in the city {k}"]
    male_t = ["the {w} is a man", "he is the {w} of the {r}", "the {r} has a {w} he is a man",
              "a man and {w} he is"]
    female_t = ["the {w} is a woman", "she is the {w} of the {r}",
                "the {r} has a {w} she is a woman", "a woman and {w} she is"]
    sents = []
    for c, k, p in _CAPITALS:
        for _ in range(sentences_per_pair):
            sents.append(country_t[rng.integers(len(country_t))].format(c=c, p=p).split())
            sents.append(capital_t[rng.integers(len(capital_t))].format(k=k, p=p).split())
    for m, f, r in _FAMILY:
        for _ in range(sentences_per_pair):
            sents.append(male_t[rng.integers(len(male_t))].format(w=m, r=r).split())
            sents.append(female_t[rng.integers(len(female_t))].format(w=f, r=r).split())
    order = rng.permutation(len(sents))
    sents = [sents[i] for i in order]
    lines = [": capital-common-countries"]
    lines += [f"{a[0]} {a[1]} {b[0]} {b[1]}" for a in _CAPITALS for b in _CAPITALS if a != b]
    lines.append(": family")
    lines += [f"{a[0]} {a[1]} {b[0]} {b[1]}" for a in _FAMILY for b in _FAMILY if a != b]
    return sents, "\n".join(lines) + "\n"
