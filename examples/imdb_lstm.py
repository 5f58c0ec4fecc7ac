"""IMDB-style sentiment with an LSTM: tokenizer + Vocabulary + padding + TextClassifier + Adam.

    python examples/imdb_lstm.py                      # generated reviews, well under a minute
    python examples/imdb_lstm.py --data ~/data --limit 5000 --max-len 200 --epochs 3
                                                      # <data>/aclImdb from ai.stanford.edu

The generated corpus mixes neutral filler with sentiment words; "not" flips the next one
("not good" is negative), so word order matters and a bag of words is not enough. Sequences
are packed by their true lengths, so padding never reaches the LSTM's final state.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import shenjing as sj  # noqa: E402
from shenjing.datasets.text import Vocabulary, get_tokenizer, numericalize  # noqa: E402
from shenjing.models.text import TextClassifier  # noqa: E402
from shenjing.nn import functional as F  # noqa: E402

POS = "good great excellent wonderful superb enjoyable brilliant moving".split()
NEG = "bad awful boring terrible dull poor weak forgettable".split()
FILLER = ("the movie film plot actors story was and it a of this i with scenes director "
          "script camera music ending cast about really quite very").split()


def generated_reviews(n: int, rng: np.random.Generator) -> tuple[list[str], list[int]]:
    """Reviews of 15-40 words; label 1 when the signed sentiment count is positive."""
    texts, labels = [], []
    while len(texts) < n:
        words, score = list(rng.choice(FILLER, int(rng.integers(12, 34)))), 0
        for _ in range(int(rng.integers(1, 4))):
            positive = rng.random() < 0.5
            word = str(rng.choice(POS if positive else NEG))
            sign = 1 if positive else -1
            pos = int(rng.integers(0, len(words) + 1))
            if rng.random() < 0.3:
                words[pos:pos] = ["not", word]
                sign = -sign
            else:
                words[pos:pos] = [word]
            score += sign
        if score != 0:
            texts.append(" ".join(words) + ("." if rng.random() < 0.5 else "!"))
            labels.append(int(score > 0))
    return texts, labels


def load_data(args: argparse.Namespace, rng: np.random.Generator) -> tuple:
    if args.data:
        from shenjing.datasets.imdb import load_imdb  # noqa: PLC0415

        splits = load_imdb(args.data)
        out = []
        for name in ("train", "test"):
            texts, labels = splits[name]
            keep = rng.permutation(len(texts))[:args.limit]
            out += [[texts[i] for i in keep], [labels[i] for i in keep]]
        return tuple(out)
    tr_x, tr_y = generated_reviews(args.n_train, rng)
    te_x, te_y = generated_reviews(args.n_train // 4, rng)
    return tr_x, tr_y, te_x, te_y


def encode(texts: list[str], vocab: Vocabulary, tok: object, max_len: int) -> tuple:
    ids = numericalize(texts, vocab, tok, length=max_len)
    lengths = np.array([min(max(len(tok(t)), 1), max_len) for t in texts], dtype=np.int64)
    return ids, lengths


def accuracy(model: TextClassifier, ids: np.ndarray, lengths: np.ndarray, labels: np.ndarray,
             batch: int = 256) -> float:
    model.eval()
    right = 0
    with sj.no_grad():
        for i in range(0, len(labels), batch):
            logits = model(sj.tensor(ids[i:i + batch]), lengths[i:i + batch])
            right += int((logits.argmax(1).numpy() == labels[i:i + batch]).sum())
    return right / max(1, len(labels))


def main(argv: list[str] | None = None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="folder holding aclImdb/ (else generated reviews)")
    ap.add_argument("--limit", type=int, default=5000, help="IMDB reviews per split")
    ap.add_argument("--n-train", type=int, default=2000, help="generated training reviews")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--max-len", type=int, default=None, help="default 200 (IMDB), 40")
    ap.add_argument("--vocab-size", type=int, default=10000)
    ap.add_argument("--embed", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=48)
    ap.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    ap.add_argument("--bidirectional", action="store_true")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    max_len = args.max_len or (200 if args.data else 40)
    sj.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    tr_x, tr_y, te_x, te_y = load_data(args, rng)
    tok = get_tokenizer("basic_english")
    vocab = Vocabulary.build((tok(t) for t in tr_x), min_freq=1, max_size=args.vocab_size)
    tr_ids, tr_len = encode(tr_x, vocab, tok, max_len)
    te_ids, te_len = encode(te_x, vocab, tok, max_len)
    tr_y, te_y = np.asarray(tr_y, dtype=np.int64), np.asarray(te_y, dtype=np.int64)
    print(f"{len(tr_y)} train / {len(te_y)} test reviews, vocabulary {len(vocab)}, "
          f"max length {max_len}")

    model = TextClassifier(len(vocab), 2, embed_dim=args.embed, hidden_size=args.hidden,
                           cell=args.cell, bidirectional=args.bidirectional,
                           padding_idx=vocab.pad_index)
    opt = sj.optim.Adam(model.parameters(), lr=args.lr)
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        perm = rng.permutation(len(tr_y))
        total = 0.0
        for i in range(0, len(perm), args.batch_size):
            b = perm[i:i + args.batch_size]
            loss = F.cross_entropy(model(sj.tensor(tr_ids[b]), tr_len[b]), sj.tensor(tr_y[b]))
            opt.zero_grad()
            loss.backward()
            sj.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            total += loss.item() * len(b)
        acc = accuracy(model, te_ids, te_len, te_y)
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {total / len(perm):.4f}, "
              f"test accuracy {acc:.3f} ({time.perf_counter() - t0:.1f}s)")
    print(f"final test accuracy {acc:.3f}")
    return acc


if __name__ == "__main__":
    main()
