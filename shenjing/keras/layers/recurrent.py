"""Embedding (mask_zero) and the recurrent layers SimpleRNN, LSTM, GRU, Bidirectional.

Weights keep Keras's layouts: kernel (in, G*units), recurrent_kernel (units, G*units), bias
(G*units), or (2, 3*units) for GRU with reset_after=True (Keras 3's default). LSTM gates are
i, f, c, o in both Keras and PyTorch; GRU columns are z, r, h in Keras and r, z, n in PyTorch,
so the call reorders them. Without a mask the whole sequence runs through the fused op of
shenjing.ops.recurrent (hand-written BPTT); with a mask each step runs the fused cell and
masked steps keep the previous state, as Keras does.
"""
from __future__ import annotations

import copy
from typing import Any, Sequence

import numpy as np

from ...autograd import Tensor
from ...nn import functional as F
from ...ops import recurrent as R
from ...ops.shape import cat, stack
from .base import InputSpec, Layer, get_component, serialize_obj, weight_configs

__all__ = ["Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional"]


class Embedding(Layer):
    """Turns integer indices into dense vectors: embeddings (input_dim, output_dim).

    With ``mask_zero=True`` index 0 is padding: the output carries a mask (index != 0) that
    the recurrent layers downstream honour.

    Shape:
        (N, T) int -> (N, T, output_dim).
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None,
                 mask_zero: bool = False, input_length: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = get_component("initializers", embeddings_initializer)
        self.embeddings_regularizer = get_component("regularizers", embeddings_regularizer)
        self.embeddings_constraint = get_component("constraints", embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero

    def build(self, input_shape: Any = None) -> None:
        self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                        name="embeddings", regularizer=self.embeddings_regularizer,
                        constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        if inputs._data.dtype.kind != "i":
            inputs = Tensor._wrap(inputs._data.astype(np.int64), None, False)
        idx = inputs._data
        if idx.size and (idx.min() < 0 or idx.max() >= self.input_dim):
            bad = idx.max() if idx.max() >= self.input_dim else idx.min()
            raise ValueError(f'Layer "{self.name}" (Embedding): index {int(bad)} is out of range '
                             f"[0, {self.input_dim}) (input_dim={self.input_dim})")
        return F.embedding(inputs, self.embeddings)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return np.asarray(inputs._data) != 0

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict:
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim, "mask_zero": self.mask_zero,
                **weight_configs(self, ("embeddings",))}


class _RNN(Layer):
    """Shared machinery: weights, fused / masked runs, return_sequences / return_state."""

    mode = "RNN_TANH"
    gates = 1

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if int(units) <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a "
                             f"positive integer, got {units}.")
        if recurrent_dropout:
            raise NotImplementedError(f"{type(self).__name__}: recurrent_dropout is not "
                                      "supported by shenjing's fused recurrent op; use dropout")
        if stateful:
            raise NotImplementedError(f"{type(self).__name__}: stateful=True is not supported")
        self.units = int(units)
        self._activation_name = activation
        self.activation = get_component("activations", activation)
        self.use_bias = bool(use_bias)
        g = get_component
        self.kernel_initializer = g("initializers", kernel_initializer)
        self.recurrent_initializer = g("initializers", recurrent_initializer)
        self.bias_initializer = g("initializers", bias_initializer)
        self.kernel_regularizer = g("regularizers", kernel_regularizer)
        self.recurrent_regularizer = g("regularizers", recurrent_regularizer)
        self.bias_regularizer = g("regularizers", bias_regularizer)
        self.kernel_constraint = g("constraints", kernel_constraint)
        self.recurrent_constraint = g("constraints", recurrent_constraint)
        self.bias_constraint = g("constraints", bias_constraint)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), False, bool(unroll)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)

    # -------------------------------------------------------------- weights
    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Sequence[Any]) -> None:
        u, g = self.units, self.gates
        self.add_weight((input_shape[-1], g * u), self.kernel_initializer, name="kernel",
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.add_weight((u, g * u), self.recurrent_initializer, name="recurrent_kernel",
                        regularizer=self.recurrent_regularizer,
                        constraint=self.recurrent_constraint)
        if self.use_bias:
            self.add_weight(self._bias_shape(), self._bias_init(), name="bias",
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=3, axes={-1: int(input_shape[-1])})
        self.built = True

    def _torch_params(self) -> list[Tensor]:
        """w_ih (G*u, in), w_hh (G*u, u), b_ih, b_hh in PyTorch's gate order."""
        k, rk = self.kernel.T, self.recurrent_kernel.T
        if self.use_bias:
            b = self.bias
            zero = Tensor._wrap(np.zeros(b.shape, b._data.dtype), None, False)
            return [k, rk, b, zero]
        return [k, rk]

    # -------------------------------------------------------------- running
    @property
    def _state_count(self) -> int:
        return 2 if self.mode == "LSTM" else 1

    def call(self, inputs: Tensor, mask: Any = None, training: bool | None = None,
             initial_state: Any = None) -> Any:
        x = inputs
        if training and self.dropout > 0:
            x = F.dropout(x, self.dropout, True)
        params = self._torch_params()
        n, steps = x.shape[0], x.shape[1]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else \
            ([initial_state] if initial_state is not None else [])
        states = [s if isinstance(s, Tensor) else Tensor._wrap(np.asarray(s, np.float32),
                                                               None, False) for s in states]
        if mask is not None:
            mask = np.asarray(mask, bool)
            if mask.all():
                mask = None
        if self.go_backwards:
            x = x.flip(1)
            mask = None if mask is None else mask[:, ::-1]
        if mask is None:
            hx = [s.unsqueeze(0) for s in states] if states else [None] * self._state_count
            out, h, c = R.rnn_stack(self.mode, x.transpose(0, 1), hx, params, 1, 1)
            h = h.squeeze(0)
            final = [h] if c is None else [h, c.squeeze(0)]
            seq = out.transpose(0, 1) if self.return_sequences else None
        else:
            seq, final = self._masked_run(x, mask, params, states, n, steps)
        output = seq if self.return_sequences else final[0]
        if self.return_state:
            return [output] + final
        return output

    def _masked_run(self, x: Tensor, mask: np.ndarray, params: list, states: list, n: int,
                    steps: int) -> tuple:
        zeros = np.zeros((n, self.units), x._data.dtype)
        state = states or [Tensor._wrap(zeros, None, False) for _ in range(self._state_count)]
        w_ih, w_hh = params[0], params[1]
        b_ih, b_hh = (params[2], params[3]) if len(params) == 4 else (None, None)
        outs = []
        for t in range(steps):
            m = Tensor._wrap(mask[:, t:t + 1].astype(x._data.dtype), None, False)
            keep = 1.0 - m
            xt = x[:, t]
            if self.mode == "LSTM":
                h, c = R.lstm_cell(xt, (state[0], state[1]), w_ih, w_hh, b_ih, b_hh)
                state = [h * m + state[0] * keep, c * m + state[1] * keep]
            else:
                cell = R.gru_cell if self.mode == "GRU" else \
                    R.rnn_relu_cell if self.mode == "RNN_RELU" else R.rnn_tanh_cell
                h = cell(xt, state[0], w_ih, w_hh, b_ih, b_hh)
                state = [h * m + state[0] * keep]
            if self.return_sequences:
                outs.append(state[0])
        return (stack(outs, 1) if self.return_sequences else None), state

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None or not self.return_sequences:
            return None
        mask = np.asarray(mask, bool)
        return mask[:, ::-1] if self.go_backwards else mask

    def compute_output_shape(self, input_shape: Sequence[Any]) -> Any:
        n, t = input_shape[0], input_shape[1]
        out = (n, t, self.units) if self.return_sequences else (n, self.units)
        if self.return_state:
            return [out] + [(n, self.units)] * self._state_count
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "activation": serialize_obj(self.activation, "activations"),
                "use_bias": self.use_bias, "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "unroll": self.unroll,
                **weight_configs(self, ("kernel", "recurrent", "bias"))}


