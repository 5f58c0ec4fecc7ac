"""Peak memory of a training loop, shenjing vs PyTorch, each in its own fresh process.

After imports the kernel's peak-RSS mark is reset (/proc/self/clear_refs); the model, its
optimizer and data are built and 22 steps run; the new peak (VmHWM) minus the resident size at
the reset is what training holds at its highest: weights, optimizer state, activations, temporaries.

    python benchmarks/memory.py            # MLP 784-256-128-10, Adam, batch 128
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import sys, json
sys.path.insert(0, {here!r})
lib = {lib!r}
import numpy as np
import shenjing, torch
mod = shenjing if lib == "shenjing" else torch
import {bench} as b
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
mod.ones(2) * 2  # the library's first-op warm-up is not training's cost
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS:")
step = b.{factory}(mod)
for _ in range(22):
    step()
after = status("VmHWM:")
print(json.dumps({{"before_kb": before, "after_kb": after}}))
"""

CASES = [("MLP 784-256-128-10 train (Adam, batch 128)", "bench_mlp", "_step"),
         ("seed CIFAR CNN train (Adam, batch 64)", "bench_cnn", "_seed_cnn_step"),
         ("CIFAR ResNet-18 train (SGD momentum, batch 32)", "bench_cnn", "_resnet_step")]


def measure(bench: str, factory: str, lib: str) -> dict:
    code = CHILD.format(here=str(HERE), lib=lib, bench=bench, factory=factory)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> list[str]:
    rows = ["| workload | shenjing training peak (MiB) | torch training peak (MiB) | ratio |",
            "|---|---|---|---|"]
    for name, bench, factory in CASES:
        r = {lib: measure(bench, factory, lib) for lib in ("shenjing", "torch")}
        d = {lib: max(v["after_kb"] - v["before_kb"], 0) / 1024 for lib, v in r.items()}
        ratio = d["shenjing"] / d["torch"] if d["torch"] else float("nan")
        rows.append(f"| {name} | {d['shenjing']:.1f} | {d['torch']:.1f} | {ratio:.2f} |")
    print("\n".join(rows))
    return rows


if __name__ == "__main__":
    main()
