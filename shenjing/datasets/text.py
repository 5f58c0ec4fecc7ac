"""Text tooling: tokenizers, a Vocabulary, numericalisation with pad/truncate, JSON save/load.

    tok = get_tokenizer("basic_english")
    vocab = Vocabulary.build([tok(line) for line in lines], min_freq=2)
    ids = pad_sequences([vocab.encode(tok(s)) for s in lines], 20, vocab.pad_index)
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from typing import Callable, Iterable, Sequence

import numpy as np

from ..utils.atomic import atomic_write

__all__ = ["basic_english", "char_tokenizer", "get_tokenizer", "Vocabulary", "numericalize",
           "pad_sequences"]

UNK, PAD = "<unk>", "<pad>"
_PUNCT = re.compile(r"([.,!?;:()\"'\[\]{}]|<br\s*/?>)")


def basic_english(text: str) -> list[str]:
    """Lowercase, drop ``<br />``, and split punctuation .,!?;:()"'[]{} into its own tokens.

    >>> basic_english("Hello, World! It's 9.")
    ['hello', ',', 'world', '!', 'it', "'", 's', '9', '.']
    """
    text = _PUNCT.sub(lambda m: " " if m.group(0).startswith("<") else f" {m.group(0)} ",
                      text.lower())
    return text.split()


def char_tokenizer(text: str) -> list[str]:
    """One token per character (spaces included)."""
    return list(text)


def get_tokenizer(name: str | Callable[[str], list[str]] | None) -> Callable[[str], list[str]]:
    """'basic_english', 'char', None (split on whitespace) or a callable, as a tokenizer."""
    if callable(name):
        return name
    if name is None or name == "split":
        return str.split
    table = {"basic_english": basic_english, "char": char_tokenizer}
    if name not in table:
        raise ValueError(f"get_tokenizer: unknown tokenizer {name!r}; expected one of "
                         f"{sorted(table)}, None or a callable")
    return table[name]


class Vocabulary:
    """Token <-> index map; specials first at fixed indices (``<unk>`` 0, ``<pad>`` 1).

    Unknown tokens map to ``<unk>``. Built tokens are ordered by frequency, ties by first
    appearance, so the same corpus always gives the same indices.
    """

    def __init__(self, itos: Sequence[str], unk_token: str | None = UNK,
                 pad_token: str | None = PAD) -> None:
        self.itos: list[str] = list(itos)
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("Vocabulary: tokens must be unique")
        for tok in (unk_token, pad_token):
            if tok is not None and tok not in self.stoi:
                raise ValueError(f"Vocabulary: special token {tok!r} is not in the token list")
        self.unk_token, self.pad_token = unk_token, pad_token
        self.unk_index = None if unk_token is None else self.stoi[unk_token]
        self.pad_index = None if pad_token is None else self.stoi[pad_token]
        self.freqs: dict[str, int] = {}

    @classmethod
    def build(cls, token_lists: Iterable[Iterable[str]], min_freq: int = 1,
              max_size: int | None = None, specials: Sequence[str] = (UNK, PAD)) -> "Vocabulary":
        """Count tokens; keep those seen >= ``min_freq`` times, at most ``max_size`` in total
        (specials included), most frequent first."""
        if min_freq < 1:
            raise ValueError(f"Vocabulary.build: min_freq must be >= 1, got {min_freq}")
        counts: Counter = Counter()
        for tokens in token_lists:
            counts.update(tokens)  # Counter keeps first-appearance order among equal counts
        ranked = sorted(((c, i, t) for i, (t, c) in enumerate(counts.items())
                         if c >= min_freq and t not in specials), key=lambda x: (-x[0], x[1]))
        words = [t for _, _, t in ranked]
        if max_size is not None:
            words = words[: max(0, max_size - len(specials))]
        vocab = cls(list(specials) + words, UNK if UNK in specials else None,
                    PAD if PAD in specials else None)
        vocab.freqs = {t: counts[t] for t in words}
        return vocab

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        idx = self.stoi.get(token, self.unk_index)
        if idx is None:
            raise KeyError(f"Vocabulary: token {token!r} not found and there is no <unk> token")
        return idx

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Indices of ``tokens`` (unknown ones -> ``unk_index``)."""
        get, unk = self.stoi.get, self.unk_index
        out = [get(t, unk) for t in tokens]
        if unk is None and None in out:
            bad = next(t for t in tokens if t not in self.stoi)
            raise KeyError(f"Vocabulary: token {bad!r} not found and there is no <unk> token")
        return out

    lookup_indices = encode

    def decode(self, ids: Iterable[int], skip_pad: bool = False) -> list[str]:
        """Tokens of ``ids`` (optionally without padding)."""
        n = len(self.itos)
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < n:
                raise IndexError(f"Vocabulary: index {i} is out of range for a vocabulary of {n}")
            if skip_pad and i == self.pad_index:
                continue
            out.append(self.itos[i])
        return out

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)}, unk={self.unk_token!r}, pad={self.pad_token!r})"

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        return {"itos": self.itos, "unk_token": self.unk_token, "pad_token": self.pad_token,
                "freqs": self.freqs}

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON, atomically (a temp file renamed over ``path``)."""
        atomic_write(path, json.dumps(self.to_dict(), ensure_ascii=False), fsync=False)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        if not isinstance(d, dict) or "itos" not in d:
            raise ValueError(f"Vocabulary.load: {path} is not a saved vocabulary (no 'itos')")
        vocab = cls(d["itos"], d.get("unk_token"), d.get("pad_token"))
        vocab.freqs = dict(d.get("freqs", {}))
        return vocab


def pad_sequences(seqs: Sequence[Sequence[int]], length: int, pad_value: int = 1,
                  padding: str = "post", truncating: str = "post") -> np.ndarray:
    """(N, length) int64 array: each sequence cut and padded to ``length``.

    ``padding``/``truncating`` 'post' works at the end, 'pre' at the start.
    """
    for name, v in (("padding", padding), ("truncating", truncating)):
        if v not in ("pre", "post"):
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {v!r}")
    if length < 0:
        raise ValueError(f"pad_sequences: length must be >= 0, got {length}")
    out = np.full((len(seqs), length), pad_value, dtype=np.int64)
    for r, s in enumerate(seqs):  # one slice per sequence; fine for text pipelines
        s = list(s)
        s = (s[:length] if truncating == "post" else s[max(0, len(s) - length):]) if length \
            else []
        if s:
            if padding == "post":
                out[r, :len(s)] = s
            else:
                out[r, length - len(s):] = s
    return out


def numericalize(texts: Iterable[str], vocab: Vocabulary,
                 tokenizer: str | Callable[[str], list[str]] | None = "basic_english",
                 length: int | None = None, padding: str = "post",
                 truncating: str = "post") -> list[list[int]] | np.ndarray:
    """Tokenise and encode ``texts``; with ``length``, pad/truncate into an int64 array."""
    tok = get_tokenizer(tokenizer)
    ids = [vocab.encode(tok(t)) for t in texts]
    if length is None:
        return ids
    pad = vocab.pad_index if vocab.pad_index is not None else 0
    return pad_sequences(ids, length, pad, padding, truncating)
