"""SummaryWriter's event files: decoded here by hand (TFRecord framing, CRC-32C, protobuf),
and by TensorBoard's own EventFileLoader when the tensorboard package is installed."""
import os
import struct

import numpy as np
import pytest

import shenjing
from shenjing.utils.tensorboard import SummaryWriter, crc32c, read_events


def _crc_bitwise(data: bytes) -> int:
    """CRC-32C one bit at a time: an independent check of the table version."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _mask(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return n, i


def _proto(buf):
    out, i = [], 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(buf, i)
        elif wire == 1:
            v, i = struct.unpack("<d", buf[i:i + 8])[0], i + 8
        elif wire == 5:
            v, i = struct.unpack("<f", buf[i:i + 4])[0], i + 4
        else:
            n, i = _varint(buf, i)
            v, i = buf[i:i + n], i + n
        out.append((field, wire, v))
    return out


def _records(path):
    data = open(path, "rb").read()
    i, out = 0, []
    while i < len(data):
        header = data[i:i + 8]
        (n,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", data[i + 8:i + 12])[0] == _mask(_crc_bitwise(header))
        payload = data[i + 12:i + 12 + n]
        assert struct.unpack("<I", data[i + 12 + n:i + 16 + n])[0] == _mask(_crc_bitwise(payload))
        out.append(payload)
        i += 16 + n
    assert i == len(data)
    return out


def test_crc32c_known_vectors():
    assert crc32c(b"123456789") == 0xE3069283  # the standard check value
    assert crc32c(b"") == 0
    data = bytes(range(256)) * 3
    assert crc32c(data) == _crc_bitwise(data)


def test_event_file_decoded_by_hand(tmp_path):
    w = SummaryWriter(str(tmp_path))
    w.add_scalar("loss", 0.25, 3)
    w.add_scalar("acc", np.float32(0.5), global_step=7, walltime=123.5)
    w.add_scalar("t", shenjing.tensor(2.0), 8)
    w.close()
    files = os.listdir(tmp_path)
    assert len(files) == 1
    host = __import__("socket").gethostname()
    assert files[0].startswith("events.out.tfevents.") and f".{host}" in files[0]
    events = [_proto(p) for p in _records(tmp_path / files[0])]
    first = {f: v for f, _, v in events[0]}
    assert first[3] == b"brain.Event:2" and isinstance(first[1], float)
    second = {f: v for f, _, v in events[1]}
    assert second[2] == 3
    (summary_field,) = [v for f, _, v in events[1] if f == 5]
    (value,) = [v for f, _, v in _proto(summary_field) if f == 1]
    fields = {f: v for f, _, v in _proto(value)}
    assert fields[1] == b"loss" and fields[2] == 0.25
    third = {f: v for f, _, v in events[2]}
    assert third[1] == 123.5 and third[2] == 7
    assert [e["values"][0]["simple_value"] for e in read_events(tmp_path / files[0])[1:]] == \
        [0.25, 0.5, 2.0]


def test_add_scalars_text_and_errors(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalars("run", {"a": 1.0, "b/c": 2.0}, 1)
        w.add_text("note", "hello *world*", 2)
    assert sorted(d for d in os.listdir(tmp_path) if os.path.isdir(tmp_path / d)) == \
        ["run_a", "run_b_c"]
    (f,) = os.listdir(tmp_path / "run_b_c")
    ev = read_events(tmp_path / "run_b_c" / f)[1]
    assert ev["values"] == [{"tag": "run", "simple_value": 2.0}] and ev["step"] == 1
    (main,) = [x for x in os.listdir(tmp_path) if x.startswith("events")]
    assert read_events(tmp_path / main)[1]["values"][0]["text"] == "hello *world*"
    with pytest.raises(RuntimeError, match="after close"):
        w.add_scalar("x", 1.0)
    bad = tmp_path / "bad"
    bad.write_bytes(open(tmp_path / main, "rb").read()[:-1])
    with pytest.raises(ValueError, match="truncated|CRC"):
        read_events(bad)


def test_tensorboard_reads_our_files(tmp_path):
    loader_mod = pytest.importorskip("tensorboard.backend.event_processing.event_file_loader")
    w = SummaryWriter(str(tmp_path))
    for step in range(3):
        w.add_scalar("train/loss", 1.0 / (step + 1), step)
    w.add_text("notes", "hi", 0)
    w.close()
    (f,) = [x for x in os.listdir(tmp_path) if x.startswith("events")]
    raw = list(loader_mod.LegacyEventFileLoader(str(tmp_path / f)).Load())
    assert raw[0].file_version == "brain.Event:2"
    got = [(e.step, v.tag, v.simple_value) for e in raw for v in e.summary.value
           if v.HasField("simple_value")]
    # the current loader migrates simple values to scalar tensors, as TensorBoard shows them
    migrated = [(e.step, v.tag, v.metadata.plugin_data.plugin_name, v.tensor.float_val[0])
                for e in loader_mod.EventFileLoader(str(tmp_path / f)).Load()
                for v in e.summary.value if v.tag == "train/loss"]
    assert migrated[1] == (1, "train/loss", "scalars", 0.5)
    assert got == [(0, "train/loss", 1.0), (1, "train/loss", 0.5),
                   (2, "train/loss", pytest.approx(1 / 3))]
    from tensorboard.backend.event_processing import event_accumulator
    acc = event_accumulator.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [s.value for s in acc.Scalars("train/loss")][1] == 0.5
    assert "notes" in acc.Tags()["tensors"]
