"""Core Keras layers: Input / InputLayer, Dense, Activation, Dropout, Flatten, Reshape,
Concatenate, Add. Each computes through shenjing ops, so autograd and speed come from the core.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ...autograd import Tensor
from ...nn import functional as F
from ...ops.linalg import Dense as DenseOp  # y = x K + b, kernel (in, out), one fused node
from .base import (InputSpec, KerasTensor, Layer, Node, _identity, get_component, serialize_obj,
                   shape_str, weight_configs)

__all__ = ["Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten", "Reshape",
           "Concatenate", "Add"]


class InputLayer(Layer):
    """The entry of a functional model: it holds the shape of one batch (batch dim None)."""

    def __init__(self, shape: Sequence[int] | None = None, batch_size: int | None = None,
                 dtype: Any = None, name: str | None = None,
                 batch_shape: Sequence[Any] | None = None, input_shape: Any = None,
                 batch_input_shape: Any = None, **kwargs: Any) -> None:
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument.")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        name = name or None
        super().__init__(name=name or _input_name(), dtype=dtype, **kwargs)
        self.batch_shape = tuple(batch_shape)
        self._batch_input_shape = self.batch_shape
        self.built = True
        self._output_shape = self.batch_shape
        kt = KerasTensor(self.batch_shape, self.dtype, name=self.name, history=(self, 0, 0))
        self._inbound_nodes.append(Node(self, [], {}, kt))
        self.output_tensor = kt

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.batch_shape

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}


def _input_name() -> str:
    from .base import unique_name  # noqa: PLC0415

    return unique_name("input_layer")


def Input(shape: Sequence[int] | None = None, batch_size: int | None = None,  # noqa: N802
          dtype: Any = None, name: str | None = None,
          batch_shape: Sequence[Any] | None = None, **kwargs: Any) -> KerasTensor:
    """A symbolic input: ``keras.Input(shape=(784,))`` is a KerasTensor of shape (None, 784)."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_shape=batch_shape, **kwargs)
    return layer.output_tensor


class Dense(Layer):
    """Densely connected layer: ``activation(x @ kernel + bias)``, kernel (in, units).

    Shape:
        (batch, ..., in) -> (batch, ..., units).
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        self.units = int(units)
        self._set_kernel_options(activation, use_bias, kernel_initializer, bias_initializer,
                                 kernel_regularizer, bias_regularizer, kernel_constraint,
                                 bias_constraint)
        self._identity = self.activation is _identity
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: Sequence[Any]) -> None:
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f'The last dimension of the input to layer "{self.name}" (Dense) '
                             f"should be defined. Found None. Full input shape received: "
                             f"{shape_str(input_shape)}")
        self.add_weight((in_dim, self.units), self.kernel_initializer, name="kernel",
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight((self.units,), self.bias_initializer, name="bias",
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: int(in_dim)})
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        # y = x K + b (ops.linalg.dense without its checks: input_spec and the cast did them)
        params = self._parameters
        kernel = params["kernel"]
        if inputs._data.dtype != kernel._data.dtype:  # Keras casts inputs to its dtype
            inputs = inputs.to(kernel.dtype) if inputs._data.dtype.kind == "f" else \
                Tensor._wrap(inputs._data.astype(kernel._data.dtype), None, False)
        y = DenseOp.apply(inputs, kernel, params["bias"]) if self.use_bias else \
            DenseOp.apply(inputs, kernel)
        return y if self._identity else self.activation(y)

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "activation": serialize_obj(self.activation, "activations"),
                "use_bias": self.use_bias, **weight_configs(self, ("kernel", "bias"))}


class Activation(Layer):
    """Applies an activation function (a name such as 'relu', or a callable)."""

    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = get_component("activations", activation)

    def call(self, inputs: Tensor) -> Tensor:
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": serialize_obj(self.activation, "activations")}


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of inputs in training and scales the rest by 1/(1-rate)."""

    supports_masking = True

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value "
                             f"between 0 and 1. Received: rate={rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if training and self.rate > 0:
            return F.dropout(inputs, self.rate, True)
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


class Flatten(Layer):
    """Flattens each sample to one axis; channels_first input is first moved to channels_last."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"

    def call(self, inputs: Tensor) -> Tensor:
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.permute(0, *range(2, inputs.ndim), 1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else int(math.prod(rest)))

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs: Tensor) -> Tensor:
        return inputs.reshape(inputs.shape[0], *self.target_shape)

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        tgt = list(self.target_shape)
        if -1 in tgt:
            rest = input_shape[1:]
            known = math.prod(d for d in tgt if d != -1)
            tgt[tgt.index(-1)] = None if None in rest else int(math.prod(rest)) // max(known, 1)
        return (input_shape[0],) + tuple(tgt)

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Concatenate(Layer):
    """Joins a list of inputs along ``axis``."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check(self, shapes: Any) -> None:
        if not isinstance(shapes, (list, tuple)) or len(shapes) < 1 or \
                not isinstance(shapes[0], (list, tuple)):
            raise ValueError("A `Concatenate` layer should be called on a list of at least 1 "
                             f"input. Received: input_shape={shapes}")
        ax = self.axis % len(shapes[0])
        ref = [d for i, d in enumerate(shapes[0]) if i != ax]
        for s in shapes[1:]:
            other = [d for i, d in enumerate(s) if i != ax]
            if len(s) != len(shapes[0]) or any(a is not None and b is not None and a != b
                                               for a, b in zip(ref, other)):
                raise ValueError("A `Concatenate` layer requires inputs with matching shapes "
                                 "except for the concatenation axis. Received: input_shape="
                                 f"{[shape_str(tuple(x)) for x in shapes]}")

    def build(self, input_shape: Any) -> None:
        self._check(input_shape)
        self.built = True

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        from ... import cat  # noqa: PLC0415

        return cat(list(inputs), dim=self.axis)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check(input_shape)
        ax = self.axis % len(input_shape[0])
        out = list(input_shape[0])
        sizes = [s[ax] for s in input_shape]
        out[ax] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Add(Layer):
    """Adds a list of inputs of the same shape (broadcasting like NumPy)."""

    supports_masking = True

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError("A merge layer should be called on a list of inputs. Received: "
                             f"input_shape={input_shape}")
        self.built = True

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def compute_output_shape(self, input_shape: Any) -> tuple:
        out = list(input_shape[0])
        for s in input_shape[1:]:
            if len(s) != len(out):
                raise ValueError("Inputs to Add must have the same rank. Received shapes "
                                 f"{[shape_str(tuple(x)) for x in input_shape]}")
            for i, (a, b) in enumerate(zip(out, s)):
                if a is not None and b is not None and a != b and 1 not in (a, b):
                    raise ValueError("Inputs have incompatible shapes. Received shapes "
                                     f"{[shape_str(tuple(x)) for x in input_shape]}")
                out[i] = a if b in (None, 1) else b
        return tuple(out)
