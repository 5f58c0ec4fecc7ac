"""Downloads you can trust: a cache folder, checksums, atomic renames, and clear offline help.

Every real data set lists its files as :class:`Resource` (name, URL, checksum). A download is
streamed into a temporary file in the target folder, hashed on the way, checked against the
published checksum and only then renamed into place, so an interrupted download is never left
looking complete. A mismatch is refused (the temporary file is removed). When the network is
unreachable the error says which files to fetch by hand and which folder to put them in.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..utils.atomic import atomic_open

__all__ = ["DatasetError", "DownloadError", "Resource", "shenjing_home", "default_root",
           "file_checksum", "check_integrity", "download_url", "download_resources",
           "extract_archive"]

_CHUNK = 1 << 20
_ALGOS = {32: "md5", 40: "sha1", 64: "sha256"}


class DatasetError(ValueError):
    """A data set file is missing, truncated, tampered or not in the expected format."""


class DownloadError(DatasetError, OSError):
    """A download failed (network unreachable, HTTP error) or its checksum did not match."""


@dataclass(frozen=True)
class Resource:
    """One published file: its name in the folder, where it comes from, and its checksum.

    ``checksum`` is ``"md5:<hex>"``, ``"sha1:<hex>"``, ``"sha256:<hex>"`` or a bare hex digest
    (the algorithm is then told by its length: 32 md5, 40 sha1, 64 sha256).
    """

    filename: str
    urls: tuple[str, ...]
    checksum: str | None = None


def shenjing_home() -> Path:
    """The cache folder: $SHENJING_HOME, else $XDG_CACHE_HOME/shenjing, else ~/.cache/shenjing."""
    env = os.environ.get("SHENJING_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "shenjing"


def default_root(root: str | os.PathLike | None) -> Path:
    """``root`` as a Path, or the data sets folder of the cache when None."""
    return Path(root).expanduser() if root is not None else shenjing_home() / "datasets"


def _split_checksum(checksum: str) -> tuple[str, str]:
    if ":" in checksum:
        algo, digest = checksum.split(":", 1)
    else:
        digest = checksum
        algo = _ALGOS.get(len(checksum), "")
    algo, digest = algo.lower(), digest.lower()
    if algo not in ("md5", "sha1", "sha256"):
        raise ValueError(f"checksum {checksum!r}: expected 'md5:', 'sha1:' or 'sha256:' and a "
                         "hex digest")
    return algo, digest


def file_checksum(path: str | os.PathLike, algo: str = "md5") -> str:
    """The hex digest of a file, read in chunks (memory stays flat on big archives)."""
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def check_integrity(path: str | os.PathLike, checksum: str | None = None) -> bool:
    """True when ``path`` exists and (if a checksum is given) its digest matches."""
    if not os.path.isfile(path):
        return False
    if checksum is None:
        return True
    algo, digest = _split_checksum(checksum)
    return file_checksum(path, algo) == digest


def _fetch(url: str, dest: Path, checksum: str | None, timeout: float) -> None:
    """Stream ``url`` to a temporary file beside ``dest``, verify, then rename into place."""
    algo, digest = _split_checksum(checksum) if checksum else ("sha256", None)
    h = hashlib.new(algo)
    # the checks run inside the block: a failed one leaves no file (and no partial one)
    with atomic_open(dest, "wb", fsync=False, suffix=".part") as out:
        req = urllib.request.Request(url, headers={"User-Agent": "shenjing"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            want = resp.headers.get("Content-Length") if resp.headers else None
            got = 0
            for block in iter(lambda: resp.read(_CHUNK), b""):
                h.update(block)
                out.write(block)
                got += len(block)
            if want is not None and want.isdigit() and got != int(want):
                raise ConnectionError(f"transfer cut short: got {got} of {want} bytes")
        actual = h.hexdigest()
        if digest is not None and actual != digest:
            raise DownloadError(
                f"checksum mismatch for {dest.name} downloaded from {url}: expected {algo} "
                f"{digest}, got {actual}; the file was refused and removed (a truncated or "
                "altered download, or a changed mirror)")


def download_url(url: str | Sequence[str], folder: str | os.PathLike,
                 filename: str | None = None, checksum: str | None = None,
                 timeout: float = 60.0) -> Path:
    """Download one file into ``folder`` (trying each mirror in turn) unless it is there intact.

    Raises:
        DownloadError: every mirror failed (the message says where to put the file by hand), or
            the downloaded bytes did not match ``checksum``.
    """
    urls = [url] if isinstance(url, str) else list(url)
    name = filename or urls[0].rstrip("/").rsplit("/", 1)[-1]
    res = Resource(name, tuple(urls), checksum)
    return download_resources([res], folder, dataset="this file", timeout=timeout)[0]


def _offline_message(dataset: str, folder: Path, missing: list[Resource], why: str) -> str:
    lines = [f"could not download {dataset} ({why}). If this machine is offline, fetch these "
             f"files elsewhere and put them in {folder}:"]
    for r in missing:
        check = f" ({r.checksum})" if r.checksum else ""
        lines.append(f"  {r.filename}{check} from {r.urls[0]}")
    lines.append("then run again (the checksums are verified).")
    return "\n".join(lines)


def download_resources(resources: Sequence[Resource], folder: str | os.PathLike,
                       dataset: str = "the data set", timeout: float = 60.0) -> list[Path]:
    """Make sure every resource is in ``folder`` with a matching checksum; download what is not.

    A file already present but failing its checksum is downloaded again.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, res in enumerate(resources):
        dest = folder / res.filename
        paths.append(dest)
        if check_integrity(dest, res.checksum):
            continue
        errors = []
        for url in res.urls:
            try:
                _fetch(url, dest, res.checksum, timeout)
                break
            except DownloadError:
                raise
            except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as e:
                # OSError: timeouts, refused connections; HTTPException: a connection cut
                # mid-transfer (IncompleteRead); ValueError: a malformed URL
                errors.append(f"{url}: {getattr(e, 'reason', e)}")
        else:
            missing = [r for r in resources[i:]
                       if not check_integrity(folder / r.filename, r.checksum)]
            raise DownloadError(_offline_message(dataset, folder, missing, "; ".join(errors)))
    return paths


