"""Export a shenjing Module to ONNX by tracing one forward pass.

While the model runs on the example input, ``Function.apply`` is wrapped (inside a context
manager, restored afterwards: the autograd core is untouched) so every op is recorded in
order with its class, attrs, input and output tensors. Each record is then translated to
ONNX nodes by the converters in :mod:`shenjing.io.onnx_ops`; parameters and buffers become
initializers under their state_dict names. Dim 0 of every input and output is named
``'batch'`` by default, and shape constants that carried the traced batch size are written
so the graph runs for any batch size. Needs the optional ``onnx`` package.
"""
from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator, Sequence

import numpy as np

from ..autograd import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad
from ..utils.atomic import atomic_write

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ModuleNotFoundError as _e:  # pragma: no cover - exercised only without onnx
    if _e.name != "onnx":
        raise
    raise ImportError("shenjing.onnx.export needs the 'onnx' package: "
                      "pip install shenjing[onnx]") from None

__all__ = ["export", "UnsupportedOperatorError"]


class UnsupportedOperatorError(RuntimeError):
    """An op recorded during tracing has no ONNX translation (yet)."""


_ONNX_TYPES = {np.dtype(k): v for k, v in {
    "float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE, "float16": TensorProto.FLOAT16,
    "int64": TensorProto.INT64, "int32": TensorProto.INT32, "int16": TensorProto.INT16,
    "int8": TensorProto.INT8, "uint8": TensorProto.UINT8, "bool": TensorProto.BOOL}.items()}


def onnx_type(dtype: Any) -> int:
    try:
        return _ONNX_TYPES[np.dtype(dtype)]
    except KeyError:
        raise UnsupportedOperatorError(f"onnx export: dtype {dtype} has no ONNX type") from None


class Record:
    """One traced op: its Function class, tensor inputs, attrs, output and enclosing layer."""
    __slots__ = ("cls", "inputs", "attrs", "out", "layer")

    def __init__(self, cls: type, inputs: tuple, attrs: dict, out: Tensor, layer: str) -> None:
        self.cls, self.inputs, self.attrs, self.out, self.layer = cls, inputs, attrs, out, layer


@contextlib.contextmanager
def _recording(model: Any) -> Iterator[list[Record]]:
    """Record every ``Function.apply`` call (and the layer it ran in) while active."""
    records: list[Record] = []
    stack: list[str] = []
    original = Function.__dict__["apply"]

    def apply(cls: type, *inputs: Tensor, **attrs: Any) -> Tensor:
        out = original.__get__(None, cls)(*inputs, **attrs)
        records.append(Record(cls, inputs, attrs, out, stack[-1] if stack else ""))
        return out

    def enter(label: str) -> Any:
        def hook(module: Any, args: Any) -> None:
            stack.append(label)
        return hook

    def leave(module: Any, args: Any, out: Any) -> None:
        stack.pop()

    handles = []
    for name, mod in model.named_modules():
        handles.append(mod.register_forward_pre_hook(
            enter(f"{name or '<root>'} ({type(mod).__name__})")))
        handles.append(mod.register_forward_hook(leave))
    Function.apply = classmethod(apply)  # type: ignore[method-assign]
    try:
        yield records
    finally:
        Function.apply = original  # type: ignore[method-assign]
        for h in handles:
            h.remove()


