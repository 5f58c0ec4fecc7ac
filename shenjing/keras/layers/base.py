"""Layer: the Keras base layer on top of ``nn.Module``, plus the symbolic KerasTensor.

A Keras layer is an nn.Module built lazily: the first call passes the input's shape to
``build(input_shape)``, which creates weights with ``add_weight`` in Keras's layouts and names.
Calling a layer on a KerasTensor (from ``keras.Input``) records a graph Node instead of
computing, which is how functional models are made.
"""
from __future__ import annotations

import inspect
from importlib import import_module
import re
from typing import Any, Callable, Sequence

import numpy as np

from ...autograd import Tensor, no_grad
from ...nn.modules.module import Module
from ...nn.parameter import Parameter

__all__ = ["Layer", "KerasTensor", "InputSpec", "clear_session", "unique_name"]

_UIDS: dict[str, int] = {}


def unique_name(prefix: str) -> str:
    """Keras's automatic names: 'dense', then 'dense_1', 'dense_2' ..."""
    n = _UIDS.get(prefix, 0)
    _UIDS[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def clear_session() -> None:
    """Forget automatic names, so the next Dense is 'dense' again (keras.backend.clear_session)."""
    _UIDS.clear()


def to_snake_case(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return s.replace("2_d", "2d").replace("1_d", "1d").replace("3_d", "3d")


def map_structure(fn: Callable, obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        return type(obj)(map_structure(fn, o) for o in obj)
    if isinstance(obj, dict):
        return {k: map_structure(fn, v) for k, v in obj.items()}
    return fn(obj)


def flatten(obj: Any) -> list:
    if isinstance(obj, (list, tuple)):
        return [e for o in obj for e in flatten(o)]
    if isinstance(obj, dict):
        return [e for k in obj for e in flatten(obj[k])]
    return [obj]


def shape_str(shape: Any) -> str:
    if isinstance(shape, list):
        return "[" + ", ".join(shape_str(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class KerasTensor:
    """A symbolic tensor: a shape (None for the batch) and a dtype, and the node that made it."""

    def __init__(self, shape: Sequence[Any], dtype: str = "float32", name: str | None = None,
                 history: tuple | None = None) -> None:
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(dtype)
        self.name = name or unique_name("keras_tensor")
        self._keras_history = history  # (layer, node_index, tensor_index)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, "
                f"name={self.name}>")

    def __len__(self) -> int:
        raise TypeError("A symbolic KerasTensor has no length; use .shape")


class InputSpec:
    """What a built layer accepts: a rank and fixed sizes of some axes."""

    def __init__(self, ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict[int, int] | None = None) -> None:
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})

    def check(self, layer: "Layer", shape: tuple) -> None:
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(
                f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected '
                f"ndim={self.ndim}, found ndim={len(shape)}. Full shape received: "
                f"{shape_str(shape)}")
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(
                f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected '
                f"min_ndim={self.min_ndim}, found ndim={len(shape)}. Full shape received: "
                f"{shape_str(shape)}")
        for axis, value in self.axes.items():
            got = shape[axis] if -len(shape) <= axis < len(shape) else None
            if got is not None and got != value:
                raise ValueError(
                    f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected '
                    f"axis {axis} of input shape to have value {value}, but received input "
                    f"with shape {shape_str(shape)}")


class Node:
    """One call of a layer on symbolic inputs: what went in, what came out."""

    def __init__(self, layer: "Layer", inputs: Any, kwargs: dict, outputs: Any) -> None:
        self.layer, self.inputs, self.kwargs, self.outputs = layer, inputs, kwargs, outputs
        self.input_tensors = [t for t in flatten(inputs) if isinstance(t, KerasTensor)]
        self.output_tensors = flatten(outputs)


def _call_args(fn: Callable) -> set:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def get_component(kind: str, value: Any) -> Any:
    """``shenjing.keras.<kind>.get(value)``; None stays None for penalties and constraints."""
    if value is None and kind in ("regularizers", "constraints"):
        return None
    if kind == "activations" and (value is None or value == "linear"):
        return _identity
    return import_module(f"shenjing.keras.{kind}").get(value)


def _identity(x: Any) -> Any:
    return x


def serialize_obj(obj: Any, kind: str) -> Any:
    """A JSON-able form of an activation / initializer / regularizer / constraint."""
    if obj is _identity:
        return "linear"
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    module = import_module(f"shenjing.keras.{kind}")
    if hasattr(module, "serialize"):
        try:
            return module.serialize(obj)
        except Exception:  # noqa: BLE001 - fall back to the plain form below
            pass
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return getattr(obj, "__name__", None)


def weight_configs(layer: Any, prefixes: Sequence[str]) -> dict:
    """The initializer / regularizer / constraint entries of a layer's config."""
    cfg: dict = {}
    for p in prefixes:
        for kind, suffix in (("initializers", "initializer"), ("regularizers", "regularizer"),
                             ("constraints", "constraint")):
            key = f"{p}_{suffix}"
            if hasattr(layer, key):
                cfg[key] = serialize_obj(getattr(layer, key), kind)
    if hasattr(layer, "activity_regularizer"):
        cfg["activity_regularizer"] = serialize_obj(layer.activity_regularizer, "regularizers")
    return cfg


class Layer(Module):
    """The base Keras layer: lazy build, Keras weight names, symbolic calls, masks, losses.

    Args:
        trainable: whether the weights are updated by training (and BatchNormalization
            runs in training mode).
        name: the layer's name; an automatic unique one from the class name when None.
        dtype: the weights' dtype (float32).
        input_shape: (deprecated Keras 2 form) the shape of one sample, for a model's first
            layer; ``batch_input_shape`` / ``batch_size`` likewise.
    """

    supports_masking = False

    def __init__(self, *, trainable: bool = True, name: str | None = None, dtype: Any = None,
                 input_shape: Sequence[int] | None = None,
                 batch_input_shape: Sequence[Any] | None = None, batch_size: int | None = None,
                 input_dim: int | None = None, activity_regularizer: Any = None,
                 **kwargs: Any) -> None:
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{kwargs}")
        super().__init__()
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.training = False  # Keras layers called directly run in inference mode
        self.built = False
        self.dtype = "float32" if dtype is None else str(getattr(dtype, "name", dtype))
        self._trainable = bool(trainable)
        self._own_weights: list[Parameter] = []
        self._own_trainable: list[bool] = []
        self._activity_losses: list[Tensor] = []
        self._inbound_nodes: list[Node] = []
        self._build_input_shape: Any = None
        self._output_shape: Any = None
        self.input_spec: InputSpec | None = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        self.activity_regularizer = get_component("regularizers", activity_regularizer)
        self._checked_shape: tuple | None = None
        self._own_compute_mask = type(self).compute_mask is not Layer.compute_mask
        sig = _call_args(self.call)
        self._call_has_training = "training" in sig
        self._call_has_mask = "mask" in sig

    # ------------------------------------------------------------------ weights
    def _set_kernel_options(self, activation: Any, use_bias: bool, kernel_initializer: Any,
                            bias_initializer: Any, kernel_regularizer: Any,
                            bias_regularizer: Any, kernel_constraint: Any,
                            bias_constraint: Any) -> None:
        """The options every kernel-and-bias layer (Dense, Conv*) resolves the same way."""
        self.activation = get_component("activations", activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = get_component("initializers", kernel_initializer)
        self.bias_initializer = get_component("initializers", bias_initializer)
        self.kernel_regularizer = get_component("regularizers", kernel_regularizer)
        self.bias_regularizer = get_component("regularizers", bias_regularizer)
        self.kernel_constraint = get_component("constraints", kernel_constraint)
        self.bias_constraint = get_component("constraints", bias_constraint)

    def add_weight(self, shape: Sequence[int] = (), initializer: Any = "glorot_uniform",
                   dtype: Any = None, trainable: bool = True, regularizer: Any = None,
                   constraint: Any = None, name: str | None = None, **kwargs: Any) -> Parameter:
        """Create a weight in Keras's layout, register it and remember its penalty/constraint."""
        name = name or f"variable_{len(self._own_weights)}"
        init = get_component("initializers", initializer)
        value = np.asarray(init(tuple(int(s) for s in shape), dtype=dtype or "float32"))
        value = np.ascontiguousarray(value, dtype=np.dtype(dtype or "float32"))
        p = Parameter(Tensor._wrap(value, None, False), requires_grad=trainable and self.trainable)
        p._keras_name = name
        p._keras_path = f"{self.name}/{name}"
        p._keras_regularizer = get_component("regularizers", regularizer)
        p._keras_constraint = get_component("constraints", constraint)
        setattr(self, name, p)
        self._own_weights.append(p)
        self._own_trainable.append(bool(trainable))
        return p

    def _sublayers(self) -> list["Layer"]:
        out, seen = [], set()
        for m in self._modules.values():
            if isinstance(m, Layer) and id(m) not in seen:
                seen.add(id(m))
                out.append(m)
        return out

    @property
    def weights(self) -> list[Parameter]:
        """All weights in Keras's order: own (trainable then not), then each sublayer's."""
        own = [w for w, t in zip(self._own_weights, self._own_trainable) if t] + \
              [w for w, t in zip(self._own_weights, self._own_trainable) if not t]
        seen = {id(w) for w in own}
        for layer in self._sublayers():
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    own.append(w)
        return own

    variables = weights

    @property
    def trainable_weights(self) -> list[Parameter]:
        if not self.trainable:
            return []
        out = [w for w, t in zip(self._own_weights, self._own_trainable) if t]
        for layer in self._sublayers():
            out.extend(w for w in layer.trainable_weights if all(w is not o for o in out))
        return out

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Parameter]:
        ids = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in ids]

    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._sublayers():
            layer.trainable = value
        for w, t in zip(self._own_weights, self._own_trainable):
            w.requires_grad = bool(t and value)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights as NumPy arrays, in ``weights`` order."""
        return [np.array(w._data, copy=True) for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Copy NumPy arrays into the weights (same count, same shapes)."""
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(
                f'You called `set_weights(weights)` on layer "{self.name}" with a weight list '
                f"of length {len(weights)}, but the layer was expecting {len(mine)} weights.")
        for w, v in zip(mine, weights):
            v = np.asarray(v._data if isinstance(v, Tensor) else v)
            if tuple(v.shape) != tuple(w._data.shape):
                raise ValueError(f"Layer {self.name} weight shape {tuple(w._data.shape)} is not "
                                 f"compatible with provided weight shape {tuple(v.shape)}.")
        for w, v in zip(mine, weights):
            w._data[...] = np.asarray(v._data if isinstance(v, Tensor) else v)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the "
                             "layer isn't built. You can build it manually via: "
                             f"`{self.name}.build(batch_input_shape)`.")
        return int(sum(w._data.size for w in self.weights))

    @property
    def losses(self) -> list[Tensor]:
        """Regularization penalties of the weights now, plus activity penalties of the last call."""
        out = []
        for w in self._own_weights:
            reg = getattr(w, "_keras_regularizer", None)
            if reg is not None:
                out.append(reg(w))
        out.extend(self._activity_losses)
        for layer in self._sublayers():
            out.extend(layer.losses)
        return out

    # ------------------------------------------------------------------ build and call
    def build(self, input_shape: Any) -> None:
        """Create the weights for inputs of ``input_shape``; layers without weights need none."""
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return inputs

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.__call__(*args, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for an input shape; by default found by running on zeros."""
        def zeros(s: tuple) -> Tensor:
            return Tensor._wrap(np.zeros(tuple(1 if d is None else d for d in s), np.float32),
                                None, False)

        with no_grad():
            out = self.call(map_structure(zeros, input_shape) if isinstance(input_shape, list)
                            else zeros(input_shape))
        return map_structure(lambda t: (None,) + tuple(t.shape[1:]), out)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return mask if self.supports_masking else None

    def _build_from(self, shape: Any) -> None:
        self._build_input_shape = shape
        if type(self).build is not Layer.build or not self.built:
            self.build(shape)
        self.built = True

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if type(inputs) is not Tensor:
            if isinstance(inputs, KerasTensor) or (
                    isinstance(inputs, (list, tuple)) and inputs
                    and any(isinstance(t, KerasTensor) for t in flatten(inputs))):
                return self._symbolic_call(inputs, *args, **kwargs)
            inputs = _as_tensors(inputs)
        if not self.built:
            self._build_from(map_structure(lambda t: (None,) + tuple(t.shape[1:]), inputs))
        spec = self.input_spec
        if spec is not None and type(inputs) is Tensor:
            rest = inputs._data.shape[1:]
            if rest != self._checked_shape:  # check each new sample shape once
                spec.check(self, (None,) + rest)
                self._checked_shape = rest
        if self._call_has_training and kwargs.get("training") is None:
            kwargs["training"] = self.training
        mask = None
        if self._call_has_mask or self.supports_masking:
            if type(inputs) is Tensor:
                mask = inputs.__dict__.get("_keras_mask")
            else:
                masks = map_structure(lambda t: getattr(t, "_keras_mask", None), inputs)
                mask = masks if any(m is not None for m in flatten(masks)) else None
            if self._call_has_mask and kwargs.get("mask") is None and mask is not None:
                kwargs["mask"] = mask
        if self._activity_losses:
            self._activity_losses = []
        out = self.call(inputs, *args, **kwargs)
        if self._output_shape is None:
            self._output_shape = map_structure(
                lambda t: (None,) + tuple(t.shape[1:]) if isinstance(t, Tensor) else None, out)
        if self.activity_regularizer is not None:
            self._activity_losses = [self.activity_regularizer(o) for o in flatten(out)
                                     if isinstance(o, Tensor)]
        if mask is not None or self._own_compute_mask:
            out_mask = self.compute_mask(inputs, mask)
            if out_mask is not None and isinstance(out, Tensor):
                out._keras_mask = out_mask
        return out

    def add_loss(self, loss: Any) -> None:
        """Add a loss tensor computed in ``call`` (it joins ``losses`` and the fit loss)."""
        self._activity_losses.append(loss)

    def _symbolic_call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        from .core import InputLayer  # noqa: PLC0415

        shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else None, inputs)
        if not self.built:
            self._build_from(shapes)
        if self.input_spec is not None and isinstance(inputs, KerasTensor):
            self.input_spec.check(self, inputs.shape)
        out_shape = self.compute_output_shape(shapes)
        self._output_shape = out_shape
        node_index = len(self._inbound_nodes)

        def make(s: tuple, i: list = [0]) -> KerasTensor:  # noqa: B006 - a running counter
            kt = KerasTensor(s, "float32", history=(self, node_index, i[0]))
            i[0] += 1
            return kt

        if isinstance(out_shape, list) or (isinstance(out_shape, tuple) and out_shape
                                           and isinstance(out_shape[0], (tuple, list))):
            counter = [0]
            outputs = [make(tuple(s), counter) for s in out_shape]
        else:
            outputs = make(tuple(out_shape), [0])
        if isinstance(self, InputLayer):
            return outputs
        self._inbound_nodes.append(Node(self, inputs, dict(kwargs, _args=args), outputs))
        return outputs

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        bis = getattr(self, "_batch_input_shape", None)
        if bis is not None:
            cfg["batch_input_shape"] = list(bis)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        cfg = dict(config)
        if "batch_input_shape" in cfg and cfg["batch_input_shape"] is not None:
            cfg["batch_input_shape"] = tuple(cfg["batch_input_shape"])
        return cls(**cfg)

    @property
    def output_shape(self) -> Any:
        if self._output_shape is None:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no "
                                 "defined output shape.")
        return self._output_shape

    @property
    def input(self) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no input to return.")
        return self._inbound_nodes[0].inputs

    @property
    def output(self) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has no inbound nodes.")
        return self._inbound_nodes[0].outputs

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    def __setattr__(self, name: str, value: Any) -> None:
        # Keras tracks lists of layers assigned as attributes (self.blocks = [Dense(4), ...])
        if isinstance(value, (list, tuple)) and value and "_modules" in self.__dict__ \
                and all(isinstance(v, Layer) for v in value):
            for i, v in enumerate(value):
                self._modules[f"{name}_{i}"] = v
        super().__setattr__(name, value)


def _as_tensors(inputs: Any) -> Any:
    """NumPy arrays and lists become Tensors (floats as float32), Tensors pass through."""
    if isinstance(inputs, Tensor):
        return inputs
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(_as_tensors(x) for x in inputs)
    if isinstance(inputs, dict):
        return {k: _as_tensors(v) for k, v in inputs.items()}
    arr = np.asarray(inputs)
    if arr.dtype.kind == "f" and arr.dtype != np.float32:
        arr = arr.astype(np.float32)
    return Tensor._wrap(arr, None, False)
