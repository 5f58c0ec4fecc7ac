"""Text tooling: tokenizers, Vocabulary (order, specials, unk), padding, JSON round trip."""
import json
import os

import numpy as np
import pytest

from shenjing.datasets.text import (Vocabulary, basic_english, char_tokenizer, get_tokenizer,
                                    numericalize, pad_sequences)


def test_tokenizers():
    assert basic_english("Hello, World!<br />It's (fine).") == \
        ["hello", ",", "world", "!", "it", "'", "s", "(", "fine", ")", "."]
    assert char_tokenizer("ab c") == ["a", "b", " ", "c"]
    assert get_tokenizer(None)("a  b") == ["a", "b"]
    assert get_tokenizer("char") is char_tokenizer
    with pytest.raises(ValueError, match="unknown tokenizer"):
        get_tokenizer("spacy_xx")


CORPUS = [["b", "a", "c", "a"], ["c", "d", "a", "e"], ["b", "e", "f"]]


def test_vocabulary_order_specials_and_unknowns():
    v = Vocabulary.build(CORPUS)
    # a:3; b, c, e: 2 (first seen in that order); d, f: 1
    assert v.itos == ["<unk>", "<pad>", "a", "b", "c", "e", "d", "f"]
    assert v.unk_index == 0 and v.pad_index == 1 and len(v) == 8
    assert v.stoi["c"] == 4 and v["zzz"] == 0 and "a" in v and "zzz" not in v
    assert v.encode(["a", "zzz", "f"]) == [2, 0, 7]
    assert v.decode([2, 1, 7], skip_pad=True) == ["a", "f"]
    with pytest.raises(IndexError, match="out of range"):
        v.decode([99])


def test_vocabulary_min_freq_and_max_size():
    v = Vocabulary.build(CORPUS, min_freq=2)
    assert v.itos == ["<unk>", "<pad>", "a", "b", "c", "e"]
    v = Vocabulary.build(CORPUS, max_size=4)
    assert v.itos == ["<unk>", "<pad>", "a", "b"] and v.encode(["c"]) == [0]
    with pytest.raises(ValueError, match="min_freq"):
        Vocabulary.build(CORPUS, min_freq=0)


def test_pad_and_truncate():
    seqs = [[5, 6, 7], [8], []]
    np.testing.assert_array_equal(pad_sequences(seqs, 2), [[5, 6], [8, 1], [1, 1]])
    np.testing.assert_array_equal(pad_sequences(seqs, 2, 0, padding="pre", truncating="pre"),
                                  [[6, 7], [0, 8], [0, 0]])
    assert pad_sequences(seqs, 4).dtype == np.int64
    with pytest.raises(ValueError, match="'pre' or 'post'"):
        pad_sequences(seqs, 2, padding="mid")


def test_numericalize():
    v = Vocabulary.build([basic_english("the cat sat. the dog")])
    out = numericalize(["The cat ran", "dog"], v, length=4)
    assert out.tolist() == [[v["the"], v["cat"], 0, 1], [v["dog"], 1, 1, 1]]


def test_save_load_round_trip(tmp_path):
    v = Vocabulary.build(CORPUS)
    path = tmp_path / "vocab.json"
    v.save(path)
    assert json.loads(path.read_text())["itos"][0] == "<unk>"
    w = Vocabulary.load(path)
    assert w.itos == v.itos and w.stoi == v.stoi and w.unk_index == 0 and w.freqs == v.freqs
    assert [p.name for p in tmp_path.iterdir()] == ["vocab.json"]  # no temp file left
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a saved vocabulary"):
        Vocabulary.load(tmp_path / "bad.json")
    assert os.path.exists(path)
