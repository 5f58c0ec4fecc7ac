"""The backward engine: one walk of the graph in reverse topological order.

Every edge is unbroadcast here (sum a gradient back to its input's shape), so no op
repeats that logic. Leaves receive their finished gradient once, after every path into
them is done; then hooks run and the gradient is accumulated into ``.grad``.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from ..backend import get_array_module
from .function import Function
from .grad_mode import set_grad_enabled
from .tensor import SparseRows, SparseTensor, Tensor

_FREED = "Trying to backward through the graph a second time (or directly access saved tensors " \
         "after they have already been freed). Saved intermediate values of the graph are freed " \
         "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to " \
         "backward through the graph a second time or if you need to access saved tensors after " \
         "calling backward."


_anomaly = False  # anomaly detection (autograd/anomaly.py sets it); one test per node


def _check_backward(fn: Function, grads: Any) -> None:
    from .anomaly import check_backward  # noqa: PLC0415 - only loaded when anomaly mode is on

    check_backward(fn, grads)


def unbroadcast(grad: Any, shape: tuple, fn: Function) -> Any:
    """Sum ``grad`` over the axes broadcasting added, so it has ``shape``."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    bad = lead < 0 or any(s != 1 and s != grad.shape[i + lead] for i, s in enumerate(shape))
    if bad:
        raise RuntimeError(
            f"{fn.name()}: gradient of shape {tuple(grad.shape)} does not fit its input of "
            f"shape {tuple(shape)}")
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and grad.shape[i + lead] != 1)
    if axes:
        grad = grad.sum(axis=axes)
    return grad.reshape(shape)


def _toposort(roots: Sequence[Function]) -> tuple[list[Function], dict[int, int]]:
    """Nodes in reverse topological order, and how many edges reach each leaf."""
    order: list[Function] = []
    seen: set[int] = set()
    leaf_edges: dict[int, int] = {}
    stack: list[tuple[Function, bool]] = [(r, False) for r in roots]
    while stack:
        fn, done = stack.pop()
        if done:
            order.append(fn)
            continue
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.append((fn, True))
        for t, g, need in zip(fn.inputs, fn.next_fns, fn.needs_input_grad):
            if not need:
                continue
            if g is None:
                leaf_edges[id(t)] = leaf_edges.get(id(t), 0) + 1
            elif id(g) not in seen:
                stack.append((g, False))
    order.reverse()
    return order, leaf_edges


def _as_tensor(g: Any) -> Tensor:
    """A gradient array (or a row-sparse gradient, kept sparse) as a no-grad tensor."""
    if type(g) is SparseRows:
        return SparseTensor(g)
    return Tensor._wrap(g, None, False)


def _run_hooks(t: Tensor, g: Any) -> Any:
    for hook in t._hooks or ():
        out = hook(_as_tensor(g))
        if out is not None:
            g = out._data
    return g


def run_backward(roots: Sequence[Tensor], root_grads: Sequence[Any], retain_graph: bool,
                 capture: dict[int, Any] | None = None) -> None:
    """Propagate ``root_grads`` from ``roots``; leaves accumulate into ``.grad``.

    With ``capture`` (id(tensor) -> None), gradients of those tensors are stored there
    instead, and no ``.grad`` is touched (``autograd.grad``).
    """
    grads: dict[int, Any] = {}
    fn_roots = []
    for t, g in zip(roots, root_grads):
        if t.grad_fn is None:
            _deliver_leaf(t, g, capture)
            continue
        k = id(t.grad_fn)
        grads[k] = grads[k] + g if k in grads else g
        fn_roots.append(t.grad_fn)
    order, leaf_edges = _toposort(fn_roots)
    leaf_grads: dict[int, Any] = {}
    with set_grad_enabled(False):
        for fn in order:
            g = grads.pop(id(fn), None)
            if getattr(fn, "_freed", False):
                raise RuntimeError(_FREED)
            out = getattr(fn, "_out", None)
            if out is not None and g is not None:
                if out._hooks:
                    g = _run_hooks(out, g)
                if capture is not None and id(out) in capture:
                    capture[id(out)] = g
                elif out._retains_grad:
                    _accumulate(out, g)
            in_grads = fn.backward(g) if g is not None else None
            if _anomaly and in_grads is not None:
                _check_backward(fn, in_grads)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for t, nxt, need, ig in zip(fn.inputs, fn.next_fns, fn.needs_input_grad,
                                        in_grads or (None,) * len(fn.inputs)):
                if not need:
                    continue
                if ig is not None:
                    if ig.shape != t._data.shape:
                        ig = unbroadcast(ig, t._data.shape, fn)
                    if ig.dtype != t._data.dtype:
                        ig = ig.astype(t._data.dtype)
                if nxt is None:
                    k = id(t)
                    if ig is not None:
                        leaf_grads[k] = leaf_grads[k] + ig if k in leaf_grads else ig
                    leaf_edges[k] -= 1
                    if leaf_edges[k] == 0 and k in leaf_grads:
                        _deliver_leaf(t, leaf_grads.pop(k), capture)
                elif ig is not None:
                    k = id(nxt)
                    grads[k] = grads[k] + ig if k in grads else ig
            if not retain_graph:
                _free(fn)


