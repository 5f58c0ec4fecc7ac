"""A tiny watcher process that names a rank that died without a word (SIGKILL, OOM killer).

A killed rank cannot say anything, and the MPI launcher (hydra) then kills the others at
once, so nobody in the job can report who went first. The first rank on each host starts
this script (plain Python, no shenjing import) in its own session, with the local ranks'
pids. It waits for their exits (``pidfd`` where Linux has it, so the first death is seen
before the launcher's clean-up kills the rest) and, if the first rank to go left neither a
``done.<rank>`` marker (clean exit) nor an ``aborted`` marker (a reported failure), prints
``shenjing.distributed: rank R (pid P on HOST) died ...``. It exits when all are gone.

    python watch.py MARKER_DIR HOST RANK:PID[,RANK:PID...] READY_FD
"""
from __future__ import annotations

import os
import select
import shutil
import sys
import time


def _gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


def _exit_signal(pid: int) -> int:
    """The signal that ended a zombie ``pid`` (0 if unknown or a plain exit)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            status = int(f.read().rsplit(b")", 1)[1].split()[49])
    except (OSError, IndexError, ValueError):
        return 0
    return status & 0x7F


def _report(silent: list[tuple[int, int]], host: str) -> None:
    def one(r: int, p: int) -> str:
        sig = _exit_signal(p)
        how = f"was killed by signal {sig}" if sig else "died"
        return f"rank {r} (pid {p} on {host}) {how}"

    who = " or ".join(one(r, p) for r, p in silent)
    first = " (whichever went first)" if len(silent) > 1 else ""
    sys.stderr.write(f"shenjing.distributed: {who}{first} without finishing or reporting an "
                     "error; the job is ended\n")
    sys.stderr.flush()


def main(argv: list[str]) -> int:
    mdir, host, spec, ready_fd = argv[1], argv[2], argv[3], int(argv[4])
    ranks = {int(r): int(p) for r, p in (e.split(":") for e in spec.split(","))}
    fds: dict[int, int] = {}
    for r, p in ranks.items():
        try:
            fds[os.pidfd_open(p)] = r
        except (AttributeError, OSError):
            fds = {}
            break
    os.write(ready_fd, b"1")  # the rank that started us waits for this before training
    os.close(ready_fd)
    try:
        return _watch(mdir, host, ranks, fds)
    finally:
        shutil.rmtree(mdir, ignore_errors=True)


def _watch(mdir: str, host: str, ranks: dict[int, int], fds: dict[int, int]) -> int:
    alive = dict(ranks)
    while alive:
        if fds:
            ready, _, _ = select.select(list(fds), [], [], 1.0)
            ended = [fds.pop(fd) for fd in ready]
        else:
            time.sleep(0.01)
            ended = [r for r, p in alive.items() if _gone(p)]
        if os.path.exists(os.path.join(mdir, "aborted")):
            return 0  # a rank reported its failure itself
        silent = [(r, alive.pop(r)) for r in sorted(ended)]
        silent = [(r, p) for r, p in silent
                  if not os.path.exists(os.path.join(mdir, f"done.{r}"))]
        if len(silent) > 1:  # seen together: the launcher's parent reaps the first one first
            reaped = [(r, p) for r, p in silent if not os.path.exists(f"/proc/{p}")]
            silent = reaped or silent
        if silent:
            _report(silent, host)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
