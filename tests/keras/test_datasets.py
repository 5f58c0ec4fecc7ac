"""keras.datasets loaders on small files generated in the exact published formats, in a
temporary $SHENJING_HOME; the network is blocked, so a missing file must give the downloader's
clear offline error. Keras 3 itself (torch backend) is the oracle for the IMDB conventions."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from shenjing import keras as sk
from shenjing.datasets import DatasetError, DownloadError
from shenjing.keras.datasets import cifar10, cifar100, fashion_mnist, imdb, mnist


@pytest.fixture(autouse=True)
def net(monkeypatch):
    """No network: any download attempt fails as offline; the URLs tried are recorded."""
    calls = []

    def offline(req, *args, **kwargs):
        calls.append(getattr(req, "full_url", req))
        raise urllib.error.URLError("network is unreachable (blocked by the test)")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    return calls


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh, empty cache folder."""
    monkeypatch.setenv("SHENJING_HOME", str(tmp_path))
    return tmp_path


def test_reachable_from_the_keras_face():
    assert sk.datasets.mnist.load_data is mnist.load_data
    assert sk.datasets.imdb.get_word_index is imdb.get_word_index


# ----------------------------------------------------------------- MNIST / Fashion-MNIST
def make_digits(seed=0, n_train=7, n_test=3):
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28)).astype(np.uint8),
            "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28)).astype(np.uint8),
            "y_test": rng.integers(0, 10, n_test).astype(np.uint8)}


def write_npz(path: Path, arrays: dict, **kw) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays, **kw)
    path.write_bytes(buf.getvalue())
    return hashlib.sha256(buf.getvalue()).hexdigest()


def idx(arr: np.ndarray) -> bytes:
    return bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big")
                                                 for d in arr.shape) + arr.tobytes()


def write_idx(raw: Path, arrays: dict, gz=True) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        for kind, key in (("images-idx3", "x_"), ("labels-idx1", "y_")):
            b = idx(arrays[key + split])
            name = f"{prefix}-{kind}-ubyte"
            if gz:
                (raw / (name + ".gz")).write_bytes(gzip.compress(b))
            else:
                (raw / name).write_bytes(b)


def check_digits(got, ref):
    (xt, yt), (xv, yv) = got
    for arr, key in ((xt, "x_train"), (yt, "y_train"), (xv, "x_test"), (yv, "y_test")):
        assert isinstance(arr, np.ndarray) and arr.dtype == np.uint8, key
        np.testing.assert_array_equal(arr, ref[key])
    assert xt.shape == (len(ref["y_train"]), 28, 28) and yt.shape == (len(ref["y_train"]),)


def test_mnist_from_keras_npz(home, net, monkeypatch):
    ref = make_digits()
    sha = write_npz(home / "keras" / "datasets" / "mnist.npz", ref)
    monkeypatch.setattr(mnist, "SHA256", sha)
    check_digits(mnist.load_data(), ref)
    # ``path`` is relative to the cache folder, or absolute
    sha2 = write_npz(home / "elsewhere" / "m.npz", make_digits(1))
    monkeypatch.setattr(mnist, "SHA256", sha2)
    check_digits(mnist.load_data(path=home / "elsewhere" / "m.npz"), make_digits(1))
    assert net == []


def test_mnist_npz_with_wrong_checksum_is_downloaded_again_and_offline_explains(home, net):
    write_npz(home / "keras" / "datasets" / "mnist.npz", make_digits())  # not Keras's sha256
    with pytest.raises(DownloadError) as e:
        mnist.load_data()
    msg = str(e.value)
    assert "mnist.npz" in msg and str(home / "keras" / "datasets") in msg
    assert mnist.SHA256 in msg and "offline" in msg and "IDX" in msg
    assert net == ["https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"]


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_uses_torchvision_idx_files_in_the_cache(home, net, gz):
    ref = make_digits(2)
    write_idx(home / "datasets" / "MNIST" / "raw", ref, gz=gz)
    check_digits(mnist.load_data(), ref)
    assert net == []


