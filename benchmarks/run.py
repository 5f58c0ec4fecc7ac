"""Run every benchmarks/bench_*.py module side by side with PyTorch; write RESULTS.md.

    python benchmarks/run.py [--only core] [--single-only] [--repeat 7]
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from harness import cpu_model, markdown, run_workloads  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", nargs="*", help="bench module suffixes to run (e.g. core)")
    ap.add_argument("--single-only", action="store_true", help="skip the default-threads pass")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = ap.parse_args(argv)
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only]
    workloads = []
    for n in names:
        workloads += importlib.import_module(n).WORKLOADS
    modes = ("single",) if args.single_only else ("single", "default")
    print("| workload | threads | shenjing | torch | ratio | note |")
    results = run_workloads(workloads, modes, repeat=args.repeat)
    header = (f"# shenjing vs PyTorch benchmarks\n\nmachine: {platform.machine()}, "
              f"{os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, NumPy "
              f"{np.__version__}, torch {torch.__version__} (default threads: "
              f"{torch.get_num_threads()}); modules: {', '.join(names)}")
    text = markdown(results, header)
    if not args.only or "memory" in args.only:
        import memory  # noqa: PLC0415

        text += ("\n\n## Peak memory of training (fresh process per library)\n\n"
                 + "\n".join(memory.main()) + "\n")
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
