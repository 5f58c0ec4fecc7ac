"""Optimizer: parameter groups, lazily created per-parameter state, and its state dict.

Subclasses implement ``step``; updates work in place on raw arrays (``p._data``) in the
parameter's dtype, like PyTorch's plain (non-foreach) loop, so results agree to float rounding.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import chain
from typing import Any, Callable, Iterable

import numpy as np

from ..autograd import Tensor, enable_grad
from ..backend import device_of, move, threads

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyperparameter that every param group must set (``lr`` of old SGD)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, or of dicts holding ``"params"`` and per-group options.
        defaults: the default value of every option, used where a group does not set it.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of params with its own options (e.g. a different lr for a new head)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter "
                    f"{name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in param_group["params"]]
        if len(set(ids)) != len(ids):
            import warnings  # noqa: PLC0415

            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this "
                "will cause an error", UserWarning, stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized params (to None, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                g.grad_fn = None
                g.requires_grad = False
                try:
                    g._data.fill(0)
                except ValueError:  # a read-only (e.g. broadcast) gradient array
                    g._data = np.zeros_like(g._data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Params are numbered in the order they appear across groups; state values are the
        live tensors (as in PyTorch: copy them, or save them, before stepping on).
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict made by :meth:`state_dict`; state is copied and cast to each
        param's dtype (except ``step``)."""
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict \
                or "state" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(self.param_groups, saved_groups):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of "
                    "optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in self.param_groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {name: _cast_state(p, val, name) for name, val in v.items()}
            else:
                state[k] = _copy_value(v)
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups):
            ng = {k: _copy_value(v) for k, v in s.items() if k != "params"}
            ng["params"] = g["params"]
            new_groups.append(ng)
        self.state = state
        self.param_groups = new_groups

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _typename(obj: Any) -> str:
    if isinstance(obj, Tensor):
        return "shenjing." + obj.type().split(".")[-1]
    return type(obj).__module__ + "." + type(obj).__name__ \
        if type(obj).__module__ != "builtins" else type(obj).__name__


def _copy_value(v: Any) -> Any:
    if isinstance(v, Tensor):
        return Tensor._wrap(v._data.copy(), None, False)
    if isinstance(v, dict):
        return {k: _copy_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_copy_value(x) for x in v)
    return v


def _cast_state(param: Tensor, value: Any, key: str) -> Any:
    """A copy of ``value`` with floating tensors in ``param``'s dtype (``step`` kept as is),
    on ``param``'s device (so a checkpoint from a GPU resumes on a CPU and back)."""
    if isinstance(value, Tensor):
        arr = value._data
        if key != "step":
            arr = move(arr, device_of(param._data))
        if key != "step" and arr.dtype.kind == "f" and param._data.dtype.kind == "f":
            arr = arr.astype(param._data.dtype, copy=True)
        else:
            arr = arr.copy()
        if arr.shape != () and key != "step" and arr.shape != param._data.shape:
            raise ValueError(
                f"loaded state '{key}' has shape {list(arr.shape)} but its parameter has shape "
                f"{list(param._data.shape)}")
        return Tensor._wrap(arr, None, False)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v, key) for v in value)
    return value


def _new_step() -> Tensor:
    """The per-parameter step counter: a 0-d float32 tensor, as PyTorch keeps it."""
    return Tensor._wrap(np.zeros((), dtype=np.float32), None, False)


def _state_array(like: np.ndarray, fill: float = 0.0) -> Tensor:
    return Tensor._wrap(np.full_like(like, fill), None, False)


def _grad_of(p: Tensor, maximize: bool) -> np.ndarray:
    """The gradient array (negated for ``maximize``); never aliased by later in-place math."""
    g = p.grad._data
    if g.dtype != p._data.dtype:
        g = g.astype(p._data.dtype)
    return -g if maximize else g


_BLOCK = 1 << 17  # elements per block: the update's dozen passes stay in L2


def _blocked(update: Callable[..., None], x: Any, *arrays: Any, coef: tuple) -> None:
    """``update(x, *arrays, coef=coef)`` on matching flat blocks of same-shape arrays (None
    entries pass through): a large parameter's element-wise passes then run block by block
    in cache instead of streaming the whole tensor a dozen times, on the intra-op threads."""
    every = (x,) + tuple(a for a in arrays if a is not None)
    if type(x) is not np.ndarray or x.size <= _BLOCK or not all(
            type(a) is np.ndarray and a.flags.c_contiguous and a.shape == x.shape
            for a in every):
        update(x, *arrays, coef=coef)
        return
    flat = [None if a is None else a.reshape(-1) for a in (x,) + arrays]

    def run(lo: int, hi: int) -> None:
        for b in range(lo, hi, _BLOCK):
            e = min(b + _BLOCK, hi)
            update(*[None if f is None else f[b:e] for f in flat], coef=coef)

    threads.parallel_range(run, x.size, sum(a.nbytes for a in every))
