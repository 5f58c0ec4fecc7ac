"""compile / fit / evaluate / predict for Keras models, and the Keras progress bar.

The loop reads top to bottom like Keras 3's torch trainer: slice a batch (NumPy views of
arrays shuffled once per epoch), forward in training mode, loss plus regularization
penalties, backward, one optimizer step, constraints, then the loss tracker and the
compiled metrics on NumPy arrays. Per-batch logs are only built when a callback or the
progress bar will read them, so a plain fit costs little more than a hand-written loop.
"""
from __future__ import annotations

import copy
import math
import sys
import time
from typing import Any, Sequence

import numpy as np

from ..autograd import Tensor, no_grad

__all__ = ["Trainer", "Progbar"]


# ----------------------------------------------------------------------------- data
def _to_arrays(data: Any, what: str) -> list[np.ndarray] | None:
    """Flatten x / y / sample_weight to a list of NumPy arrays (floats as float32)."""
    if data is None:
        return None
    if isinstance(data, dict):
        data = list(data.values())
    items = data if isinstance(data, (list, tuple)) and data and not np.isscalar(data[0]) \
        and (isinstance(data[0], (np.ndarray, Tensor, list, tuple))) and not \
        _is_plain_nested_numbers(data) else [data]
    out = []
    for a in items:
        a = a._data if isinstance(a, Tensor) else np.asarray(a)
        if a.dtype.kind == "f" and a.dtype != np.float32:
            a = a.astype(np.float32)
        elif a.dtype.kind == "b":
            a = a.astype(np.float32)
        if a.ndim == 0:
            raise ValueError(f"Expected `{what}` to be an array with a batch dimension, got a "
                             f"scalar: {a!r}")
        out.append(a)
    return out


def _is_plain_nested_numbers(data: Any) -> bool:
    """[[1, 2], [3, 4]] is one array, [array, array] is two inputs."""
    return all(isinstance(d, (list, tuple)) for d in data) and \
        all(np.isscalar(e) for d in data for e in (d[:1] if d else []))


def _check_cardinality(xs: list, ys: list | None, sws: list | None) -> int:
    sizes = {len(a) for a in xs + (ys or []) + (sws or [])}
    if len(sizes) > 1:
        msg = "Data cardinality is ambiguous. Make sure all arrays contain the same number " \
              "of samples. "
        for label, arrs in (("x", xs), ("y", ys), ("sample_weight", sws)):
            if arrs:
                msg += f"'{label}' sizes: {', '.join(str(len(a)) for a in arrs)}\n"
        raise ValueError(msg)
    return sizes.pop()


def _unpack(x: Any, y: Any, sw: Any) -> tuple:
    """Keras also takes x as a tuple (x, y[, sample_weight])."""
    if y is None and isinstance(x, tuple) and 2 <= len(x) <= 3:
        return x + (None,) * (3 - len(x)) if sw is None else x[:2] + (sw,)
    return x, y, sw


def _class_weights(ys: list[np.ndarray], class_weight: dict) -> np.ndarray:
    y = ys[0]
    labels = y.argmax(-1) if y.ndim > 1 and y.shape[-1] > 1 else \
        np.round(y.reshape(len(y), -1)[:, 0]).astype(np.int64)
    table = np.zeros(max(max(class_weight) + 1, int(labels.max()) + 1 if len(labels) else 1),
                     np.float32)
    table[...] = 1.0
    for k, v in class_weight.items():
        table[int(k)] = v
    return table[labels]


def _split(arrs: list | None, lo: int, hi: int) -> list | None:
    return None if arrs is None else [a[lo:hi] for a in arrs]


