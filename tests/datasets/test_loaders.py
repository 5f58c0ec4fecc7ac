"""Data set readers on small files generated here in the exact published formats."""
from __future__ import annotations

import gzip
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import shenjing
from shenjing.datasets import (CIFAR10, CIFAR100, IMDB, MNIST, CorruptImageWarning, CSVDataset,
                               DatasetError, FashionMNIST, ImageFolder, load_imdb, load_text8)
from shenjing.datasets import transforms as T
from shenjing.datasets.cifar import read_cifar_batch
from shenjing.datasets.mnist import read_idx
from shenjing.utils.data import DataLoader

Image = pytest.importorskip("PIL.Image")


# ----------------------------------------------------------------- IDX / MNIST
def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    head = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    dt = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    return head + arr.astype(dt).tobytes()


def write_mnist(root: Path, n_train=6, n_test=4, folder="MNIST", gz=True, seed=0):
    rng = np.random.default_rng(seed)
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        y = rng.integers(0, 10, n).astype(np.uint8)
        for kind, arr in (("images-idx3", x), ("labels-idx1", y)):
            b = idx_bytes(arr)
            name = f"{split}-{kind}-ubyte"
            if gz:
                (raw / (name + ".gz")).write_bytes(gzip.compress(b))
            else:
                (raw / name).write_bytes(b)
        out[split] = (x, y)
    return out


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_idx(tmp_path, gz):
    ref = write_mnist(tmp_path, gz=gz)
    ds = MNIST(tmp_path, train=True)
    assert len(ds) == 6 and ds.data.dtype == shenjing.uint8 and ds.targets.dtype == shenjing.int64
    np.testing.assert_array_equal(ds.data.numpy(), ref["train"][0])
    np.testing.assert_array_equal(ds.targets.numpy(), ref["train"][1])
    img, target = ds[3]
    assert isinstance(img, np.ndarray) and img.shape == (28, 28) and img.dtype == np.uint8
    assert type(target) is int and target == ref["train"][1][3]
    test = MNIST(tmp_path, train=False, target_transform=lambda t: t + 100)
    assert len(test) == 4 and test[0][1] == ref["t10k"][1][0] + 100
    assert "Split: Test" in repr(test) and MNIST.class_to_idx.fget(test)["3 - three"] == 3


def test_fashion_mnist_folder_and_classes(tmp_path):
    write_mnist(tmp_path, folder="FashionMNIST")
    ds = FashionMNIST(tmp_path)
    assert len(ds) == 6 and ds.classes[9] == "Ankle boot"


def test_idx_other_types_and_byte_order(tmp_path):
    a = np.arange(-6, 6, dtype=np.int16).reshape(3, 4) * 300
    (tmp_path / "a.idx").write_bytes(idx_bytes(a, 0x0B))
    got = read_idx(tmp_path / "a.idx")
    np.testing.assert_array_equal(got, a)
    assert got.dtype == np.int16 and got.dtype.isnative
    f = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    (tmp_path / "f.idx").write_bytes(idx_bytes(f, 0x0D))
    np.testing.assert_array_equal(read_idx(tmp_path / "f.idx"), f)


@pytest.mark.parametrize("damage, match", [
    (lambda b: b[:-5], r"IDX header says shape \(6, 28, 28\).*4704.*4699"),
    (lambda b: b"\x08\x03" + b[2:], "not an IDX file: magic number 0x0803"),
    (lambda b: b[:2] + b"\x07" + b[3:], "type code"),
    (lambda b: b[:4] + (7).to_bytes(4, "big") + b[8:], r"shape \(7, 28, 28\)"),
    (lambda b: b[:10], "truncated IDX header"),
    (lambda b: b[:3], "shorter than the 4-byte"),
])
def test_damaged_idx_gives_clear_error(tmp_path, damage, match):
    write_mnist(tmp_path, gz=False)
    p = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    p.write_bytes(damage(p.read_bytes()))
    with pytest.raises(DatasetError, match=match) as e:
        MNIST(tmp_path)
    assert "train-images-idx3-ubyte" in str(e.value)


def test_mnist_consistency_errors(tmp_path):
    write_mnist(tmp_path, gz=False)
    raw = tmp_path / "MNIST" / "raw"
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(DatasetError, match="6 images but .* 5 labels"):
        MNIST(tmp_path)
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.full(6, 12, np.uint8)))
    with pytest.raises(DatasetError, match="label 12 out of range"):
        MNIST(tmp_path)
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros((6, 1), np.uint8)))
    with pytest.raises(DatasetError, match="expected an IDX file of 1 dims"):
        MNIST(tmp_path)
    gzp = raw / "t10k-images-idx3-ubyte"
    gzp.write_bytes(gzip.compress(gzp.read_bytes())[:-30])
    with pytest.raises(DatasetError, match="corrupt gzip"):
        MNIST(tmp_path, train=False)
    with pytest.raises(DatasetError, match="not found .*download=True"):
        MNIST(tmp_path / "empty")


