"""TensorBoard event files with no TensorFlow or protobuf: a SummaryWriter like PyTorch's.

An event file is a sequence of TFRecords: uint64 length, masked CRC-32C of the length bytes,
the payload, masked CRC-32C of the payload (all little-endian). Each payload is an ``Event``
protobuf encoded here by hand: wall_time (field 1, double), step (2, int64 varint),
file_version (3, string, first event "brain.Event:2") or summary (5, message) holding
``Summary.Value`` entries {tag (1, string), simple_value (2, float)} or, for text, a tensor
(8) with plugin metadata (9) naming the "text" plugin. :func:`read_events` decodes them back.
"""
from __future__ import annotations

import os
import socket
import struct
import time
from datetime import datetime
from typing import Any, Iterator, Mapping

import numpy as np

__all__ = ["SummaryWriter", "crc32c", "read_events", "encode_event"]

# ---------------------------------------------------------------------------------- CRC-32C
_POLY = 0x82F63B78  # Castagnoli polynomial, bit-reversed


def _make_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _make_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``, one table lookup per byte."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _record(payload: bytes) -> bytes:
    header = struct.pack("<Q", len(payload))
    return (header + struct.pack("<I", _masked_crc(header)) + payload
            + struct.pack("<I", _masked_crc(payload)))


# ------------------------------------------------------------------------ protobuf encoding
def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64  # int64 negatives take ten bytes, as protobuf writes them
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _bytes_field(field: int, data: bytes) -> bytes:
    return _key(field, 2) + _varint(len(data)) + data


def _scalar_value(tag: str, value: float) -> bytes:
    return _bytes_field(1, tag.encode("utf-8")) + _key(2, 5) + struct.pack("<f", value)


def _text_value(tag: str, text: str) -> bytes:
    plugin = _bytes_field(1, _bytes_field(1, b"text"))          # PluginData{plugin_name}
    metadata = _bytes_field(1, plugin)                           # SummaryMetadata{plugin_data}
    tensor = (_key(1, 0) + _varint(7) + _bytes_field(2, b"")     # dtype DT_STRING, shape []
              + _bytes_field(8, text.encode("utf-8")))           # string_val
    return _bytes_field(1, tag.encode("utf-8")) + _bytes_field(8, tensor) \
        + _bytes_field(9, metadata)


def encode_event(wall_time: float, step: int = 0, file_version: str | None = None,
                 values: list[bytes] | None = None) -> bytes:
    """The bytes of one Event protobuf (``values`` are encoded Summary.Value messages)."""
    out = _key(1, 1) + struct.pack("<d", wall_time)
    if step:
        out += _key(2, 0) + _varint(int(step))
    if file_version is not None:
        out += _bytes_field(3, file_version.encode("utf-8"))
    if values:
        out += _bytes_field(5, b"".join(_bytes_field(1, v) for v in values))
    return out


# ------------------------------------------------------------------------ decoding (reader)
def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = n = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def _fields(buf: bytes) -> Iterator[tuple[int, Any]]:
    i = 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _read_varint(buf, i)
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        elif wire == 2:
            n, i = _read_varint(buf, i)
            v, i = buf[i:i + n], i + n
        else:
            raise ValueError(f"read_events: unsupported protobuf wire type {wire}")
        yield field, v


def _decode_value(buf: bytes) -> dict:
    out: dict[str, Any] = {}
    for f, v in _fields(buf):
        if f == 1:
            out["tag"] = v.decode("utf-8")
        elif f == 2:
            out["simple_value"] = struct.unpack("<f", v)[0]
        elif f == 8:
            out["text"] = b"".join(s for g, s in _fields(v) if g == 8).decode("utf-8")
    return out


