"""Embedding lookups: embedding and embedding_bag, with dense or row-sparse weight gradients.

Forward is a row gather ``out = W[idx]``; backward is the matching scatter-add
``dW[idx[i]] += dout[i]`` (sorted runs + ``add.reduceat``), or, with ``sparse=True`` on a leaf
weight, a row-sparse gradient holding just the touched rows.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import SparseRows, Tensor
from ..backend import dtypes, get_array_module
from ..backend.scatter import scatter_add_outer, scatter_add_rows

__all__ = ["embedding", "embedding_bag"]
TENSOR_METHODS: tuple = ()
FUNCTIONAL = ("embedding", "embedding_bag")


def _weight_grad(fn: Function, idx: Any, rows: Any, shape: tuple, padding_idx: int | None,
                 scale_by_freq: bool, coef: Any = None, owner: Any = None) -> Any:
    """dW from per-lookup gradient rows: dense scatter-add, or SparseRows for a sparse leaf.

    With ``coef`` and ``owner``, ``rows`` is a basis (bags, D) and lookup i's row is
    coef[i] * rows[owner[i]]: kept factored, never formed.
    """
    xp = get_array_module(rows)
    if fn.sparse and scale_by_freq:
        raise RuntimeError(
            "embedding_backward: scale_grad_by_freq not supported with sparse gradients")
    if padding_idx is not None:
        keep = idx != padding_idx
        if not keep.all():
            idx = idx[keep]
            if coef is None:
                rows = rows[keep]
            else:
                coef, owner = coef[keep], owner[keep]
    if scale_by_freq and idx.shape[0]:
        counts = xp.bincount(idx, minlength=shape[0])
        if coef is None:
            rows = rows / counts[idx].astype(rows.dtype)[:, None]
        else:
            coef = coef / counts[idx].astype(coef.dtype)
    leaf_sparse = fn.sparse and fn.next_fns[0] is None  # only a leaf keeps a sparse .grad
    if coef is not None:
        if leaf_sparse:
            return SparseRows.outer(idx, coef, rows, owner, shape)
        return scatter_add_outer(xp.zeros(shape, dtype=rows.dtype), idx, coef, rows, owner)
    if leaf_sparse:
        return SparseRows(idx, xp.ascontiguousarray(rows), shape)
    return scatter_add_rows(xp.zeros(shape, dtype=rows.dtype), idx, rows)


class Embedding(Function):
    """out = W[idx]; dW[j] = sum_{i: idx_i = j} dout_i (padding row excluded)."""

    def forward(self, weight: Any, *, idx: Any, padding_idx: int | None, scale_by_freq: bool,
                sparse: bool) -> Any:
        self.idx, self.padding_idx, self.scale_by_freq = idx, padding_idx, scale_by_freq
        self.sparse, self.wshape = sparse, weight.shape
        return weight.take(idx, axis=0) if idx.ndim else weight[idx]

    def backward(self, grad: Any) -> Any:
        idx, lead = self.idx, self.idx.ndim
        if lead > 1 and not grad.flags.c_contiguous:
            # rows in the gradient's own memory order (a time-major RNN's dX behind a
            # batch-first view, say): permute the few indices instead of copying the rows
            order = tuple(sorted(range(lead), key=lambda a: -grad.strides[a]))
            gt = grad.transpose(order + tuple(range(lead, grad.ndim)))
            if gt.flags.c_contiguous:
                grad, idx = gt, idx.transpose(order)
        flat = idx.reshape(-1)
        rows = grad.reshape(flat.shape[0], *self.wshape[1:])
        return _weight_grad(self, flat, rows, self.wshape, self.padding_idx, self.scale_by_freq)


def _indices(op: str, input: Any) -> Any:
    arr = input._data if isinstance(input, Tensor) else np.asarray(input)
    if arr.dtype.kind not in "iu":
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {dtypes.to_dtype(arr.dtype)} instead (while checking "
            f"arguments for {op})")
    return arr.astype(np.int64, copy=False)


def _check_range(op: str, idx: Any, num: int) -> None:
    if idx.size == 0:
        return
    lo, hi = int(idx.min()), int(idx.max())
    if lo < 0 or hi >= num:
        bad = lo if lo < 0 else hi
        raise IndexError(f"{op}: index {bad} is out of range for num_embeddings={num}")


def _padding(op: str, padding_idx: int | None, num: int) -> int | None:
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise AssertionError(f"{op}: padding_idx must be within num_embeddings, got "
                             f"padding_idx={padding_idx} for num_embeddings={num}")
    return padding_idx % num


def _check_weight(op: str, weight: Tensor) -> None:
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        shape = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(f"{op}: 'weight' must be 2-D (num_embeddings, embedding_dim), "
                           f"got {shape}")


def renorm_rows_(weight: Tensor, idx: Any, max_norm: float, norm_type: float) -> None:
    """In place, rows of ``weight`` used by ``idx`` with p-norm > max_norm get norm max_norm.

    scale = max_norm / (norm + 1e-7), PyTorch's embedding_renorm_; no gradient is recorded.
    """
    xp = get_array_module(weight._data)
    rows = xp.unique(idx)
    w = weight._data
    norms = xp.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        r = rows[big]
        w[r] *= (max_norm / (norms[big] + 1e-7)).astype(w.dtype)[:, None]


def _prepare_rows(op: str, weight: Tensor, idx: Any, padding_idx: Any, max_norm: Any,
                  norm_type: float) -> Any:
    """Shared by embedding and embedding_bag: check the indices, resolve padding_idx and
    renormalise the looked-up rows in place when ``max_norm`` is given."""
    num = weight.shape[0]
    _check_range(op, idx, num)
    pad = _padding(op, padding_idx, num)
    if max_norm is not None:
        with no_grad():
            renorm_rows_(weight, idx, max_norm, norm_type)
    return pad


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False, *,
              _op: str = "embedding") -> Tensor:
    """Look up rows of ``weight`` at integer ``input``.

    Shape:
        - input: (*) int64 indices in [0, num_embeddings)
        - weight: (num_embeddings, embedding_dim)
        - output: (*, embedding_dim)

    >>> import shenjing as sj
    >>> sj.nn.functional.embedding(sj.tensor([1, 0]), sj.eye(2)).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    _check_weight(_op, weight)
    idx = _indices(_op, input)
    pad = _prepare_rows(_op, weight, idx, padding_idx, max_norm, norm_type)
    return Embedding.apply(weight, idx=idx, padding_idx=pad, scale_by_freq=scale_grad_by_freq,
                           sparse=sparse)