def _safe_members(tar: tarfile.TarFile, archive: Path) -> list[tarfile.TarInfo]:
    members = []
    for m in tar.getmembers():
        parts = Path(m.name).parts
        if m.name.startswith(("/", "\\")) or ".." in parts:
            raise DatasetError(f"{archive}: refusing archive member {m.name!r} outside the folder")
        if m.issym() or m.islnk() or m.isdev():
            continue  # data sets hold plain files and folders only
        members.append(m)
    return members


def extract_archive(archive: str | os.PathLike, folder: str | os.PathLike,
                    top: str | None = None) -> Path:
    """Unpack a .tar/.tar.gz/.zip into ``folder`` atomically: into a temporary folder first.

    ``top`` names the folder the archive creates (e.g. ``cifar-10-batches-py``); it is moved
    into place only once extraction completed, so a crash mid-way leaves no half folder.
    """
    archive, folder = Path(archive), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=folder))
    try:
        try:
            if archive.suffix == ".zip":
                import zipfile  # noqa: PLC0415

                with zipfile.ZipFile(archive) as z:
                    for n in z.namelist():
                        if n.startswith(("/", "\\")) or ".." in Path(n).parts:
                            raise DatasetError(f"{archive}: refusing archive member {n!r}")
                    z.extractall(tmp)
            else:
                with tarfile.open(archive) as tar:
                    tar.extractall(tmp, members=_safe_members(tar, archive))  # noqa: S202
        except (tarfile.TarError, EOFError, OSError) as e:
            raise DatasetError(f"{archive}: cannot unpack the archive ({e}); it is truncated or "
                               "corrupt: delete it and download again") from e
        names = [top] if top else [p.name for p in tmp.iterdir()]
        for n in names:
            src = tmp / n
            if not src.exists():
                raise DatasetError(f"{archive}: expected the archive to hold {n!r}")
            dst = folder / n
            if dst.exists():
                shutil.rmtree(dst) if dst.is_dir() else dst.unlink()
            os.replace(src, dst)
        return folder / top if top else folder
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