def test_mnist_npz_refuses_pickles_and_bad_arrays(home, monkeypatch, tmp_path):
    marker = tmp_path / "PWNED"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    evil = make_digits()
    evil["y_train"] = np.array([Evil()], dtype=object)
    sha = write_npz(home / "keras" / "datasets" / "mnist.npz", evil)
    monkeypatch.setattr(mnist, "SHA256", sha)
    with pytest.raises(DatasetError, match=r"mnist.npz: not a readable .npz.*pickle"):
        mnist.load_data()
    assert not marker.exists()
    bad = make_digits()
    bad["x_test"] = bad["x_test"][:, :27].astype(np.float32)
    monkeypatch.setattr(mnist, "SHA256", write_npz(home / "keras/datasets/b.npz", bad))
    with pytest.raises(DatasetError, match=r"x_test uint8 of shape \(N, 28, 28\).*float32"):
        mnist.load_data("b.npz")
    del bad["y_train"]
    monkeypatch.setattr(mnist, "SHA256", write_npz(home / "keras/datasets/c.npz", bad))
    with pytest.raises(DatasetError, match="missing y_train"):
        mnist.load_data("c.npz")


def test_fashion_mnist(home, net):
    with pytest.raises(DownloadError) as e:
        fashion_mnist.load_data()
    msg = str(e.value)
    assert "Fashion-MNIST" in msg and str(home / "datasets" / "FashionMNIST" / "raw") in msg
    assert "train-images-idx3-ubyte.gz" in msg and "8d4fb7e6c68d591d4c3dfef9ec88bf0d" in msg
    # both mirrors were tried: Zalando's, then Keras's
    assert any("tf-keras-datasets" in u for u in net) and len(net) == 2
    ref = make_digits(3, n_train=5, n_test=2)
    write_idx(home / "datasets" / "FashionMNIST" / "raw", ref)
    check_digits(fashion_mnist.load_data(), ref)


# ----------------------------------------------------------------- CIFAR
def cifar_dict(n, rng, keys=(b"labels",), high=(10,)):
    d = {b"batch_label": b"batch", b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8),
         b"filenames": [b"f%d.png" % i for i in range(n)]}
    for k, h in zip(keys, high):
        d[k] = rng.integers(0, h, n).tolist()
    return d


