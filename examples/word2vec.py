"""Skip-gram with negative sampling on shenjing: analogy accuracy and nearest neighbours.

    python examples/word2vec.py                       # generated corpus with planted relations
    python examples/word2vec.py corpus.txt [questions-words.txt] [--epochs 5] [--dim 100]
                                [--min-count 5]

A text file is read one sentence per line and tokenised with basic_english.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from shenjing.datasets.text import basic_english  # noqa: E402
from shenjing.models.word2vec import Word2Vec, planted_corpus  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", help="text file, one sentence per line")
    ap.add_argument("questions", nargs="?", help="analogy file in questions-words format")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--dim", type=int, default=None)
    ap.add_argument("--min-count", type=int, default=5, help="for a text corpus")
    ap.add_argument("--mode", choices=["skipgram", "cbow"], default="skipgram")
    args = ap.parse_args(argv)
    questions = args.questions
    if args.corpus:
        with open(args.corpus, encoding="utf-8") as f:
            sents = [basic_english(line) for line in f if line.strip()]
        model = Word2Vec(dim=args.dim or 100, window=5, negative=5, mode=args.mode,
                         min_count=args.min_count, lr=0.025)
        epochs = args.epochs or 5
        probes = [w for w, _ in sorted(model_counts(sents).items(), key=lambda x: -x[1])[:3]]
    else:
        sents, qtext = planted_corpus(sentences_per_pair=30, seed=0)
        fd, questions = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(fd, "w") as f:
            f.write(qtext)
        model = Word2Vec(dim=args.dim or 32, window=3, negative=5, mode=args.mode, lr=0.1,
                         batch_size=256, seed=0)
        epochs = args.epochs or 20
        probes = ["paris", "king", "sister"]
    t0 = time.perf_counter()
    losses = model.train(sents, epochs=epochs)
    dt = time.perf_counter() - t0
    print(f"vocabulary {len(model.vocab)} words, {epochs} epochs in {dt:.1f}s, "
          f"loss per pair {losses[0]:.3f} -> {losses[-1]:.3f}")
    result = {}
    if questions:
        result = model.evaluate_analogies(questions)
        print(f"analogy accuracy {result['accuracy']:.3f} ({result['correct']}/{result['total']}"
              f", {result['skipped']} skipped)")
        for name, sec in result["sections"].items():
            print(f"  {name}: {sec['accuracy']:.3f} ({sec['correct']}/{sec['total']})")
        if not args.questions:
            os.remove(questions)
    for w in probes:
        if w in model:
            near = ", ".join(f"{x} {s:.2f}" for x, s in model.most_similar(w, 5))
            print(f"nearest to {w!r}: {near}")
    return result


def model_counts(sents: list[list[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in sents:
        for w in s:
            counts[w] = counts.get(w, 0) + 1
    return counts


if __name__ == "__main__":
    main()
