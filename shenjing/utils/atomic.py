"""Atomic file writes: a temporary file in the target's folder, then one rename over the target.

A reader, a crash, a full disk or Ctrl-C sees the old file or the new one, never half of one:
``os.replace`` within one folder is atomic, and the temporary file is removed on any error
(KeyboardInterrupt included). The new file gets the permissions ``open()`` would give it
(0o666 less the umask) unless ``mode`` says otherwise; mkstemp alone would leave 0o600.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Iterator

__all__ = ["atomic_write", "atomic_open", "fsync_dir"]


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make a rename inside ``folder`` durable (best effort: some systems cannot fsync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", *, encoding: str | None = None,
                newline: str | None = None, permissions: int | None = None,
                fsync: bool = True, suffix: str = ".tmp") -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on a clean exit rename it over ``path``.

    ``mode`` is "wb" or "w" (text, with ``encoding``/``newline``). ``fsync`` flushes the data
    and the folder entry to disk before returning. If the block raises, ``path`` is untouched
    and the temporary file (named ``.<name>.<random><suffix>``) is gone.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode must be 'wb' or 'w', got {mode!r}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=suffix,
                               dir=folder)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as fh:
            os.chmod(tmp, 0o666 & ~_umask() if permissions is None else permissions)
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if fsync:
        fsync_dir(folder)


def atomic_write(path: str | os.PathLike, data: bytes | str, encoding: str = "utf-8",
                 mode: int | None = None, *, fsync: bool = True) -> None:
    """Write ``data`` (bytes, or str encoded with ``encoding``) to ``path`` atomically.

    ``mode``: permission bits of the new file (default: 0o666 less the umask, as ``open()``).
    ``fsync``: make the content and the rename durable before returning.
    """
    raw = data.encode(encoding) if isinstance(data, str) else data
    with atomic_open(path, "wb", permissions=mode, fsync=fsync) as fh:
        fh.write(raw)