def write_cifar10(home: Path) -> dict:
    rng = np.random.default_rng(0)
    folder = home / "datasets" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {f"data_batch_{i}": cifar_dict(n, rng) for i, n in enumerate((2, 1, 3, 1, 2), 1)}
    batches["test_batch"] = cifar_dict(4, rng)
    for name, d in batches.items():
        (folder / name).write_bytes(pickle.dumps(d, protocol=2))
    meta = {b"label_names": [b"c%d" % i for i in range(10)]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return batches


def planar_to_hwc(data: np.ndarray) -> np.ndarray:
    # Keras: reshape (N, 3, 32, 32) then transpose to channels_last
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def test_cifar10_channels_last_uint8(home):
    with pytest.raises(DownloadError, match=r"cifar-10-python.tar.gz.*c58f30108f718f92721af"):
        cifar10.load_data()
    batches = write_cifar10(home)
    (xt, yt), (xv, yv) = cifar10.load_data()
    assert xt.shape == (9, 32, 32, 3) and xt.dtype == np.uint8
    assert yt.shape == (9, 1) and yt.dtype == np.uint8 and yv.shape == (4, 1)
    train = [batches[f"data_batch_{i}"] for i in range(1, 6)]
    np.testing.assert_array_equal(xt, planar_to_hwc(np.concatenate([b[b"data"] for b in train])))
    np.testing.assert_array_equal(yt[:, 0], sum((b[b"labels"] for b in train), []))
    np.testing.assert_array_equal(xv, planar_to_hwc(batches["test_batch"][b"data"]))
    np.testing.assert_array_equal(yv[:, 0], batches["test_batch"][b"labels"])


def test_cifar10_refuses_malicious_pickle(home, tmp_path):
    write_cifar10(home)
    marker = tmp_path / "PWNED"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    d = cifar_dict(1, np.random.default_rng(0))
    d[b"labels"] = Evil()
    (home / "datasets" / "cifar-10-batches-py" / "data_batch_2").write_bytes(pickle.dumps(d))
    with pytest.raises(DatasetError, match="data_batch_2.*not allowed"):
        cifar10.load_data()
    assert not marker.exists()


def test_cifar100_fine_coarse(home):
    rng = np.random.default_rng(1)
    folder = home / "datasets" / "cifar-100-python"
    folder.mkdir(parents=True)
    ds = {}
    for name, n in (("train", 5), ("test", 3)):
        ds[name] = cifar_dict(n, rng, (b"fine_labels", b"coarse_labels"), (100, 20))
        (folder / name).write_bytes(pickle.dumps(ds[name], protocol=2))
    meta = {b"fine_label_names": [b"f%d" % i for i in range(100)],
            b"coarse_label_names": [b"c%d" % i for i in range(20)]}
    (folder / "meta").write_bytes(pickle.dumps(meta, protocol=2))
    (xt, yt), (xv, yv) = cifar100.load_data()
    assert xt.shape == (5, 32, 32, 3) and xt.dtype == np.uint8 and xv.shape == (3, 32, 32, 3)
    assert yt.shape == (5, 1) and yt.dtype == np.int64  # Keras reshapes a list: int64
    np.testing.assert_array_equal(yt[:, 0], ds["train"][b"fine_labels"])
    np.testing.assert_array_equal(xt, planar_to_hwc(ds["train"][b"data"]))
    _, (_, yc) = cifar100.load_data(label_mode="coarse")
    np.testing.assert_array_equal(yc[:, 0], ds["test"][b"coarse_labels"])
    with pytest.raises(ValueError, match=r"`label_mode` must be one of.*Received: label_mode=x"):
        cifar100.load_data("x")


# ----------------------------------------------------------------- IMDB
REVIEWS = {
    "train/pos/0_9.txt": "A great film, a GREAT cast.<br /><br />It's great!",
    "train/pos/1_8.txt": "Great acting and a fine story",
    "train/pos/2_10.txt": "the film is the best film",
    "train/neg/0_1.txt": "Awful film. A bore, a waste",
    "train/neg/1_2.txt": "bad bad bad acting",
    "train/neg/2_3.txt": "the story is dull",
    "test/pos/0_10.txt": "A great story, unseenword great",
    "test/pos/1_7.txt": "fine film",
    "test/neg/0_2.txt": "bad film, bad story and a bore",
    "test/neg/1_4.txt": "dull",
}


def write_aclimdb(home: Path) -> None:
    for rel, text in REVIEWS.items():
        p = home / "datasets" / "aclImdb" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def expected_index() -> dict:
    counts: dict = {}
    for rel, text in REVIEWS.items():
        if rel.startswith("train"):
            for w in imdb.tokenize(text):
                counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    return {w: i for i, w in enumerate(ranked, 1)}


def test_tokenize():
    assert imdb.tokenize("It's <br />GOOD, isn't it?!") == ["it's", "good", "isn't", "it"]


def test_imdb_word_index_and_default_encoding(home):
    write_aclimdb(home)
    wi = imdb.get_word_index()
    assert wi == expected_index()
    # 'a' 5 times; 'film' and 'great' 4 each (ties alphabetical); test-only words absent
    assert wi["a"] == 1 and wi["film"] == 2 and wi["great"] == 3 and "unseenword" not in wi
    assert json.loads((home / "keras/datasets/imdb_word_index.json").read_text()) == wi
    (xt, yt), (xv, yv) = imdb.load_data()
    assert xt.dtype == object and xt.shape == (6,) and xv.shape == (4,)
    assert yt.dtype == np.int64 and sorted(yt.tolist()) == [0, 0, 0, 1, 1, 1]
    inverse = {i + 3: w for w, i in wi.items()}
    decoded = sorted(" ".join(inverse.get(i, "?") for i in x[1:]) for x in xv)
    assert all(x[0] == 1 for x in xv) and all(type(i) is int for i in xv[0])
    # the largest index is an exclusive bound as in Keras (so it became oov, 2); the unseen
    # test word was skipped
    top = max(wi.values()) + 3
    assert "unseenword" not in " ".join(decoded) and all(i != top for x in xt for i in x)
    assert "a great story great" in decoded and "dull" in decoded


def test_imdb_labels_follow_the_reviews(home):
    write_aclimdb(home)
    (xt, yt), _ = imdb.load_data(num_words=1000, start_char=None, index_from=0)
    inverse = {i: w for w, i in imdb.get_word_index().items()}
    for x, y in zip(xt, yt):
        text = " ".join(inverse[i] for i in x)
        match = [rel for rel, t in REVIEWS.items()
                 if rel.startswith("train") and " ".join(imdb.tokenize(t)) == text]
        assert len(match) == 1 and ("/pos/" in match[0]) == bool(y)


def test_imdb_against_keras_on_the_same_ranks(home, monkeypatch):
    """Keras's own load_data on an imdb.npz of our ranks must give our output exactly."""
    write_aclimdb(home)
    imdb.load_data()
    data = imdb._read(home / "keras" / "datasets" / "imdb.npz")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    kimdb = pytest.importorskip("keras.src.datasets.imdb")
    raw = {}
    for s in ("train", "test"):
        seqs = imdb._split(data[f"x_{s}_flat"], data[f"x_{s}_offsets"])
        arr = np.empty(len(seqs), dtype=object)
        arr[:] = seqs
        raw[f"x_{s}"], raw[f"y_{s}"] = arr, data[f"y_{s}"]
    ref = home / "keras_ref.npz"
    np.savez(ref, **raw)  # object arrays: a pickle we made ourselves, for Keras's reader
    monkeypatch.setattr(kimdb, "get_file", lambda *a, **k: str(ref))
    for kw in ({}, {"num_words": 8, "skip_top": 2}, {"maxlen": 8, "seed": 5},
               {"oov_char": None, "num_words": 10}, {"start_char": None, "index_from": 0},
               {"start_char": 7, "index_from": 5, "num_words": 12, "maxlen": 9}):
        ours, theirs = imdb.load_data(**kw), kimdb.load_data(**kw)
        for (xo, yo), (xk, yk) in zip(ours, theirs):
            assert [list(x) for x in xo] == [list(x) for x in xk], kw
            np.testing.assert_array_equal(yo, yk)
            assert yo.dtype == yk.dtype and xo.dtype == xk.dtype
    assert keras is not None


def test_imdb_cache_is_reused_and_checked(home):
    write_aclimdb(home)
    first = imdb.load_data(seed=1)
    cache = home / "keras" / "datasets" / "imdb.npz"
    assert cache.is_file()
    with np.load(cache, allow_pickle=False) as f:  # plain arrays only
        assert f["x_train_flat"].dtype == np.int32 and str(f["format"]) == imdb.FORMAT
    # the cache is used: the tree can go
    for p in sorted((home / "datasets" / "aclImdb").rglob("*.txt")):
        p.unlink()
    again = imdb.load_data(seed=1)
    assert [list(x) for x in again[0][0]] == [list(x) for x in first[0][0]]
    other = imdb.load_data(seed=2)
    assert [list(x) for x in other[0][0]] != [list(x) for x in first[0][0]]
    # Keras's own file (pickled object arrays) in its place is refused, not unpickled
    write_npz(cache, {"x_train": np.array([[1, 2], [3]], dtype=object),
                      "y_train": np.zeros(2, np.int64)})
    with pytest.raises(DatasetError, match="Keras's own imdb.npz holds pickled object arrays"):
        imdb.load_data()
    cache.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DatasetError, match="not a readable IMDB cache"):
        imdb.load_data()


def test_imdb_errors(home):
    with pytest.raises(DownloadError, match=r"aclImdb_v1.tar.gz.*7c2ac02c03563afcf9b574c7e"):
        imdb.load_data()
    write_aclimdb(home)
    with pytest.raises(ValueError, match="maxlen=2, no sequence was kept"):
        imdb.load_data(maxlen=2)
    with pytest.raises(TypeError, match="unrecognized keyword arguments"):
        imdb.load_data(nb_words=10)
