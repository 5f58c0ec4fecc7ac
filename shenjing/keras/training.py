"""compile / fit / evaluate / predict / train_on_batch for Keras models.

The loop reads top to bottom like Keras 3's torch trainer: slice a batch (NumPy views of
arrays shuffled once per epoch), forward in training mode, loss plus regularization
penalties, backward, one optimizer step, constraints, then the loss tracker and the
compiled metrics on NumPy arrays. Shapes are checked on the first batch of each shape; the
batches after it take the loss's fused, check-free path. Per-batch logs are only built when
a callback or the progress bar will read them, so a plain fit costs about what a
hand-written PyTorch-face loop does. (data_adapter.py turns inputs into arrays,
progbar.py draws the bar.)
"""
from __future__ import annotations

import copy
import math
from typing import Any, Sequence

import numpy as np

from ..autograd import Tensor, no_grad
from ..distributed import (DistributedSampler, average_gradients, broadcast_parameters,
                           get_world_size, is_main_process)
from .data_adapter import check_cardinality, class_weights, split_arrays, to_arrays, unpack_xy
from .progbar import Progbar

__all__ = ["Trainer", "Progbar"]


# ----------------------------------------------------------------------------- callbacks
_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end")


def _overrides(cb: Any, name: str, base: type) -> bool:
    """Whether a callback does something in hook ``name`` (beyond ``base``'s no-op), so
    no-op hooks cost nothing per batch. A train batch hook also counts as used when only its
    Keras 2 name (on_batch_begin / on_batch_end) is overridden: Keras 3's default
    on_train_batch_* calls it.
    """
    names = (name, name.replace("on_train_", "on_")) if name.startswith("on_train_") \
        else (name,)
    own = getattr(cb, "__dict__", {})
    for n in names:
        if n in own:  # set on the instance (LambdaCallback)
            return True
        fn = getattr(type(cb), n, None)
        if fn is not None and fn is not getattr(base, n, None):
            return True
    return False