# ----------------------------------------------------------------- embedding_bag
class EmbeddingBag(Function):
    """Per bag b: sum / mean / max over rows W[idx_i] (times psw_i) of the bag's lookups.

    sum: dW[idx_i] += psw_i * dout_b, dpsw_i = <dout_b, W[idx_i]>;  mean: psw_i = 1 / n_b;
    max: dout_b[d] flows to the first lookup holding the max of dimension d.
    """

    def forward(self, weight: Any, *psw: Any, idx: Any, bag: Any, starts: Any, nbags: int,
                mode: str, padding_idx: int | None, scale_by_freq: bool, sparse: bool) -> Any:
        xp = get_array_module(weight)
        keep = None if padding_idx is None else idx != padding_idx
        rows = weight[idx]
        out = xp.zeros((nbags, weight.shape[1]), dtype=weight.dtype)
        self.idx, self.bag, self.keep, self.mode, self.wshape = idx, bag, keep, mode, weight.shape
        self.padding_idx, self.scale_by_freq, self.sparse = padding_idx, scale_by_freq, sparse
        counts = xp.bincount(bag if keep is None else bag[keep], minlength=nbags)
        nonempty = counts > 0
        starts = starts[nonempty]
        if mode == "max":
            if keep is not None:
                rows = xp.where(keep[:, None], rows, -xp.inf)
            if starts.shape[0]:
                out[nonempty] = xp.maximum.reduceat(rows, starts, axis=0)
            hit = rows == out[bag]
            pos = xp.where(hit, xp.arange(idx.shape[0])[:, None], idx.shape[0])
            first = xp.full(out.shape, idx.shape[0])
            if starts.shape[0]:
                first[nonempty] = xp.minimum.reduceat(pos, starts, axis=0)
            self.argmax, self.nonempty = first, nonempty
            return out
        if psw:
            self.rows = rows  # W[idx], for dpsw
            self.psw = psw[0]
            rows = rows * psw[0][:, None]
        if keep is not None:
            rows = xp.where(keep[:, None], rows, 0)
        if starts.shape[0]:
            out[nonempty] = xp.add.reduceat(rows, starts, axis=0)
        if mode == "mean":
            self.scale = (1.0 / xp.maximum(counts, 1)).astype(weight.dtype)
            out *= self.scale[:, None]
        return out

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        idx, bag = self.idx, self.bag
        if self.mode == "max":  # each (bag, dim) sends its gradient to its argmax lookup
            ok = self.nonempty[:, None] & (self.argmax < idx.shape[0])
            b, col = xp.nonzero(ok)
            src = self.argmax[b, col]
            uniq, inv = xp.unique(src, return_inverse=True)
            rows = xp.zeros((uniq.shape[0], grad.shape[1]), dtype=grad.dtype)
            rows[inv, col] = grad[b, col]  # (lookup, dim) pairs are distinct
            return _weight_grad(self, idx[uniq], rows, self.wshape, None, False)
        # lookup i's gradient row is coef_i * grad[bag_i]: kept factored (never formed)
        coef = self.scale[bag] if self.mode == "mean" else xp.ones(idx.shape[0], grad.dtype)
        gpsw = None
        if len(self.needs_input_grad) > 1:
            if self.needs_input_grad[1]:
                gpsw = xp.einsum("id,id->i", grad[bag], self.rows)
                if self.keep is not None:
                    gpsw = xp.where(self.keep, gpsw, 0)
            coef = self.psw.astype(grad.dtype, copy=False)
        gw = None
        if self.needs_input_grad[0]:
            gw = _weight_grad(self, idx, grad, self.wshape, self.padding_idx,
                              self.scale_by_freq, coef, bag)
        return (gw, gpsw) if len(self.needs_input_grad) > 1 else gw


