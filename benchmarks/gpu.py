"""GPU benchmarks: shenjing on CuPy next to torch CUDA (eager, float32), in one run, plus
shenjing's own CPU speed on the same work (the issue asks for >= 20x over it).

    python benchmarks/gpu.py [--out benchmarks/RESULTS_GPU.md]

Needs a CUDA GPU with CuPy and a CUDA build of torch; exits with a message otherwise.
Workloads: CIFAR ResNet-18 training at batch 128, the seed CNN and the MLP at batch 512.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests" / "models"))

import shenjing  # noqa: E402
from shenjing import models  # noqa: E402


def _mlp(mod):
    nn = mod.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def _model(mod, name):
    if name == "mlp":
        return _mlp(mod)
    if mod is shenjing:
        return models.get_model(name, num_classes=10)
    from _zoo_common import reference  # noqa: PLC0415

    return reference(name, 10)


def _step(mod, name, batch, device, sync):
    rng = np.random.default_rng(0)
    shape = (batch, 784) if name == "mlp" else (batch, 3, 32, 32)
    x = mod.tensor(rng.standard_normal(shape).astype(np.float32), device=device)
    y = mod.tensor(rng.integers(0, 10, batch).astype(np.int64), device=device)
    model = _model(mod, name).to(device)
    opt = mod.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = mod.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        sync()

    return step


def _time(fn, warmup=3, repeat=10):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(HERE / "RESULTS_GPU.md"))
    ap.add_argument("--cpu-repeat", type=int, default=2)
    args = ap.parse_args(argv)
    if not shenjing.cuda.is_available():
        print("benchmarks/gpu.py: no CUDA GPU with CuPy here; nothing to measure")
        return 1
    import torch  # noqa: PLC0415

    if not torch.cuda.is_available():
        print("benchmarks/gpu.py: torch has no CUDA here; nothing to compare with")
        return 1
    rows = []
    for name, batch in (("resnet18_cifar", 128), ("seed_cnn", 512), ("mlp", 512)):
        sj_gpu = _time(_step(shenjing, name, batch, "cuda", shenjing.cuda.synchronize))
        th_gpu = _time(_step(torch, name, batch, "cuda", torch.cuda.synchronize))
        sj_cpu = _time(_step(shenjing, name, batch, "cpu", lambda: None), warmup=1,
                       repeat=args.cpu_repeat)
        row = (f"| {name} train step (SGD momentum, batch {batch}) | {sj_gpu * 1e3:.2f} ms | "
               f"{th_gpu * 1e3:.2f} ms | {th_gpu / sj_gpu:.2f} | {sj_cpu * 1e3:.1f} ms | "
               f"{sj_cpu / sj_gpu:.1f}x |")
        print(row, flush=True)
        rows.append(row)
    header = (f"# shenjing on a GPU vs torch CUDA\n\ndevice: {shenjing.cuda.get_device_name()}, "
              f"torch {torch.__version__}\n\nratio = torch time / shenjing time; "
              f"speed-up = shenjing CPU time / shenjing GPU time.\n\n"
              "| workload | shenjing cuda | torch cuda | ratio | shenjing cpu | speed-up |\n"
              "|---|---|---|---|---|---|")
    Path(args.out).write_text(header + "\n" + "\n".join(rows) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
