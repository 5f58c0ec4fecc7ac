"""text8: the first 10^8 bytes of cleaned English Wikipedia (Mahoney), one line of words.

The zip holds a single member ``text8``; the token list is its whitespace-split contents.
"""
from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

from ._download import DatasetError, Resource, default_root, download_resources

__all__ = ["load_text8", "TEXT8_URL", "TEXT8_SHA1"]

TEXT8_URL = "http://mattmahoney.net/dc/text8.zip"
TEXT8_SHA1 = "6c70299b93b7e1f927b42cd8f6ac1a31547c7a2e"  # of text8.zip (31,344,016 bytes)


def _tokens(raw: bytes, name: str) -> list[str]:
    try:
        return raw.decode("ascii").split()
    except UnicodeDecodeError as e:
        raise DatasetError(f"{name}: expected plain ASCII words (text8 is lower-case a-z and "
                           f"spaces), found byte {raw[e.start]:#x} at offset {e.start}") from e


def load_text8(root: str | os.PathLike | None = None, download: bool = False,
               max_tokens: int | None = None) -> list[str]:
    """The text8 corpus as a list of tokens (about 17 million words).

    Looks for ``root/text8`` (unpacked) or ``root/text8.zip``; ``download=True`` fetches the
    zip and checks its sha1. ``max_tokens`` keeps only the first tokens (quick experiments).
    """
    root = default_root(root)
    plain, zpath = root / "text8", root / "text8.zip"
    if download and not plain.is_file():
        download_resources([Resource("text8.zip", (TEXT8_URL,), "sha1:" + TEXT8_SHA1)], root,
                           "text8")
    if plain.is_file():
        tokens = _tokens(Path(plain).read_bytes(), str(plain))
    elif zpath.is_file():
        try:
            with zipfile.ZipFile(zpath) as z:
                names = z.namelist()
                if "text8" not in names:
                    raise DatasetError(f"{zpath}: expected a member 'text8', found {names[:5]}")
                raw = z.read("text8")
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
            raise DatasetError(f"{zpath}: not a readable zip (truncated or corrupt: {e}); "
                               "delete it and download again") from e
        tokens = _tokens(raw, str(zpath))
    else:
        raise DatasetError(f"text8: neither text8 nor text8.zip found in {root}; use "
                           f"download=True, or put text8.zip (sha1 {TEXT8_SHA1}) from "
                           f"{TEXT8_URL} there")
    return tokens[:max_tokens] if max_tokens is not None else tokens
