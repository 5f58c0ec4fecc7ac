"""Fuzz the file parsers (IDX, CIFAR batches, CSV): random and mutated bytes may only ever give
back a parsed result or our DatasetError, never a stray exception from deep inside."""
from __future__ import annotations

import gzip
import os
import pickle
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shenjing.datasets import CSVDataset, DatasetError
from shenjing.datasets.cifar import load_pickle, read_cifar_batch
from shenjing.datasets.mnist import parse_idx, read_idx

# bounded by default (seconds, reproducible); SHENJING_FUZZ_EXAMPLES=5000 fuzzes longer, randomly
_LONG = int(os.environ.get("SHENJING_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=_LONG or 150, deadline=None, derandomize=not _LONG,
                suppress_health_check=[HealthCheck.too_slow], database=None)


def _idx(arr: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


VALID_IDX = _idx(np.arange(2 * 5 * 4).reshape(2, 5, 4))
VALID_BATCH = pickle.dumps({b"batch_label": b"b", b"labels": [1, 7],
                            b"data": np.arange(2 * 3072).astype(np.uint8).reshape(2, 3072),
                            b"filenames": [b"a.png", b"b.png"]}, protocol=2)
VALID_CSV = b"a,b,label\n1.5,2,cat\n3,4e-1,dog\n-5,6,cat\n"


@st.composite
def mutated(draw, base: bytes):
    """A valid file with a few bytes changed, cut, inserted or deleted."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif data:
            del data[pos:pos + draw(st.integers(1, 16))]
    return bytes(data)


def _only_dataset_error(fn, *args) -> str:
    """'ok' or 'refused' (a DatasetError that says why); any other exception fails the test."""
    try:
        fn(*args)
    except DatasetError as e:
        assert str(e), "a DatasetError must say what is wrong"
        return "refused"
    return "ok"


# ----------------------------------------------------------------- IDX
@FUZZ
@given(st.one_of(st.binary(max_size=200), mutated(VALID_IDX)))
def test_idx_parser(raw):
    try:
        arr = parse_idx(raw, "fuzz")
    except DatasetError:
        return
    assert arr.size * arr.itemsize == len(raw) - 4 - 4 * arr.ndim


@FUZZ
@given(st.one_of(mutated(gzip.compress(VALID_IDX, mtime=0)), st.binary(max_size=64)))
def test_idx_reader_on_gzip_files(raw):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x-idx3-ubyte.gz")
        with open(p, "wb") as f:
            f.write(b"\x1f\x8b" + raw[2:] if raw[:1] == b"\x1f" else raw)
        assert _only_dataset_error(read_idx, p, 3) in ("ok", "refused")


# ----------------------------------------------------------------- CIFAR batches (pickles)
@FUZZ
@given(st.one_of(st.binary(max_size=200), mutated(VALID_BATCH)))
def test_cifar_batch_reader(raw):
    try:
        x, (y,) = read_cifar_batch(raw, "fuzz")
    except DatasetError:
        return
    assert x.shape == (len(y), 32, 32, 3) and x.dtype == np.uint8


@FUZZ
@given(st.lists(st.sampled_from([b"c", b"\x80\x02", b"R", b"(", b"t", b"}", b"]", b".",
                                 b"cos\nsystem\n", b"cbuiltins\neval\n", b"X\x01\x00\x00\x00a",
                                 b"K\x05", b"\x85", b"s", b"e", b"q\x00", b"h\x00", b"N"]),
                max_size=12))
def test_restricted_unpickler_on_opcode_soup(parts):
    outcome = _only_dataset_error(load_pickle, b"\x80\x02" + b"".join(parts) + b".", "soup")
    assert outcome in ("ok", "refused")


# ----------------------------------------------------------------- CSV
@FUZZ
@given(st.one_of(st.binary(max_size=200), mutated(VALID_CSV),
                 st.text(alphabet='0123456789.,-e\n "ab;\r', max_size=80).map(str.encode)))
def test_csv_reader(raw):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.csv")
        with open(p, "wb") as f:
            f.write(raw)
        try:
            ds = CSVDataset(p)
        except DatasetError:
            return
        assert ds.data.dtype == np.float32 and len(ds.data) == len(ds.targets)
