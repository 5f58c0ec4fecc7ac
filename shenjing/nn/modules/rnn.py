"""Recurrent layers: RNN, LSTM, GRU (whole sequences, fused BPTT) and their single-step cells.

Parameter names, shapes, gate order and initialisation follow PyTorch, so a PyTorch
``state_dict`` loads and gives the same outputs. The work is done by the fused per-layer op in
``shenjing.ops.recurrent``; these modules check arguments and arrange inputs and states.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from ...autograd.tensor import Tensor
from ...backend import dtypes
from ...ops import recurrent as R
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _param(shape: tuple, dtype: Any) -> Parameter:
    np_dtype = dtypes.get_default_dtype().np if dtype is None else dtypes.to_dtype(dtype).np
    return Parameter(Tensor._wrap(np.empty(shape, dtype=np_dtype), None, False))


def _reindex(t: Tensor, perm: Tensor | None) -> Tensor:
    """States (L*D, N, H) permuted along the batch dim (for packed, unsorted batches)."""
    return t if perm is None else t.index_select(1, perm)


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters, checks, the layer stack.

    Parameters per layer k and direction (suffix ``_reverse`` for the backward direction):
    weight_ih_l{k} (G*H, I_k), weight_hh_l{k} (G*H, H_out), bias_ih_l{k}, bias_hh_l{k} (G*H),
    and weight_hr_l{k} (proj_size, H) for LSTM with projections; G = 4 (LSTM), 3 (GRU), 1 (RNN).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or \
                not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN "
                             "or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_dir = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        gate = _GATES[mode] * hidden_size
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else real_hidden * num_dir
            for d in range(num_dir):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [("weight_ih", (gate, layer_in)), ("weight_hh", (gate, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for base, shape in shapes:
                    setattr(self, base + sfx, _param(shape, dtype))
                    self._flat_weights_names.append(base + sfx)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Parameter]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        per = len(self._flat_weights_names) // (self.num_layers * (1 + self.bidirectional))
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Kept for PyTorch compatibility; the weights need no flattening here."""

    def _name(self) -> str:
        return type(self).__name__

    def _check_input(self, input: Tensor, packed: bool) -> None:
        want = 2 if packed else 3
        w0 = self.weight_ih_l0
        if input._data.dtype != w0._data.dtype:
            raise ValueError(f"{self._name()}: input must have the type {w0.dtype}, got type "
                             f"{input.dtype}")
        if input.ndim != want:
            raise RuntimeError(f"{self._name()}: input must have {want} dimensions, got "
                               f"{input.ndim}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"{self._name()}: input.size(-1) must be equal to input_size. "
                               f"Expected {self.input_size}, got {input.shape[-1]}")

    def _check_hidden(self, hx: Tensor, expected: tuple, what: str = "hidden") -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"{self._name()}: Expected {what} size {expected}, got "
                               f"{list(hx.shape)}")

    def _state_shapes(self, batch: int) -> tuple[tuple, tuple]:
        num_dir = 2 if self.bidirectional else 1
        hout = self.proj_size if self.proj_size > 0 else self.hidden_size
        return ((self.num_layers * num_dir, batch, hout),
                (self.num_layers * num_dir, batch, self.hidden_size))

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:
        is_lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        if packed:
            x, batch_sizes = input.data, [int(b) for b in input.batch_sizes._data]
            batch = batch_sizes[0] if batch_sizes else 0
            self._check_input(x, True)
            unbatched = False
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{self._name()}: expected a Tensor or PackedSequence as input, "
                                f"got {type(input).__name__}")
            if input.ndim not in (2, 3):
                raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got "
                                 f"{input.ndim}D instead")
            unbatched = input.ndim == 2
            x = input.unsqueeze(0 if self.batch_first else 1) if unbatched else input
            self._check_input(x, False)
            x = x.transpose(0, 1) if self.batch_first else x
            batch_sizes, batch = None, x.shape[1]
        states = self._prepare_states(hx, unbatched, batch, input if packed else None)
        out, h, c = R.rnn_stack(self.mode, x, states, self._flat_weights, self.num_layers,
                                2 if self.bidirectional else 1, self.dropout, self.training,
                                batch_sizes)
        if packed:
            out = PackedSequence(out, input.batch_sizes, input.sorted_indices,
                                 input.unsorted_indices)
            h = _reindex(h, input.unsorted_indices)
            c = _reindex(c, input.unsorted_indices) if is_lstm else None
        else:
            if self.batch_first:
                out = out.transpose(0, 1)
            if unbatched:
                out = out.squeeze(0 if self.batch_first else 1)
                h = h.squeeze(1)
                c = c.squeeze(1) if is_lstm else None
        return out, ((h, c) if is_lstm else h)

    def _prepare_states(self, hx: Any, unbatched: bool, batch: int,
                        packed: PackedSequence | None) -> tuple:
        is_lstm = self.mode == "LSTM"
        if hx is None:
            return (None, None)
        hs = tuple(hx) if is_lstm else (hx,)
        if is_lstm and len(hs) != 2:
            raise RuntimeError(f"{self._name()}: hx must be a tuple (h_0, c_0)")
        ndim = 2 if unbatched else 3
        for t in hs:
            if not isinstance(t, Tensor):
                raise TypeError(f"{self._name()}: hx must be a Tensor, got {type(t).__name__}")
        if any(t.ndim != ndim for t in hs):
            kind = "unbatched 2-D" if unbatched else "batched 3-D"
            if is_lstm:
                got = f"({hs[0].ndim}-D, {hs[1].ndim}-D) tensors"
            else:
                got = f"{hs[0].ndim}-D tensor"
            what = "hx and cx" if is_lstm else "hx"
            raise RuntimeError(f"{self._name()}: For {kind} input, {what} should also be "
                               f"{ndim}-D but got {got}")
        if unbatched:
            hs = tuple(t.unsqueeze(1) for t in hs)
        h_shape, c_shape = self._state_shapes(batch)
        self._check_hidden(hs[0], h_shape, "hidden[0]" if is_lstm else "hidden")
        if is_lstm:
            self._check_hidden(hs[1], c_shape, "hidden[1]")
        perm = packed.sorted_indices if packed is not None else None
        hs = tuple(_reindex(t, perm) for t in hs)
        return hs if is_lstm else (hs[0], None)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