class _Callbacks:
    """The callbacks of one fit / evaluate / predict, each hook called in list order."""

    def __init__(self, callbacks: Sequence[Any], model: Any, params: dict) -> None:
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if hasattr(cb, "set_model"):
                cb.set_model(model)
            if hasattr(cb, "set_params"):
                cb.set_params(params)
        # per batch only the callbacks that do something there are called
        from .callbacks import Callback  # noqa: PLC0415

        self.batch_users = {name: [getattr(cb, name) for cb in self.callbacks
                                   if hasattr(cb, name) and _overrides(cb, name, Callback)]
                            for name in _BATCH_HOOKS}

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
                 _compile_args=None, _resolved=None, _opt_vars=None, _loss_checked=False,
                 _fast_losses={})

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
        self.__dict__["_fast_losses"] = {}
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
        """The weighted sum of the outputs' losses plus the penalties, and each output's loss.

        The first batch of each (target, output) shape goes through the loss's full,
        checked call; an unweighted loss then takes the loss's check-free fast path for the
        rest of the batches of that shape.
        """
        total = None
        parts = []
        fast = self._fast_losses
        for i, (fn, w) in enumerate(zip(res["losses"], res["weights"])):
            if fn is None:
                parts.append(None)
                continue
            y, p = ys[i], preds[i]
            path = None
            if sw is None:
                key = (i, y.shape[1:], y.dtype, p._data.shape[1:], p._data.dtype)
                path = fast.get(key, False)
                if path is False:  # unseen shapes: check them, then find the fast path
                    value = self._checked_loss(fn, i, y, p, None)
                    fast[key] = fn.fast_path(y, p) if hasattr(fn, "fast_path") else None
                elif path is not None:
                    value = path(y, p)
            if path is None:
                value = self._checked_loss(fn, i, y, p, sw)
            parts.append(value)
            if w != 1.0:
                value = value * w
            total = value if total is None else total + value
        for reg in self._penalties():
            total = total + reg
        return total, parts

    def _checked_loss(self, fn: Any, i: int, y: np.ndarray, p: Tensor, sw: Any) -> Tensor:
        try:
            value = fn(y, p, sw)
        except ValueError as e:
            if self._loss_checked:
                raise
            raise ValueError(
                f"The loss '{getattr(fn, 'name', fn)}' does not fit the output of layer "
                f"'{self._output_layer_name(i)}': target (y) shape "
                f"{(None,) + tuple(np.shape(y)[1:])}, output shape "
                f"{(None,) + tuple(p.shape[1:])}. {e}") from None
        self.__dict__["_loss_checked"] = True
        return value

    def _penalties(self) -> list:
        out = [reg(w) for w, reg in self._regularized]
        for layer in self._all_layers:  # activity penalties and add_loss of the last call
            if layer._activity_losses:
                out.extend(layer._activity_losses)
        return out

    def _prepare_training(self) -> list:
        """Trainable variables, regularized weights and constrained weights, found once."""
        from .layers.base import Layer  # noqa: PLC0415

        d = self.__dict__
        layers = [m for m in self.modules() if isinstance(m, Layer)]
        d["_all_layers"] = layers
        variables = [w for w in self.trainable_weights if w.requires_grad]
        d["_regularized"] = [(w, w._keras_regularizer) for w in self.weights
                             if getattr(w, "_keras_regularizer", None) is not None]
        d["_constrained"] = [(w, w._keras_constraint) for w in variables
                             if getattr(w, "_keras_constraint", None) is not None]
        if "_fast_losses" not in d:
            d["_fast_losses"] = {}
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
        if self.__dict__.get("_world", 1) > 1:  # data-parallel under mpiexec: mean over ranks
            average_gradients(variables)
        self.optimizer.step(variables)
        if self._constrained:
            with no_grad():
                for w, c in self._constrained:
                    w._data[...] = c(w)._data
        if res["metrics"] or res["n"] > 1:
            self._update_metrics(ys, preds, sw, parts, res)
        return float(loss._data)

    def _update_metrics(self, ys: list, preds: list, sw: Any, parts: list, res: dict) -> None:
        for i, m, _, weighted in res["metrics"]:
            m.update_state(ys[i], preds[i]._data, sw if weighted else None)
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
        x, y, sw = unpack_xy(x, y, sw)
        if x is None:
            raise ValueError("Expected `x` (the input data), got None.")
        xs, ys, sws = to_arrays(x, "x"), to_arrays(y, "y"), to_arrays(sw, "sample_weight")
        n = check_cardinality(xs, ys, sws)
        w = sws[0] if sws else None
        if class_weight is not None:
            if ys is None:
                raise ValueError("`class_weight` needs targets `y`.")
            cw = class_weights(ys, class_weight)
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
            val = (split_arrays(xs, cut, n), split_arrays(ys, cut, n),
                   None if sw is None else sw[cut:], n - cut)
            xs, ys, sw, n = split_arrays(xs, 0, cut), split_arrays(ys, 0, cut), \
                None if sw is None else sw[:cut], cut
        steps = math.ceil(n / batch_size)
        if steps_per_epoch:
            steps = min(steps, int(steps_per_epoch))
        if not self.built:
            self._build_from_data(xs)
        variables = self._prepare_training()
        world = get_world_size()
        self.__dict__["_world"] = world
        if world > 1:  # every rank starts from rank 0's weights; rank 0 prints and writes files
            broadcast_parameters(self)
            steps = math.ceil(math.ceil(n / world) / batch_size)
            if not is_main_process():
                verbose = 0
                callbacks = [cb for cb in callbacks or () if not _writes_files(cb)]
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
                                             variables, cbs, bar, epoch)
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
                   shuffle: bool, variables: list, cbs: _Callbacks, bar: Progbar | None,
                   epoch: int = 0) -> dict:
        order = None
        if self.__dict__.get("_world", 1) > 1:  # this rank's share, reshuffled per epoch
            sampler = DistributedSampler(range(n), shuffle=shuffle, seed=0)
            sampler.set_epoch(epoch)
            order = np.fromiter(iter(sampler), dtype=np.int64)
            n = len(order)
        elif shuffle:
            order = np.random.permutation(n)
        if order is not None:
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
        xs = to_arrays(x, "x")
        n = check_cardinality(xs, None, None)
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
        xs = to_arrays(x, "x")
        was_training = self.training
        self.eval()
        with no_grad():
            preds = [np.asarray(p._data) for p in self._forward(xs, False)]
        if was_training:
            self.train()
        return preds[0] if len(preds) == 1 and not self._multi_output() else preds


def _writes_files(cb: Any) -> bool:
    """Callbacks that write files run on rank 0 only in a data-parallel fit."""
    from .callbacks import CSVLogger, ModelCheckpoint, TensorBoard  # noqa: PLC0415

    return isinstance(cb, (CSVLogger, ModelCheckpoint, TensorBoard))


def _wrap_inputs(x: Any) -> Any:
    if isinstance(x, list):
        return [_wrap_inputs(a) for a in x]
    return x if isinstance(x, Tensor) else Tensor._wrap(x, None, False)