# ----------------------------------------------------------------------------- progress bar
class Progbar:
    """Keras's bar: ``32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.3000``.

    verbose=1 redraws one line (at most every 0.05 s, only on a terminal; elsewhere it prints
    the finished line); verbose=2 prints one line per epoch.
    """

    width = 20

    def __init__(self, target: int | None, verbose: int = 1, unit_name: str = "step") -> None:
        self.target, self.verbose, self.unit_name = target, verbose, unit_name
        self.start = self.last = time.time()
        self.dynamic = hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
        self.prev_width = 0

    def due(self) -> bool:
        return self.verbose == 1 and self.dynamic and time.time() - self.last >= 0.05

    @staticmethod
    def _fmt_value(v: float) -> str:
        return f" {v:.4f}" if abs(v) > 1e-3 else f" {v:.4e}"

    def _per_unit(self, seconds: float) -> str:
        if seconds >= 1 or seconds == 0:
            return f"{seconds:.0f}s/{self.unit_name}"
        if seconds >= 1e-3:
            return f"{seconds * 1e3:.0f}ms/{self.unit_name}"
        return f"{seconds * 1e6:.0f}us/{self.unit_name}"

    def update(self, current: int, logs: dict | None = None, finalize: bool = False) -> None:
        now = time.time()
        self.last = now
        elapsed = now - self.start
        per = elapsed / max(current, 1)
        metrics = "".join(f" - {k}:{self._fmt_value(float(v))}" for k, v in (logs or {}).items()
                          if np.ndim(v) == 0)
        target = self.target or current
        digits = int(math.log10(max(target, 1))) + 1
        count = f"{current:{digits}d}/{target}"
        if self.verbose == 2:
            if finalize:
                sys.stdout.write(f"{count} - {elapsed:.0f}s - {self._per_unit(per)}{metrics}\n")
                sys.stdout.flush()
            return
        filled = int(self.width * current / max(target, 1))
        bar = "━" * filled + "━" * (self.width - filled)
        if finalize:
            timing = f"{elapsed:.0f}s {self._per_unit(per)}"
        else:
            eta = per * (target - current)
            timing = f"{eta:.0f}s {self._per_unit(per)}" if eta < 60 else \
                f"{int(eta // 60)}:{int(eta % 60):02d} {self._per_unit(per)}"
        line = f"{count} {bar} {timing}{metrics}"
        if self.dynamic:
            pad = " " * max(self.prev_width - len(line), 0)
            sys.stdout.write("\r" + line + pad + ("\n" if finalize else ""))
            self.prev_width = len(line)
        elif finalize:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()


# ----------------------------------------------------------------------------- callbacks
def _overrides(cb: Any, name: str) -> bool:
    """Whether a callback does something in hook ``name`` (skip no-op hooks on the hot path)."""
    try:
        from .callbacks import Callback  # noqa: PLC0415
    except ImportError:
        return True
    fn = getattr(type(cb), name, None)
    return fn is not None and fn is not getattr(Callback, name, None)


