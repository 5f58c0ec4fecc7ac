"""The fused recurrent op (ops/recurrent.py) and the sequence utilities (nn/utils/rnn.py):
float64 finite-difference gradchecks of every cell type, PyTorch parity of the functional
forms and of packing / padding."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import shenjing
from shenjing.nn.utils import rnn as sj_rnn
from shenjing.ops import recurrent as R
from helpers import check_grad, compare, rand

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections")
I, H, P = 3, 2, 1
MODES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _weights(mode: str, num_dir: int, bias: bool, proj: int, seed: int = 0) -> list:
    g, hout = MODES[mode] * H, proj or H
    out = []
    for d in range(num_dir):
        out += [rand(g, I, seed=seed + 10 * d), rand(g, hout, seed=seed + 10 * d + 1)]
        if bias:
            out += [rand(g, seed=seed + 10 * d + 2), rand(g, seed=seed + 10 * d + 3)]
        if proj:
            out.append(rand(proj, H, seed=seed + 10 * d + 4))
    return out


@pytest.mark.parametrize("mode,proj", [("RNN_TANH", 0), ("RNN_RELU", 0), ("LSTM", 0),
                                       ("LSTM", P), ("GRU", 0)])
@pytest.mark.parametrize("num_dir,batch_sizes", [(1, None), (2, (3, 2, 2, 1))])
def test_fused_layer_gradcheck(mode, proj, num_dir, batch_sizes):
    """dL/d(x, h0, c0, every weight) of the fused op against finite differences."""
    is_lstm = mode == "LSTM"
    hout = proj or H
    x = rand(3, 2, I, seed=1, low=-2, high=2) if batch_sizes is None else \
        rand(sum(batch_sizes), I, seed=1, low=-2, high=2)
    n = 2 if batch_sizes is None else batch_sizes[0]
    if mode == "RNN_RELU":  # keep pre-activations away from the kink at 0
        x = x + np.sign(x) * 0.3
    states = [rand(num_dir, n, hout, seed=2)] + ([rand(num_dir, n, H, seed=3)] if is_lstm else [])
    ws = _weights(mode, num_dir, True, proj)
    ns = len(states)

    def fn(x, *rest):
        hx = rest[:ns] + ((None,) if not is_lstm else ())
        out, h, c = R.rnn_stack(mode, x, hx, list(rest[ns:]), 1, num_dir,
                                batch_sizes=batch_sizes)
        return (out, h) + ((c,) if is_lstm else ())

    check_grad(fn, x, *states, *ws)


def test_two_layer_stack_gradcheck():
    ws = _weights("GRU", 1, False, 0) + [rand(3 * H, H, seed=5), rand(3 * H, H, seed=6)]
    check_grad(lambda x, *w: R.rnn_stack("GRU", x, (None,), list(w), 2, 1)[:2],
               rand(4, 2, I, seed=7), *ws)


@pytest.mark.parametrize("name,proj", [("lstm", 0), ("lstm", P), ("gru", 0), ("rnn_tanh", 0),
                                       ("rnn_relu", 0)])
@pytest.mark.parametrize("bidirectional,batch_first", [(False, False), (True, True)])
def test_functional_whole_sequence(name, proj, bidirectional, batch_first):
    """shenjing.lstm / gru / rnn_tanh / rnn_relu against torch's, with 2 layers."""
    mode = {"lstm": "LSTM", "gru": "GRU"}.get(name, name.upper())
    d = 2 if bidirectional else 1
    hout = proj or H
    layer0 = _weights(mode, d, True, proj)
    per = len(layer0) // d
    layer1 = []
    for k in range(d):
        w = [rand(MODES[mode] * H, d * hout, seed=40 + k)] + \
            [a.copy() for a in layer0[k * per + 1:(k + 1) * per]]
        layer1 += w
    params = layer0 + layer1
    x = rand(2, 4, I, seed=8) if batch_first else rand(4, 2, I, seed=8)
    states = [rand(2 * d, 2, hout, seed=9)] + ([rand(2 * d, 2, H, seed=10)]
                                               if name == "lstm" else [])
    flags = (True, 2, 0.0, False, bidirectional, batch_first)

    def call(mod):
        fn = getattr(mod, name)

        def run(x, *rest):
            hx = tuple(rest[:len(states)]) if name == "lstm" else rest[0]
            return fn(x, hx, list(rest[len(states):]), *flags)
        return run

    compare(call(shenjing), call(torch), x, *states, *params, atol=1e-5, grad_atol=1e-5)