class SimpleRNN(_RNN):
    """Fully connected RNN: h_t = activation(x_t K + h_{t-1} U + b); activation tanh or relu.

    Shape:
        (N, T, in) -> (N, units), or (N, T, units) with return_sequences.
    """

    gates = 1

    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
        super().__init__(units, activation, **kwargs)
        name = activation if isinstance(activation, str) else \
            getattr(activation, "__name__", None)
        if name not in ("tanh", "relu"):
            raise NotImplementedError("SimpleRNN: shenjing's fused recurrent op supports "
                                      f"activation 'tanh' or 'relu', got {activation!r}")
        self.mode = "RNN_TANH" if name == "tanh" else "RNN_RELU"


class LSTM(_RNN):
    """Long short-term memory; Keras gate order i, f, c, o; bias (4 units).

    Shape:
        (N, T, in) -> (N, units); with return_state, [output, h, c].
    """

    mode = "LSTM"
    gates = 4

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", unit_forget_bias: bool = True,
                 **kwargs: Any) -> None:
        if activation != "tanh" or recurrent_activation != "sigmoid":
            raise NotImplementedError("LSTM: shenjing's fused recurrent op supports "
                                      "activation='tanh', recurrent_activation='sigmoid'")
        super().__init__(units, activation, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.recurrent_activation = recurrent_activation

    def _bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, u = self.bias_initializer, self.units

        def forget_ones(shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
            b = np.asarray(init((4 * u,), dtype=dtype)).copy()
            b[u:2 * u] = 1.0  # the forget gate starts open
            return b

        return forget_ones

    def get_config(self) -> dict:
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "unit_forget_bias": self.unit_forget_bias}


class GRU(_RNN):
    """Gated recurrent unit, Keras 3 defaults (reset_after=True, bias (2, 3 units)).

    Shape:
        (N, T, in) -> (N, units); with return_state, [output, h].
    """

    mode = "GRU"
    gates = 3

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", reset_after: bool = True,
                 **kwargs: Any) -> None:
        if activation != "tanh" or recurrent_activation != "sigmoid" or not reset_after:
            raise NotImplementedError("GRU: shenjing's fused recurrent op supports "
                                      "activation='tanh', recurrent_activation='sigmoid', "
                                      "reset_after=True")
        super().__init__(units, activation, **kwargs)
        self.reset_after = True
        self.recurrent_activation = recurrent_activation
        u = self.units
        # Keras columns [z | r | h] -> PyTorch rows [r | z | n]
        self._perm = np.concatenate([np.arange(u, 2 * u), np.arange(u), np.arange(2 * u, 3 * u)])

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units)

    def _torch_params(self) -> list[Tensor]:
        p = self._perm
        k, rk = self.kernel[:, p].T, self.recurrent_kernel[:, p].T
        if self.use_bias:
            b = self.bias[:, p]
            return [k, rk, b[0], b[1]]
        return [k, rk]

    def get_config(self) -> dict:
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "reset_after": True}


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy backwards and merges their outputs.

    merge_mode: 'concat' (default), 'sum', 'mul', 'ave' or None (a list of both).
    """

    def __init__(self, layer: _RNN, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: _RNN | None = None, **kwargs: Any) -> None:
        if not isinstance(layer, _RNN):
            raise ValueError("Please initialize `Bidirectional` layer with a recurrent layer "
                             f"instance. Received: {layer}")
        if merge_mode not in ("sum", "mul", "ave", "concat", None):
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be "
                             "one of {'sum', 'mul', 'ave', 'concat', None}")
        super().__init__(**kwargs)
        cfg = layer.get_config()
        fwd_cfg = dict(cfg, name="forward_" + layer.name)
        self.forward_layer = type(layer).from_config(fwd_cfg)
        if backward_layer is None:
            bwd_cfg = dict(cfg, name="backward_" + layer.name, go_backwards=not layer.go_backwards)
            backward_layer = type(layer).from_config(bwd_cfg)
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self._layer_config = {"class_name": type(layer).__name__, "config": cfg}
        if weights is not None:
            self._initial_weights = weights

    def build(self, input_shape: Sequence[Any]) -> None:
        self.forward_layer._build_from(tuple(input_shape))
        self.backward_layer._build_from(tuple(input_shape))
        if getattr(self, "_initial_weights", None) is not None:
            self.set_weights(self._initial_weights)
        self.built = True

    def call(self, inputs: Tensor, mask: Any = None, training: bool | None = None,
             initial_state: Any = None) -> Any:
        f_state = b_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            f_state, b_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer.call(inputs, mask=mask, training=training, initial_state=f_state)
        y_rev = self.backward_layer.call(inputs, mask=mask, training=training,
                                         initial_state=b_state)
        states: list = []
        if self.return_state:
            states = y[1:] + y_rev[1:]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        if self.merge_mode == "concat":
            out: Any = cat([y, y_rev], -1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) * 0.5
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return mask if self.return_sequences and mask is not None else None

    def compute_output_shape(self, input_shape: Sequence[Any]) -> Any:
        f = self.forward_layer.compute_output_shape(input_shape)
        states: list = []
        if self.return_state:
            states = f[1:] * 2
            f = f[0]
        if self.merge_mode == "concat":
            out: Any = [tuple(f[:-1]) + (f[-1] * 2,)]
        elif self.merge_mode is None:
            out = [tuple(f), tuple(f)]
        else:
            out = [tuple(f)]
        out = out + [tuple(s) for s in states]
        return out[0] if len(out) == 1 else out

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": self._layer_config,
                "merge_mode": self.merge_mode}

    @classmethod
    def from_config(cls, config: dict) -> "Bidirectional":
        from . import deserialize  # noqa: PLC0415

        cfg = copy.deepcopy(config)
        layer = deserialize(cfg.pop("layer"))
        return cls(layer, **cfg)
