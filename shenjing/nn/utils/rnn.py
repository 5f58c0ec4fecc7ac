"""Variable-length sequences for the recurrent layers, like ``torch.nn.utils.rnn``.

A PackedSequence stores the steps of a batch of sequences sorted by decreasing length, time
major: step t holds ``batch_sizes[t]`` rows, one per sequence still running. Packing and padding
are one vectorised row move each (no loop over sequences), and stay differentiable.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any, Sequence

import numpy as np

from ...autograd.tensor import Tensor
from ...ops.recurrent import move_rows
from ...ops.shape import cat

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _long(a: Any) -> Tensor:
    return Tensor._wrap(np.asarray(a, dtype=np.int64), None, False)


def _np_ints(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        x = x._data
    return np.asarray(x, dtype=np.int64).reshape(-1)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation q with q[p[i]] = i."""
    if permutation is None:
        return None
    p = _np_ints(permutation)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=np.int64)
    return _long(inv)


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Packed steps of a batch of sequences: data (sum(lengths), *), batch_sizes (T,) int64.

    ``sorted_indices[j]`` is the original batch index of the j-th longest sequence and
    ``unsorted_indices`` its inverse (both None when the batch was already sorted).
    """

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> "PackedSequence":
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None and not isinstance(batch_sizes, Tensor):
            batch_sizes = _long(batch_sizes)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> "PackedSequence":
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def float(self) -> "PackedSequence":
        return self._replace(data=self.data.float())

    def double(self) -> "PackedSequence":
        return self._replace(data=self.data.double())

    def cpu(self) -> "PackedSequence":
        return self

    @property
    def is_cuda(self) -> bool:
        return False


def _step_positions(lengths: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(t, j) of every packed row, in packed order (t outer, j inner); lengths sorted."""
    mask = np.arange(steps)[:, None] < lengths[None, :]
    return np.nonzero(mask)


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded (T, B, *) (or (B, T, *) with batch_first) batch of sequences.

    With ``enforce_sorted`` the lengths must be non-increasing; otherwise the batch is sorted
    here and the permutation recorded in ``sorted_indices``.
    """
    lens = _np_ints(lengths)
    if input.ndim < 2:
        raise ValueError(f"pack_padded_sequence: expected input of at least 2 dimensions "
                         f"(T, B, *), got shape {tuple(input.shape)}")
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    if lens.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={batch})")
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                f"True (got lengths {lens.tolist()}). You can pass `enforce_sorted=False` to "
                "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you "
                "do not need ONNX exportability.")
        order = np.arange(batch, dtype=np.int64)
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable").astype(np.int64)
        sorted_indices = _long(order)
    slens = lens[order]
    if slens.size and slens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           f"in 'lengths' that is <= 0 (lengths {lens.tolist()})")
    if slens.size and slens[0] > steps:
        raise RuntimeError(f"pack_padded_sequence: a length ({int(slens[0])}) exceeds the "
                           f"padded sequence length {steps}")
    t, j = _step_positions(slens, int(slens[0]) if slens.size else 0)
    b = order[j]
    src = b * steps + t if batch_first else t * batch + b
    flat = input.reshape((steps * batch,) + tuple(input.shape[2:]))
    data = move_rows(flat, src, np.arange(src.size), src.size)
    batch_sizes = np.bincount(t, minlength=int(slens[0]) if slens.size else 0)
    return PackedSequence(data, _long(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo :func:`pack_padded_sequence`: (padded batch, lengths) in the original order."""
    bs = _np_ints(sequence.batch_sizes)
    steps, batch = bs.size, (int(bs[0]) if bs.size else 0)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}")
        steps_out = int(total_length)
    else:
        steps_out = steps
    slens = (bs[None, :] > np.arange(batch)[:, None]).sum(1)
    t, j = _step_positions(slens, steps)
    order = (_np_ints(sequence.sorted_indices) if sequence.sorted_indices is not None
             else np.arange(batch, dtype=np.int64))
    b = order[j]
    dst = b * steps_out + t if batch_first else t * batch + b
    data = sequence.data
    out = move_rows(data, np.arange(t.size), dst, steps_out * batch, padding_value)
    lead = (batch, steps_out) if batch_first else (steps_out, batch)
    out = out.reshape(lead + tuple(data.shape[1:]))
    lengths = np.empty(batch, dtype=np.int64)
    lengths[order] = slens
    return out, _long(lengths)


def pad_sequence(sequences: Sequence[Tensor] | Tensor, batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into (max L, B, *) (or (B, max L, *)), padding."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    seqs = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    if not seqs:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    rest = tuple(seqs[0].shape[1:])
    for k, s in enumerate(seqs):
        if s.ndim < 1 or tuple(s.shape[1:]) != rest:
            raise RuntimeError(f"pad_sequence: sequence {k} has shape {tuple(s.shape)}, "
                               f"expected (L, {', '.join(map(str, rest))})")
    lens = np.array([s.shape[0] for s in seqs], dtype=np.int64)
    batch, steps = lens.size, int(lens.max())
    seq_id = np.repeat(np.arange(batch), lens)
    t = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    if padding_side == "left":
        t += np.repeat(steps - lens, lens)
    dst = seq_id * steps + t if batch_first else t * batch + seq_id
    data = cat(seqs, 0) if len(seqs) > 1 else seqs[0]
    out = move_rows(data, np.arange(dst.size), dst, steps * batch, padding_value)
    return out.reshape(((batch, steps) if batch_first else (steps, batch)) + rest)


def unpad_sequence(padded_sequences: Tensor, lengths: Any,
                   batch_first: bool = False) -> list[Tensor]:
    """The list of unpadded sequences of a padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(_np_ints(lengths))]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors (sorted by decreasing length unless enforce_sorted=False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences held by a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
