"""ONNX translations of shenjing's Functions, one converter per Function class.

A converter gets the graph and one traced record (Function class, input tensors, attrs,
output) and returns the ONNX value name that holds the op's output. Shape constants that
carried the traced batch size are written batch-free (Reshape's 0 = "copy this dim",
Expand's 1 = "broadcast") so the exported graph accepts any batch size.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..ops.pool import _divisor_1d
from .onnx_export import Graph, Record, UnsupportedOperatorError, _where, onnx_type

Converter = Callable[[Graph, Record, list], str]
CONVERTERS: dict[str, Converter] = {}


def _reg(*names: str) -> Callable[[Converter], Converter]:
    def deco(fn: Converter) -> Converter:
        for n in names:
            CONVERTERS[n] = fn
        return fn
    return deco


def _unsupported(rec: Record, why: str = "") -> UnsupportedOperatorError:
    return UnsupportedOperatorError(
        f"onnx export: op {rec.cls.__name__} {_where(rec)}is not supported"
        + (f" ({why})" if why else "") + f"; supported ops: {', '.join(sorted(CONVERTERS))}")


def convert(g: Graph, rec: Record) -> str:
    fn = CONVERTERS.get(rec.cls.__name__)
    if fn is None:
        raise _unsupported(rec)
    ins = [g.value(t, rec) for t in rec.inputs]
    return fn(g, rec, ins)


def _batched(g: Graph, name: str) -> bool:
    return name in g.batched and g.batch is not None


# ----------------------------------------------------------------------------- elementwise
_SIMPLE = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow",
           "Maximum": "Max", "Minimum": "Min", "Neg": "Neg", "Abs": "Abs", "Exp": "Exp",
           "Log": "Log", "Sqrt": "Sqrt", "Sin": "Sin", "Cos": "Cos", "Reciprocal": "Reciprocal",
           "Floor": "Floor", "Ceil": "Ceil", "Sigmoid": "Sigmoid", "Tanh": "Tanh",
           "ReLU": "Relu", "Softsign": "Softsign", "Clone": "Identity", "SignFn": "Sign",
           "ToDevice": "Identity"}


@_reg(*_SIMPLE)
def _simple(g: Graph, rec: Record, ins: list) -> str:
    return g.node(_SIMPLE[rec.cls.__name__], ins)


def _scalar(g: Graph, value: Any, like: Any) -> str:
    return g.const(np.asarray(value, dtype=like._data.dtype), "scalar")


@_reg("Square")
def _square(g, rec, ins):
    return g.node("Mul", [ins[0], ins[0]])


@_reg("Rsqrt")
def _rsqrt(g, rec, ins):
    return g.node("Reciprocal", [g.node("Sqrt", ins)])


@_reg("Log1p")
def _log1p(g, rec, ins):
    return g.node("Log", [g.node("Add", [ins[0], _scalar(g, 1, rec.inputs[0])])])


@_reg("PowScalar")
def _pow_scalar(g, rec, ins):
    return g.node("Pow", [ins[0], _scalar(g, rec.attrs["exponent"], rec.inputs[0])])


@_reg("Clamp")
def _clamp(g, rec, ins):
    lo, hi = rec.attrs["min"], rec.attrs["max"]
    x = rec.inputs[0]
    if np.ndim(lo) or np.ndim(hi):
        out = ins[0]
        if lo is not None:
            out = g.node("Max", [out, g.array(np.asarray(lo, x._data.dtype))])
        if hi is not None:
            out = g.node("Min", [out, g.array(np.asarray(hi, x._data.dtype))])
        return out
    return g.node("Clip", [ins[0], "" if lo is None else _scalar(g, lo, x),
                           "" if hi is None else _scalar(g, hi, x)])


@_reg("Cast")
def _cast(g, rec, ins):
    return g.node("Cast", ins, to=onnx_type(rec.out._data.dtype))


# ----------------------------------------------------------------------------- activations
@_reg("LeakyReLU")
def _leaky(g, rec, ins):
    return g.node("LeakyRelu", ins, alpha=float(rec.attrs["slope"]))


@_reg("Hardtanh")
def _hardtanh(g, rec, ins):
    x = rec.inputs[0]
    return g.node("Clip", [ins[0], _scalar(g, rec.attrs["lo"], x), _scalar(g, rec.attrs["hi"], x)])


@_reg("ELU")
def _elu(g, rec, ins):
    a, s, i = (float(rec.attrs[k]) for k in ("alpha", "scale", "input_scale"))
    x = ins[0] if i == 1 else g.node("Mul", [ins[0], _scalar(g, i, rec.inputs[0])])
    y = g.node("Elu", [x], alpha=a)
    return y if s == 1 else g.node("Mul", [y, _scalar(g, s, rec.inputs[0])])


@_reg("GELU")
def _gelu(g, rec, ins):
    x, t = ins[0], rec.inputs[0]
    if rec.attrs.get("approximate", "none") == "tanh":  # 0.5x(1 + tanh(c (x + 0.044715 x^3)))
        x3 = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [x3, _scalar(g, 0.044715, t)])])
        th = g.node("Tanh", [g.node("Mul", [inner, _scalar(g, np.sqrt(2 / np.pi), t)])])
    else:  # 0.5 x (1 + erf(x / sqrt 2))
        th = g.node("Erf", [g.node("Div", [x, _scalar(g, np.sqrt(2.0), t)])])
    half = g.node("Mul", [x, _scalar(g, 0.5, t)])
    return g.node("Mul", [half, g.node("Add", [th, _scalar(g, 1.0, t)])])


@_reg("SiLU")
def _silu(g, rec, ins):
    return g.node("Mul", [ins[0], g.node("Sigmoid", ins)])


def _softplus_of(g, x):
    return g.node("Softplus", [x])


@_reg("Softplus")
def _softplus(g, rec, ins):
    beta, t = float(rec.attrs["beta"]), rec.inputs[0]
    if beta == 1:
        return _softplus_of(g, ins[0])
    # softplus(x) = log(1 + e^{beta x}) / beta
    sp = _softplus_of(g, g.node("Mul", [ins[0], _scalar(g, beta, t)]))
    return g.node("Div", [sp, _scalar(g, beta, t)])


@_reg("LogSigmoid")
def _logsigmoid(g, rec, ins):  # log sigmoid(x) = -softplus(-x)
    return g.node("Neg", [_softplus_of(g, g.node("Neg", ins))])


@_reg("Mish")
def _mish(g, rec, ins):  # x tanh(softplus(x))
    return g.node("Mul", [ins[0], g.node("Tanh", [_softplus_of(g, ins[0])])])


@_reg("Softmax", "LogSoftmax")
def _softmax(g, rec, ins):
    return g.node(rec.cls.__name__, ins, axis=int(rec.attrs["dim"]))


# ----------------------------------------------------------------------------- linear algebra
@_reg("Linear")
def _linear(g, rec, ins):
    if rec.inputs[0].ndim == 2:  # y = x W^T + b in one Gemm
        return g.node("Gemm", ins, transB=1)
    y = g.node("MatMul", [ins[0], g.node("Transpose", [ins[1]], perm=[1, 0])])
    return g.node("Add", [y, ins[2]]) if len(ins) > 2 else y


@_reg("Dense")
def _dense(g, rec, ins):
    """The Keras face's Dense: y = x K + b with K stored (in, out)."""
    y = g.node("MatMul", ins[:2])
    return g.node("Add", [y, ins[2]]) if len(ins) > 2 else y


