"""Recurrent ops: whole-sequence RNN / LSTM / GRU layers fused with hand-written BPTT.

One Function runs one layer (both directions) over the whole sequence: the input projection is
a few large matmuls (T*N, I) @ (I, G*H), one per run of steps; each step then does one small
matmul for the recurrence and a few in-place ufuncs. Backward walks the steps in reverse with
one matmul per step for dL/dh, stacks the per-step gate gradients and computes dL/dW_ih,
dL/dW_hh and dL/dx with one large matmul each per run of steps, overlapping the step loop when
there are two threads (``_pipeline``). Sequences are laid out "packed": rows of step t are
``off[t] : off[t] + bs[t]`` with batch sizes non-increasing, so a padded (T, N, I) input is the
packed case bs = [N] * T and packed sequences need no loop over sequences: at step t only the
first bs[t] rows are active and the others keep their state.

Gate math (PyTorch's order and equations):
    RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)
    LSTM: i, f, g, o = sig, sig, tanh, sig of (W_ih x + b_ih + W_hh h + b_hh);
          c' = f c + i g;  h' = o tanh(c')  (then h' = W_hr h' with proj_size)
    GRU:  r, z = sig(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z});
          n = tanh(W_in x + b_in + r (W_hn h + b_hn));  h' = (1 - z) n + z h
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module, threads
from .shape import Slice

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _sigmoid_(xp: Any, a: Any) -> None:
    """a <- 1 / (1 + exp(-a)) in place (exp overflow to inf gives the right limit 0)."""
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    xp.add(a, 1.0, out=a)
    xp.reciprocal(a, out=a)


def _steps(batch_sizes: Sequence[int], reverse: bool) -> list[tuple[int, int]]:
    """(row offset, active rows) per time step, in processing order."""
    out, off = [], 0
    for b in batch_sizes:
        out.append((off, b))
        off += b
    return out[::-1] if reverse else out


# ----------------------------------------------------------------------------- kernels
# The step loop is sequential and made of small ops, so it runs on one thread; with two
# intra-op threads the other one does the big independent work around it (the input
# projection ahead of the loop, the weight-gradient GEMMs behind it): see _pipeline.


def _forward_dir(mode: str, x: Any, h0: Any, c0: Any, w: list, bs: Sequence[int],
                 reverse: bool, y: Any, save: bool) -> tuple[Any, Any, dict]:
    """Run one direction; write outputs into ``y`` (total, Hout); return (hN, cN, cache)."""
    xp = get_array_module(x)
    w_ih, w_hh = w[0], w[1]
    b_ih, b_hh = (w[2], w[3]) if len(w) >= 4 else (None, None)
    w_hr = w[-1] if mode == "LSTM" and len(w) in (3, 5) else None
    total = x.shape[0]
    gh = w_hh.shape[0]
    hid = gh // _GATES[mode]
    dt = x.dtype
    w_ih_t, whh_t = w_ih.T, w_hh.T.copy()
    bias = None
    if b_ih is not None:
        bias = b_ih + b_hh
        if mode == "GRU":  # b_hn stays inside r * (W_hn h + b_hn)
            bias[2 * hid:] = b_ih[2 * hid:]
    half = None
    if mode == "LSTM":
        # sig(u) = (1 + tanh(u / 2)) / 2: the i, f, o pre-activations (weights and biases) are
        # halved so that ONE tanh covers all four gates, then s = t / 2 + 1 / 2 on i, f, o
        half = xp.full(gh, 0.5, dt)
        half[2 * hid:3 * hid] = 1.0
        w_ih_t, whh_t = w_ih_t * half, whh_t * half
        if bias is not None:
            bias *= half
    a_all = xp.empty((total, gh), dt)
    h = h0.copy()
    hout = h.shape[1]
    cache: dict = {"A": a_all, "Hp": xp.empty((total, hout), dt) if save else None,
                   "steps": _steps(bs, reverse)}
    c = None
    if mode == "LSTM":
        c = c0.copy()
        cache.update(TC=xp.empty((total, hid), dt), half=half, lift=1.0 - half,
                     Cp=xp.empty((total, hid), dt) if save else None,
                     R=xp.empty((total, hid), dt) if w_hr is not None else None,
                     whr_t=w_hr.T.copy() if w_hr is not None else None)
    elif mode == "GRU":
        cache.update(GH=xp.empty((total, gh), dt),
                     bhn=b_hh[2 * hid:] if b_hh is not None else None)

    chunks = _step_chunks(cache["steps"], _CHUNKS if xp is np else 1)

    def project(k: int) -> None:
        # the input projection of a run of steps at once: A = X W_ih^T + biases
        _, lo, hi = chunks[k]
        xp.matmul(x[lo:hi], w_ih_t, out=a_all[lo:hi])
        if bias is not None:
            a_all[lo:hi] += bias

    def steps(k: int) -> None:
        _forward_rows(mode, xp, cache, whh_t, h, c, y, hid, chunks[k][0])

    _pipeline(xp, len(chunks), project, steps, None)
    return h, c, cache


def _forward_rows(mode: str, xp: Any, cache: dict, whh_t: Any, h: Any, c: Any, y: Any,
                  hid: int, steps: list) -> None:
    """The step loop of ``_forward_dir`` over ``steps`` ((row offset, active rows) each;
    the active rows are the first ones of the batch)."""
    a_all, hp_all = cache["A"], cache["Hp"]
    dt, gh = a_all.dtype, a_all.shape[1]
    tmp = xp.empty((h.shape[0], gh), dt)
    t1 = xp.empty((h.shape[0], hid), dt)
    if mode == "LSTM":
        tc_all, cp_all, r_all, whr_t = cache["TC"], cache["Cp"], cache["R"], cache["whr_t"]
        half, lift = cache["half"], cache["lift"]
    elif mode == "GRU":
        gh_all, bhn = cache["GH"], cache["bhn"]
    for off, m in steps:
        s = slice(off, off + m)
        hb = h[:m]
        if hp_all is not None:
            hp_all[s] = hb
        a = a_all[s]
        if mode == "LSTM":
            xp.matmul(hb, whh_t, out=tmp[:m])
            a += tmp[:m]
            xp.tanh(a, out=a)
            a *= half
            a += lift  # i, f, o: sig(u) = tanh(u / 2) / 2 + 1 / 2; g: tanh(u)
            i, f, g, o = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:3 * hid], a[:, 3 * hid:]
            cb = c[:m]
            if cp_all is not None:
                cp_all[s] = cb
            cb *= f
            xp.multiply(i, g, out=t1[:m])
            cb += t1[:m]
            tc = tc_all[s]
            xp.tanh(cb, out=tc)
            if whr_t is None:
                xp.multiply(o, tc, out=hb)
            else:
                r = r_all[s]
                xp.multiply(o, tc, out=r)
                xp.matmul(r, whr_t, out=hb)
        elif mode == "GRU":
            ghs = gh_all[s]
            xp.matmul(hb, whh_t, out=ghs)
            ghn = ghs[:, 2 * hid:]
            if bhn is not None:
                ghn += bhn
            rz = a[:, :2 * hid]
            rz += ghs[:, :2 * hid]
            _sigmoid_(xp, rz)
            r, z, nn = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:]
            xp.multiply(r, ghn, out=t1[:m])
            nn += t1[:m]
            xp.tanh(nn, out=nn)
            # h' = n + z (h - n)
            xp.subtract(hb, nn, out=t1[:m])
            t1[:m] *= z
            xp.add(nn, t1[:m], out=hb)
        else:
            xp.matmul(hb, whh_t, out=tmp[:m])
            a += tmp[:m]
            if mode == "RNN_TANH":
                xp.tanh(a, out=a)
            else:
                xp.maximum(a, 0, out=a)
            hb[...] = a
        y[s] = hb


def _backward_dir(mode: str, x: Any, w: list, cache: dict, dy: Any, dh: Any, dc: Any,
                  need_dx: bool) -> tuple[list, Any]:
    """BPTT for one direction; returns (weight grads, dL/dx or None).

    ``dh`` / ``dc`` enter as dL/dh_N, dL/dc_N and leave as dL/dh_0, dL/dc_0 (in place).
    """
    xp = get_array_module(x)
    w_ih, w_hh = w[0], w[1]
    has_bias = len(w) >= 4
    w_hr = w[-1] if mode == "LSTM" and len(w) in (3, 5) else None
    a_all, hp_all = cache["A"], cache["Hp"]
    total, gh = a_all.shape
    hid = gh // _GATES[mode]
    dg_all = xp.empty((total, gh), a_all.dtype)  # dL/d(pre-activations), stacked over steps
    grads: dict = {"G": dg_all}
    if w_hr is not None:
        grads["HR"] = xp.empty((total, w_hr.shape[0]), a_all.dtype)
    if mode == "GRU":
        grads["XN"] = xp.empty((total, hid), a_all.dtype)  # dL/d(W_in x + b_in)
    if mode == "LSTM":
        grads.update(K=xp.empty((total, hid), a_all.dtype), G4=dg_all.reshape(total, 4, hid))
    live_dy = bool(dy.any())  # a loss on h_n alone sends zeros for every step's output
    chunks = _step_chunks(cache["steps"][::-1], _CHUNKS if xp is np else 1)
    dx = xp.empty(x.shape, x.dtype) if need_dx else None
    parts: dict = {k: [None] * len(chunks) for k in ("hh", "ih", "b", "bx", "hr")}

    def factors(c: int) -> None:
        _, lo, hi = chunks[c]
        step = _BLOCK_ROWS if xp is np else max(hi - lo, 1)  # row blocks that stay in cache
        for b in range(lo, hi, step):
            _lstm_factors(xp, cache, grads, hid, b, min(b + step, hi))

    def steps(c: int) -> None:
        _backward_rows(mode, xp, cache, grads, w_hh, w_hr, dy if live_dy else None, dh, dc,
                       hid, chunks[c][0])

    def weights(c: int) -> None:
        # per chunk of steps: dW_hh += dG^T H_{t-1}, dW_ih += dG^T X, dX = dG W_ih, db += sum
        _, lo, hi = chunks[c]
        dg = dgx = dg_all[lo:hi]
        if mode == "GRU":
            dgx = dg.copy()
            dgx[:, 2 * hid:] = grads["XN"][lo:hi]
        parts["hh"][c] = xp.matmul(dg.T, hp_all[lo:hi])
        parts["ih"][c] = xp.matmul(dgx.T, x[lo:hi])
        if dx is not None:
            xp.matmul(dgx, w_ih, out=dx[lo:hi])
        if has_bias:
            parts["b"][c] = dg.sum(0)
            parts["bx"][c] = dgx.sum(0) if mode == "GRU" else None
        if w_hr is not None:
            parts["hr"][c] = xp.matmul(grads["HR"][lo:hi].T, cache["R"][lo:hi])

    _pipeline(xp, len(chunks), factors if mode == "LSTM" else None, steps, weights)

    def total_of(key: str) -> Any:  # chunk order, whichever thread computed each part
        out = parts[key][0].copy()
        for p in parts[key][1:]:
            out += p
        return out

    out = [total_of("ih"), total_of("hh")]
    if has_bias:
        db = total_of("b")
        out += [total_of("bx") if mode == "GRU" else db.copy(), db]
    if w_hr is not None:
        out.append(total_of("hr"))
    return out, dx


_CHUNKS = 8  # runs of steps that the pipeline hands between its two threads


def _step_chunks(steps: list, k: int) -> list[tuple[list, int, int]]:
    """``steps`` (processing order) cut into at most ``k`` runs of consecutive steps, each
    with the packed row range [lo, hi) it covers (one empty run when there are no steps)."""
    if not steps:
        return [([], 0, 0)]
    per = -(-len(steps) // k)
    out = []
    for i in range(0, len(steps), per):
        run = steps[i:i + per]
        out.append((run, min(off for off, _ in run), max(off + b for off, b in run)))
    return out


class _Claims:
    """Tasks 0..k-1 that two threads share: each runs once, on whichever claims it first."""

    def __init__(self, k: int) -> None:
        self.lock = threading.Lock()
        self.claimed = [False] * k
        self.done = [threading.Event() for _ in range(k)]

    def run(self, i: int, fn: Callable[[int], None]) -> None:
        """Run task i here unless another thread has claimed it."""
        with self.lock:
            if self.claimed[i]:
                return
            self.claimed[i] = True
        try:
            fn(i)
        finally:
            self.done[i].set()

    def ensure(self, i: int, fn: Callable[[int], None]) -> None:
        """Task i is done on return: run here, or wait for the thread that claimed it."""
        self.run(i, fn)
        self.done[i].wait()


def _pipeline(xp: Any, k: int, prep: Callable[[int], None] | None,
              loop: Callable[[int], None], finish: Callable[[int], None] | None) -> None:
    """For chunks c = 0..k-1: prep(c), then loop(c) (strictly in order, on one thread: the
    sequential part), then finish(c). With two intra-op threads the second one runs preps
    ahead of the loop and finishes behind it, so the big GEMMs overlap the step loop
    instead of waiting for it; each task still runs exactly once, so the numbers are the
    same with one thread or two."""
    if xp is not np or k < 2 or threads.workers() < 2:
        for c in range(k):
            if prep is not None:
                prep(c)
            loop(c)
            if finish is not None:
                finish(c)
        return
    preps, finishes = _Claims(k), _Claims(k)
    looped = [threading.Event() for _ in range(k)]

    def role(r: int) -> None:
        if r == 0:  # the step loop, then a share of the finishing work left
            try:
                for c in range(k):
                    if prep is not None:
                        preps.ensure(c, prep)
                    loop(c)
                    looped[c].set()
            finally:  # never leave the helper waiting, even on an error
                for e in looped:
                    e.set()
            if finish is not None:
                for c in range(k):
                    finishes.run(c, finish)
                for e in finishes.done:
                    e.wait()
            return
        if prep is not None:  # the helper: every prep first (they keep ahead of the loop)
            for c in range(k):
                preps.run(c, prep)
        if finish is not None:
            for c in range(k):
                looped[c].wait()
                finishes.run(c, finish)

    threads.parallel_map(role, [0, 1])


_BLOCK_ROWS = 256  # rows per block of the LSTM backward factors: a few arrays fit in L2


def _lstm_factors(xp: Any, cache: dict, grads: dict, hid: int, lo: int, hi: int) -> None:
    """The step-independent factors of the LSTM gate gradients, for rows [lo, hi) of every
    step at once, so that the reversed step loop is left with a few multiplies:
    dL/du_{i,f,g} = dL/dc * (g sig'(u_i), c_{t-1} sig'(u_f), i tanh'(u_g)),
    dL/du_o = dL/dh * tanh(c) sig'(u_o) (written into G), dL/dc += dL/dh * o tanh'(c) (K)."""
    a, p, k = cache["A"][lo:hi], grads["G"][lo:hi], grads["K"][lo:hi]
    tc, cp = cache["TC"][lo:hi], cache["Cp"][lo:hi]
    i, g, o = a[:, :hid], a[:, 2 * hid:3 * hid], a[:, 3 * hid:]
    pi, pf, pg, po = p[:, :hid], p[:, hid:2 * hid], p[:, 2 * hid:3 * hid], p[:, 3 * hid:]
    xp.subtract(1.0, a, out=p)
    p *= a  # sig' = s (1 - s): right for i, f, o
    xp.multiply(g, g, out=pg)
    xp.subtract(1.0, pg, out=pg)  # tanh' = 1 - g^2
    pi *= g
    pf *= cp
    pg *= i
    po *= tc
    xp.multiply(tc, tc, out=k)
    xp.subtract(1.0, k, out=k)
    k *= o


def _backward_rows(mode: str, xp: Any, cache: dict, grads: dict, w_hh: Any, w_hr: Any,
                   dy: Any, dh: Any, dc: Any, hid: int, steps: list) -> None:
    """The reversed step loop of ``_backward_dir`` over ``steps`` (already in reverse);
    ``dy`` is None when every step's output gradient is zero."""
    a_all, hp_all, dg_all = cache["A"], cache["Hp"], grads["G"]
    dt, gh = a_all.dtype, a_all.shape[1]
    n = dh.shape[0]
    t1 = xp.empty((n, hid), dt)
    if mode == "LSTM":
        k_all, dhr_all, dg4 = grads["K"], grads.get("HR"), grads["G4"]
        dr = xp.empty((n, hid), dt) if w_hr is not None else None
    elif mode == "GRU":
        gh_all, dxn_all = cache["GH"], grads["XN"]
        wt = xp.empty((n, gh), dt)
    for off, m in steps:
        s = slice(off, off + m)
        dhb = dh[:m]
        if dy is not None:
            dhb += dy[s]
        a, d = a_all[s], dg_all[s]
        if mode == "LSTM":
            dcb, tb = dc[:m], t1[:m]
            if w_hr is not None:
                dhr_all[s] = dhb  # dL/dW_hr = sum_t dh_t^T r_t
                dhb = xp.matmul(dhb, w_hr, out=dr[:m])  # dL/dr = dh W_hr
            xp.multiply(dhb, k_all[s], out=tb)
            dcb += tb  # dL/dc += dh o (1 - tanh(c)^2)
            d4 = dg4[s]  # the same rows as d, gate by gate: (m, 4, H)
            d4[:, :3] *= dcb[:, None, :]  # d holds the factors: dL/du_{i,f,g} = dc * factor
            d[:, 3 * hid:] *= dhb  # dL/du_o = dh * factor
            dcb *= a[:, hid:2 * hid]  # dL/dc_{t-1} = dL/dc_t f
            xp.matmul(d, w_hh, out=dh[:m])  # dL/dh_{t-1} = dG W_hh
        elif mode == "GRU":
            r, z, nn = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:]
            dxn, ghn, tb = dxn_all[s], gh_all[s][:, 2 * hid:], t1[:m]
            xp.subtract(1.0, z, out=tb)
            tb *= dhb  # dL/dn = dh (1 - z)
            xp.multiply(nn, nn, out=dxn)
            xp.subtract(1.0, dxn, out=dxn)
            dxn *= tb  # dL/d(n pre) = dL/dn (1 - n^2)
            xp.multiply(dxn, r, out=d[:, 2 * hid:])  # dL/d(W_hn h + b_hn) = dn_pre r
            xp.multiply(dxn, ghn, out=d[:, :hid])  # dL/dr = dn_pre (W_hn h + b_hn)
            dz = d[:, hid:2 * hid]
            xp.subtract(hp_all[s], nn, out=dz)
            dz *= dhb  # dL/dz = dh (h - n)
            wb = wt[:m, :2 * hid]
            xp.subtract(1.0, a[:, :2 * hid], out=wb)
            wb *= a[:, :2 * hid]
            d[:, :2 * hid] *= wb
            xp.multiply(dhb, z, out=tb)
            xp.matmul(d, w_hh, out=dhb)
            dhb += tb  # dL/dh_{t-1} = dh z + dGh W_hh
        else:
            if mode == "RNN_TANH":
                xp.multiply(a, a, out=d)
                xp.subtract(1.0, d, out=d)
                d *= dhb
            else:
                xp.greater(a, 0, out=d)  # relu' as 0/1 (written in d's float dtype)
                d *= dhb
            xp.matmul(d, w_hh, out=dhb)