# ----------------------------------------------------------------- CIFAR
def cifar_batch(n, rng, keys=(b"labels",), high=(10,)):
    d = {b"batch_label": b"training batch 1 of 5",
         b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8),
         b"filenames": [b"f%d.png" % i for i in range(n)]}
    for k, h in zip(keys, high):
        d[k] = rng.integers(0, h, n).tolist()
    return d


def write_cifar10(root: Path, seed=0):
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {}
    for i, n in enumerate((2, 3, 1, 1, 2), 1):
        batches[f"data_batch_{i}"] = cifar_batch(n, rng)
    batches["test_batch"] = cifar_batch(3, rng)
    for name, d in batches.items():
        (folder / name).write_bytes(pickle.dumps(d, protocol=2))
    meta = {b"label_names": [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog",
                             b"frog", b"horse", b"ship", b"truck"],
            b"num_cases_per_batch": 10000, b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return batches


def test_cifar10_reads_batches(tmp_path):
    batches = write_cifar10(tmp_path)
    ds = CIFAR10(tmp_path, train=True)
    assert len(ds) == 9 and ds.data.shape == (9, 32, 32, 3) and ds.data.dtype == np.uint8
    first = batches["data_batch_1"][b"data"][1]
    # planar R(1024) G(1024) B(1024) -> HWC: pixel (row 2, col 5) channel c at c*1024 + 2*32 + 5
    for c in range(3):
        assert ds.data[1, 2, 5, c] == first[c * 1024 + 2 * 32 + 5]
    assert ds.targets[:2] == batches["data_batch_1"][b"labels"]
    assert all(type(t) is int for t in ds.targets)
    assert ds.classes[9] == "truck" and ds.class_to_idx["cat"] == 3
    img, target = CIFAR10(tmp_path, train=False, transform=T.ToTensor())[2]
    assert tuple(img.shape) == (3, 32, 32) and target == batches["test_batch"][b"labels"][2]


def test_cifar100_fine_and_coarse(tmp_path):
    rng = np.random.default_rng(3)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    for name, n in (("train", 4), ("test", 2)):
        d = cifar_batch(n, rng, (b"fine_labels", b"coarse_labels"), (100, 20))
        (folder / name).write_bytes(pickle.dumps(d, protocol=2))
    meta = {b"fine_label_names": [b"f%d" % i for i in range(100)],
            b"coarse_label_names": [b"c%d" % i for i in range(20)]}
    (folder / "meta").write_bytes(pickle.dumps(meta, protocol=2))
    ds = CIFAR100(tmp_path)
    assert len(ds) == 4 and len(ds.classes) == 100 and len(ds.coarse_targets) == 4
    assert max(ds.targets) < 100 and max(ds.coarse_targets) < 20


class _Evil:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path):
    write_cifar10(tmp_path)
    marker = tmp_path / "PWNED"
    p = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    d = cifar_batch(1, np.random.default_rng(0))
    d[b"labels"] = _Evil(str(marker))
    p.write_bytes(pickle.dumps(d, protocol=2))
    with pytest.raises(DatasetError, match=r"data_batch_3.*(posix|os|nt)\.system.*not allowed"):
        CIFAR10(tmp_path)
    assert not marker.exists()
    # and a builtin eval smuggled in the meta file
    class EvalIt:
        def __reduce__(self):
            return (eval, ("__import__('os').system('touch %s')" % marker,))

    with pytest.raises(DatasetError, match=r"refused.*eval' is not allowed"):
        read_cifar_batch(pickle.dumps({b"data": EvalIt()}, protocol=2), "meta")
    assert not marker.exists()


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.__setitem__(b"data", d[b"data"][:, :3000]), r"shape \(N, 3072\).*\(2, 3000\)"),
    (lambda d: d.__setitem__(b"data", d[b"data"].astype(np.float32)), "uint8"),
    (lambda d: d.__setitem__(b"labels", d[b"labels"][:1]), "list of 2 ints"),
    (lambda d: d.__setitem__(b"labels", [3, 99]), r"outside \[0, 10\)"),
    (lambda d: d.pop(b"labels"), "missing key 'labels'"),
    (lambda d: d.__setitem__(b"data", [1, 2, 3]), "got list"),
])
def test_damaged_cifar_batch(tmp_path, edit, match):
    write_cifar10(tmp_path)
    p = tmp_path / "cifar-10-batches-py" / "data_batch_1"
    d = pickle.loads(p.read_bytes())
    edit(d)
    p.write_bytes(pickle.dumps(d, protocol=2))
    with pytest.raises(DatasetError, match=match) as e:
        CIFAR10(tmp_path)
    assert "data_batch_1" in str(e.value)