@_reg("MatMul")
def _matmul(g, rec, ins):
    return g.node("MatMul", ins)


# ----------------------------------------------------------------------------- conv
def _to4(g: Graph, rec: Record, name: str, shape4: tuple) -> tuple[str, Any]:
    """The input as 4-D (N, C, H, W) plus how to undo it: pools and convs work in 4-D."""
    shape = tuple(rec.inputs[0].shape)
    if shape == tuple(shape4):
        return name, None
    if len(shape) == 3 and tuple(shape4) == shape[:2] + (1,) + shape[2:]:
        return g.node("Unsqueeze", [name, g.ints([2])]), 2
    if len(shape) == 3 and tuple(shape4) == (1,) + shape:
        return g.node("Unsqueeze", [name, g.ints([0])]), 0
    raise _unsupported(rec, f"input of shape {shape} viewed as {tuple(shape4)}")


def _from4(g: Graph, name: str, axis: Any) -> str:
    return name if axis is None else g.node("Squeeze", [name, g.ints([axis])])


@_reg("ConvNd")
def _conv(g, rec, ins):
    a = rec.attrs
    nd, x = a["nd"], ins[0]
    if not a["batched"]:
        x = g.node("Unsqueeze", [x, g.ints([0])])
    t, b, l, r = a["pads"]
    if a["mode"] != "zeros":  # pad first, then a valid conv
        mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[a["mode"]]
        if mode == "wrap" and g.opset < 19:
            raise _unsupported(rec, "padding_mode='circular' needs opset_version >= 19")
        p = [0, 0, t, l, 0, 0, b, r] if nd == 2 else [0, 0, l, 0, 0, r]
        x = g.node("Pad", [x, g.ints(p)], mode=mode)
        t = b = l = r = 0
    k = list(rec.inputs[1].shape[2:])
    if nd == 2:
        attrs = dict(strides=list(a["stride"]), dilations=list(a["dil"]), pads=[t, l, b, r])
    else:
        attrs = dict(strides=[a["stride"][1]], dilations=[a["dil"][1]], pads=[l, r])
    y = g.node("Conv", [x] + ins[1:], kernel_shape=k, group=int(a["groups"]), **attrs)
    return y if a["batched"] else g.node("Squeeze", [y, g.ints([0])])


