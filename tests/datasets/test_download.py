"""Downloads: cache folder, checksums, atomic renames, offline help; served from a local server."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from shenjing.datasets import _download as dl
from shenjing.datasets import cifar, imdb, mnist, text8
from shenjing.datasets._download import DatasetError, DownloadError, Resource


# ----------------------------------------------------------------- a tiny local web server
class _Handler(http.server.SimpleHTTPRequestHandler):
    hits: list[str] = []
    cut: set[str] = set()  # paths whose body is cut short (an interrupted transfer)

    def log_message(self, *args):  # keep pytest output quiet
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        type(self).hits.append(self.path)
        name = self.path.lstrip("/")
        if name in self.cut:
            body = (Path(self.directory) / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """(base URL, folder it serves, request log, set of paths to cut short)."""
    served = tmp_path / "served"
    served.mkdir()
    hits, cut = [], set()
    handler = type("H", (_Handler,), {"hits": hits, "cut": cut})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a, **k: handler(*a, directory=str(served), **k))
    t = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", served, hits, cut
    httpd.shutdown()
    httpd.server_close()


def _md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()  # noqa: S324 - the published checksums are md5


def _closed_port_url() -> str:
    import socket  # noqa: PLC0415

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


# ----------------------------------------------------------------- the cache folder
def test_home_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SHENJING_HOME", str(tmp_path / "sj"))
    assert dl.shenjing_home() == tmp_path / "sj"
    assert dl.default_root(None) == tmp_path / "sj" / "datasets"
    monkeypatch.delenv("SHENJING_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert dl.shenjing_home() == tmp_path / "xdg" / "shenjing"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert dl.shenjing_home() == tmp_path / "home" / ".cache" / "shenjing"
    assert dl.default_root(tmp_path / "mine") == tmp_path / "mine"


def test_checksum_forms(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"hello")
    md5, sha1 = _md5(b"hello"), hashlib.sha1(b"hello").hexdigest()
    sha256 = hashlib.sha256(b"hello").hexdigest()
    for c in (md5, "md5:" + md5, sha1, "sha1:" + sha1, sha256, "sha256:" + sha256):
        assert dl.check_integrity(p, c)
    assert not dl.check_integrity(p, "0" * 32)
    assert not dl.check_integrity(tmp_path / "missing", md5)
    with pytest.raises(ValueError, match="checksum"):
        dl.check_integrity(p, "crc32:1234")


# ----------------------------------------------------------------- downloads
def test_download_verifies_and_caches(server, tmp_path):
    base, served, hits, _ = server
    data = os.urandom(3000)
    (served / "a.bin").write_bytes(data)
    out = tmp_path / "cache"
    p = dl.download_url(base + "a.bin", out, checksum="md5:" + _md5(data))
    assert p.read_bytes() == data and _leftovers(out) == []
    n = len(hits)
    dl.download_url(base + "a.bin", out, checksum=_md5(data))  # present and intact: no request
    assert len(hits) == n


def test_checksum_mismatch_is_refused(server, tmp_path):
    base, served, _, _ = server
    (served / "a.bin").write_bytes(b"tampered bytes")
    out = tmp_path / "cache"
    want = "0123456789abcdef0123456789abcdef"
    with pytest.raises(DownloadError) as e:
        dl.download_url(base + "a.bin", out, checksum=want)
    msg = str(e.value)
    assert want in msg and _md5(b"tampered bytes") in msg and "a.bin" in msg
    assert not (out / "a.bin").exists() and _leftovers(out) == []


def test_interrupted_transfer_is_never_left_complete(server, tmp_path):
    base, served, _, cut = server
    (served / "big.bin").write_bytes(os.urandom(50_000))
    cut.add("big.bin")
    out = tmp_path / "cache"
    with pytest.raises(DownloadError, match="big.bin"):
        dl.download_url(base + "big.bin", out)  # no checksum: the cut must still be caught
    assert not (out / "big.bin").exists() and _leftovers(out) == []


def test_interrupt_mid_write_removes_partial(server, tmp_path, monkeypatch):
    base, served, _, _ = server
    (served / "a.bin").write_bytes(os.urandom(5000))
    out = tmp_path / "cache"
    real = dl.hashlib.new

    class Boom:
        def __init__(self, algo):
            self._h = real(algo)
            self.calls = 0

        def update(self, b):
            raise KeyboardInterrupt  # Ctrl-C while the first block is written

        def hexdigest(self):
            return self._h.hexdigest()

    monkeypatch.setattr(dl.hashlib, "new", Boom)
    with pytest.raises(KeyboardInterrupt):
        dl.download_url(base + "a.bin", out)
    assert not (out / "a.bin").exists() and _leftovers(out) == []


def test_offline_message_names_files_and_folder(tmp_path):
    out = tmp_path / "cache"
    res = [Resource("x.gz", (_closed_port_url() + "x.gz",), "md5:" + "1" * 32),
           Resource("y.gz", ("file:///nonexistent/dir/y.gz",), "md5:" + "2" * 32)]
    with pytest.raises(DownloadError) as e:
        dl.download_resources(res, out, "TinySet")
    msg = str(e.value)
    assert "TinySet" in msg and str(out) in msg and "offline" in msg
    assert "x.gz" in msg and "y.gz" in msg and "1" * 32 in msg


def test_mirror_fallback_and_redownload_of_bad_copy(server, tmp_path):
    base, served, hits, _ = server
    data = b"payload" * 100
    (served / "f.bin").write_bytes(data)
    out = tmp_path / "cache"
    out.mkdir()
    (out / "f.bin").write_bytes(b"stale, altered copy")
    res = Resource("f.bin", (base + "missing/f.bin", base + "f.bin"), _md5(data))
    (p,) = dl.download_resources([res], out)
    assert p.read_bytes() == data
    assert hits[-2:] == ["/missing/f.bin", "/f.bin"]


def test_file_url_download(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"abc" * 10)
    p = dl.download_url(src.as_uri(), tmp_path / "out", checksum=_md5(b"abc" * 10))
    assert p.read_bytes() == b"abc" * 10


def test_extract_refuses_escaping_members(tmp_path):
    arch = tmp_path / "evil.tar.gz"
    with tarfile.open(arch, "w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises(DatasetError, match="outside"):
        dl.extract_archive(arch, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_truncated_archive_is_a_clear_error(tmp_path):
    arch = tmp_path / "t.tar.gz"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("top/f.txt")
        payload = os.urandom(20000)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    arch.write_bytes(buf.getvalue()[:2000])
    with pytest.raises(DatasetError, match="truncated or corrupt"):
        dl.extract_archive(arch, tmp_path / "out", top="top")
    assert not (tmp_path / "out" / "top").exists()


# ----------------------------------------------------------------- the data sets, downloaded
def _idx(arr: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return gzip.compress(head + arr.astype(np.uint8).tobytes())


def test_mnist_download_from_mirror(server, tmp_path, monkeypatch):
    base, served, _, _ = server
    rng = np.random.default_rng(0)
    files = {"train-images-idx3-ubyte.gz": _idx(rng.integers(0, 256, (5, 28, 28))),
             "train-labels-idx1-ubyte.gz": _idx(rng.integers(0, 10, (5,))),
             "t10k-images-idx3-ubyte.gz": _idx(rng.integers(0, 256, (2, 28, 28))),
             "t10k-labels-idx1-ubyte.gz": _idx(rng.integers(0, 10, (2,)))}
    for n, b in files.items():
        (served / n).write_bytes(b)
    monkeypatch.setattr(mnist.MNIST, "mirrors", [_closed_port_url(), base])
    monkeypatch.setattr(mnist.MNIST, "resources", [(n, _md5(b)) for n, b in files.items()])
    ds = mnist.MNIST(tmp_path / "root", train=False, download=True)
    assert len(ds) == 2 and tuple(ds.data.shape) == (2, 28, 28)
    assert (tmp_path / "root" / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").is_file()
    # a tampered mirror is refused
    monkeypatch.setattr(mnist.MNIST, "resources", [(n, "f" * 32) for n in files])
    with pytest.raises(DownloadError, match="checksum mismatch"):
        mnist.MNIST(tmp_path / "root2", download=True)


def test_mnist_offline_says_what_to_put_where(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist.MNIST, "mirrors", [_closed_port_url()])
    with pytest.raises(DownloadError) as e:
        mnist.MNIST(tmp_path, download=True)
    msg = str(e.value)
    assert str(tmp_path / "MNIST" / "raw") in msg
    assert "train-images-idx3-ubyte.gz" in msg and "f68b3c2dcbeaaa9fbdd348bbdeb94873" in msg


def test_real_checksums_are_the_published_ones():
    assert mnist.MNIST.resources[0] == ("train-images-idx3-ubyte.gz",
                                        "f68b3c2dcbeaaa9fbdd348bbdeb94873")
    assert mnist.FashionMNIST.resources[3][1] == "bb300cfdad3c16e7a12a480ee83cd310"
    assert cifar.CIFAR10.tgz_md5 == "c58f30108f718f92721af3b95e74349a"
    assert cifar.CIFAR100.tgz_md5 == "eb9058c3a382ffc7106e4002c42a8d85"
    assert imdb.MD5 == "7c2ac02c03563afcf9b574c7e56c153a"
    assert text8.TEXT8_SHA1 == "6c70299b93b7e1f927b42cd8f6ac1a31547c7a2e"


def _cifar_tar(rng) -> tuple[bytes, dict[str, bytes]]:
    batches = {}
    for name, n in (("data_batch_1", 3), ("data_batch_2", 2), ("data_batch_3", 1),
                    ("data_batch_4", 1), ("data_batch_5", 1), ("test_batch", 2)):
        d = {b"batch_label": b"batch", b"labels": rng.integers(0, 10, n).tolist(),
             b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8),
             b"filenames": [b"img_%d.png" % i for i in range(n)]}
        batches[name] = pickle.dumps(d, protocol=2)
    batches["batches.meta"] = pickle.dumps(
        {b"label_names": [b"c%d" % i for i in range(10)], b"num_vis": 3072}, protocol=2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, b in batches.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(b)
            tar.addfile(info, io.BytesIO(b))
    return buf.getvalue(), batches


def test_cifar_download_extracts_and_checks(server, tmp_path, monkeypatch):
    base, served, hits, _ = server
    tgz, batches = _cifar_tar(np.random.default_rng(1))
    (served / "c.tar.gz").write_bytes(tgz)
    c = cifar.CIFAR10
    monkeypatch.setattr(c, "url", base + "c.tar.gz")
    monkeypatch.setattr(c, "tgz_md5", _md5(tgz))
    monkeypatch.setattr(c, "train_list", [[f"data_batch_{i}", _md5(batches[f"data_batch_{i}"])]
                                          for i in range(1, 6)])
    monkeypatch.setattr(c, "test_list", [["test_batch", _md5(batches["test_batch"])]])
    monkeypatch.setattr(c, "meta", dict(c.meta, md5=_md5(batches["batches.meta"])))
    ds = c(tmp_path, train=True, download=True)
    assert len(ds) == 8 and ds.data.shape == (8, 32, 32, 3) and ds.classes[0] == "c0"
    assert _leftovers(tmp_path) == []
    n = len(hits)
    c(tmp_path, train=False, download=True)  # every batch intact: nothing fetched
    assert len(hits) == n


def test_imdb_and_text8_download(server, tmp_path, monkeypatch):
    base, served, _, _ = server
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for split in ("train", "test"):
            for lab, rating in (("pos", 9), ("neg", 2)):
                b = f"a {lab} review".encode()
                info = tarfile.TarInfo(f"aclImdb/{split}/{lab}/0_{rating}.txt")
                info.size = len(b)
                tar.addfile(info, io.BytesIO(b))
    (served / "imdb.tar.gz").write_bytes(buf.getvalue())
    monkeypatch.setattr(imdb, "URL", base + "imdb.tar.gz")
    monkeypatch.setattr(imdb, "MD5", _md5(buf.getvalue()))
    ds = imdb.IMDB(tmp_path, "test", download=True)
    assert ds.texts == ["a neg review", "a pos review"] and ds.targets == [0, 1]

    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("text8", " anarchism originated as a term")
    (served / "text8.zip").write_bytes(zbuf.getvalue())
    monkeypatch.setattr(text8, "TEXT8_URL", base + "text8.zip")
    monkeypatch.setattr(text8, "TEXT8_SHA1", hashlib.sha1(zbuf.getvalue()).hexdigest())
    assert text8.load_text8(tmp_path, download=True) == ["anarchism", "originated", "as", "a",
                                                         "term"]
    monkeypatch.setattr(text8, "TEXT8_SHA1", "0" * 40)
    (tmp_path / "text8.zip").unlink()
    with pytest.raises(DownloadError, match="checksum mismatch"):
        text8.load_text8(tmp_path, download=True)