def test_truncated_cifar_batch_and_missing_files(tmp_path):
    write_cifar10(tmp_path)
    p = tmp_path / "cifar-10-batches-py" / "test_batch"
    p.write_bytes(p.read_bytes()[:500])
    with pytest.raises(DatasetError, match="test_batch: not a readable pickle"):
        CIFAR10(tmp_path, train=False)
    p.unlink()
    with pytest.raises(DatasetError, match="test_batch not found.*download=True"):
        CIFAR10(tmp_path, train=False)


def test_str_keys_as_python2_batches_load_with_latin1(tmp_path):
    # py2 pickles hold str keys and str data; latin1 decoding gives str keys: both are accepted
    d = {"data": np.zeros((1, 3072), np.uint8), "labels": [4]}
    x, (y,) = read_cifar_batch(pickle.dumps(d, protocol=2), "b")
    assert x.shape == (1, 32, 32, 3) and y == [4]


# ----------------------------------------------------------------- IMDB and text8
def write_imdb(root: Path):
    reviews = {"train/pos/10_9.txt": "Great film!<br />Loved it.", "train/pos/2_7.txt": "Fine.",
               "train/neg/5_1.txt": "Awful, just awful.", "test/pos/0_10.txt": "Wow",
               "test/neg/0_3.txt": "Meh", "train/unsup/0_0.txt": "ignored"}
    for rel, text in reviews.items():
        p = root / "aclImdb" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def test_imdb_tree(tmp_path):
    write_imdb(tmp_path)
    ds = IMDB(tmp_path, "train")
    assert ds.texts == ["Awful, just awful.", "Fine.", "Great film!<br />Loved it."]
    assert ds.targets == [0, 1, 1] and ds.ratings == [1, 7, 9] and len(ds) == 3
    tok = IMDB(tmp_path, "train", tokenizer="basic_english")
    assert tok[2] == (["great", "film", "!", "loved", "it", "."], 1)

    class Vocab:
        def lookup_indices(self, tokens):
            return [len(t) for t in tokens]

    assert IMDB(tmp_path, "test", tokenizer=str.split, vocab=Vocab())[1] == ([3], 1)
    both = load_imdb(tmp_path)
    assert both["test"] == (["Meh", "Wow"], [0, 1])
    (tmp_path / "aclImdb" / "test" / "neg" / "notes.txt").write_text("x")
    with pytest.raises(DatasetError, match="notes.txt"):
        IMDB(tmp_path, "test")
    with pytest.raises(DatasetError, match="not found"):
        IMDB(tmp_path / "nothing")


def test_imdb_with_shenjing_vocabulary(tmp_path):
    pytest.importorskip("shenjing.datasets.text")
    write_imdb(tmp_path)
    ds = IMDB(tmp_path, "train", tokenizer="basic_english")
    v = ds.build_vocab()
    ids, label = ds[1]  # "Fine." -> the ids of 'fine' and '.'
    assert v.decode(ids) == ["fine", "."] and label == 1


def test_text8_zip_plain_and_corrupt(tmp_path):
    words = "anarchism originated as a term of abuse " * 3
    with zipfile.ZipFile(tmp_path / "text8.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("text8", " " + words)
    assert load_text8(tmp_path) == words.split()
    assert load_text8(tmp_path, max_tokens=3) == ["anarchism", "originated", "as"]
    raw = (tmp_path / "text8.zip").read_bytes()
    (tmp_path / "text8.zip").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DatasetError, match="text8.zip: not a readable zip"):
        load_text8(tmp_path)
    (tmp_path / "text8").write_text("plain words here")
    assert load_text8(tmp_path) == ["plain", "words", "here"]
    with pytest.raises(DatasetError, match="neither text8 nor text8.zip"):
        load_text8(tmp_path / "none")