@_reg("ConvTransposeNd")
def _conv_t(g, rec, ins):
    a = rec.attrs
    nd, x = a["nd"], ins[0]
    if not a["batched"]:
        x = g.node("Unsqueeze", [x, g.ints([0])])
    k = list(rec.inputs[1].shape[2:])
    sizes = tuple(rec.inputs[0].shape[-nd:])
    st, dil, pad = a["stride"][-nd:], a["dil"][-nd:], a["pad"][-nd:]
    outs = a["out_hw"][-nd:]
    opad = [o - ((s - 1) * sd - 2 * p + d * (kk - 1) + 1)
            for o, s, sd, p, d, kk in zip(outs, sizes, st, pad, dil, k)]
    y = g.node("ConvTranspose", [x] + ins[1:], kernel_shape=k, strides=list(st),
               dilations=list(dil), pads=list(pad) * 2, output_padding=opad,
               group=int(a["groups"]))
    return y if a["batched"] else g.node("Squeeze", [y, g.ints([0])])


# ----------------------------------------------------------------------------- pooling
def _ceil(shape4, k, s, p, d, oh, ow) -> int:
    floor = [(n + 2 * pp - dd * (kk - 1) - 1) // ss + 1
             for n, kk, ss, pp, dd in zip(shape4[2:], k, s, p, d)]
    return int([oh, ow] != floor)


@_reg("MaxPool")
def _maxpool(g, rec, ins):
    a = rec.attrs
    if a.get("out_idx") is not None:
        raise _unsupported(rec, "return_indices=True")
    x, undo = _to4(g, rec, ins[0], a["shape4"])
    k, s, p, d = a["k"], a["s"], a["p"], a["d"]
    y = g.node("MaxPool", [x], kernel_shape=list(k), strides=list(s), pads=list(p) * 2,
               dilations=list(d), ceil_mode=_ceil(a["shape4"], k, s, p, d, a["oh"], a["ow"]))
    return _from4(g, y, undo)


@_reg("AvgPool")
def _avgpool(g, rec, ins):
    a = rec.attrs
    x, undo = _to4(g, rec, ins[0], a["shape4"])
    k, s, p, (oh, ow), div = a["k"], a["s"], a["p"], (a["oh"], a["ow"]), a["div"]
    shape4 = a["shape4"]
    ceil = _ceil(shape4, k, s, p, (1, 1), oh, ow)
    scale = None
    if np.ndim(div) == 0:
        cip = 1
        if float(div) != k[0] * k[1]:  # divisor_override: sum = mean * area, then / div
            if p != (0, 0) or ceil:
                raise _unsupported(rec, "divisor_override with padding or ceil_mode")
            scale = k[0] * k[1] / float(div)
    else:
        cip = None
        for flag in (True, False):
            want = np.outer(_divisor_1d(shape4[2], k[0], s[0], p[0], oh, flag),
                            _divisor_1d(shape4[3], k[1], s[1], p[1], ow, flag))
            if np.array_equal(want, div):
                cip = int(flag)
                break
        if cip is None:
            raise _unsupported(rec, "an irregular divisor")
    y = g.node("AveragePool", [x], kernel_shape=list(k), strides=list(s), pads=list(p) * 2,
               ceil_mode=ceil, count_include_pad=cip)
    if scale is not None:
        y = g.node("Mul", [y, _scalar(g, scale, rec.inputs[0])])
    return _from4(g, y, undo)


@_reg("AdaptiveAvg")
def _adaptive_avg(g, rec, ins):
    """y = Ah x Aw^T, exactly the op's own bin matrices, for any sizes."""
    a = rec.attrs
    x, undo = _to4(g, rec, ins[0], a["shape4"])
    dt = rec.inputs[0]._data.dtype
    if a["ah"].shape[0] == 1 and a["aw"].shape[0] == 1:
        y = g.node("GlobalAveragePool", [x])
    else:
        y = g.node("MatMul", [x, g.const(a["aw"].T.astype(dt), "adaptive_w")])
        y = g.node("MatMul", [g.const(a["ah"].astype(dt), "adaptive_h"), y])
    return _from4(g, y, undo)


from . import onnx_shape_ops  # noqa: E402,F401  (registers the remaining converters)