def _bags(input: Any, offsets: Any, include_last_offset: bool) -> tuple[Any, Any, Any, int]:
    """Flat indices, bag id per index, start per bag, number of bags."""
    op = "embedding_bag"
    idx = _indices(op, input)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type Tensor")
        b, n = idx.shape
        starts = np.arange(b, dtype=np.int64) * n
        return idx.reshape(-1), np.repeat(np.arange(b, dtype=np.int64), n), starts, b
    if idx.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    off = _indices(op, offsets)
    if off.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    n = idx.shape[0]
    if include_last_offset:
        n = int(off[-1]) if off.shape[0] else 0
        idx, off = idx[:n], off[:-1]
    nb = off.shape[0]
    if nb and (off[0] != 0 or (np.diff(off) < 0).any() or off[-1] > n):
        raise ValueError(f"embedding_bag: offsets must start at 0, be non-decreasing and not "
                         f"exceed the input length {n}, got {off.tolist()}")
    lengths = np.diff(np.append(off, n))
    return idx, np.repeat(np.arange(nb, dtype=np.int64), lengths), off, nb


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2, scale_grad_by_freq:
                  bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None, *, _op: str = "embedding_bag") -> Tensor:
    """Sums, means or maxes of bags of embeddings, without building the per-lookup rows graph.

    Shape:
        - input: (B, N) bags of equal size, or (L,) with ``offsets`` (B,) (B+1 with
          ``include_last_offset``) giving each bag's start
        - per_sample_weights: like input (mode 'sum' only)
        - output: (B, embedding_dim)
    """
    _check_weight(_op, weight)
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{_op}: mode has to be one of sum, mean or max, got {mode!r}")
    if sparse and mode == "max":
        raise ValueError("max mode does not support sparse weights")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            f"GitHub.")
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
        raise ValueError(
            f"embedding_bag: expected per_sample_weights of shape {tuple(input.shape)} (like "
            f"input), got {tuple(per_sample_weights.shape)}")
    idx, bag, starts, nb = _bags(input, offsets, include_last_offset)
    pad = _prepare_rows(_op, weight, idx, padding_idx, max_norm, norm_type)
    attrs = dict(idx=idx, bag=bag, starts=starts, nbags=nb, mode=mode, padding_idx=pad,
                 scale_by_freq=scale_grad_by_freq, sparse=sparse)
    if per_sample_weights is None:
        return EmbeddingBag.apply(weight, **attrs)
    psw = per_sample_weights.reshape(-1)[: idx.shape[0]]
    return EmbeddingBag.apply(weight, psw, **attrs)