def read_events(path: str | os.PathLike) -> list[dict]:
    """Decode an event file: one dict per Event (wall_time, step, file_version, values).

    Raises ValueError on a truncated record or a CRC mismatch.
    """
    data = open(path, "rb").read()
    events, i = [], 0
    while i < len(data):
        if i + 12 > len(data):
            raise ValueError(f"read_events: truncated record header at byte {i} of {path}")
        header = data[i:i + 8]
        (n,), (hcrc,) = struct.unpack("<Q", header), struct.unpack("<I", data[i + 8:i + 12])
        if hcrc != _masked_crc(header):
            raise ValueError(f"read_events: length CRC mismatch at byte {i} of {path}")
        payload = data[i + 12:i + 12 + n]
        if len(payload) != n or i + 16 + n > len(data):
            raise ValueError(f"read_events: truncated record at byte {i} of {path}")
        (dcrc,) = struct.unpack("<I", data[i + 12 + n:i + 16 + n])
        if dcrc != _masked_crc(payload):
            raise ValueError(f"read_events: data CRC mismatch at byte {i} of {path}")
        i += 16 + n
        ev: dict[str, Any] = {"step": 0, "values": []}
        for f, v in _fields(payload):
            if f == 1:
                ev["wall_time"] = struct.unpack("<d", v)[0]
            elif f == 2:
                ev["step"] = v - (1 << 64) if v >= 1 << 63 else v
            elif f == 3:
                ev["file_version"] = v.decode("utf-8")
            elif f == 5:
                ev["values"] = [_decode_value(val) for g, val in _fields(v) if g == 1]
        events.append(ev)
    return events


# ---------------------------------------------------------------------------------- writer
_counter = 0


class SummaryWriter:
    """Write scalars and text for TensorBoard to ``log_dir`` (like torch.utils.tensorboard).

    Args:
        log_dir: the folder; default ``runs/<date>_<host><comment>``.
        comment: appended to the default folder name.
        flush_secs: flush to disk at least this often (seconds).
        filename_suffix: appended to the event file's name.
    """

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = "") -> None:
        global _counter
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        os.makedirs(self.log_dir, exist_ok=True)
        _counter += 1
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
                f"{os.getpid()}.{_counter}{filename_suffix}")
        self.file_path = os.path.join(self.log_dir, name)
        self._file = open(self.file_path, "ab")
        self._flush_secs, self._max_queue = flush_secs, max(1, max_queue)
        self._pending, self._last_flush = 0, time.time()
        self._children: dict[str, SummaryWriter] = {}
        self._write(encode_event(time.time(), 0, file_version="brain.Event:2"))
        self.flush()

    def get_logdir(self) -> str:
        return self.log_dir

    def _write(self, payload: bytes) -> None:
        if self._file is None:
            raise RuntimeError(f"SummaryWriter: writing to {self.file_path} after close()")
        self._file.write(_record(payload))
        self._pending += 1
        if self._pending >= self._max_queue or time.time() - self._last_flush > self._flush_secs:
            self.flush()

    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """Record ``scalar_value`` (a number, 0-d array or one-element tensor) under ``tag``."""
        value = float(np.asarray(getattr(scalar_value, "_data", scalar_value)).reshape(()))
        wall = time.time() if walltime is None else walltime
        self._write(encode_event(wall, global_step or 0, values=[_scalar_value(tag, value)]))

    def add_scalars(self, main_tag: str, tag_scalar_dict: Mapping[str, Any],
                    global_step: int | None = None, walltime: float | None = None) -> None:
        """Several curves on one chart: each goes to ``log_dir/<main_tag>_<tag>`` as PyTorch."""
        wall = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            folder = os.path.join(self.log_dir, f"{main_tag}_{tag}".replace("/", "_"))
            child = self._children.get(folder)
            if child is None:
                child = self._children[folder] = SummaryWriter(folder, max_queue=self._max_queue,
                                                               flush_secs=self._flush_secs)
            child.add_scalar(main_tag, value, global_step, wall)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Record a (markdown) string for TensorBoard's Text tab."""
        wall = time.time() if walltime is None else walltime
        self._write(encode_event(wall, global_step or 0, values=[_text_value(tag, text_string)]))

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()
        self._pending, self._last_flush = 0, time.time()
        for child in self._children.values():
            child.flush()

    def close(self) -> None:
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None
        for child in self._children.values():
            child.close()

    def __enter__(self) -> "SummaryWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
