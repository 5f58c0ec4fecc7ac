"""ONNX translations of shape, indexing, normalisation, resampling and reduction ops."""
from __future__ import annotations

import numpy as np

from .onnx_export import Graph, Record
from .onnx_ops import _batched, _reg, _scalar, _unsupported

_BIG = np.iinfo(np.int64).max


# ----------------------------------------------------------------------------- shape
@_reg("Reshape")
def _reshape(g: Graph, rec: Record, ins: list) -> str:
    shape = list(rec.out.shape)
    if _batched(g, ins[0]) and shape and shape[0] == g.batch:
        shape[0] = 0  # ONNX Reshape: 0 copies the input's dim 0, whatever the batch
        if 0 in shape[1:]:
            raise _unsupported(rec, "a zero-size dim beside a dynamic batch")
    return g.node("Reshape", [ins[0], g.ints(shape, "shape")])


@_reg("Permute")
def _permute(g, rec, ins):
    return g.node("Transpose", ins, perm=[int(d) for d in rec.attrs["dims"]])


@_reg("Expand")
def _expand(g, rec, ins):
    shape = list(rec.out.shape)
    x = rec.inputs[0]
    lead = len(shape) - x.ndim
    for i in range(len(shape)):  # bidirectional broadcast: 1 keeps the input's own dim
        j = i - lead
        if j >= 0 and x.shape[j] == shape[i]:
            shape[i] = 1
    return g.node("Expand", [ins[0], g.ints(shape, "shape")])


@_reg("Repeat")
def _repeat(g, rec, ins):
    reps = list(rec.attrs["reps"])
    x = ins[0]
    extra = len(reps) - rec.inputs[0].ndim
    if extra:
        x = g.node("Unsqueeze", [x, g.ints(range(extra))])
    return g.node("Tile", [x, g.ints(reps)])


@_reg("Cat")
def _cat(g, rec, ins):
    keep = rec.attrs.get("keep")
    parts = ins if keep is None else [ins[i] for i in keep]
    dt = rec.out._data.dtype
    parts = [p if t._data.dtype == dt else g.node("Cast", [p], to=_otype(dt))
             for p, t in zip(parts, rec.inputs if keep is None else
                             [rec.inputs[i] for i in keep])]
    return g.node("Concat", parts, axis=int(rec.attrs["dim"]))


def _otype(dt):
    from .onnx_export import onnx_type  # noqa: PLC0415
    return onnx_type(dt)


@_reg("Stack")
def _stack(g, rec, ins):
    d = int(rec.attrs["dim"])
    axes = g.ints([d])
    return g.node("Concat", [g.node("Unsqueeze", [i, axes]) for i in ins], axis=d)