_RNN_ARGS = ("num_layers", "nonlinearity", "bias", "batch_first", "dropout", "bidirectional")


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or ReLU).

    Shape:
        - Input: (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or packed.
        - h_0: (D * num_layers, N, H_out) or (D * num_layers, H_out); defaults to zeros.
        - Output: (L, N, D * H_out) and h_n like h_0.
    """

    def __init__(self, input_size: int, hidden_size: int, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(_RNN_ARGS):
            raise TypeError(f"RNN: too many positional arguments ({len(args) + 2})")
        kwargs.update(dict(zip(_RNN_ARGS, args)))
        self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o; c_t = f c + i g; h_t = o tanh(c_t).

    With ``proj_size`` > 0, h_t = W_hr (o tanh(c_t)) has proj_size features.

    Shape:
        - Input: (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or packed.
        - (h_0, c_0): (D * num_layers, N, H_out) and (D * num_layers, N, H_cell).
        - Output: (L, N, D * H_out) and (h_n, c_n) like (h_0, c_0).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)).

    h_t = (1 - z) n + z h_{t-1}.

    Shape:
        - Input: (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or packed.
        - h_0: (D * num_layers, N, H_out); Output: (L, N, D * H_out) and h_n like h_0.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ----------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Parameters weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _param((num_chunks * hidden_size, input_size), dtype)
        self.weight_hh = _param((num_chunks * hidden_size, hidden_size), dtype)
        if bias:
            self.bias_ih = _param((num_chunks * hidden_size,), dtype)
            self.bias_hh = _param((num_chunks * hidden_size,), dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx: Any, n_states: int) -> tuple[Tensor, list, bool]:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor as input, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got "
                               f"{input.shape[-1]} expected {self.input_size}")
        if input._data.dtype != self.weight_ih._data.dtype:
            raise ValueError(f"{name}: input must have the type {self.weight_ih.dtype}, got "
                             f"type {input.dtype}")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        batch = x.shape[0]
        if hx is None:
            z = Tensor._wrap(np.zeros((batch, self.hidden_size), x._data.dtype), None, False)
            return x, [z] * n_states, unbatched
        hs = list(hx) if n_states == 2 else [hx]
        if len(hs) != n_states:
            raise RuntimeError(f"{name}: hx must be a tuple (h_0, c_0)")
        for t in hs:
            if t.ndim != input.ndim:
                raise RuntimeError(f"{name}: Expected hidden to be {input.ndim}D for "
                                   f"{input.ndim}D input, got {t.ndim}D instead")
        hs = [t.unsqueeze(0) if unbatched else t for t in hs]
        for k, t in enumerate(hs):
            if t.shape[0] != batch:
                raise RuntimeError(f"{name}: Input batch size {batch} doesn't match hidden{k} "
                                   f"batch size {t.shape[0]}")
            if t.shape[1] != self.hidden_size:
                raise RuntimeError(f"{name}: hidden{k} has inconsistent hidden_size: got "
                                   f"{t.shape[1]}, expected {self.hidden_size}")
        return x, hs, unbatched


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or ReLU).

    Shape:
        - Input: (N, H_in) or (H_in,); hidden: (N, H) or (H,); output like hidden.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, hs, unbatched = self._prepare(input, hx, 1)
        fn = R.rnn_tanh_cell if self.nonlinearity == "tanh" else R.rnn_relu_cell
        h = fn(x, hs[0], self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if unbatched else h


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c').

    Shape:
        - Input: (N, H_in) or (H_in,); (h, c): (N, H) or (H,) each; outputs like them.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Tensor]:
        x, hs, unbatched = self._prepare(input, hx, 2)
        h, c = R.lstm_cell(x, hs, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step: returns h'.

    Shape:
        - Input: (N, H_in) or (H_in,); hidden: (N, H) or (H,); output like hidden.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, hs, unbatched = self._prepare(input, hx, 1)
        h = R.gru_cell(x, hs[0], self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if unbatched else h
