"""Side-by-side timing of shenjing and PyTorch on the same work, in one process.

A workload is a pair of zero-argument callables (one per library) doing the same work on the
same data. Each is warmed up, then timed ``repeat`` times (each time running ``number`` calls);
we report the median per call. Every workload runs twice: single-threaded (NumPy's BLAS and
torch both limited to 1 thread) and with each library's default thread count.

ratio = torch_time / shenjing_time = shenjing speed / torch speed, so ratio >= 1.0 means
shenjing is at least as fast as PyTorch on that workload and 0.5 means twice as slow.
"""
from __future__ import annotations

import contextlib
import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch
from threadpoolctl import threadpool_limits


@dataclass
class Workload:
    """One benchmark: the same work in both libraries; ``per`` divides the time (e.g. ops)."""

    name: str
    shenjing: Callable[[], object]
    torch: Callable[[], object]
    per: int = 1
    unit: str = "ms"  # "us" or "ms": how the per-``per`` time is printed
    note: str = ""


@dataclass
class Result:
    workload: Workload
    threads: str
    sj_s: float
    th_s: float
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.th_s / self.sj_s if self.sj_s > 0 else float("inf")


def time_call(fn: Callable[[], object], warmup: int = 3, repeat: int = 7,
              min_time: float = 0.05) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls each.

    ``number`` is chosen so one round takes at least ``min_time`` (tiny ops need many calls).
    """
    for _ in range(warmup):
        fn()
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or number >= 1 << 20:
            break
        number *= 2 if dt > min_time / 10 else 10
    rounds = []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            rounds.append((time.perf_counter() - t0) / number)
    finally:
        if gc_was:
            gc.enable()
    return statistics.median(rounds)


@contextlib.contextmanager
def thread_mode(mode: str) -> Iterator[None]:
    """``single``: 1 BLAS/OpenMP thread for NumPy and torch; ``default``: as installed."""
    prev = torch.get_num_threads()
    if mode == "single":
        torch.set_num_threads(1)
        with threadpool_limits(limits=1):
            yield
        torch.set_num_threads(prev)
    else:
        yield


def run_workloads(workloads: list[Workload], modes: tuple[str, ...] = ("single", "default"),
                  repeat: int = 7) -> list[Result]:
    results = []
    for mode in modes:
        with thread_mode(mode):
            for w in workloads:
                # alternate the libraries and keep each one's best median, so a burst of
                # load on the machine does not land on one side only
                sj_s = th_s = float("inf")
                for _ in range(2):
                    sj_s = min(sj_s, time_call(w.shenjing, repeat=repeat) / w.per)
                    th_s = min(th_s, time_call(w.torch, repeat=repeat) / w.per)
                r = Result(w, mode, sj_s, th_s)
                results.append(r)
                print(_row(r), flush=True)
    return results


def _fmt(seconds: float, unit: str) -> str:
    return f"{seconds * 1e6:.1f} us" if unit == "us" else f"{seconds * 1e3:.2f} ms"


def _row(r: Result) -> str:
    w = r.workload
    return (f"| {w.name} | {r.threads} | {_fmt(r.sj_s, w.unit)} | {_fmt(r.th_s, w.unit)} | "
            f"{r.ratio:.2f} | {w.note} |")


def markdown(results: list[Result], header: str = "") -> str:
    lines = [header, "",
             "ratio = torch time / shenjing time (= shenjing speed / torch speed): >= 1.0 means "
             "shenjing is at least as fast as PyTorch; 0.5 means twice as slow.",
             "`single`: NumPy BLAS (threadpoolctl) and torch limited to 1 thread; "
             "`default`: each library's default thread count.",
             "Times are medians of repeated rounds after warm-up.", "",
             "| workload | threads | shenjing | torch | ratio | note |",
             "|---|---|---|---|---|---|"]
    lines += [_row(r) for r in results]
    return "\n".join(lines) + "\n"