@_reg("Slice")
def _slice(g, rec, ins):
    """a[key] for ints, slices, None and Ellipsis: Slice, then Gather for ints, Unsqueeze for
    None (in that order, on the input's axes)."""
    key = rec.attrs["key"]
    key = key if isinstance(key, tuple) else (key,)
    nd = rec.inputs[0].ndim
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if any(k is Ellipsis for k in key):
        i = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:i] + (slice(None),) * (nd - n_real) + key[i + 1:]
    key = key + (slice(None),) * (nd - n_real)
    starts, ends, axes, steps, drop, new = [], [], [], [], [], []
    ax = out_ax = 0
    for k in key:
        if k is None:
            new.append(out_ax)
            out_ax += 1
            continue
        if isinstance(k, slice):
            if k != slice(None):
                step = 1 if k.step is None else int(k.step)
                starts.append(0 if k.start is None and step > 0 else
                              (-1 if k.start is None else int(k.start)))
                ends.append((_BIG if step > 0 else -_BIG) if k.stop is None else int(k.stop))
                axes.append(ax)
                steps.append(step)
            out_ax += 1
        elif isinstance(k, (int, np.integer)):
            drop.append((ax, int(k)))
        else:
            raise _unsupported(rec, f"index {k!r}")
        ax += 1
    x = ins[0]
    if axes:
        x = g.node("Slice", [x, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    for a, i in reversed(drop):  # a scalar index removes the axis
        x = g.node("Gather", [x, g.const(np.int64(i), "index")], axis=a)
    if new:
        x = g.node("Unsqueeze", [x, g.ints(new)])
    return x


@_reg("Flip")
def _flip(g, rec, ins):
    dims = list(rec.attrs["dims"])
    n = len(dims)
    return g.node("Slice", [ins[0], g.ints([-1] * n), g.ints([-_BIG] * n), g.ints(dims),
                            g.ints([-1] * n)])


# ----------------------------------------------------------------------------- normalisation
@_reg("BatchNorm")
def _batchnorm(g, rec, ins):
    a = rec.attrs
    if a["training"]:
        raise _unsupported(rec, "batch norm in training mode: call model.eval() first, or "
                                "give the layer running statistics")
    c = rec.inputs[0].shape[1]
    dt = rec.inputs[0]._data.dtype
    w = ins[1] if a["has_weight"] else g.const(np.ones(c, dt), "bn_ones")
    b = ins[-1] if a["has_bias"] else g.const(np.zeros(c, dt), "bn_zeros")
    mean, var = g.array(a["mean"], "running_mean"), g.array(a["var"], "running_var")
    return g.node("BatchNormalization", [ins[0], w, b, mean, var], epsilon=float(a["eps"]))


@_reg("LayerNorm")
def _layernorm(g, rec, ins):
    a = rec.attrs
    shape = tuple(rec.inputs[0].shape[-a["k"]:])
    dt = rec.inputs[0]._data.dtype
    w = ins[1] if a["has_weight"] else g.const(np.ones(shape, dt), "ln_ones")
    io = [ins[0], w] + ([ins[-1]] if a["has_bias"] else [])
    return g.node("LayerNormalization", io, axis=-int(a["k"]), epsilon=float(a["eps"]))


@_reg("GroupNorm")
def _groupnorm(g, rec, ins):
    """Normalise (N, G, rest) over its last axis with LayerNormalization, then the affine."""
    a = rec.attrs
    x = rec.inputs[0]
    groups = int(a.get("groups", a.get("num_groups", 0)))
    if not groups:
        raise _unsupported(rec, "unknown group count")
    dt = x._data.dtype
    h = g.node("Reshape", [ins[0], g.ints([0, groups, -1])])
    h = g.node("LayerNormalization", [h, g.const(np.ones((), dt), "one")], axis=-1,
               epsilon=float(a["eps"]))
    h = g.node("Reshape", [h, g.node("Shape", [ins[0]])])
    tail = (1,) * (x.ndim - 2)
    if a["has_weight"]:
        h = g.node("Mul", [h, g.node("Reshape", [ins[1], g.ints((-1,) + tail)])])
    if a["has_bias"]:
        h = g.node("Add", [h, g.node("Reshape", [ins[-1], g.ints((-1,) + tail)])])
    return h


# ----------------------------------------------------------------------------- lookups
@_reg("Embedding")
def _embedding(g, rec, ins):
    idx = g.array(rec.attrs["idx"], "indices")
    return g.node("Gather", [ins[0], idx], axis=0)


@_reg("AxisGather")
def _axis_gather(g, rec, ins):
    """Per axis: y = sum_t w_t * Gather(x, idx_t, axis) (upsampling, reflect/replicate pad)."""
    x, t = ins[0], rec.inputs[0]
    dt = t._data.dtype
    for axis, taps, _ in rec.attrs["maps"]:
        tail = (1,) * (t.ndim - axis - 1)
        acc = None
        for idx, w in taps:
            part = g.node("Gather", [x, g.const(np.asarray(idx, np.int64), "idx")], axis=axis)
            if w is not None:
                wc = g.const(np.asarray(w, dt).reshape((-1,) + tail), "w")
                part = g.node("Mul", [part, wc])
            acc = part if acc is None else g.node("Add", [acc, part])
        x = acc
    return x


@_reg("ConstantPad")
def _constant_pad(g, rec, ins):
    a = rec.attrs
    xs, ys = rec.inputs[0].shape, a["out_shape"]
    before, after = [], []
    for d, (s, o) in enumerate(zip(a["src"], a["dst"])):
        s0 = s.start or 0
        o0 = o.start or 0
        s1 = xs[d] if s.stop is None else s.stop
        o1 = ys[d] if o.stop is None else o.stop
        before.append(o0 - s0)
        after.append((ys[d] - o1) - (xs[d] - s1))
    if min(before + after) < 0:
        raise _unsupported(rec, "negative (cropping) padding")
    return g.node("Pad", [ins[0], g.ints(before + after), _scalar(g, a["value"], rec.inputs[0])],
                  mode="constant")


@_reg("MaskMul")
def _mask_mul(g, rec, ins):
    raise _unsupported(rec, "dropout in training mode: export in eval mode")


# ----------------------------------------------------------------------------- reductions
def _reduce(g: Graph, op: str, rec: Record, ins: list) -> str:
    axes = rec.attrs.get("axes")
    keep = int(bool(rec.attrs.get("keepdim", False)))
    axes = list(range(rec.inputs[0].ndim)) if axes is None else [int(a) for a in axes]
    if op == "ReduceSum" or g.opset >= 18:
        return g.node(op, [ins[0], g.ints(axes)], keepdims=keep)
    return g.node(op, [ins[0]], axes=axes, keepdims=keep)


@_reg("Sum")
def _sum(g, rec, ins):
    y = _reduce(g, "ReduceSum", rec, ins)
    if rec.out._data.dtype != rec.inputs[0]._data.dtype:
        y = g.node("Cast", [y], to=_otype(rec.out._data.dtype))
    return y


@_reg("Mean")
def _mean(g, rec, ins):
    x = rec.inputs[0]
    if x.ndim == 4 and rec.attrs.get("axes") in ((2, 3), [2, 3]):
        y = g.node("GlobalAveragePool", ins)  # the usual global pool
        if not rec.attrs.get("keepdim"):
            y = g.node("Squeeze", [y, g.ints([2, 3])])
        return y
    return _reduce(g, "ReduceMean", rec, ins)


@_reg("LogSumExp")
def _logsumexp(g, rec, ins):
    return _reduce(g, "ReduceLogSumExp", rec, ins)