@pytest.mark.parametrize("name", ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"])
@pytest.mark.parametrize("bias", [True, False])
def test_functional_cells(name, bias):
    mode = {"lstm_cell": "LSTM", "gru_cell": "GRU"}.get(name, name[:-5].upper())
    ws = _weights(mode, 1, bias, 0, seed=20)
    x, h, c = rand(3, I, seed=21), rand(3, H, seed=22), rand(3, H, seed=23)

    def call(mod):
        fn = getattr(mod, name)
        if name == "lstm_cell":
            return lambda x, h, c, *w: fn(x, (h, c), *w)
        return lambda x, h, c, *w: fn(x, h, *w)

    compare(call(shenjing), call(torch), x, h, c, *ws)


def test_cell_gradcheck():
    ws = _weights("LSTM", 1, True, 0, seed=30)
    check_grad(lambda x, h, c, *w: R.lstm_cell(x, (h, c), *w), rand(2, I, seed=31),
               rand(2, H, seed=32), rand(2, H, seed=33), *ws)


# ----------------------------------------------------------------------------- packing
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    seqs = [rand(4, 2, seed=1), rand(1, 2, seed=2), rand(3, 2, seed=3)]
    compare(lambda *s: sj_rnn.pad_sequence(list(s), batch_first, -1.5, padding_side),
            lambda *s: torch.nn.utils.rnn.pad_sequence(list(s), batch_first, -1.5, padding_side),
            *seqs)


@pytest.mark.parametrize("lengths,enforce", [([5, 3, 3, 1], True), ([2, 5, 1, 3], False),
                                             ([4, 4, 4, 4], True), ([1], True)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_roundtrip(lengths, enforce, batch_first):
    b = len(lengths)
    x = rand(b, 5, 2, seed=4) if batch_first else rand(5, b, 2, seed=4)
    as_t = [torch.tensor(lengths), lengths]

    def run(mod, utils):
        def f(x):
            p = utils.pack_padded_sequence(x, lengths, batch_first, enforce)
            out, lens = utils.pad_packed_sequence(p, batch_first, 7.0, total_length=6)
            return p.data, out, lens.float()
        return f

    compare(run(shenjing, sj_rnn), run(torch, torch.nn.utils.rnn), x)
    p_sj = sj_rnn.pack_padded_sequence(shenjing.tensor(x), as_t[0].numpy(), batch_first, enforce)
    p_th = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), as_t[0], batch_first, enforce)
    assert p_sj.batch_sizes.tolist() == p_th.batch_sizes.tolist()
    assert p_sj.batch_sizes.dtype == shenjing.int64
    for a, t in ((p_sj.sorted_indices, p_th.sorted_indices),
                 (p_sj.unsorted_indices, p_th.unsorted_indices)):
        assert (a is None) == (t is None)
        if a is not None:
            assert a.tolist() == t.tolist()


def test_pack_sequence_and_unpack():
    seqs = [rand(2, 3, seed=1), rand(4, 3, seed=2), rand(1, 3, seed=3)]
    p = sj_rnn.pack_sequence([shenjing.tensor(s) for s in seqs], enforce_sorted=False)
    q = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(p.data.numpy(), q.data.numpy())
    assert isinstance(p, tuple) and p._fields == ("data", "batch_sizes", "sorted_indices",
                                                  "unsorted_indices")
    back = sj_rnn.unpack_sequence(p)
    for a, s in zip(back, seqs):
        np.testing.assert_array_equal(a.numpy(), s)


def test_packing_errors():
    x = shenjing.zeros(5, 3, 2)
    with pytest.raises(RuntimeError, match=r"must be sorted in decreasing order.*\[2, 5, 1\]"):
        sj_rnn.pack_padded_sequence(x, [2, 5, 1])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        sj_rnn.pack_padded_sequence(x, [3, 2, 0])
    with pytest.raises(RuntimeError, match="Expected `len\\(lengths\\)` to be equal to "
                                           "batch_size"):
        sj_rnn.pack_padded_sequence(x, [3, 2])
    p = sj_rnn.pack_padded_sequence(x, [5, 2, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of "
                                         "the longest sequence"):
        sj_rnn.pad_packed_sequence(p, total_length=3)
    with pytest.raises(ValueError, match="padding_side"):
        sj_rnn.pad_sequence([shenjing.zeros(2)], padding_side="middle")


def _lstm_last_state_grads(mod, layer, x: np.ndarray, retain: bool = False) -> list:
    """Grads of a loss on h_n alone (every step's output gradient is zero), once or twice."""
    layer.zero_grad()
    xt = mod.tensor(x, requires_grad=True)
    _, (h, c) = layer(xt)
    loss = (h * h).sum() + c.sum()
    loss.backward(retain_graph=retain)
    first = [xt.grad.numpy().copy()] + [p.grad.numpy().copy() for p in layer.parameters()]
    if not retain:
        return first
    layer.zero_grad()
    xt.grad = None
    loss.backward()
    return first + [xt.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()]


def test_lstm_many_rows_loss_on_last_state_matches_torch_and_backward_repeats():
    """Row blocks of the backward factors (30 x 20 = 600 rows: three blocks), the skipped
    zero output gradient, and a second backward through the same graph (the cached forward
    must survive the first)."""
    shenjing.manual_seed(3)
    sj = shenjing.nn.LSTM(5, 16)
    th = torch.nn.LSTM(5, 16)
    th.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in sj.state_dict().items()})
    x = rand(30, 20, 5, seed=4, low=-2, high=2)
    ours = _lstm_last_state_grads(shenjing, sj, x, retain=True)
    ref = _lstm_last_state_grads(torch, th, x)
    half = len(ours) // 2
    for a, b in zip(ours[:half], ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for a, b in zip(ours[half:], ours[:half]):
        np.testing.assert_array_equal(a, b)
