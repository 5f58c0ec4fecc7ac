"""Data-parallel scaling: CNN training samples/s on 2 ranks x 1 thread vs 1 rank x 1 thread.

    python benchmarks/distributed_scaling.py [--steps 20] [--quick] [--bandwidth-gbps 10]

Runs itself under ``mpiexec -n 1`` and ``mpiexec -n 2`` (OMP/OPENBLAS threads = 1, batch 64
per rank: weak scaling, as data-parallel training is used), prints the speed-up (bar: >= 1.7x)
and a model of a cluster of N machines:

    t_step(N) = t_compute + (1 - overlap) * t_allreduce(N)
    t_allreduce(N) = 2 (N - 1) / N * bytes / bandwidth + 2 (N - 1) * latency      (ring)
    speed-up(N) = N * t_compute / t_step(N)

with t_compute the measured 1-rank step time, bytes the measured gradient bytes per step, and
``overlap`` the fraction of the allreduce hidden under backward (0 = none, conservative).
Results go to benchmarks/DISTRIBUTED.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def worker(steps: int, batch: int, size: int) -> None:
    """One rank of the timed job: the seed CIFAR CNN, SGD, ``steps`` timed steps."""
    sys.path.insert(0, ROOT)
    import numpy as np  # noqa: PLC0415

    import shenjing as sj  # noqa: PLC0415
    import shenjing.distributed as dist  # noqa: PLC0415
    from shenjing import nn, optim  # noqa: PLC0415
    from shenjing.models import get_model  # noqa: PLC0415

    rank, world = dist.init()
    sj.manual_seed(0)
    net = get_model("seed_cnn", num_classes=10, in_channels=3, input_size=size)
    model = dist.DistributedDataParallel(net) if world > 1 else net
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(rank)
    x = sj.from_numpy(rng.standard_normal((batch, 3, size, size)).astype(np.float32))
    y = sj.from_numpy(rng.integers(0, 10, batch).astype(np.int64))

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(2):
        step()
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dist.barrier()
    secs = time.perf_counter() - t0
    nbytes = sum(p._data.nbytes for p in net.parameters() if p.requires_grad)
    ar = 0.0
    if world > 1:  # the allreduce alone, same bytes, for the comm share of a step
        buf = np.zeros(nbytes // 4, dtype=np.float32)
        t1 = time.perf_counter()
        for _ in range(5):
            dist.all_reduce(sj.from_numpy(buf))
        ar = (time.perf_counter() - t1) / 5
    if rank == 0:
        print("RESULT " + json.dumps({"world": world, "steps": steps, "batch": batch,
                                      "step_s": secs / steps,
                                      "samples_per_s": world * batch * steps / secs,
                                      "grad_bytes": nbytes, "allreduce_s": ar}), flush=True)
    dist.destroy_process_group()


def launch(n: int, args: argparse.Namespace) -> dict:
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    mpiexec = mpiexec if os.path.exists(mpiexec) else shutil.which("mpiexec")
    if mpiexec is None:
        raise SystemExit("distributed_scaling: mpiexec not found (pip install mpi4py mpich)")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([mpiexec, "-n", str(n), sys.executable, os.path.abspath(__file__),
                          "--worker", "--steps", str(args.steps), "--batch", str(args.batch),
                          "--size", str(args.size)],
                         capture_output=True, text=True, env=env, timeout=1800)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode != 0 or not line:
        raise SystemExit(f"distributed_scaling: the {n}-rank run failed\n{out.stdout}\n"
                         f"{out.stderr}")
    return json.loads(line[0][7:])


def model_table(t_compute: float, nbytes: int, gbps: float, latency_us: float,
                overlap: float) -> list[tuple[int, float, float]]:
    """(N, t_allreduce, predicted speed-up) for a ring allreduce over ``gbps`` Gb/s."""
    bw = gbps * 1e9 / 8
    rows = []
    for n in (2, 4, 8, 16):
        t_ar = 2 * (n - 1) / n * nbytes / bw + 2 * (n - 1) * latency_us * 1e-6
        rows.append((n, t_ar, n * t_compute / (t_compute + (1 - overlap) * t_ar)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=64, help="per rank")
    ap.add_argument("--size", type=int, default=32, help="image side (CIFAR: 32)")
    ap.add_argument("--quick", action="store_true", help="8 steps (a smoke run)")
    ap.add_argument("--bandwidth-gbps", type=float, default=10.0)
    ap.add_argument("--latency-us", type=float, default=20.0)
    ap.add_argument("--overlap", type=float, default=0.0)
    ap.add_argument("--out", default=os.path.join(HERE, "DISTRIBUTED.md"))
    args = ap.parse_args()
    if args.quick:
        args.steps = 8
    if args.worker:
        worker(args.steps, args.batch, args.size)
        return
    one, two = launch(1, args), launch(2, args)
    speedup = two["samples_per_s"] / one["samples_per_s"]
    t_c, nbytes = one["step_s"], one["grad_bytes"]
    rows = model_table(t_c, nbytes, args.bandwidth_gbps, args.latency_us, args.overlap)
    load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"
    lines = [
        "# Data-parallel scaling (benchmarks/distributed_scaling.py)",
        "",
        f"seed CIFAR CNN ({args.size}x{args.size}x3), batch {args.batch} per rank, SGD, "
        f"{args.steps} timed steps, OMP/OPENBLAS threads = 1, {os.cpu_count()} cores, "
        f"load average {load} at the start.",
        "",
        "| ranks x threads | step (ms) | samples/s |",
        "|---|---|---|",
        f"| 1 x 1 | {one['step_s'] * 1e3:.1f} | {one['samples_per_s']:.1f} |",
        f"| 2 x 1 | {two['step_s'] * 1e3:.1f} | {two['samples_per_s']:.1f} |",
        "",
        f"**speed-up 2 ranks / 1 rank: {speedup:.2f}x** (bar: >= 1.7x)",
        "",
        f"gradient allreduce per step: {nbytes / 2 ** 20:.2f} MiB; the allreduce alone on "
        f"2 local ranks: {two['allreduce_s'] * 1e3:.2f} ms "
        f"({two['allreduce_s'] / two['step_s'] * 100:.1f}% of a 2-rank step).",
        "",
        f"Model of N machines (ring allreduce, {args.bandwidth_gbps:g} Gb/s, "
        f"{args.latency_us:g} us latency, overlap {args.overlap:g}; compute "
        f"{t_c * 1e3:.1f} ms per step):",
        "",
        "| N | allreduce (ms) | predicted speed-up | efficiency |",
        "|---|---|---|---|",
    ] + [f"| {n} | {t * 1e3:.2f} | {s:.2f}x | {s / n * 100:.0f}% |" for n, t, s in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