def _free(fn: Function) -> None:
    d = fn.__dict__
    fn.__dict__ = {"inputs": d.get("inputs", ()), "needs_input_grad": d.get("needs_input_grad", ()),
                   "next_fns": d.get("next_fns", ()), "_freed": True}


def _deliver_leaf(t: Tensor, g: Any, capture: dict[int, Any] | None) -> None:
    if t._hooks:
        g = _run_hooks(t, g)
    if capture is not None:
        if id(t) in capture:
            capture[id(t)] = g
        return
    _accumulate(t, g)
    for hook in getattr(t, "_post_accumulate_hooks", ()):
        hook(t)


def _accumulate(t: Tensor, g: Any) -> None:
    # a sparse gradient stays sparse; sparse + sparse concatenates, sparse + dense is dense
    if t._grad is None:
        t._grad = _as_tensor(g.astype(t._data.dtype, copy=True))
    else:
        t._grad = _as_tensor(t._grad._data + g)


def _root_grads(outputs: Sequence[Tensor], grad_outputs: Sequence[Any] | None) -> list[Any]:
    out = []
    for i, t in enumerate(outputs):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn")
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (got shape "
                    f"{tuple(t.shape)}); pass gradient= of that shape to backward()")
            g = get_array_module(t._data).ones_like(t._data)
        else:
            g = g._data if isinstance(g, Tensor) else g
            if tuple(g.shape) != tuple(t.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                    f"output[{i}] has a shape of {tuple(t.shape)}.")
        out.append(g)
    return out


def _as_seq(x: Any) -> list:
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def backward(tensors: Tensor | Iterable[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Any = None) -> None:
    """Compute the sum of gradients of ``tensors`` w.r.t. graph leaves, into ``.grad``."""
    if create_graph:
        raise RuntimeError("shenjing: create_graph=True (higher-order gradients) is not supported")
    outs = _as_seq(tensors)
    gts = None if grad_tensors is None else _as_seq(grad_tensors) if not isinstance(
        grad_tensors, (list, tuple)) else list(grad_tensors)
    roots = _root_grads(outs, gts)
    if inputs is not None:
        ins = _as_seq(inputs)
        cap = {id(t): None for t in ins}
        run_backward(outs, roots, bool(retain_graph), cap)
        for t in ins:
            if cap[id(t)] is not None:
                _accumulate(t, cap[id(t)])
        return
    run_backward(outs, roots, bool(retain_graph))


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool | None = None, materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """Return d(outputs)/d(inputs) without touching ``.grad``."""
    if create_graph:
        raise RuntimeError("shenjing: create_graph=True (higher-order gradients) is not supported")
    outs = _as_seq(outputs)
    ins = _as_seq(inputs)
    gos = None if grad_outputs is None else _as_seq(grad_outputs)
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    cap: dict[int, Any] = {id(t): None for t in ins}
    for t in ins:
        if t.grad_fn is not None:
            t.grad_fn._out = t
    run_backward(outs, _root_grads(outs, gos), bool(retain_graph), cap)
    res = []
    for t in ins:
        g = cap[id(t)]
        if g is None:
            if materialize_grads:
                g = t._data * 0
            elif not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior.")
        res.append(None if g is None else _as_tensor(g))
    return tuple(res)
