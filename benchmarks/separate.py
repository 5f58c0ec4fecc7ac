"""The speed-bar workloads with each library in its own fresh processes, as its users run it.

benchmarks/run.py times both libraries in one process, which lets bursts of outside load land
on both alike but also hands PyTorch shenjing's process-wide tuning (glibc malloc keeping freed
memory, which speeds PyTorch's LSTM up by 15-30% here). This script runs every workload in
child processes of one library only: shenjing's with its defaults, PyTorch's with
SHENJING_KEEP_MEMORY=0 (the bench modules import both). Children alternate between the
libraries, ``--procs`` each; a library's time is the lower quartile of all its timed rounds.

    python benchmarks/separate.py                 # default threads
    python benchmarks/separate.py --threads single
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (bench module, workload index): the workloads the issues set speed bars on
BARS = [("bench_cnn", 0), ("bench_cnn", 1), ("bench_cnn", 2), ("bench_cnn", 3),
        ("bench_gan", 0), ("bench_rnn", 0), ("bench_word2vec", 0), ("bench_word2vec", 1)]

CHILD = r"""
import json, sys
sys.path.insert(0, {here!r})
import importlib
from harness import calibrate, thread_mode, timed_round
w = importlib.import_module({module!r}).WORKLOADS[{index}]
fn = w.shenjing if {lib!r} == "shenjing" else w.torch
with thread_mode({threads!r}):
    number = calibrate(fn, w.warmup, 0.05)
    rounds = [timed_round(fn, number) / w.per for _ in range({rounds})]
print(json.dumps({{"name": w.name, "rounds": rounds}}))
"""


def _child(module: str, index: int, lib: str, threads: str, rounds: int) -> dict:
    env = dict(os.environ)
    if lib == "torch":
        env["SHENJING_KEEP_MEMORY"] = "0"
    code = CHILD.format(here=str(HERE), module=module, index=index, lib=lib, threads=threads,
                        rounds=rounds)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, cwd=str(HERE))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", choices=("default", "single"), default="default")
    ap.add_argument("--procs", type=int, default=3, help="child processes per library")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds per child")
    ap.add_argument("--only", nargs="*", help="bench module suffixes to run (e.g. rnn cnn)")
    args = ap.parse_args(argv)
    print(f"| workload ({args.threads} threads, separate processes) | shenjing | torch | ratio |")
    print("|---|---|---|---|")
    for module, index in BARS:
        if args.only and module.removeprefix("bench_") not in args.only:
            continue
        times: dict = {"shenjing": [], "torch": []}
        name = ""
        for _ in range(args.procs):
            for lib in ("shenjing", "torch"):
                r = _child(module, index, lib, args.threads, args.rounds)
                name = r["name"]
                times[lib] += r["rounds"]
        sj, th = (statistics.quantiles(times[k], n=4)[0] for k in ("shenjing", "torch"))
        print(f"| {name} | {sj * 1e3:.2f} ms | {th * 1e3:.2f} ms | {th / sj:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