class RNNLayer(Function):
    """One recurrent layer (one or two directions) over a whole (packed) sequence.

    Inputs: x (total, I), h0 (D, N, Hout), [c0 (D, N, H) for LSTM], then per direction
    w_ih, w_hh, [b_ih, b_hh], [w_hr]. Output: one flat array holding
    [y (total, D*Hout), h_n (D, N, Hout), c_n (D, N, H)] (a single-output Function; callers
    slice it, so gradients of every part flow back into one backward).
    """

    def forward(self, x, h0, *rest, mode, num_dir, batch_sizes):
        xp = get_array_module(x)
        is_lstm = mode == "LSTM"
        c0 = rest[0] if is_lstm else None
        ws = rest[1:] if is_lstm else rest
        per = len(ws) // num_dir
        self.ws = [list(ws[k * per:(k + 1) * per]) for k in range(num_dir)]
        total, n, hout = x.shape[0], h0.shape[1], h0.shape[2]
        hid = c0.shape[2] if is_lstm else hout
        ny, nh = total * num_dir * hout, num_dir * n * hout
        buf = xp.empty(ny + nh + (num_dir * n * hid if is_lstm else 0), x.dtype)
        y = buf[:ny].reshape(total, num_dir * hout)
        hn = buf[ny:ny + nh].reshape(num_dir, n, hout)
        cn = buf[ny + nh:].reshape(num_dir, n, hid) if is_lstm else None
        save = bool(self.needs_input_grad)
        self.caches = []
        with xp.errstate(over="ignore"):
            for k in range(num_dir):
                h, c, cache = _forward_dir(mode, x, h0[k], c0[k] if is_lstm else None,
                                           self.ws[k], batch_sizes, k == 1,
                                           y[:, k * hout:(k + 1) * hout], save)
                hn[k] = h
                if is_lstm:
                    cn[k] = c
                self.caches.append(cache)
        if save:
            self.x, self.mode, self.dims = x, mode, (ny, nh, total, n, hout, hid, num_dir)
        return buf

    def backward(self, g):
        xp = get_array_module(g)
        ny, nh, total, n, hout, hid, num_dir = self.dims
        mode, x = self.mode, self.x
        dy = g[:ny].reshape(total, num_dir * hout)
        dhn = g[ny:ny + nh].reshape(num_dir, n, hout)
        nig = self.needs_input_grad
        dx = None
        dh0 = xp.empty((num_dir, n, hout), g.dtype)
        dc0 = xp.empty((num_dir, n, hid), g.dtype) if mode == "LSTM" else None
        wgrads = []
        for k in range(num_dir):
            dh0[k] = dhn[k]
            if dc0 is not None:
                dc0[k] = g[ny + nh:].reshape(num_dir, n, hid)[k]
            wg, dxk = _backward_dir(mode, x, self.ws[k], self.caches[k],
                                    dy[:, k * hout:(k + 1) * hout], dh0[k],
                                    dc0[k] if dc0 is not None else None, nig[0])
            wgrads += wg
            if dxk is not None:
                dx = dxk if dx is None else dx + dxk
        states = (dh0, dc0) if mode == "LSTM" else (dh0,)
        return (dx, *states, *wgrads)