# ----------------------------------------------------------------- negative sampling
class NegativeSamplingLoss(Function):
    """-sum_b [log sig(<W[t_b0], h_b>) + sum_{k>0} log sig(-<W[t_bk], h_b>)]: word2vec's
    loss with the output-vector lookup, the scores and the log-sigmoids in one node.

    Inputs (W, h); dW rows are ds_bk h_b at t_bk (row-sparse for a sparse leaf W), dh_b =
    sum_k ds_bk W[t_bk], with ds = -sign sigmoid(-sign s) the loss's slope per score.
    """

    def forward(self, weight: Any, h: Any, *, idx: Any, sparse: bool) -> Any:
        xp = get_array_module(weight)
        o = weight.take(idx, axis=0)  # (B, 1+K, D)
        s = xp.einsum("bkd,bd->bk", o, h)
        s[:, 1:] *= -1  # sign: +1 for the true word, -1 for the noise words
        self.o, self.h, self.z, self.idx, self.sparse = o, h, s, idx, sparse
        self.wshape = weight.shape
        return xp.logaddexp(0, -s).sum(dtype=s.dtype)  # -log sig(z) = log(1 + e^-z)

    def backward(self, g):
        xp = get_array_module(self.z)
        # d/dz log(1 + e^-z) = -sig(-z) = -exp(-log(1 + e^z)): no overflow for large |z|
        ds = (-g * xp.exp(-xp.logaddexp(0, self.z))).astype(self.z.dtype, copy=False)
        ds[:, 1:] *= -1
        nig = self.needs_input_grad
        gw = gh = None
        if nig[0]:  # lookup (b, k)'s row is ds[b, k] * h[b]: kept factored (never formed)
            owner = xp.repeat(xp.arange(ds.shape[0]), ds.shape[1])
            gw = _weight_grad(self, self.idx.reshape(-1), self.h, self.wshape, None, False,
                              ds.reshape(-1), owner)
        if nig[1]:
            gh = xp.einsum("bk,bkd->bd", ds, self.o)
        return gw, gh


def negative_sampling_loss(h: Tensor, weight: Tensor, targets: Any,
                           sparse: bool = False) -> Tensor:
    """Summed negative-sampling loss of input vectors ``h`` (B, D) against output vectors
    ``weight[targets]``; targets (B, 1+K) int ids, column 0 the true word."""
    op = "negative_sampling_loss"
    _check_weight(op, weight)
    idx = _indices(op, targets)
    if idx.ndim != 2 or h.ndim != 2 or idx.shape[0] != h.shape[0] or idx.shape[1] < 1 \
            or h.shape[1] != weight.shape[1]:
        raise RuntimeError(
            f"{op}: expected h (B, D) and targets (B, 1+K) with D = weight's dim "
            f"{weight.shape[1]}, got h {tuple(h.shape)} and targets {tuple(idx.shape)}")
    _check_range(op, idx, weight.shape[0])
    return NegativeSamplingLoss.apply(weight, h, idx=idx, sparse=sparse)
