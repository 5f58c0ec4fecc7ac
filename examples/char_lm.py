"""A character-level LSTM language model: train on a small text, then sample from it.

    python examples/char_lm.py                       # a built-in rhyme, about half a minute
    python examples/char_lm.py --text-file book.txt --epochs 20 --hidden 256 --seq-len 100

Samples are printed greedily (temperature 0) and at temperatures 0.5 and 1.0 with top-k.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import shenjing as sj  # noqa: E402
from shenjing.models.text import CharLM  # noqa: E402

TEXT = """twinkle, twinkle, little star,
how I wonder what you are!
up above the world so high,
like a diamond in the sky.
twinkle, twinkle, little star,
how I wonder what you are!
"""


def main(argv: list[str] | None = None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text-file", help="train on this UTF-8 file instead of the rhyme")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seq-len", type=int, default=32)
    ap.add_argument("--stride", type=int, default=4, help="window step (default 4)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=96)
    ap.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--length", type=int, default=120, help="characters to sample")
    ap.add_argument("--prefix", default="twinkle")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    sj.manual_seed(args.seed)
    if args.text_file:
        with open(args.text_file, encoding="utf-8") as f:
            text = f.read()
    else:
        text = TEXT
    model = CharLM.from_text(text, embed_dim=24, hidden_size=args.hidden, cell=args.cell)
    prefix = args.prefix if all(c in model._index for c in args.prefix) else text[:8]
    t0 = time.perf_counter()
    losses = model.train_text(text, epochs=args.epochs, seq_len=args.seq_len,
                              batch_size=args.batch_size, lr=args.lr, stride=args.stride,
                              seed=args.seed)
    print(f"{len(text)} characters, alphabet of {model.vocab_size}, {args.epochs} epochs in "
          f"{time.perf_counter() - t0:.1f}s: loss {losses[0]:.3f} -> {losses[-1]:.4f}")
    for temp, k in ((0.0, None), (0.5, 5), (1.0, 10)):
        out = model.sample(prefix, args.length, temperature=temp, top_k=k, seed=args.seed)
        print(f"--- temperature {temp}" + (f", top_k {k}" if k else "") + f":\n{out}")
    print(f"final loss {losses[-1]:.4f}")
    return losses[-1]


if __name__ == "__main__":
    main()