# ----------------------------------------------------------------- image folders
def write_image_folder(root: Path):
    rng = np.random.default_rng(0)
    for cls in ("panda", "cat", "dog"):  # classes come out sorted: cat, dog, panda
        (root / cls).mkdir(parents=True)
        for i in range(2):
            arr = rng.integers(0, 256, (6, 5, 3)).astype(np.uint8)
            Image.fromarray(arr).save(root / cls / f"{i}.png")
    Image.fromarray(rng.integers(0, 256, (8, 8, 3)).astype(np.uint8)).save(root / "dog" / "j.jpg")
    Image.fromarray(rng.integers(0, 256, (4, 4)).astype(np.uint8)).save(root / "cat" / "g.png")
    (root / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(40))
    (root / "dog" / "readme.txt").write_text("not an image")


def test_image_folder_classes_and_samples(tmp_path):
    write_image_folder(tmp_path)
    ds = ImageFolder(tmp_path, transform=T.ToTensor())
    assert ds.classes == ["cat", "dog", "panda"] and ds.class_to_idx["panda"] == 2
    assert len(ds) == 9 and ds.targets == [0, 0, 0, 1, 1, 1, 1, 2, 2]
    assert all(p.endswith((".png", ".jpg")) for p, _ in ds.samples)
    x, y = ds[1]  # cat/1.png
    ref = np.asarray(Image.open(tmp_path / "cat" / "1.png").convert("RGB"))
    np.testing.assert_allclose(x.numpy(), ref.transpose(2, 0, 1) / 255.0, atol=1e-6)
    gray, _ = ds[0]  # cat/0.png ... sorted: 0.png, 1.png, g.png
    assert tuple(gray.shape)[0] == 3


def test_corrupt_image_is_reported_and_skipped(tmp_path):
    write_image_folder(tmp_path)
    ds = ImageFolder(tmp_path)
    bad_index = [i for i, (p, _) in enumerate(ds.samples) if p.endswith("broken.png")][0]
    with pytest.warns(CorruptImageWarning, match="broken.png"):
        img, target = ds[bad_index]
    assert ds.samples[bad_index + 1][0].endswith("j.jpg") and img.shape == (8, 8, 3)
    assert any(p.endswith("broken.png") for p in ds.bad_files)
    # a whole epoch through the DataLoader goes on, one warning per bad file
    loader = DataLoader(ImageFolder(tmp_path, transform=T.Compose([T.Resize((4, 4)),
                                                                    T.ToTensor()])),
                        batch_size=4)
    with pytest.warns(CorruptImageWarning):
        shapes = [tuple(x.shape) for x, _ in loader]
    assert shapes == [(4, 3, 4, 4), (4, 3, 4, 4), (1, 3, 4, 4)]


def test_verify_and_check_files(tmp_path):
    write_image_folder(tmp_path)
    bad = ImageFolder(tmp_path).verify()
    assert [Path(p).name for p, _ in bad] == ["broken.png"]
    with pytest.warns(CorruptImageWarning, match="1 unreadable image"):
        ds = ImageFolder(tmp_path, check_files=True)
    assert len(ds) == 8 and not any(p.endswith("broken.png") for p, _ in ds.samples)


