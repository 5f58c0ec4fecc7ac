"""``keras.datasets.imdb``: IMDB reviews as lists of word indices, with Keras's conventions.

Keras's own ``imdb.npz`` is a preprocessed file of pickled object arrays; shenjing never
unpickles it. Instead the index lists are rebuilt from the original aclImdb tree (read by
``shenjing.datasets.IMDB``, downloaded and md5-checked when missing): each review is
lower-cased, ``<br />`` tags dropped, split into words (letters/digits with inner
apostrophes), and words are ranked by their frequency in the training split (rank 1 = the most
frequent; ties broken alphabetically). Test words absent from the training split are skipped,
as in Keras's file. The conventions are Keras's (0 pad, ``start_char``, ``oov_char``, indices
``rank + index_from``, ``num_words``, ``skip_top``, ``maxlen``, the seeded shuffle), but the
ranks come from our tokenisation, so indices differ from Keras's file.

The encoded reviews are cached in ``$SHENJING_HOME/keras/datasets/<path>`` as flat int32 token
arrays with offsets (no pickle), so only the first call tokenises the 50,000 reviews.
"""
from __future__ import annotations

import json
import os
import re
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

from ...datasets import IMDB
from ...datasets._download import DatasetError
from ...utils.atomic import atomic_open, atomic_write
from ._common import cache_path, torchvision_root

__all__ = ["load_data", "get_word_index", "tokenize"]

FORMAT = "shenjing-imdb-1"
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_TAG = re.compile(r"<[^>]{0,20}>")


def tokenize(text: str) -> list[str]:
    """Lower-case words of a review, HTML line breaks removed: ``"It's <br />GOOD!"`` ->
    ``["it's", "good"]``."""
    return _WORD.findall(_TAG.sub(" ", text.lower()))


