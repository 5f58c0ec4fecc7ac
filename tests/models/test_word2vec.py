"""Word2Vec on a generated corpus with planted relations: analogies, neighbours, file format."""
import numpy as np
import pytest

import shenjing as sj
from shenjing.models.word2vec import Word2Vec, planted_corpus

CAPITALS = {"paris", "berlin", "rome", "madrid", "tokyo", "beijing", "moscow", "cairo",
            "athens", "warsaw"}
ANALOGY_BAR = 0.7  # planted capital and family analogies, top-1, inputs excluded


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    sents, questions = planted_corpus(sentences_per_pair=30, seed=0)
    path = tmp_path_factory.mktemp("w2v") / "questions-words.txt"
    path.write_text(questions + ": unknown-words\nfoo bar baz qux\nparis france zzz italy\n")
    return sents, path


@pytest.fixture(scope="module")
def skipgram(corpus):
    model = Word2Vec(dim=32, window=3, negative=5, mode="skipgram", lr=0.1, batch_size=256,
                     seed=0)
    losses = model.train(corpus[0], epochs=20)
    return model, losses


def test_skipgram_learns_planted_analogies(skipgram, corpus):
    model, losses = skipgram
    assert losses[-1] < losses[0]
    res = model.evaluate_analogies(corpus[1])
    assert res["total"] == 180 and res["skipped"] == 2
    assert res["sections"]["unknown-words"] == {"correct": 0, "total": 0, "skipped": 2,
                                                "accuracy": 0.0}
    assert res["accuracy"] >= ANALOGY_BAR, res
    assert res["sections"]["capital-common-countries"]["accuracy"] >= ANALOGY_BAR
    assert res["sections"]["family"]["accuracy"] >= ANALOGY_BAR


def test_most_similar_finds_planted_neighbours(skipgram):
    model, _ = skipgram
    near = [w for w, _ in model.most_similar("paris", k=5)]
    assert "paris" not in near and len(CAPITALS.intersection(near)) >= 3, near
    assert model.analogy("king", "queen", "prince") == "princess"
    top = model.analogy("france", "paris", "italy", topn=3)
    assert top[0][0] == "rome" and top[0][1] >= top[1][1]
    sims = [s for _, s in model.most_similar("king", k=4)]
    assert sims == sorted(sims, reverse=True)
    with pytest.raises(KeyError, match="not in vocabulary"):
        model.most_similar("zzz")


def test_model_is_a_module_with_two_sparse_tables(skipgram):
    model, _ = skipgram
    names = [n for n, _ in model.named_parameters()]
    assert names == ["in_embed.weight", "out_embed.weight"]
    assert isinstance(model.in_embed, sj.nn.Embedding) and model.in_embed.sparse
    assert model.train(False) is model and not model.training  # nn.Module's train(mode)


def test_cbow_with_sparse_adam_trains(corpus):
    model = Word2Vec(dim=24, window=3, negative=4, mode="cbow", optimizer="sparse_adam",
                     lr=0.02, batch_size=256, seed=1)
    losses = model.train(corpus[0], epochs=10)
    assert losses[-1] < losses[0]
    assert model.evaluate_analogies(corpus[1])["accuracy"] >= ANALOGY_BAR


def test_subsampling_and_noise_distribution(corpus):
    model = Word2Vec(dim=8, sample=1e-3, seed=0)
    model.build_vocab(corpus[0])
    f = model.counts.astype(float)
    ids = np.repeat(np.arange(len(f)), model.counts)
    kept = np.bincount(ids[model._subsample(ids)], minlength=len(f)) / f
    top = int(np.argmax(f))  # the most frequent word is kept least often
    assert kept[top] < 0.3 and kept[top] < kept[int(np.argmin(f))]
    draws = np.bincount(model._noise(200000), minlength=len(f)) / 200000
    expect = f ** 0.75 / (f ** 0.75).sum()
    np.testing.assert_allclose(draws, expect, atol=0.01)


def test_word2vec_format_round_trip(skipgram, tmp_path):
    model, _ = skipgram
    path = tmp_path / "vectors.txt"
    model.save_word2vec_format(path)
    head = path.read_text().splitlines()[0]
    assert head == f"{len(model.vocab)} 32"
    loaded = Word2Vec.load_word2vec_format(path)
    assert loaded.vocab.itos == model.vocab.itos
    np.testing.assert_array_equal(loaded.vectors, model.vectors)
    assert loaded.most_similar("paris", 3) == model.most_similar("paris", 3)
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.txt"]
    (tmp_path / "bad.txt").write_text("2 3\na 1 2 3\n")
    with pytest.raises(ValueError, match="header says 2 words"):
        Word2Vec.load_word2vec_format(tmp_path / "bad.txt")


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode must be"):
        Word2Vec(mode="glove")
    with pytest.raises(ValueError, match="optimizer must be"):
        Word2Vec(optimizer="adam")