# ----------------------------------------------------------------------------- row moves
class MoveRows(Function):
    """out[dst] = a[src] on the first axis of a fresh (rows, *) array filled with ``fill``.

    The packing/padding of sequences; ``src`` and ``dst`` hold no repeats, so
    dL/da[src] = dL/dout[dst] and zero elsewhere.
    """

    def forward(self, a, src, dst, rows, fill):
        xp = get_array_module(a)
        out = xp.full((rows,) + a.shape[1:], fill, a.dtype)
        out[dst] = a[src]
        self.shape, self.src, self.dst = a.shape, src, dst
        return out

    def backward(self, g):
        ga = get_array_module(g).zeros(self.shape, g.dtype)
        ga[self.src] = g[self.dst]
        return ga


def move_rows(a: Tensor, src: Any, dst: Any, rows: int, fill: float = 0.0) -> Tensor:
    """A (rows, *) tensor with ``out[dst] = a[src]`` and ``fill`` elsewhere (differentiable)."""
    return MoveRows.apply(a, src=src, dst=dst, rows=rows, fill=fill)


# ----------------------------------------------------------------------------- stacking
def _part(buf: Tensor, start: int, stop: int, shape: tuple) -> Tensor:
    return Slice.apply(buf, key=(slice(start, stop),)).reshape(shape)