def _encode(texts: list[str], index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Flat int32 ranks of every known word and int64 offsets (review i is flat[o[i]:o[i+1]])."""
    flat: list[int] = []
    offsets = [0]
    for t in texts:
        flat.extend(r for r in map(index.get, tokenize(t)) if r is not None)
        offsets.append(len(flat))
    return np.asarray(flat, np.int32), np.asarray(offsets, np.int64)


def _build(dest: Path) -> None:
    """Tokenise aclImdb, rank the training words, and write the cache ``.npz`` atomically."""
    root = torchvision_root()
    train = IMDB(root, "train", download=True)
    test = IMDB(root, "test")
    tokens = [tokenize(t) for t in train.texts]
    counts = Counter(w for toks in tokens for w in toks)
    words = sorted(counts, key=lambda w: (-counts[w], w))
    index = {w: r for r, w in enumerate(words, 1)}
    arrays: dict[str, np.ndarray] = {"format": np.asarray(FORMAT),
                                     "words": np.asarray(words, dtype=str)}
    flat = [index[w] for toks in tokens for w in toks]
    arrays["x_train_flat"] = np.asarray(flat, np.int32)
    arrays["x_train_offsets"] = np.cumsum([0] + [len(t) for t in tokens]).astype(np.int64)
    arrays["x_test_flat"], arrays["x_test_offsets"] = _encode(test.texts, index)
    arrays["y_train"] = np.asarray(train.targets, np.int64)
    arrays["y_test"] = np.asarray(test.targets, np.int64)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(dest, "wb", suffix=".npz", fsync=False) as f:
        np.savez(f, **arrays)


def _read(dest: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(dest, allow_pickle=False) as f:
            if "format" not in f.files:
                raise DatasetError(
                    f"{dest}: not shenjing's IMDB cache (keys {sorted(f.files)}); Keras's own "
                    "imdb.npz holds pickled object arrays, which shenjing does not load: delete "
                    "the file (it is rebuilt from aclImdb) or pass another path")
            out = {k: f[k] for k in f.files}
    except DatasetError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise DatasetError(f"{dest}: not a readable IMDB cache ({e}); delete it and it will be "
                           "rebuilt from aclImdb") from e
    if str(out["format"]) != FORMAT:
        raise DatasetError(f"{dest}: cache format {str(out['format'])!r}, expected {FORMAT!r}; "
                           "delete it and it will be rebuilt")
    return out


def _load_cache(path: str | os.PathLike) -> dict[str, np.ndarray]:
    dest = cache_path(path)
    if not dest.is_file():
        _build(dest)
    return _read(dest)


def _split(flat: np.ndarray, offsets: np.ndarray) -> list[list[int]]:
    if len(offsets) < 2:
        return []
    return [part.tolist() for part in np.split(flat.astype(np.int64), offsets[1:-1])]


def _remove_long(maxlen: int, xs: list[list[int]], ys: np.ndarray
                 ) -> tuple[list[list[int]], np.ndarray]:
    """Keep sequences strictly shorter than ``maxlen`` (Keras drops the others, whole)."""
    keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
    return [xs[i] for i in keep], np.asarray(ys)[keep].astype(np.int64)


def load_data(path: str | os.PathLike = "imdb.npz", num_words: int | None = None,
              skip_top: int = 0, maxlen: int | None = None, seed: int = 113,
              start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
              **kwargs: object) -> tuple[tuple[np.ndarray, np.ndarray],
                                         tuple[np.ndarray, np.ndarray]]:
    """IMDB as ``(x_train, y_train), (x_test, y_test)``: 25,000 reviews per split.

    x: an object array of int lists (word ``rank + index_from``, led by ``start_char``; words
    with ``rank + index_from`` outside ``[skip_top, num_words)`` become ``oov_char``, or are
    dropped when it is None); y: int64 0 (negative) / 1 (positive). Both splits are shuffled
    with ``np.random.RandomState(seed)``; ``maxlen`` drops sequences of ``maxlen`` or more.
    """
    if kwargs:
        raise TypeError(f"imdb.load_data: unrecognized keyword arguments: {sorted(kwargs)}")
    data = _load_cache(path)
    rng = np.random.RandomState(seed)
    splits = []
    for s in ("train", "test"):
        xs = _split(data[f"x_{s}_flat"], data[f"x_{s}_offsets"])
        ys = data[f"y_{s}"]
        order = np.arange(len(xs))
        rng.shuffle(order)
        xs, ys = [xs[i] for i in order], ys[order]
        if start_char is not None:
            xs = [[start_char] + [w + index_from for w in x] for x in xs]
        elif index_from:
            xs = [[w + index_from for w in x] for x in xs]
        splits.append((xs, ys))
    if maxlen:
        splits = [_remove_long(maxlen, xs, ys) for xs, ys in splits]
        if not splits[0][0] or not splits[1][0]:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                             "sequence was kept. Increase maxlen.")
    xs = splits[0][0] + splits[1][0]
    if not num_words:
        # as Keras: the largest index present; being an exclusive bound, that word turns oov
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    n = len(splits[0][0])
    out = []
    for part, ys in ((xs[:n], splits[0][1]), (xs[n:], splits[1][1])):
        arr = np.empty(len(part), dtype=object)
        arr[:] = part
        out.append((arr, np.asarray(ys, np.int64)))
    return out[0], out[1]


def get_word_index(path: str | os.PathLike = "imdb_word_index.json") -> dict[str, int]:
    """``{word: rank}`` of our IMDB encoding (rank 1 = the most frequent training word).

    The index lives in the ``imdb.npz`` cache; a JSON copy is written to ``path`` (relative to
    ``$SHENJING_HOME/keras/datasets``) for other tools.
    """
    words = _load_cache("imdb.npz")["words"].tolist()
    index = {w: r for r, w in enumerate(words, 1)}
    dest = cache_path(path)
    if not dest.is_file():
        atomic_write(dest, json.dumps(index), fsync=False)
    return index