class Graph:
    """ONNX nodes, initializers and the tensor -> value-name table built from the trace."""

    def __init__(self, model: Any, batch: int | None, opset: int = 17) -> None:
        self.opset = opset
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.names: dict[int, str] = {}  # id(tensor) -> ONNX value name
        self.arrays: dict[int, str] = {}  # id(ndarray) -> ONNX value name (for array attrs)
        self.batched: set[str] = set()  # values whose dim 0 is the dynamic batch
        self.batch = batch
        self.keep: list[Any] = []  # keeps traced objects alive so ids stay unique
        self.params: dict[int, str] = {}
        self.param_arrays: dict[int, tuple[str, Any]] = {}
        self.made: dict[str, str] = {}
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if t is not None:
                self.params.setdefault(id(t), name)
                self.param_arrays.setdefault(id(t._data), (name, t._data))
        self._n = 0

    def fresh(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value: Any, hint: str = "const", dtype: Any = None) -> str:
        arr = np.asarray(value, dtype=dtype)
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def ints(self, values: Sequence[int], hint: str = "ints") -> str:
        return self.const(np.asarray(list(values), dtype=np.int64), hint)

    def node(self, op: str, inputs: Sequence[str], hint: str | None = None, n_out: int = 1,
             **attrs: Any) -> str:
        outs = [self.fresh(hint or op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, **attrs))
        return outs[0]

    def param(self, name: str, arr: Any) -> str:
        if name not in self.made:
            self.inits.append(numpy_helper.from_array(
                np.ascontiguousarray(np.asarray(arr)), name))
            self.made[name] = name
        return name

    def array(self, arr: Any, hint: str = "const") -> str:
        """The value name of a raw array attr: a traced value, a buffer, or a new constant."""
        if id(arr) in self.arrays:
            return self.arrays[id(arr)]
        if id(arr) in self.param_arrays:
            return self.param(*self.param_arrays[id(arr)])
        return self.const(arr, hint)

    def value(self, t: Tensor, rec: Record) -> str:
        """The ONNX value name of a tensor input of an op."""
        key = id(t)
        if key in self.names:
            return self.names[key]
        if key in self.params:
            return self.param(self.params[key], t._data)
        if id(t._data) in self.param_arrays:
            return self.param(*self.param_arrays[id(t._data)])
        if id(t._data) in self.arrays:
            return self.arrays[id(t._data)]
        if t.requires_grad and t.grad_fn is not None:
            raise UnsupportedOperatorError(
                f"onnx export: a tensor of shape {tuple(t.shape)} used by {rec.cls.__name__} "
                f"{_where(rec)}was computed outside the traced ops (e.g. by an untracked "
                f"in-place update); this model cannot be traced")
        self.keep.append(t)
        return self.const(t._data, "const")

    def bind(self, t: Tensor, name: str, batched: bool) -> None:
        self.keep.append(t)
        self.names[id(t)] = name
        self.arrays[id(t._data)] = name
        if batched:
            self.batched.add(name)


def _where(rec: Record) -> str:
    return f"in layer {rec.layer} " if rec.layer else ""


def _as_tuple(args: Any) -> tuple:
    if isinstance(args, tuple):
        return args
    if isinstance(args, list):
        return tuple(args)
    return (args,)


def _to_tensor(a: Any) -> Tensor:
    if isinstance(a, Tensor):
        return a
    arr = np.asarray(a)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    return Tensor._wrap(arr, None, False)


def _dims(shape: tuple, name: str, batched: bool, axes: dict[int, str] | None) -> list:
    dims: list[Any] = list(shape)
    if axes is not None:
        for ax, label in axes.items():
            dims[ax] = label
    elif batched and dims:
        dims[0] = "batch"
    return dims


def _normalize_axes(dynamic_axes: Any, name: str) -> dict[int, str] | None:
    if dynamic_axes is None or name not in dynamic_axes:
        return None
    ax = dynamic_axes[name]
    if isinstance(ax, dict):
        return {int(k): str(v) for k, v in ax.items()}
    return {int(k): f"{name}_dynamic_axes_{int(k) + 1}" for k in ax}