class _Callbacks:
    """The callbacks of one fit / evaluate / predict, each hook called in list order."""

    def __init__(self, callbacks: Sequence[Any], model: Any, params: dict) -> None:
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if hasattr(cb, "set_model"):
                cb.set_model(model)
            if hasattr(cb, "set_params"):
                cb.set_params(params)
        self.batch_users: dict[str, list] = {}
        for name in ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                     "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"):
            users = []
            for cb in self.callbacks:
                if _overrides(cb, name):
                    users.append(getattr(cb, name))
                elif name.startswith("on_train_") and \
                        _overrides(cb, name.replace("on_train_", "on_")):
                    users.append(getattr(cb, name.replace("on_train_", "on_")))  # Keras 2 name
            self.batch_users[name] = users

    def __call__(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(*args)

    def batch(self, hook: str, step: int, logs: Any = None) -> None:
        users = self.batch_users[hook]
        if users:
            logs = logs() if callable(logs) else logs
            for fn in users:
                fn(step, logs)


def _make_callbacks(model: Any, callbacks: Any, params: dict, history: bool) -> _Callbacks:
    cbs = list(callbacks or [])
    if history:
        from .callbacks import History  # noqa: PLC0415

        if not any(isinstance(cb, History) for cb in cbs):
            cbs.append(History())
    return _Callbacks(cbs, model, params)


# ----------------------------------------------------------------------------- trainer
class Trainer:
    """compile / fit / evaluate / predict, mixed into keras.Model."""

    def _init_trainer(self) -> None:
        d = self.__dict__
        d.update(compiled=False, optimizer=None, loss=None, stop_training=False, history=None,
                 _compile_args=None, _resolved=None, _opt_vars=None, _loss_checked=False)

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: Any = "auto",
                auto_scale_loss: bool = True) -> None:
        """Set the optimizer, loss(es), loss weights and metrics used by fit / evaluate."""
        from . import optimizers  # noqa: PLC0415

        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._compile_args = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                              "metrics": metrics, "weighted_metrics": weighted_metrics}
        self._resolved = None
        self._opt_vars = None
        self._loss_checked = False
        self.compiled = True

    def _output_names(self) -> list[str]:
        return list(getattr(self, "output_names", None) or [self.name])

    def _resolve(self, n_out: int) -> dict:
        """Losses, weights and metrics per output, built once the output count is known."""
        if self._resolved is not None and self._resolved["n"] == n_out:
            return self._resolved
        from . import losses as L, metrics as M  # noqa: PLC0415

        names = self._output_names()
        if len(names) != n_out:
            names = [f"output_{i}" for i in range(n_out)] if n_out > 1 else [self.name]
        args = self._compile_args

        def per_output(spec: Any, leaf: Any) -> list:
            if isinstance(spec, dict):
                return [spec.get(n) for n in names]
            if isinstance(spec, (list, tuple)) and n_out > 1 and len(spec) == n_out and \
                    not all(isinstance(s, leaf) for s in spec):
                return list(spec)
            if isinstance(spec, (list, tuple)) and n_out > 1 and len(spec) == n_out and \
                    leaf is object:
                return list(spec)
            return [spec] * n_out

        loss_spec = args["loss"]
        if isinstance(loss_spec, (list, tuple)) and len(loss_spec) != n_out:
            raise ValueError(f"The model has {n_out} outputs, but you passed "
                             f"{len(loss_spec)} losses to compile: {loss_spec}")
        losses = [None if s is None else L.get(s) for s in per_output(loss_spec, object)]
        if all(lo is None for lo in losses):
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        lw = args["loss_weights"]
        weights = per_output(lw, object) if lw is not None else [1.0] * n_out
        mets: list[list] = []
        for key, weighted in (("metrics", False), ("weighted_metrics", True)):
            spec = args[key]
            if spec is None:
                per = [[] for _ in range(n_out)]
            elif isinstance(spec, dict):
                per = [spec.get(n) or [] for n in names]
            elif n_out > 1 and isinstance(spec, (list, tuple)) and len(spec) == n_out and \
                    all(isinstance(s, (list, tuple)) or s is None for s in spec):
                per = [list(s or []) for s in spec]
            else:
                per = [list(spec) if isinstance(spec, (list, tuple)) else [spec]] * n_out
            for i, ms in enumerate(per):
                for m in (ms if isinstance(ms, (list, tuple)) else [ms]):
                    obj = M.get(m, loss=losses[i])
                    if any(obj is t[1] for t in mets):  # one metric object per output
                        obj = copy.deepcopy(obj)
                        obj.reset_state()
                    label = obj.name if n_out == 1 else f"{names[i]}_{obj.name}"
                    mets.append((i, obj, label, weighted))
        self._resolved = {"n": n_out, "names": names, "losses": losses, "weights": weights,
                          "metrics": mets}
        return self._resolved

    @property
    def metrics_names(self) -> list[str]:
        if self._resolved is None:
            return ["loss"] if self.compiled else []
        return ["loss"] + [m[2] for m in self._resolved["metrics"]]

    def reset_metrics(self) -> None:
        if self._resolved is not None:
            for _, m, _, _ in self._resolved["metrics"]:
                m.reset_state()

    # ------------------------------------------------------------------ one step
    def _output_layer_name(self, i: int) -> str:
        outs = getattr(self, "_graph_outputs", None)
        if outs:
            return outs[i]._keras_history[0].name
        layers = getattr(self, "layers", None)
        return layers[-1].name if layers else self.name

    def _compute_loss(self, ys: list, preds: list, sw: Any, res: dict) -> tuple:
        total = None
        parts = []
        for i, (fn, w) in enumerate(zip(res["losses"], res["weights"])):
            if fn is None:
                parts.append(None)
                continue
            try:
                value = fn(ys[i], preds[i], sw)
            except ValueError as e:
                if self._loss_checked:
                    raise
                raise ValueError(
                    f"The loss '{getattr(fn, 'name', fn)}' does not fit the output of layer "
                    f"'{self._output_layer_name(i)}': target (y) shape "
                    f"{(None,) + tuple(np.shape(ys[i])[1:])}, output shape "
                    f"{(None,) + tuple(preds[i].shape[1:])}. {e}") from None
            parts.append(value)
            value = value if w == 1.0 else value * w
            total = value if total is None else total + value
        if not self._loss_checked:
            self._loss_checked = True
        for reg in self._penalties():
            total = total + reg
        return total, parts

    def _penalties(self) -> list:
        out = []
        for w, reg in self._regularized:
            out.append(reg(w))
        for layer in self._all_layers:
            if layer._activity_losses:
                out.extend(layer._activity_losses)
        return out

    def _prepare_training(self) -> list:
        """Trainable variables, regularized weights and constrained weights, found once."""
        from .layers.base import Layer  # noqa: PLC0415

        self.__dict__["_all_layers"] = [m for m in self.modules() if isinstance(m, Layer)]
        variables = [w for w in self.trainable_weights if w.requires_grad]
        self.__dict__["_regularized"] = [
            (w, w._keras_regularizer) for w in self.weights
            if getattr(w, "_keras_regularizer", None) is not None]
        self.__dict__["_constrained"] = [
            (w, w._keras_constraint) for w in variables
            if getattr(w, "_keras_constraint", None) is not None]
        ids = [id(v) for v in variables]
        if self._opt_vars != ids:
            self.optimizer.build(variables)
            self._opt_vars = ids
        return variables

    def _forward(self, xs: list, training: bool) -> list:
        x = xs[0] if len(xs) == 1 else list(xs)
        x = _wrap_inputs(x)
        out = self(x, training=training)
        return list(out) if isinstance(out, (list, tuple)) else [out]

    def _train_step(self, xs: list, ys: list, sw: Any, variables: list, res: dict) -> float:
        for v in variables:
            v._grad = None
        preds = self._forward(xs, True)
        loss, parts = self._compute_loss(ys, preds, sw, res)
        loss.backward()
        self.optimizer.step(variables)
        if self._constrained:
            with no_grad():
                for w, c in self._constrained:
                    w._data[...] = c(w)._data
        self._update_metrics(ys, preds, sw, parts, res)
        return float(loss._data)

    def _update_metrics(self, ys: list, preds: list, sw: Any, parts: list, res: dict) -> None:
        for i, m, _, weighted in res["metrics"]:
            y, p = ys[i], preds[i]._data
            if y.ndim == p.ndim - 1 and p.shape[-1] == 1:  # Keras expands y_true to y_pred's rank
                y = y[..., None]
            m.update_state(y, p, sw if weighted else None)
        if res["n"] > 1:
            n = len(ys[0])
            for i, p in enumerate(parts):
                if p is not None:
                    acc = self._part_sums.setdefault(i, [0.0, 0])
                    acc[0] += float(p._data) * n
                    acc[1] += n

    def _logs(self, loss_sum: float, count: int, res: dict, prefix: str = "") -> dict:
        logs = {"loss": loss_sum / max(count, 1)}
        for _, m, label, _ in res["metrics"]:
            logs[label] = float(m.result())
        if res["n"] > 1:
            for i, (s, c) in self._part_sums.items():
                logs[f"{res['names'][i]}_loss"] = s / max(c, 1)
        return {prefix + k: logs[k] for k in sorted(logs)}

    # ------------------------------------------------------------------ data handling
    def _check_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError("You must call `compile()` before using the model "
                               f"(before `{what}`).")

    def _arrays(self, x: Any, y: Any, sw: Any, class_weight: Any = None) -> tuple:
        x, y, sw = _unpack(x, y, sw)
        if x is None:
            raise ValueError("Expected `x` (the input data), got None.")
        xs, ys, sws = _to_arrays(x, "x"), _to_arrays(y, "y"), _to_arrays(sw, "sample_weight")
        n = _check_cardinality(xs, ys, sws)
        w = sws[0] if sws else None
        if class_weight is not None:
            if ys is None:
                raise ValueError("`class_weight` needs targets `y`.")
            cw = _class_weights(ys, class_weight)
            w = cw if w is None else w * cw
        return xs, ys, w, n

    # ------------------------------------------------------------------ fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Sequence[Any] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            class_weight: dict | None = None, sample_weight: Any = None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> Any:
        """Train for ``epochs`` over (x, y) in batches; return the History.

        ``validation_split`` holds out the LAST fraction of the samples, before shuffling,
        exactly as Keras does.
        """
        self._check_compiled("fit")
        verbose = 1 if verbose == "auto" else int(verbose)
        batch_size = 32 if batch_size is None else int(batch_size)
        xs, ys, sw, n = self._arrays(x, y, sample_weight, class_weight)
        if ys is None:
            raise ValueError("fit: targets `y` are required.")
        val = None
        if validation_data is not None:
            vx, vy, vsw = (tuple(validation_data) + (None,))[:3]
            val = self._arrays(vx, vy, vsw)
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError("`validation_split` must be between 0 and 1, got "
                                 f"{validation_split}")
            cut = int(math.floor(n * (1.0 - validation_split)))
            if cut == 0 or cut == n:
                raise ValueError(f"Training data contains {n} samples, which is not sufficient "
                                 "to split it into a validation and training set as specified "
                                 f"by `validation_split={validation_split}`. Either provide "
                                 "more data, or a different value for the `validation_split` "
                                 "argument.")
            val = (_split(xs, cut, n), _split(ys, cut, n),
                   None if sw is None else sw[cut:], n - cut)
            xs, ys, sw, n = _split(xs, 0, cut), _split(ys, 0, cut), \
                None if sw is None else sw[:cut], cut
        steps = math.ceil(n / batch_size)
        if steps_per_epoch:
            steps = min(steps, int(steps_per_epoch))
        if not self.built:
            self._build_from_data(xs)
        variables = self._prepare_training()
        cbs = _make_callbacks(self, callbacks, {"verbose": verbose, "epochs": epochs,
                                                "steps": steps}, history=True)
        self.stop_training = False
        self.train()
        cbs("on_train_begin", None)
        train_logs: dict = {}
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                self.__dict__["_part_sums"] = {}
                cbs("on_epoch_begin", epoch, None)
                if verbose == 1 and epochs > 1 or verbose == 2 and epochs > 1:
                    print(f"Epoch {epoch + 1}/{epochs}")
                bar = Progbar(steps, verbose) if verbose else None
                epoch_logs = self._run_epoch(xs, ys, sw, n, batch_size, steps, shuffle,
                                             variables, cbs, bar)
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_arrays(
                        *val[:3], val[3], validation_batch_size or batch_size, cbs,
                        validation_steps)
                    epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                if bar is not None:
                    bar.update(steps, epoch_logs, finalize=True)
                cbs("on_epoch_end", epoch, epoch_logs)
                train_logs = epoch_logs
                if self.stop_training:
                    break
        finally:
            self.eval()
        cbs("on_train_end", train_logs)
        from .callbacks import History  # noqa: PLC0415

        for cb in cbs.callbacks:
            if isinstance(cb, History):
                self.history = cb
        return self.history

    def _run_epoch(self, xs: list, ys: list, sw: Any, n: int, batch_size: int, steps: int,
                   shuffle: bool, variables: list, cbs: _Callbacks, bar: Progbar | None) -> dict:
        if shuffle:
            order = np.random.permutation(n)
            xs, ys = [a[order] for a in xs], [a[order] for a in ys]
            sw = None if sw is None else sw[order]
        res = self._resolve(len(ys))
        loss_sum, count = 0.0, 0
        logs_now = lambda: self._logs(loss_sum, count, res)  # noqa: E731
        for step in range(steps):
            lo, hi = step * batch_size, min((step + 1) * batch_size, n)
            cbs.batch("on_train_batch_begin", step, None)
            xb, yb = [a[lo:hi] for a in xs], [a[lo:hi] for a in ys]
            loss = self._train_step(xb, yb, None if sw is None else sw[lo:hi], variables, res)
            loss_sum += loss * (hi - lo)
            count += hi - lo
            cbs.batch("on_train_batch_end", step, logs_now)
            if bar is not None and bar.due():
                bar.update(step + 1, logs_now())
            if self.stop_training:
                break
        return logs_now()

    def _build_from_data(self, xs: list) -> None:
        with no_grad():
            self._forward([a[:1] for a in xs], False)

    # ------------------------------------------------------------------ evaluate
    def _evaluate_arrays(self, xs: list, ys: list, sw: Any, n: int, batch_size: int,
                         cbs: _Callbacks, steps: int | None = None,
                         bar: Progbar | None = None) -> dict:
        if not self.built:
            self._build_from_data(xs)
        if not hasattr(self, "_regularized") or not hasattr(self, "_all_layers"):
            self._prepare_training()
        res = self._resolve(len(ys))
        was_training = self.training
        self.eval()
        self.reset_metrics()
        self.__dict__["_part_sums"] = {}
        total = math.ceil(n / batch_size) if steps is None else min(steps,
                                                                    math.ceil(n / batch_size))
        loss_sum, count = 0.0, 0
        cbs("on_test_begin", None)
        with no_grad():
            for step in range(total):
                lo, hi = step * batch_size, min((step + 1) * batch_size, n)
                cbs.batch("on_test_batch_begin", step, None)
                xb, yb = [a[lo:hi] for a in xs], [a[lo:hi] for a in ys]
                swb = None if sw is None else sw[lo:hi]
                preds = self._forward(xb, False)
                loss, parts = self._compute_loss(yb, preds, swb, res)
                self._update_metrics(yb, preds, swb, parts, res)
                loss_sum += float(loss._data) * (hi - lo)
                count += hi - lo
                cbs.batch("on_test_batch_end", step,
                          lambda: self._logs(loss_sum, count, res))
                if bar is not None and bar.due():
                    bar.update(step + 1, self._logs(loss_sum, count, res))
        logs = self._logs(loss_sum, count, res)
        if bar is not None:
            bar.update(total, logs, finalize=True)
        cbs("on_test_end", logs)
        if was_training:
            self.train()
        return logs

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: Sequence[Any] | None = None, return_dict: bool = False) -> Any:
        """Loss (and metrics) over (x, y) in inference mode: a float, a list, or a dict."""
        self._check_compiled("evaluate")
        verbose = 1 if verbose == "auto" else int(verbose)
        xs, ys, sw, n = self._arrays(x, y, sample_weight)
        if ys is None:
            raise ValueError("evaluate: targets `y` are required.")
        batch_size = 32 if batch_size is None else int(batch_size)
        nsteps = math.ceil(n / batch_size) if steps is None else steps
        cbs = _make_callbacks(self, callbacks, {"verbose": verbose, "epochs": 1,
                                                "steps": nsteps}, history=False)
        bar = Progbar(nsteps, verbose) if verbose else None
        logs = self._evaluate_arrays(xs, ys, sw, n, batch_size, cbs, steps, bar)
        return self._format_results(logs, return_dict)

    def _format_results(self, logs: dict, return_dict: bool) -> Any:
        if return_dict:
            return logs
        names = self.metrics_names
        values = [logs[k] for k in names if k in logs]
        values += [v for k, v in logs.items() if k not in names]
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------------ predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: int | None = None, callbacks: Sequence[Any] | None = None) -> Any:
        """Outputs for x as NumPy arrays (a list of arrays for several outputs)."""
        self._require_built_for("predict", x)
        verbose = 1 if verbose == "auto" else int(verbose)
        xs = _to_arrays(x, "x")
        n = _check_cardinality(xs, None, None)
        batch_size = 32 if batch_size is None else int(batch_size)
        total = math.ceil(n / batch_size) if steps is None else min(steps,
                                                                    math.ceil(n / batch_size))
        cbs = _make_callbacks(self, callbacks, {"verbose": verbose, "epochs": 1,
                                                "steps": total}, history=False)
        bar = Progbar(total, verbose) if verbose else None
        was_training = self.training
        self.eval()
        outs: list[list[np.ndarray]] = []
        cbs("on_predict_begin", None)
        with no_grad():
            for step in range(total):
                lo, hi = step * batch_size, min((step + 1) * batch_size, n)
                cbs.batch("on_predict_batch_begin", step, None)
                preds = self._forward([a[lo:hi] for a in xs], False)
                outs.append([np.asarray(p._data) for p in preds])
                cbs.batch("on_predict_batch_end", step, {"outputs": outs[-1]})
                if bar is not None and bar.due():
                    bar.update(step + 1)
        if bar is not None:
            bar.update(total, finalize=True)
        cbs("on_predict_end", None)
        if was_training:
            self.train()
        if not outs:
            return np.zeros((0,), np.float32)
        merged = [np.concatenate([o[i] for o in outs], 0) for i in range(len(outs[0]))]
        return merged[0] if len(merged) == 1 and not self._multi_output() else merged

    def _multi_output(self) -> bool:
        outs = getattr(self, "_graph_outputs", None)
        return bool(outs) and isinstance(getattr(self, "_output_structure", None), list)

    def _require_built_for(self, what: str, x: Any = None) -> None:
        if not self.built and x is None:
            raise ValueError(f"This model has not yet been built. Build the model first by "
                             f"calling `build()` or by calling the model on a batch of data "
                             f"(before `{what}`).")

    # ------------------------------------------------------------------ single batches
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: dict | None = None, return_dict: bool = False) -> Any:
        """One gradient step on one batch; returns the running loss (and metrics)."""
        self._check_compiled("train_on_batch")
        xs, ys, sw, n = self._arrays(x, y, sample_weight, class_weight)
        if not self.built:
            self._build_from_data(xs)
        variables = self._prepare_training()
        res = self._resolve(len(ys))
        if not hasattr(self, "_part_sums"):
            self.__dict__["_part_sums"] = {}
        self.train()
        try:
            loss = self._train_step(xs, ys, sw, variables, res)
        finally:
            self.eval()
        return self._format_results(self._logs(loss, 1, res), return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        """Loss (and metrics) on one batch in inference mode."""
        self._check_compiled("test_on_batch")
        xs, ys, sw, n = self._arrays(x, y, sample_weight)
        logs = self._evaluate_arrays(xs, ys, sw, n, max(n, 1), _Callbacks([], self, {}))
        return self._format_results(logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """Outputs for one batch as NumPy arrays."""
        xs = _to_arrays(x, "x")
        was_training = self.training
        self.eval()
        with no_grad():
            preds = [np.asarray(p._data) for p in self._forward(xs, False)]
        if was_training:
            self.train()
        return preds[0] if len(preds) == 1 and not self._multi_output() else preds


def _wrap_inputs(x: Any) -> Any:
    if isinstance(x, list):
        return [_wrap_inputs(a) for a in x]
    return x if isinstance(x, Tensor) else Tensor._wrap(x, None, False)
