"""Atomic writes: new content or old content, never half; no temporary file left behind."""
import os
import stat

import pytest

from shenjing.utils import atomic
from shenjing.utils.atomic import atomic_open, atomic_write


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_bytes_and_str_are_written(tmp_path):
    p = tmp_path / "a.bin"
    atomic_write(p, b"\x00\xffraw")
    assert p.read_bytes() == b"\x00\xffraw"
    atomic_write(str(p), "héllo\n")  # str path too; str data is encoded as UTF-8
    assert p.read_bytes() == "héllo\n".encode("utf-8")
    atomic_write(p, "héllo", encoding="latin-1")
    assert p.read_bytes() == "héllo".encode("latin-1")
    assert os.listdir(tmp_path) == ["a.bin"]


def test_overwrite_replaces_whole_file(tmp_path):
    p = tmp_path / "f.txt"
    atomic_write(p, "a long first version\n" * 10)
    atomic_write(p, "short")
    assert p.read_text() == "short"


class _Unencodable(str):
    def encode(self, *args, **kwargs):
        raise UnicodeEncodeError("utf-8", "x", 0, 1, "refused")


def test_failed_encode_keeps_old_content(tmp_path):
    p = tmp_path / "f.txt"
    atomic_write(p, "old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(p, _Unencodable("new"))
    assert p.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


@pytest.mark.parametrize("exc", [OSError("rename failed"), KeyboardInterrupt()])
def test_failed_replace_keeps_old_content_and_cleans_up(tmp_path, monkeypatch, exc):
    p = tmp_path / "f.txt"
    atomic_write(p, "old")

    def boom(src, dst):
        assert os.path.exists(src) and os.path.dirname(src) == str(tmp_path)
        raise exc

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(type(exc)):
        atomic_write(p, "new")
    monkeypatch.undo()
    assert p.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_stream_failing_midway_keeps_old_content(tmp_path, exc):
    p = tmp_path / "big.bin"
    p.write_bytes(b"previous")
    with pytest.raises(type(exc)):
        with atomic_open(p, "wb") as fh:
            fh.write(b"\x01" * 100_000)  # a partial write, then the disk "fails"
            raise exc
    assert p.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["big.bin"]


def test_failure_without_old_file_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_open(tmp_path / "new.txt", "w", encoding="utf-8") as fh:
            fh.write("x")
            raise RuntimeError("stop")
    assert os.listdir(tmp_path) == []


def test_text_mode_stream(tmp_path):
    p = tmp_path / "t.csv"
    with atomic_open(p, "w", encoding="utf-8", newline="") as fh:
        fh.write("a,b\r\n1,2\r\n")
        assert not p.exists()  # nothing visible until the block ends
    assert p.read_bytes() == b"a,b\r\n1,2\r\n"


def test_permissions_follow_umask_or_mode(tmp_path):
    p = tmp_path / "p"
    atomic_write(p, b"x")  # mkstemp alone would give 0o600
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~_umask()
    atomic_write(p, b"y", mode=0o640, fsync=False)
    assert stat.S_IMODE(p.stat().st_mode) == 0o640


def test_bad_mode_and_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'wb' or 'w'"):
        with atomic_open(tmp_path / "x", "ab"):
            pass
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "no" / "such" / "dir.txt", "x")
    assert os.listdir(tmp_path) == []