def export(model: Any, args: Any, f: str | os.PathLike | Any, input_names: Sequence[str] | None
           = None, output_names: Sequence[str] | None = None, dynamic_axes: Any = None,
           opset_version: int = 17, dynamic_batch: bool = True, verbose: bool = False,
           do_constant_folding: bool = True, export_params: bool = True,
           training: Any = None, **kwargs: Any) -> "onnx.ModelProto":
    """Trace ``model(*args)`` once and write it as an ONNX model to ``f`` (path or file).

    PyTorch's signature: ``input_names`` / ``output_names`` name the graph's inputs and
    outputs (default ``input``/``input_1``... and ``output``...); ``dynamic_axes`` maps a
    name to the axes that are symbolic (list or {axis: label}). Without ``dynamic_axes``,
    dim 0 of every input and output is the symbolic ``'batch'`` (``dynamic_batch=False``
    fixes it). The model is traced in eval mode (dropout off, batch norm running stats)
    and restored to its mode afterwards. Returns the ``onnx.ModelProto``.
    """
    from .onnx_ops import convert  # noqa: PLC0415 - needs onnx, loaded with it

    if opset_version < 17:
        raise ValueError(f"onnx export: opset_version must be >= 17, got {opset_version}")
    inputs = tuple(_to_tensor(a) for a in _as_tuple(args))
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    batch = inputs[0].shape[0] if inputs and inputs[0].ndim and dynamic_batch else None
    g = Graph(model, batch, opset_version)
    in_names = list(input_names or [])
    in_names += [("input" if i == 0 else f"input_{i}") for i in range(len(in_names), len(inputs))]
    traced = []
    for t, name in zip(inputs, in_names):
        # a float input that requires grad makes every op take its recording path
        tt = Tensor._wrap(t._data, None, False)
        if tt._data.dtype.kind == "f":
            tt.requires_grad = True
        g.bind(tt, name, batch is not None and tt.ndim > 0)
        traced.append(tt)
    try:
        with enable_grad(), _recording(model) as records:
            out = model(*traced)
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    for rec in records:
        name = convert(g, rec)
        batched = (batch is not None and rec.out.ndim > 0 and rec.out.shape[0] == batch
                   and any(g.names.get(id(t)) in g.batched for t in rec.inputs
                           if isinstance(t, Tensor)))
        if rec.cls.__name__ == "Embedding":
            batched = batch is not None and rec.out.ndim > 0 and rec.out.shape[0] == batch
        g.bind(rec.out, name, batched)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    out_names = list(output_names or [])
    out_names += [("output" if i == 0 else f"output_{i}") for i in range(len(out_names),
                                                                          len(outs))]
    graph_outputs = []
    for t, name in zip(outs, out_names):
        if not isinstance(t, Tensor):
            raise UnsupportedOperatorError(f"onnx export: the model returned a "
                                           f"{type(t).__name__}; only tensors can be outputs")
        src = g.names.get(id(t))
        if src is None:  # an input or a constant returned as is
            src = g.value(t, Record(type(None), (), {}, t, ""))
        g.nodes.append(helper.make_node("Identity", [src], [name]))
        axes = _normalize_axes(dynamic_axes, name)
        graph_outputs.append(helper.make_tensor_value_info(
            name, onnx_type(t._data.dtype),
            _dims(tuple(t.shape), name, src in g.batched and batch is not None, axes)))
    graph_inputs = [helper.make_tensor_value_info(
        name, onnx_type(t._data.dtype),
        _dims(tuple(t.shape), name, batch is not None and t.ndim > 0,
              _normalize_axes(dynamic_axes, name)))
        for t, name in zip(traced, in_names)]
    graph = helper.make_graph(g.nodes, type(model).__name__, graph_inputs, graph_outputs,
                              initializer=g.inits)
    proto = helper.make_model(graph, producer_name="shenjing",
                              opset_imports=[helper.make_opsetid("", opset_version)])
    proto.ir_version = min(proto.ir_version, 10)  # what current onnxruntime reads
    onnx.checker.check_model(proto)
    if verbose:
        print(helper.printable_graph(graph))
    if hasattr(f, "write"):
        f.write(proto.SerializeToString())
    else:
        atomic_write(f, proto.SerializeToString())
    return proto