def _zeros(like: Tensor, shape: tuple) -> Tensor:
    return Tensor._wrap(get_array_module(like._data).zeros(shape, like._data.dtype), None, False)


def rnn_stack(mode: str, x: Tensor, hx: Sequence[Tensor | None], params: Sequence[Tensor],
              num_layers: int, num_dir: int, dropout: float = 0.0, train: bool = False,
              batch_sizes: Sequence[int] | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
    """Run ``num_layers`` fused layers; returns (output, h_n, c_n or None).

    ``x`` is (T, N, I) time-major, or packed (total, I) with ``batch_sizes``; ``hx`` holds
    h0 (L*D, N, Hout) and, for LSTM, c0 (L*D, N, H), each possibly None (zeros); ``params``
    lists w_ih, w_hh, [b_ih, b_hh], [w_hr] per layer and direction (PyTorch's order).
    """
    from .random import dropout as _dropout  # noqa: PLC0415
    from .shape import cat  # noqa: PLC0415

    is_lstm = mode == "LSTM"
    per = len(params) // (num_layers * num_dir)
    w_hh0 = params[1]
    hout = w_hh0.shape[1]
    hid = w_hh0.shape[0] // _GATES[mode]
    if batch_sizes is None:
        steps, n = x.shape[0], x.shape[1]
        bs = (n,) * steps
        inp = x.reshape(steps * n, x.shape[2])
    else:
        bs = tuple(int(b) for b in batch_sizes)
        n, inp = (bs[0] if bs else 0), x
    h0, c0 = hx[0], (hx[1] if is_lstm else None)
    hs, cs = [], []
    for layer in range(num_layers):
        lo = layer * num_dir
        hl = _zeros(x, (num_dir, n, hout)) if h0 is None else h0[lo:lo + num_dir]
        args = [inp, hl]
        if is_lstm:
            args.append(_zeros(x, (num_dir, n, hid)) if c0 is None else c0[lo:lo + num_dir])
        args += params[lo * per:(lo + num_dir) * per]
        buf = RNNLayer.apply(*args, mode=mode, num_dir=num_dir, batch_sizes=bs)
        total = inp.shape[0]
        ny, nh = total * num_dir * hout, num_dir * n * hout
        inp = _part(buf, 0, ny, (total, num_dir * hout))
        hs.append(_part(buf, ny, ny + nh, (num_dir, n, hout)))
        if is_lstm:
            cs.append(_part(buf, ny + nh, buf.shape[0], (num_dir, n, hid)))
        if dropout > 0 and train and layer < num_layers - 1:
            inp = _dropout(inp, dropout, True)
    out = inp if batch_sizes is not None else inp.reshape(x.shape[0], n, num_dir * hout)
    h_n = hs[0] if num_layers == 1 else cat(hs, 0)
    c_n = None if not is_lstm else cs[0] if num_layers == 1 else cat(cs, 0)
    return out, h_n, c_n


def _run_padded(mode: str, input: Tensor, hx: Sequence[Tensor | None], params: Sequence[Tensor],
                num_layers: int, dropout: float, train: bool, bidirectional: bool,
                batch_first: bool) -> tuple[Tensor, Tensor, Tensor | None]:
    x = input.transpose(0, 1) if batch_first else input
    out, h, c = rnn_stack(mode, x, hx, list(params), num_layers, 2 if bidirectional else 1,
                          dropout, train)
    return (out.transpose(0, 1) if batch_first else out), h, c


def lstm(input: Tensor, hx: Sequence[Tensor], params: Sequence[Tensor], has_biases: bool,
         num_layers: int, dropout: float, train: bool, bidirectional: bool,
         batch_first: bool) -> tuple[Tensor, Tensor, Tensor]:
    """Multi-layer LSTM over a padded 3-D input (PyTorch's ``torch.lstm``): (out, h_n, c_n)."""
    return _run_padded("LSTM", input, hx, params, num_layers, dropout, train, bidirectional,
                       batch_first)


def gru(input: Tensor, hx: Tensor, params: Sequence[Tensor], has_biases: bool, num_layers: int,
        dropout: float, train: bool, bidirectional: bool,
        batch_first: bool) -> tuple[Tensor, Tensor]:
    """Multi-layer GRU over a padded 3-D input (PyTorch's ``torch.gru``): (out, h_n)."""
    return _run_padded("GRU", input, (hx,), params, num_layers, dropout, train, bidirectional,
                       batch_first)[:2]


def rnn_tanh(input: Tensor, hx: Tensor, params: Sequence[Tensor], has_biases: bool,
             num_layers: int, dropout: float, train: bool, bidirectional: bool,
             batch_first: bool) -> tuple[Tensor, Tensor]:
    """Multi-layer Elman RNN with tanh (PyTorch's ``torch.rnn_tanh``): (out, h_n)."""
    return _run_padded("RNN_TANH", input, (hx,), params, num_layers, dropout, train,
                       bidirectional, batch_first)[:2]


def rnn_relu(input: Tensor, hx: Tensor, params: Sequence[Tensor], has_biases: bool,
             num_layers: int, dropout: float, train: bool, bidirectional: bool,
             batch_first: bool) -> tuple[Tensor, Tensor]:
    """Multi-layer Elman RNN with ReLU (PyTorch's ``torch.rnn_relu``): (out, h_n)."""
    return _run_padded("RNN_RELU", input, (hx,), params, num_layers, dropout, train,
                       bidirectional, batch_first)[:2]


# ----------------------------------------------------------------------------- cells
def _cell(mode: str, input: Tensor, hx: Sequence[Tensor], w_ih: Tensor, w_hh: Tensor,
          b_ih: Tensor | None, b_hh: Tensor | None) -> tuple[Tensor, Tensor | None]:
    """One step: the fused layer with T = 1 on (N, I) input and (N, H) states."""
    if (b_ih is None) != (b_hh is None):
        b_ih = b_ih if b_ih is not None else _zeros(w_hh, (w_hh.shape[0],))
        b_hh = b_hh if b_hh is not None else _zeros(w_hh, (w_hh.shape[0],))
    params = [w_ih, w_hh] + ([b_ih, b_hh] if b_ih is not None else [])
    states = [h.unsqueeze(0) for h in hx]
    _, h, c = rnn_stack(mode, input, states, params, 1, 1, batch_sizes=(input.shape[0],))
    return h.squeeze(0), (c.squeeze(0) if c is not None else None)


def lstm_cell(input: Tensor, hx: Sequence[Tensor], w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step on (N, I) input and hx = (h, c) of (N, H) each: returns (h', c')."""
    return _cell("LSTM", input, hx, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step on (N, I) input and (N, H) state: returns h'."""
    return _cell("GRU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step h' = tanh(W_ih x + b_ih + W_hh h + b_hh)."""
    return _cell("RNN_TANH", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step h' = relu(W_ih x + b_ih + W_hh h + b_hh)."""
    return _cell("RNN_RELU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell",
           "rnn_relu_cell"]
TENSOR_METHODS = ()
FUNCTIONAL = ()
