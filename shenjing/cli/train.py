"""``shenjing train``: fit a model on a data set, with a run folder you can come back to.

``shenjing train`` alone trains a small CNN on the bundled 8x8 digits (>= 97% test accuracy in
well under a minute on two cores). Each epoch saves a checkpoint set; Ctrl-C stops after the
current step, saves, and prints the ``--resume`` command; resuming restores the model, the
optimizer, the scheduler, the epoch and step, and both random streams (shenjing's default
generator, used by dropout, and the shuffling generator), so 2 + 2 epochs equal 4 bit for bit.

``mpiexec -n N shenjing train ...`` trains data-parallel with no other change: every rank
loads the data, wraps the model in DistributedDataParallel (BatchNorm made synchronous) and
trains on its 1/N of each epoch (a DistributedSampler); ``--batch-size`` is per rank, so the
global batch is N times larger (the learning rate is not scaled). Rank 0 chooses the run
folder and alone writes checkpoints, metrics and the report and prints; epoch metrics are
summed over ranks. Ctrl-C (mpiexec forwards it to every rank) stops every rank after the same
step: the ranks agree on a stop flag after each step. Without mpiexec nothing of this runs.
"""
from __future__ import annotations

import argparse
import math
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .. import nn, optim
from .._version import __version__
from ..backend import device as Device, random as sjrandom
from ..ops.creation import from_numpy
from ..utils.data import DataLoader, TensorDataset
from ..utils.progress import ProgressBar
from .checkpoint import load_checkpoint, save_checkpoint, save_weights
from .evaluate import close_writer, confusion_matrix, evaluate_arrays, log_scalars, \
    open_writer, write_artifacts, write_summary
from ..serialization import CheckpointError
from .runs import DEFAULT_ROOT, RunNotFoundError, new_run_dir, read_config, read_metrics, \
    resolve_run, write_config, write_metrics

__all__ = ["add_arguments", "run", "fit", "resolve_config", "build_model", "DEFAULTS"]

DEFAULTS: dict[str, Any] = {"model": None, "data": "digits", "epochs": 15, "batch_size": 32,
                            "optimizer": "adam", "lr": None, "schedule": "cosine",
                            "weight_decay": 0.0, "seed": 0, "val_fraction": 0.1,
                            "target": None, "image_size": 32, "data_root": None,
                            "download": False, "device": "cpu", "limit": None}
_LR = {"adam": 2e-3, "adamw": 2e-3, "sgd": 0.05, "rmsprop": 1e-3, "adagrad": 1e-2}
OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop",
              "adagrad": "Adagrad"}
SCHEDULES = ("none", "step", "cosine", "onecycle")


