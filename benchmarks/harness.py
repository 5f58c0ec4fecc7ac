"""Side-by-side timing of shenjing and PyTorch on the same work, in one process.

A workload is a pair of zero-argument callables (one per library) doing the same work on the
same data. Each is warmed up; then rounds of ``number`` calls alternate between the two
libraries (the order flipping every round), and we report each one's lower quartile of the
per-call round times. This machine sees bursts of outside load (a fixed GEMM loop varies by
+-60% from second to second): alternating rounds lets bursts land on both sides alike, and
the lower quartile reads each library's speed between bursts without being its single
luckiest round. Every workload runs twice: single-threaded (NumPy's BLAS and torch both
limited to 1 thread) and with each library's default thread count.

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
    warmup: int = 3  # calls before timing: training workloads with a slow start need more


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


def calibrate(fn: Callable[[], object], warmup: int, min_time: float) -> int:
    """Warm ``fn`` up; return how many calls make a round of at least ``min_time``."""
    for _ in range(warmup):
        fn()
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or number >= 1 << 20:
            return number
        number *= 2 if dt > min_time / 10 else 10


def timed_round(fn: Callable[[], object], number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def time_pair(a: Callable[[], object], b: Callable[[], object], warmup: int = 3,
              rounds: int = 14, min_time: float = 0.05) -> tuple[float, float]:
    """Lower-quartile seconds per call of ``a`` and of ``b``, their rounds alternated."""
    na, nb = calibrate(a, warmup, min_time), calibrate(b, warmup, min_time)
    ta: list = []
    tb: list = []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            if r % 2:
                tb.append(timed_round(b, nb))
                ta.append(timed_round(a, na))
            else:
                ta.append(timed_round(a, na))
                tb.append(timed_round(b, nb))
    finally:
        if gc_was:
            gc.enable()
    return _lower_quartile(ta), _lower_quartile(tb)


def _lower_quartile(xs: list) -> float:
    return statistics.quantiles(xs, n=4)[0] if len(xs) > 1 else xs[0]


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
                sj_s, th_s = time_pair(w.shenjing, w.torch, warmup=w.warmup,
                                       rounds=2 * repeat)
                r = Result(w, mode, sj_s / w.per, th_s / w.per)
                results.append(r)
                print(_row(r), flush=True)
    return results


def cpu_model() -> str:
    """The CPU's model name and its widest vector extension (AVX-512 or AVX2), from Linux."""
    try:
        info = open("/proc/cpuinfo").read()
    except OSError:
        return "unknown CPU"
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines()
                 if ln.startswith("model name")), "unknown CPU")
    simd = "AVX-512" if " avx512f" in info else "AVX2" if " avx2" in info else "no AVX2"
    return f"{name} ({simd})"


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
             "Times are the lower quartile of rounds alternated between the libraries, after warm-up.",
             "In this shared process PyTorch also runs with shenjing's process-wide malloc tuning "
             "(freed memory kept), which speeds some of its workloads up; SEPARATE.md times each "
             "library in its own processes.",
             "Ratios depend on the CPU: PyTorch's convolutions (oneDNN) gain more from AVX-512 "
             "than NumPy's im2col + OpenBLAS path does, so compare runs on the same CPU model.",
             "",
             "| workload | threads | shenjing | torch | ratio | note |",
             "|---|---|---|---|---|---|"]
    lines += [_row(r) for r in results]
    return "\n".join(lines) + "\n"