def test_missing_pillow_gives_install_hint(tmp_path, monkeypatch):
    write_image_folder(tmp_path)
    monkeypatch.setitem(__import__("sys").modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install 'shenjing\[images\]'"):
        ImageFolder(tmp_path)


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(tmp_path)
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        ImageFolder(tmp_path)
    assert len(ImageFolder(tmp_path, allow_empty=True)) == 0


# ----------------------------------------------------------------- CSV tables
def test_csv_header_names_and_categorical_target(tmp_path):
    p = tmp_path / "iris.csv"
    p.write_text("sepal_len,sepal_wid,species\n5.1,3.5,setosa\n6.2,2.9,virginica\n"
                 "5.9,3.0,versicolor\n4.9,3.1,setosa\n")
    ds = CSVDataset(p, target="species")
    assert ds.feature_names == ["sepal_len", "sepal_wid"] and ds.classes == ["setosa",
                                                                               "versicolor",
                                                                               "virginica"]
    assert ds.data.dtype == np.float32 and ds.data.shape == (4, 2)
    np.testing.assert_array_equal(ds.targets, [0, 2, 1, 0])
    x, y = ds[1]
    np.testing.assert_allclose(x, [6.2, 2.9], rtol=1e-6)
    assert y == 2 and type(y) is int
    batch = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(batch[0].shape) == (4, 2) and batch[1].dtype == shenjing.int64


def test_csv_without_header_numeric_targets(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("1,2,0\n3,4,1\n5,6,1\n")
    ds = CSVDataset(p)
    assert ds.targets.dtype == np.int64 and ds.feature_names == ["column 0", "column 1"]
    np.testing.assert_array_equal(ds.data, [[1, 2], [3, 4], [5, 6]])
    reg = tmp_path / "r.csv"
    reg.write_text("x;y\n1;0.5\n2;1.5\n")
    r = CSVDataset(reg, target="y", delimiter=";")
    assert r.targets.dtype == np.float32 and r.classes is None and r[1][1] == 1.5
    by_index = CSVDataset(p, target=0, features=[2], header=False)
    np.testing.assert_array_equal(by_index.targets, [1, 3, 5])
    np.testing.assert_array_equal(by_index.data[:, 0], [0, 1, 1])
    forced = CSVDataset(p, categorical_target=True)
    assert forced.classes == ["0", "1"]


@pytest.mark.parametrize("text, kwargs, match", [
    ("a,b,c\n1,2,0\n3,x4,1\n", {}, r"line 3, column 'b': cannot parse 'x4'"),
    ("a,b,c\n1,2,0\n\n3,,1\n", {}, r"line 4, column 'b': cannot parse an empty cell"),
    ("a,b,c\n1,2,0\n3,4\n", {}, "line 3 has 2 fields, expected 3"),
    ("a,b,c\n1,2,0\n", {"target": "d"}, "no column named 'd'"),
    ("1,2,0\n3,4,1\n", {"target": "c"}, "no header row"),
    ("1,2,0\n", {"target": 5}, "out of range"),
    ("", {}, "no rows"),
    ("a,b\n", {}, "header but no data rows"),
    ("7\n8\n", {}, "no feature columns"),
    ("a,b\n1,\xff\n", {}, None),
])
def test_csv_errors_name_the_cell(tmp_path, text, kwargs, match):
    p = tmp_path / "bad.csv"
    if match is None:
        p.write_bytes(text.encode("latin1"))
        match = "not UTF-8"
    else:
        p.write_text(text)
    with pytest.raises(DatasetError, match=match) as e:
        CSVDataset(p, **kwargs)
    assert "bad.csv" in str(e.value)


# ----------------------------------------------------------------- integration
def test_mnist_through_transforms_and_dataloader(tmp_path):
    write_mnist(tmp_path, n_train=10)
    tf = T.Compose([T.RandomRotation(10), T.RandomCrop(28, padding=2), T.ToTensor(),
                    T.Normalize((0.1307,), (0.3081,))])
    ds = MNIST(tmp_path, train=True, transform=tf)
    shenjing.manual_seed(0)
    batches = list(DataLoader(ds, batch_size=4, shuffle=True))
    assert [tuple(x.shape) for x, _ in batches] == [(4, 1, 28, 28), (4, 1, 28, 28),
                                                    (2, 1, 28, 28)]
    x, y = batches[0]
    assert x.dtype == shenjing.float32 and y.dtype == shenjing.int64
    assert float(x.numpy().min()) >= -0.1307 / 0.3081 - 1e-5
    shenjing.manual_seed(0)
    again = list(DataLoader(ds, batch_size=4, shuffle=True))
    np.testing.assert_array_equal(again[0][0].numpy(), x.numpy())


def test_python2_style_batch_opcodes():
    """A batch spelled as Python 2's cPickle writes it (py2 str keys and raw data as
    SHORT_BINSTRING / BINSTRING, numpy.core.multiarray._reconstruct, dtype state version 3)."""
    data = bytes(range(256)) * 12  # 3072 bytes: one image
    arr = (b"cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85U\x01b"
           b"\x87R(K\x01K\x01M\x00\x0c\x86cnumpy\ndtype\nU\x02u1K\x00K\x01\x87R"
           b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89T"
           + len(data).to_bytes(4, "little") + data + b"tb")
    raw = (b"\x80\x02}q\x00(U\x04data" + arr + b"U\x06labels]q\x03K\x07a"
           b"U\x0bbatch_labelU\x05py2 bu.")
    x, (y,) = read_cifar_batch(raw, "py2_batch")
    assert y == [7] and x.shape == (1, 32, 32, 3)
    planar = x[0].transpose(2, 0, 1).reshape(-1)
    np.testing.assert_array_equal(planar, np.frombuffer(data, np.uint8))
    # the same file with the dtype state pointing at a structured type is refused
    bad = raw.replace(b"(K\x03U\x01|NNN", b"(K\x03U\x01|N(tNN")
    with pytest.raises(DatasetError, match="plain numeric dtypes"):
        read_cifar_batch(bad, "py2_batch")
