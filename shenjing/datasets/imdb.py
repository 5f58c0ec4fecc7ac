"""IMDB movie reviews (Maas et al. 2011) from the aclImdb folder tree.

Layout: ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``, one review per file; ratings
1-4 are negative, 7-10 positive. Labels are 0 (neg) and 1 (pos), as Keras gives them.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable

from ..utils.data import Dataset
from ._download import DatasetError, Resource, default_root, download_resources, extract_archive

__all__ = ["IMDB", "load_imdb"]

URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
MD5 = "7c2ac02c03563afcf9b574c7e56c153a"
_NAME = re.compile(r"^(\d+)_(\d+)\.txt$")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?.,;:]")


def _basic_english(text: str) -> list[str]:
    """Fallback tokenizer: lower-case words and punctuation marks, ``<br />`` removed."""
    return _TOKEN.findall(text.replace("<br />", " ").lower())


def _tokenizer(name: str) -> Callable[[str], list[str]]:
    try:
        from .text import get_tokenizer  # noqa: PLC0415 - optional sibling module
    except ImportError:
        if name != "basic_english":
            raise ValueError(f"IMDB: unknown tokenizer {name!r}; pass 'basic_english' or a "
                             "callable") from None
        return _basic_english
    return get_tokenizer(name)


def _read_split(folder: Path) -> tuple[list[str], list[int], list[int]]:
    texts, labels, ratings = [], [], []
    for label, sub in ((0, "neg"), (1, "pos")):
        d = folder / sub
        if not d.is_dir():
            raise DatasetError(f"IMDB: folder {d} not found; expected aclImdb/<split>/pos and "
                               f"/neg (download {URL}, md5 {MD5}, and unpack it)")
        entries = []
        for p in d.iterdir():
            m = _NAME.match(p.name)
            if m is None:
                raise DatasetError(f"IMDB: unexpected file {p}: review files are named "
                                   "<id>_<rating>.txt")
            entries.append((int(m.group(1)), int(m.group(2)), p))
        for _, rating, p in sorted(entries):
            try:
                texts.append(p.read_text(encoding="utf-8", errors="replace"))
            except OSError as e:
                raise DatasetError(f"IMDB: cannot read {p} ({e})") from e
            labels.append(label)
            ratings.append(rating)
    return texts, labels, ratings


class IMDB(Dataset):
    """IMDB reviews for sentiment: a sample is ``(text, label)``, label 0 = neg, 1 = pos.

    ``tokenizer`` (a callable, or a name such as ``"basic_english"`` for
    ``shenjing.datasets.text.get_tokenizer``) turns each text into a token list; ``vocab`` then
    maps tokens to indices: shenjing's Vocabulary (``encode``), torchtext's
    (``lookup_indices``), or a callable on the token list. ``build_vocab`` makes one from this
    split. Texts are read once; tokenising happens per sample.
    """

    classes = ["neg", "pos"]

    def __init__(self, root: str | os.PathLike | None = None, split: str = "train",
                 tokenizer: Callable[[str], list[str]] | str | None = None, vocab: Any = None,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"IMDB: split must be 'train' or 'test', got {split!r}")
        self.root = default_root(root)
        self.split = split
        self.tokenizer = _tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer
        self.vocab = vocab
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()
        self.texts, self.targets, self.ratings = _read_split(self.root / "aclImdb" / split)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def download(self) -> None:
        """Fetch and unpack aclImdb_v1.tar.gz (md5-checked) unless aclImdb is already there."""
        folder = self.root / "aclImdb"
        if all((folder / s / c).is_dir() for s in ("train", "test") for c in ("pos", "neg")):
            return
        res = Resource("aclImdb_v1.tar.gz", (URL,), "md5:" + MD5)
        (archive,) = download_resources([res], self.root, "IMDB")
        extract_archive(archive, self.root, top="aclImdb")

    def encode(self, text: str) -> Any:
        """Tokenise ``text`` and map it through ``vocab`` (each step only if configured)."""
        out: Any = text
        if self.tokenizer is not None:
            out = self.tokenizer(out)
        if self.vocab is not None:
            if self.tokenizer is None:
                raise ValueError("IMDB: a vocab needs a tokenizer to split the text first")
            look = (getattr(self.vocab, "encode", None)
                    or getattr(self.vocab, "lookup_indices", None) or self.vocab)
            out = look(out)
        return out

    def build_vocab(self, min_freq: int = 1, max_size: int | None = None) -> Any:
        """A shenjing Vocabulary of this split's tokens (needs a tokenizer), set as ``vocab``."""
        from .text import Vocabulary  # noqa: PLC0415 - optional sibling module

        if self.tokenizer is None:
            raise ValueError("IMDB.build_vocab: pass a tokenizer, e.g. tokenizer='basic_english'")
        self.vocab = Vocabulary.build((self.tokenizer(t) for t in self.texts), min_freq,
                                      max_size)
        return self.vocab

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        x, target = self.encode(self.texts[index]), self.targets[index]
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return x, target


def load_imdb(root: str | os.PathLike | None = None,
              download: bool = False) -> dict[str, tuple[list[str], list[int]]]:
    """Both splits as raw texts and 0/1 labels: ``{"train": (texts, labels), "test": ...}``."""
    train = IMDB(root, "train", download=download)
    test = IMDB(root, "test")
    return {"train": (train.texts, train.targets), "test": (test.texts, test.targets)}
