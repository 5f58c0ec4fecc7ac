"""A failure on one rank ends the whole job with the rank and the reason, never a hang.

- An uncaught exception: ``sys.excepthook`` prints ``shenjing.distributed: rank R failed:
  <exception>`` with the traceback and calls ``MPI.COMM_WORLD.Abort(1)``; the launcher then
  ends every rank.
- A killed rank (SIGKILL, the OOM killer) cannot speak and the launcher kills the others at
  once; a watcher process per host (watch.py) sees which rank went first and names it.
- A rank that hangs: collectives time out (comm._wait) and call :func:`abort`.

Markers in a per-job temporary folder tell the watcher a rank exited cleanly (``done.R``)
or the job was aborted with a message (``aborted``).
"""
from __future__ import annotations

import atexit
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any

__all__ = ["install", "uninstall", "abort"]

_S: dict[str, Any] = {"group": None, "dir": None, "prev_hook": None, "watcher": None}


def _touch(name: str) -> None:
    d = _S["dir"]
    if d is None:
        return
    try:
        with open(os.path.join(d, name), "w"):
            pass
    except OSError:
        pass


def abort(message: str, code: int = 1) -> None:
    """Print ``shenjing.distributed: <message>`` to stderr and end every rank of the job."""
    _touch("aborted")
    _say(f"shenjing.distributed: {message}\n")
    g = _S["group"]
    if g is not None and g.comm is not None:
        g.comm.Abort(code)
    os._exit(code)


def _say(text: str) -> None:
    """Write to the launcher's stderr itself where it is on this host, else to ours.

    Abort makes the launcher end every process at once; what sits in its forwarding pipes
    from the ranks can be dropped on the way, so the one line that says why must not
    travel through them. Without a local launcher, ours is flushed and given a moment.
    """
    sys.stdout.flush()
    fd = _launcher_stderr()
    if fd is not None:
        try:
            data = text.encode("utf-8", "replace")
            while data:
                data = data[os.write(fd, data):]
            return
        except OSError:
            pass
        finally:
            os.close(fd)
    sys.stderr.write(text)
    sys.stderr.flush()
    time.sleep(0.5)


def _excepthook(etype: type, value: BaseException, tb: Any) -> None:
    g = _S["group"]
    rank = g.rank if g is not None else 0
    text = "".join(traceback.format_exception(etype, value, tb))
    reason = "".join(traceback.format_exception_only(etype, value)).strip()
    abort(f"rank {rank} failed: {reason} (aborting the job)\n{text.rstrip()}")


def _clean_exit() -> None:
    g = _S["group"]
    if g is not None:
        _touch(f"done.{g.rank}")


def _start_watcher(group: Any) -> None:
    """Share (rank, pid, host); the first rank on each host starts watch.py for its host."""
    host = socket.gethostname()
    me = (group.rank, os.getpid(), host)
    everyone = group.comm.allgather(me)
    tag = group.comm.bcast(f"shenjing-dist-{os.getpid()}-{os.urandom(4).hex()}", root=0)
    if os.environ.get("SHENJING_DIST_WATCHDOG", "1") == "0":
        return
    d = os.path.join(tempfile.gettempdir(), tag)
    os.makedirs(d, exist_ok=True)
    _S["dir"] = d
    local = [(r, p) for r, p, h in everyone if h == host]
    if min(local)[0] != group.rank:
        return
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "watch.py")
    spec = ",".join(f"{r}:{p}" for r, p in local)
    rfd, wfd = os.pipe()
    err = _launcher_stderr()
    try:
        _S["watcher"] = subprocess.Popen(
            [sys.executable, "-I", "-S", script, d, host, spec, str(wfd)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            start_new_session=True, pass_fds=(wfd,))
    except OSError:  # no watcher: killed ranks are still ended by the launcher, unnamed
        _S["watcher"] = None
    finally:
        os.close(wfd)
        if err is not None:
            os.close(err)
    if _S["watcher"] is not None:  # wait (bounded) until it watches: a death must not beat it
        select.select([rfd], [], [], 10.0)
    os.close(rfd)


def _launcher_stderr() -> int | None:
    """A new fd on the launcher's (mpiexec's) stderr, found among this rank's ancestors.

    The watcher writes there rather than through the rank's own stderr pipe, which it would
    otherwise hold open after the rank's death (and so confuse the launcher's accounting).
    None (inherit) when the launcher is not on this host (ssh) or /proc is not there.
    """
    pid = os.getpid()
    for _ in range(4):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                pid = int(f.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{pid}/comm", "rb") as f:
                name = f.read().strip().decode(errors="replace")
        except (OSError, ValueError, IndexError):
            return None
        if name.startswith(("mpiexec", "mpirun", "prterun", "orterun")):
            try:
                return os.open(f"/proc/{pid}/fd/2", os.O_WRONLY | os.O_APPEND)
            except OSError:
                return None
        if pid <= 1:
            return None
    return None


def install(group: Any) -> None:
    """Set up failure handling for a world of more than one rank (called by init)."""
    _S["group"] = group
    if _S["prev_hook"] is None:
        _S["prev_hook"] = sys.excepthook
    sys.excepthook = _excepthook
    atexit.register(_clean_exit)
    _start_watcher(group)


def uninstall() -> None:
    """Back to the default excepthook; this rank counts as cleanly finished."""
    _clean_exit()
    if _S["prev_hook"] is not None:
        sys.excepthook = _S["prev_hook"]
        _S["prev_hook"] = None
    atexit.unregister(_clean_exit)
    _S["group"] = None