def add_arguments(p: argparse.ArgumentParser, multi: bool = False) -> None:
    """Training options; with ``multi`` the sweepable ones take several values (experiment)."""
    many = {"nargs": "+"} if multi else {}
    p.add_argument("--model", default=None, **many,
                   help="cnn (default for images), mlp (default for tables) or a zoo model "
                        "(see shenjing.models.list_models())")
    p.add_argument("--data", default=None, help="digits (default), mnist, fashion-mnist, "
                   "cifar10, cifar100, a folder of images or a .csv file")
    p.add_argument("--epochs", type=int, default=None, help=f"default {DEFAULTS['epochs']}")
    p.add_argument("--batch-size", type=int, default=None, **many,
                   help=f"default {DEFAULTS['batch_size']}")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=None, **many)
    p.add_argument("--lr", type=float, default=None, **many,
                   help="learning rate (default: 2e-3 for adam, 0.05 for sgd)")
    p.add_argument("--schedule", choices=SCHEDULES, default=None, **many,
                   help="learning-rate schedule over all steps (default cosine)")
    p.add_argument("--weight-decay", type=float, default=None, **many)
    p.add_argument("--seed", type=int, default=None, **many)
    p.add_argument("--val-fraction", type=float, default=None)
    p.add_argument("--target", default=None, help="target column of a CSV table")
    p.add_argument("--image-size", type=int, default=None, help="side of folder images (32)")
    p.add_argument("--data-root", default=None, help="where named data sets live")
    p.add_argument("--download", action="store_true", default=None)
    p.add_argument("--device", default=None,
                   help="cpu (default) or cuda[:i] (needs CuPy: pip install shenjing[cuda12])")
    p.add_argument("--limit", type=int, default=None,
                   help="train on the first N training samples only (quick smoke runs)")
    p.add_argument("--root", default=DEFAULT_ROOT, help="parent of new run folders (./runs)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    if not multi:
        p.add_argument("--out", default=None, help="run folder (default runs/<model>-<data>-"
                                                   "<time>)")
        p.add_argument("--resume", default=None, metavar="RUN",
                       help="continue an interrupted run where it stopped")


def resolve_config(given: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled in for every option the user did not give (None)."""
    cfg = {k: (given.get(k) if given.get(k) is not None else v) for k, v in DEFAULTS.items()}
    if cfg["lr"] is None:
        cfg["lr"] = _LR[cfg["optimizer"]]
    if cfg["epochs"] < 1 or cfg["batch_size"] < 1:
        raise ValueError(f"train: --epochs and --batch-size must be >= 1, got {cfg['epochs']} "
                         f"and {cfg['batch_size']}")
    if cfg["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"train: unknown optimizer {cfg['optimizer']!r}; "
                         f"choose from {sorted(OPTIMIZERS)}")
    if cfg["schedule"] not in SCHEDULES:
        raise ValueError(f"train: unknown schedule {cfg['schedule']!r}; choose from {SCHEDULES}")
    return cfg


def make_optimizer(cfg: dict[str, Any], params: Any) -> optim.Optimizer:
    kw: dict[str, Any] = {"lr": cfg["lr"], "weight_decay": cfg["weight_decay"]}
    if cfg["optimizer"] == "sgd":
        kw["momentum"] = 0.9
    return getattr(optim, OPTIMIZERS[cfg["optimizer"]])(params, **kw)


class OneCycle:
    """lr factor: linear warm-up over the first 30% of steps from 0.04, then cosine to ~0."""

    def __init__(self, total: int) -> None:
        self.total, self.warm = max(total, 1), max(int(0.3 * total), 1)

    def __call__(self, t: int) -> float:
        if t < self.warm:
            return 0.04 + 0.96 * t / self.warm
        frac = min((t - self.warm) / max(self.total - self.warm, 1), 1.0)
        return 1e-3 + (1 - 1e-3) * (1 + math.cos(math.pi * frac)) / 2


def make_scheduler(cfg: dict[str, Any], opt: optim.Optimizer, steps_per_epoch: int) -> Any:
    """A per-step scheduler for ``cfg['schedule']`` (None for 'none')."""
    total = cfg["epochs"] * steps_per_epoch
    sched = optim.lr_scheduler
    if cfg["schedule"] == "step":  # x0.1 at one third and two thirds of training
        return sched.StepLR(opt, step_size=max(total // 3, 1), gamma=0.1)
    if cfg["schedule"] == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=max(total, 1))
    if cfg["schedule"] == "onecycle":
        return sched.LambdaLR(opt, OneCycle(total))
    return None


def default_cnn(in_channels: int, size: int, num_classes: int) -> nn.Module:
    """conv3x3(32) - ReLU - conv3x3(64) - ReLU - maxpool2 - dropout - Linear(128) - Linear."""
    side = size // 2
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(64 * side * side, 128), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(128, num_classes))


def mlp(n_in: int, num_classes: int, hidden: Sequence[int] = (256, 128)) -> nn.Module:
    """Flatten - [Linear - ReLU]* - Linear: fits any input shape."""
    layers: list[nn.Module] = [nn.Flatten()]
    for h in hidden:
        layers += [nn.Linear(n_in, h), nn.ReLU()]
        n_in = h
    return nn.Sequential(*layers, nn.Linear(n_in, num_classes))


class FitInput(nn.Module):
    """Resizes (bilinear) and repeats channels so a zoo model sees the input it was built for."""

    def __init__(self, net: nn.Module, size: int | None, channels: int | None) -> None:
        super().__init__()
        self.net, self.size, self.channels = net, size, channels

    def forward(self, x: Any) -> Any:
        from ..nn import functional as F  # noqa: PLC0415

        if self.channels is not None and x.shape[1] != self.channels:
            x = x.repeat(1, self.channels, 1, 1)
        if self.size is not None and tuple(x.shape[-2:]) != (self.size, self.size):
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear",
                              align_corners=False)
        return self.net(x)


def _probe(model: nn.Module, shape: tuple[int, ...]) -> bool:
    """Whether ``model`` accepts a batch of two inputs of ``shape`` and gives (2, k) logits."""
    from ..autograd.grad_mode import no_grad  # noqa: PLC0415

    model.eval()
    try:
        with no_grad():
            out = model(from_numpy(np.zeros((2, *shape), np.float32)))
        return out.ndim == 2
    except Exception:  # noqa: BLE001 - any failure means "does not fit this size"
        return False
    finally:
        model.train()


def build_model(name: str, input_shape: Sequence[int], num_classes: int,
                options: dict[str, Any] | None = None) -> nn.Module:
    """``cnn``, ``mlp`` or a zoo model made to fit ``input_shape`` (C, H, W) or (F,).

    A zoo model gets ``in_channels``/``input_size`` when its builder takes them; otherwise the
    input is repeated to 3 channels and upsampled to the first of 32, 64, 224, 227 it accepts.
    """
    shape = tuple(int(s) for s in input_shape)
    n_in = int(np.prod(shape))
    if name == "mlp":
        return mlp(n_in, num_classes, tuple((options or {}).get("hidden", (256, 128))))
    if len(shape) != 3:
        raise ValueError(f"train: model {name!r} needs images (C, H, W) but the data has "
                         f"feature vectors of shape {shape}; use --model mlp")
    c, h, w = shape
    if name == "cnn":
        if h == w:
            return default_cnn(c, h, num_classes)
        return nn.Sequential(FitInput(default_cnn(c, max(h, w), num_classes), max(h, w), None))
    from .. import models  # noqa: PLC0415

    if name not in models.list_models():
        raise ValueError(f"train: unknown model {name!r}; use cnn, mlp or one of "
                         f"{', '.join(models.list_models())}")
    for kwargs in ({"in_channels": c, "input_size": h}, {"in_channels": c}, {}):
        try:
            net = models.get_model(name, num_classes=num_classes, **kwargs)
        except (TypeError, ValueError):
            continue
        chans = None if "in_channels" in kwargs else 3
        for size in (h, 32, 64, 224, 227):
            if size < h:
                continue
            wrapped = net if size == h and chans in (None, c) else FitInput(
                net, size if size != h else None, chans)
            if _probe(wrapped, shape):
                return wrapped
    raise ValueError(f"train: zoo model {name!r} does not fit {c}x{h}x{w} inputs even "
                     "upsampled to 224; pick another --model")


class Interrupted(Exception):
    """Training stopped by Ctrl-C after a checkpoint was saved."""


class _StopOnSigint:
    """First Ctrl-C asks the loop to stop after the current step; a second one aborts.

    In a job of several ranks (``dist.enabled``) the second Ctrl-C ends the whole job at once
    (a rank stopping mid-step would leave the others waiting in a collective).
    """

    def __init__(self, quiet: bool, dist: Any = None) -> None:
        self.requested, self.quiet, self._old, self.dist = False, quiet, None, dist

    def __enter__(self) -> "_StopOnSigint":
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            if self.dist is not None and self.dist.enabled:
                from ..distributed import failure  # noqa: PLC0415

                failure.abort(f"rank {self.dist.rank}: interrupted twice (Ctrl-C), aborting "
                              "the job without saving")
            raise KeyboardInterrupt
        self.requested = True
        if self.dist is None or self.dist.is_main:
            print("\nstopping after this step (Ctrl-C again to abort without saving)...",
                  flush=True)

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


def _state_copy(state: dict) -> dict:
    """A deep copy of a bit-generator state (nested dicts of ints / strings)."""
    return {k: (_state_copy(v) if isinstance(v, dict) else v) for k, v in state.items()}


Hook = Callable[[str, dict[str, Any]], None]


def _dist_context() -> Any:
    """The job's DistContext; a free one-process no-op unless launched by mpiexec.

    Not launched (and not set up by the caller), the process group is left uninitialised,
    so plain ``fit()`` calls have no side effect on ``shenjing.distributed``.
    """
    from ..distributed import comm, helpers  # noqa: PLC0415

    if comm.is_initialized() or comm._launched():  # noqa: SLF001 - launcher detection
        return helpers.setup_for_cli()
    return helpers.DistContext(0, 1)


def _main_then_share(dist: Any, fn: Callable[[], Any]) -> Any:
    """``fn()`` on rank 0, its result (or its exception, raised again) on every rank.

    For what must happen once, like creating the time-stamped run folder; in a one-process
    world it is just ``fn()``.
    """
    if not dist.enabled:
        return fn()

    from ..distributed import broadcast_object_list  # noqa: PLC0415

    box: list = [None]
    if dist.is_main:
        try:
            box[0] = (True, fn())
        except Exception as e:  # noqa: BLE001 - handed to every rank, raised there
            if type(e).__module__ != "builtins" and not isinstance(e, (CheckpointError,
                                                                       RunNotFoundError)):
                e = RuntimeError(f"{type(e).__name__}: {e}")  # only plain types travel
            box[0] = (False, e)
    broadcast_object_list(box, src=0)
    ok, value = box[0]
    if not ok:
        raise value
    return value


def _any_rank_stops(dist: Any, stop: "_StopOnSigint", hooks: Sequence[Hook], event: str,
                    info: dict[str, Any]) -> bool:
    """Run the hooks; whether any rank asked to stop (Ctrl-C or a hook), the same on all."""
    try:
        for h in hooks:
            h(event, info)
    except KeyboardInterrupt:
        stop.requested = True
    return dist.sum([float(stop.requested)])[0] > 0


def fit(cfg: dict[str, Any], run_dir: Path, resume: bool = False, quiet: bool = False,
        hooks: Sequence[Hook] = ()) -> dict[str, Any]:
    """Train as ``cfg`` says, writing everything into ``run_dir``; returns the final result.

    ``hooks`` are called as ``hook(event, info)`` with event 'step' (after each optimizer step)
    or 'epoch' (after each epoch's checkpoint); raising KeyboardInterrupt from one stops the
    run as Ctrl-C does. Raises :class:`Interrupted` after saving when stopped.
    """
    from .data import load_data  # noqa: PLC0415

    dist = _dist_context()
    if dist.enabled and not dist.is_main:
        dist.barrier()  # rank 0 downloads / unpacks first, then the others read its files
    data = load_data(cfg["data"], seed=cfg["seed"], val_fraction=cfg["val_fraction"],
                     root=cfg["data_root"], download=bool(cfg["download"]),
                     target=cfg["target"], image_size=cfg["image_size"])
    if dist.enabled and dist.is_main:
        dist.barrier()
    cfg.update(input_shape=list(data.input_shape), class_names=data.class_names,
               data_info=data.info, model=cfg["model"] or ("cnn" if data.kind == "image"
                                                          else "mlp"))
    sjrandom.manual_seed(cfg["seed"])
    shuffle_gen = sjrandom.Generator().manual_seed(cfg["seed"] + 1)
    net = build_model(cfg["model"], data.input_shape, data.num_classes,
                      cfg.get("model_options", {}))
    model = dist.wrap_model(net)  # DistributedDataParallel + SyncBatchNorm when world > 1
    net = _unwrap(model)  # what is saved and evaluated: the plain model
    if dist.rank:  # each rank its own dropout stream (rank 0's stays the one-process one)
        sjrandom.manual_seed(cfg["seed"] + 100_003 * dist.rank)
    dev = Device(cfg["device"] or "cpu")
    (xtr, ytr), (xva, yva), (xte, _) = data.train, data.val, data.test
    if cfg["limit"]:
        xtr, ytr = xtr[:cfg["limit"]], ytr[:cfg["limit"]]
    train_ds = TensorDataset(from_numpy(xtr), from_numpy(ytr))
    sampler = dist.make_sampler(train_ds, shuffle=True, seed=cfg["seed"] + 1)
    if sampler is None:
        loader = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True,
                            generator=shuffle_gen)
    else:  # this rank's 1/N of a permutation drawn from seed + 1 + epoch
        loader = DataLoader(train_ds, batch_size=cfg["batch_size"], sampler=sampler)
    opt = make_optimizer(cfg, model.parameters())
    sched = make_scheduler(cfg, opt, len(loader))
    loss_fn = nn.CrossEntropyLoss()
    ckpt_dir = run_dir / "checkpoints"
    meta: dict[str, Any] = {"epoch": 0, "step": 0, "history": [], "best_val_acc": -1.0,
                            "best_epoch": 0, "partial": [0.0, 0.0, 0]}
    if resume:
        m_state, o_state, meta = load_checkpoint(ckpt_dir / "last")  # on every rank
        net.load_state_dict(m_state)
        opt.load_state_dict(o_state)
        if sched is not None and meta.get("scheduler") is not None:
            sched.load_state_dict(meta["scheduler"])
        sjrandom.set_rng_state(meta["rng"])
        if dist.enabled:
            _resume_rank(dist, meta, cfg["seed"])
    if dev.type != "cpu":  # after loading (checkpoints load on the CPU), before any step
        model.to(dev)
        opt.load_state_dict(opt.state_dict())  # optimizer state follows its parameters
    if resume:  # the shuffle order of a half-done epoch is drawn again from its start state
        shuffle_gen.set_state(meta["shuffle_epoch_start"] if meta["step"] else meta["shuffle"])
    cfg["status"] = "running"
    main = dist.is_main
    if main:
        write_config(run_dir, cfg)
    writer = open_writer(run_dir) if main else None
    say = dist.print if dist.enabled else print

    def checkpoint(epoch: int, step: int, partial: list) -> None:
        rng = sjrandom.get_rng_state()
        if dist.enabled:  # every rank's dropout stream, and the whole job's running totals
            meta["rng_ranks"] = _gather(dist, rng)
            partial = dist.sum(partial)
        meta.update(epoch=epoch, step=step, partial=partial, rng=rng,
                    shuffle=shuffle_gen.get_state(), version=__version__,
                    scheduler=_jsonable(sched.state_dict()) if sched is not None else None)
        if main:
            save_checkpoint(ckpt_dir / "last", net.state_dict(), opt.state_dict(), meta)

    steps = len(loader)
    ranks = f", {dist.world_size} ranks x batch {cfg['batch_size']}" if dist.enabled else ""
    say(f"shenjing train: {cfg['model']} on {cfg['data']} ({len(xtr)} train / {len(xva)} val / "
        f"{len(xte)} test), {cfg['epochs']} epochs{ranks} -> {run_dir}")
    consistent, epoch, step = True, meta["epoch"], meta["step"]
    parallel = dist.enabled  # False: the one-process loop, exactly as without MPI
    with _StopOnSigint(quiet, dist) as stop:
        try:
            for epoch in range(meta["epoch"] + 1, cfg["epochs"] + 1):
                skip = meta["step"] if epoch == meta["epoch"] + 1 else 0
                if skip == 0:
                    meta["shuffle_epoch_start"] = _state_copy(shuffle_gen.get_state())
                    tot_loss, tot_ok, seen = 0.0, 0.0, 0
                else:
                    tot_loss, tot_ok, seen = meta["partial"]
                t0 = time.perf_counter()
                dist.set_epoch(epoch)
                bar = ProgressBar(steps, prefix=f"epoch {epoch}/{cfg['epochs']} ",
                                  enabled=not quiet and main)
                model.train()
                for step, (xb, yb) in enumerate(loader, 1):
                    if step <= skip:
                        continue
                    consistent = False
                    if dev.type != "cpu":
                        xb, yb = xb.to(dev), yb.to(dev)
                    opt.zero_grad()
                    logits = model(xb)
                    loss = loss_fn(logits, yb)
                    loss.backward()
                    opt.step()
                    if sched is not None:
                        sched.step()
                    n = len(yb)
                    tot_loss += float(loss.item()) * n
                    tot_ok += float((logits._data.argmax(1) == yb._data).sum())
                    seen += n
                    consistent = True
                    bar.update(step, loss=tot_loss / seen, acc=tot_ok / seen)
                    if parallel:
                        if _any_rank_stops(dist, stop, hooks, "step",
                                           {"epoch": epoch, "step": step, "model": net}):
                            raise KeyboardInterrupt
                        continue
                    for h in hooks:
                        h("step", {"epoch": epoch, "step": step, "model": net})
                    if stop.requested:
                        raise KeyboardInterrupt
                if parallel:  # the whole job's epoch: every rank's samples
                    tot_loss, tot_ok, seen = dist.sum([tot_loss, tot_ok, seen])
                vl, va, _ = evaluate_arrays(net, xva, yva)  # every rank, the same weights
                row = {"epoch": epoch, "train_loss": tot_loss / max(seen, 1),
                       "train_acc": tot_ok / max(seen, 1), "val_loss": vl, "val_acc": va,
                       "lr": float(opt.param_groups[0]["lr"]),
                       "seconds": time.perf_counter() - t0}
                meta["history"].append(row)
                if va > meta["best_val_acc"]:
                    meta.update(best_val_acc=va, best_epoch=epoch)
                    if main:
                        save_weights(net.state_dict(), _mk(ckpt_dir) / "best.safetensors")
                checkpoint(epoch, 0, [0.0, 0.0, 0])
                if main:
                    write_metrics(run_dir, meta["history"])
                    log_scalars(writer, row)
                say(f"epoch {epoch}/{cfg['epochs']}: train loss {row['train_loss']:.4f} acc "
                    f"{row['train_acc']:.4f} | val loss {vl:.4f} acc {va:.4f} | lr "
                    f"{row['lr']:.3g} | {row['seconds']:.1f}s")
                step = 0
                info = {"epoch": epoch, "model": net, "row": row}
                if parallel:
                    if _any_rank_stops(dist, stop, hooks, "epoch", info):
                        raise KeyboardInterrupt
                    continue
                for h in hooks:
                    h("epoch", info)
                if stop.requested:
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            if consistent:
                if step:  # mid-epoch: save where we are; epoch-end states are already saved
                    checkpoint(epoch - 1, step, [tot_loss, tot_ok, seen])
                    where = f"epoch {epoch} step {step}/{steps}"
                else:
                    where = f"the end of epoch {meta['epoch']}"
            else:
                where = f"the end of epoch {meta['epoch']} (last committed checkpoint)"
            cfg["status"] = "interrupted"
            if main:
                write_config(run_dir, cfg)
                close_writer(writer)
                write_artifacts(run_dir, None, data.class_names)
                launch = f"mpiexec -n {dist.world_size} " if dist.enabled else ""
                print(f"\ninterrupted: checkpoint at {where} saved in {ckpt_dir / 'last'}\n"
                      f"resume with: {launch}shenjing train --resume {run_dir}", flush=True)
            raise Interrupted(str(run_dir)) from None
    close_writer(writer)
    # test, summary and report once, on rank 0; every rank returns its result
    return _main_then_share(dist, lambda: _finish(cfg, run_dir, net, data, say))


def _unwrap(model: nn.Module) -> nn.Module:
    from ..distributed import unwrap_model  # noqa: PLC0415

    return unwrap_model(model)


def _gather(dist: Any, obj: Any) -> list:
    """Every rank's ``obj``, in rank order (a collective: all ranks call it)."""
    from ..distributed import all_gather_object  # noqa: PLC0415

    out: list = [None] * dist.world_size
    all_gather_object(out, obj)
    return out


def _resume_rank(dist: Any, meta: dict[str, Any], seed: int) -> None:
    """This rank's own dropout stream and share of the half-done epoch's totals.

    A checkpoint from a job of the same size restores each rank's stream; otherwise ranks
    other than 0 draw a fresh one. Rank 0 carries the job's running totals, the others 0.
    Resuming with another number of ranks works but is exact only at an epoch's end (each
    rank's share of an epoch, and the steps in it, depend on the number of ranks).
    """
    states = meta.get("rng_ranks")  # stale if a one-process resume wrote this checkpoint
    if states and len(states) == dist.world_size and states[0] == meta["rng"]:
        sjrandom.set_rng_state(states[dist.rank])
    elif dist.rank:
        sjrandom.manual_seed(seed + 100_003 * dist.rank + 7 * meta["epoch"] + 1)
    if not dist.is_main:
        meta["partial"] = [0.0, 0.0, 0]


def _finish(cfg: dict[str, Any], run_dir: Path, model: nn.Module, data: Any,
            say: Callable) -> dict[str, Any]:
    """Test with the best weights, write summary, plots and report; mark the run finished."""
    from .checkpoint import load_weights  # noqa: PLC0415

    best = run_dir / "checkpoints" / "best.safetensors"
    if best.is_file():
        model.load_state_dict(load_weights(best))
    tl, ta, pred = evaluate_arrays(model, *data.test)
    cm = confusion_matrix(data.test[1], pred, data.num_classes)
    write_summary(run_dir, model, data.input_shape)
    secs = sum(r["seconds"] for r in read_metrics(run_dir))
    cfg.update(status="finished", result={"test_loss": tl, "test_acc": ta, "seconds": secs})
    write_config(run_dir, cfg)
    for note in write_artifacts(run_dir, cm, data.class_names,
                                {"test_loss": tl, "test_acc": ta}):
        say(f"note: {note}")
    say(f"test loss {tl:.4f} | test accuracy {ta:.4f} ({ta * 100:.1f}%) with the best "
        f"weights | {secs:.1f}s training | run folder {run_dir}")
    return {"test_loss": tl, "test_acc": ta, "seconds": secs, "run_dir": str(run_dir)}


def _mk(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def _jsonable(obj: Any) -> Any:
    """Scheduler state (numbers, lists, dicts) as JSON-safe values."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.generic,)):
        return obj.item()
    return obj


def run(args: argparse.Namespace) -> int:
    """The ``shenjing train`` command; returns the exit status (130 when interrupted).

    Under mpiexec, rank 0 alone resolves the configuration and creates the run folder; every
    rank then trains with the same ones.
    """
    dist = _dist_context()
    try:
        run_dir, cfg = _main_then_share(dist, lambda: _plan(args))
    except Exception:
        if dist.is_main:
            raise  # reported once, by rank 0 (main prints it, or the job aborts with it)
        return 2
    try:
        fit(cfg, Path(run_dir), resume=bool(args.resume), quiet=args.quiet)
    except Interrupted:
        return 130
    return 0


def _plan(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """The run folder (new, or the one to resume) and its configuration."""
    given = {k: getattr(args, k, None) for k in DEFAULTS}
    if args.resume:
        run_dir = resolve_run(args.resume, args.root)
        cfg = read_config(run_dir)
        ignored = [k for k, v in given.items() if v is not None and k != "epochs"
                   and v != cfg.get(k)]
        if ignored:
            print(f"note: --resume keeps the run's own settings; ignoring {', '.join(ignored)}")
        if args.epochs is not None and args.epochs != cfg["epochs"]:
            if cfg.get("schedule", "none") != "none":
                print(f"note: the {cfg['schedule']} schedule was planned for {cfg['epochs']} "
                      f"epochs; it keeps that plan while training goes on to {args.epochs}")
            cfg["epochs"] = args.epochs
        print(f"resuming {run_dir}")
    else:
        cfg = resolve_config(given)
        from .data import NAMED  # noqa: PLC0415

        name = cfg["model"] or ("mlp" if str(cfg["data"]).lower().endswith(".csv") else "cnn")
        run_dir = new_run_dir(name, cfg["data"] if cfg["data"].lower() in NAMED or
                              cfg["data"] == "digits" else Path(cfg["data"]).stem,
                              args.out, args.root)
        cfg["created"] = time.strftime("%Y-%m-%d %H:%M:%S")
        cfg["version"] = __version__
    return Path(run_dir), cfg
