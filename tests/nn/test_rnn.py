"""RNN / LSTM / GRU and their cells against PyTorch: a torch module's state_dict is loaded into
ours, then outputs, final states and the gradients of the input, the initial states and every
parameter are compared (float64, tight tolerances)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import shenjing
from shenjing.nn.utils import rnn as sj_rnn

T, N, I, H, P = 5, 3, 3, 4, 2
KINDS = {  # name: (torch class, our class, extra kwargs)
    "rnn_tanh": (torch.nn.RNN, shenjing.nn.RNN, {}),
    "rnn_relu": (torch.nn.RNN, shenjing.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (torch.nn.LSTM, shenjing.nn.LSTM, {}),
    "lstm_proj": (torch.nn.LSTM, shenjing.nn.LSTM, {"proj_size": P}),
    "gru": (torch.nn.GRU, shenjing.nn.GRU, {}),
}


def _pair(kind: str, **kw):
    tcls, scls, extra = KINDS[kind]
    kw = {**extra, **kw}
    torch.manual_seed(0)
    tm = tcls(I, H, **kw).double()
    sm = scls(I, H, **kw).double()
    sm.load_state_dict({k: shenjing.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, sm


def _close(a, b, what):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a.detach().numpy())
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b.detach().numpy())
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs {b.shape}"
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10, err_msg=what)


def _states(kind, shape_h, shape_c, seed=3):
    rng = np.random.default_rng(seed)
    h = rng.standard_normal(shape_h)
    return (h, rng.standard_normal(shape_c)) if kind.startswith("lstm") else (h,)


def _run_both(tm, sm, kind, x, states, packed=None):
    """Forward both, backward a random projection of every output, compare everything."""
    is_lstm = kind.startswith("lstm")
    tx = torch.tensor(x, requires_grad=True)
    sx = shenjing.tensor(x, requires_grad=True)
    ths = [torch.tensor(s, requires_grad=True) for s in states]
    shs = [shenjing.tensor(s, requires_grad=True) for s in states]
    tin, sin = tx, sx
    if packed is not None:
        lengths, enforce = packed
        tin = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, tm.batch_first, enforce)
        sin = sj_rnn.pack_padded_sequence(sx, lengths, sm.batch_first, enforce)
    thx = None if not states else (tuple(ths) if is_lstm else ths[0])
    shx = None if not states else (tuple(shs) if is_lstm else shs[0])
    tout, thid = tm(tin, thx)
    sout, shid = sm(sin, shx)
    if packed is not None:
        _close(sout.data, tout.data, "packed output data")
        tout = torch.nn.utils.rnn.pad_packed_sequence(tout, tm.batch_first)[0]
        sout = sj_rnn.pad_packed_sequence(sout, sm.batch_first)[0]
    touts = [tout] + (list(thid) if is_lstm else [thid])
    souts = [sout] + (list(shid) if is_lstm else [shid])
    rng = np.random.default_rng(7)
    tloss, sloss = 0, 0
    for k, (a, b) in enumerate(zip(souts, touts)):
        _close(a, b, f"output {k}")
        u = rng.standard_normal(tuple(b.shape))
        tloss = tloss + (b * torch.tensor(u)).sum()
        sloss = sloss + (a * shenjing.tensor(u)).sum()
    tloss.backward()
    sloss.backward()
    _close(sx.grad, tx.grad, "grad of input")
    for k, (a, b) in enumerate(zip(shs, ths)):
        _close(a.grad, b.grad, f"grad of state {k}")
    tparams = dict(tm.named_parameters())
    for name, p in sm.named_parameters():
        _close(p.grad, tparams[name].grad, f"grad of {name}")
    return len(tparams)  # parameters compared (each _close asserts)


# every kind x layers x direction; (batch_first, bias, initial states) pairwise covered
GRID = [(k, layers, bidir, *rest) for k, layers, bidir, rest in itertools.product(
    KINDS, (1, 2), (False, True),
    [(False, True, False), (True, False, False), (False, False, True), (True, True, True)])]


@pytest.mark.parametrize("kind,layers,bidir,batch_first,bias,with_states", GRID)
def test_layer_parity(kind, layers, bidir, batch_first, bias, with_states):
    tm, sm = _pair(kind, num_layers=layers, bidirectional=bidir, batch_first=batch_first,
                   bias=bias)
    x = np.random.default_rng(1).standard_normal((N, T, I) if batch_first else (T, N, I))
    d = 2 if bidir else 1
    hout = P if kind == "lstm_proj" else H
    states = _states(kind, (layers * d, N, hout), (layers * d, N, H)) if with_states else ()
    assert _run_both(tm, sm, kind, x, states) == len(dict(sm.named_parameters()))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("with_states,batch_first,bidir", [(False, False, False),
                                                           (True, True, True)])
def test_unbatched(kind, with_states, batch_first, bidir):
    tm, sm = _pair(kind, num_layers=2, batch_first=batch_first, bidirectional=bidir)
    x = np.random.default_rng(2).standard_normal((T, I))
    d = 2 if bidir else 1
    hout = P if kind == "lstm_proj" else H
    states = _states(kind, (2 * d, hout), (2 * d, H)) if with_states else ()
    assert _run_both(tm, sm, kind, x, states) == len(dict(sm.named_parameters()))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("enforce,lengths,bidir,batch_first,with_states", [
    (True, [5, 3, 1], False, False, True),
    (True, [4, 4, 2], True, True, False),
    (False, [2, 5, 3], True, False, True),
    (False, [1, 3, 3], False, True, False),
])
def test_packed(kind, enforce, lengths, bidir, batch_first, with_states):
    tm, sm = _pair(kind, num_layers=2, bidirectional=bidir, batch_first=batch_first)
    x = np.random.default_rng(4).standard_normal((N, T, I) if batch_first else (T, N, I))
    d = 2 if bidir else 1
    hout = P if kind == "lstm_proj" else H
    states = _states(kind, (2 * d, N, hout), (2 * d, N, H)) if with_states else ()
    assert _run_both(tm, sm, kind, x, states, packed=(lengths, enforce)) == \
        len(dict(sm.named_parameters()))


def test_float32_default_init_shapes_and_parity():
    tm = torch.nn.LSTM(6, 5, 2, batch_first=True)
    sm = shenjing.nn.LSTM(6, 5, 2, batch_first=True)
    assert [n for n, _ in sm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    for (n, p), (_, q) in zip(sm.named_parameters(), tm.named_parameters()):
        assert tuple(p.shape) == tuple(q.shape) and p.dtype == shenjing.float32, n
        assert np.abs(p.detach().numpy()).max() <= 1 / np.sqrt(5) + 1e-7, n
    sm.load_state_dict({k: shenjing.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 7, 6)).astype(np.float32)
    (to, (th, tc)), (so, (sh, sc)) = tm(torch.tensor(x)), sm(shenjing.tensor(x))
    for a, b in ((so, to), (sh, th), (sc, tc)):
        assert a.dtype == shenjing.float32
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-6)


def test_dropout_between_layers():
    sm = shenjing.nn.GRU(I, H, num_layers=2, dropout=0.5)
    x = shenjing.tensor(np.random.default_rng(0).standard_normal((T, N, I)).astype(np.float32))
    sm.eval()
    e1, e2 = sm(x)[0].detach().numpy(), sm(x)[0].detach().numpy()
    np.testing.assert_array_equal(e1, e2)
    sm.train()
    t1 = sm(x)[0].detach().numpy()
    assert not np.allclose(t1, e1)
    one = shenjing.nn.GRU(I, H, num_layers=2, dropout=0.0)
    one.load_state_dict(sm.state_dict())
    np.testing.assert_allclose(one(x)[0].detach().numpy(), e1, atol=1e-6)


def test_dropout_single_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        shenjing.nn.LSTM(I, H, dropout=0.3)


def test_repr_and_misc():
    assert repr(shenjing.nn.LSTM(10, 20, num_layers=2, batch_first=True)) == \
        "LSTM(10, 20, num_layers=2, batch_first=True)"
    for args, kw in [((10, 20), {}), ((10, 20, 2), {"bias": False, "dropout": 0.5,
                                                     "bidirectional": True}),
                     ((10, 20), {"proj_size": 5})]:
        assert repr(shenjing.nn.LSTM(*args, **kw)) == repr(torch.nn.LSTM(*args, **kw))
    assert repr(shenjing.nn.RNN(3, 4, 2, nonlinearity="relu")) == \
        repr(torch.nn.RNN(3, 4, 2, nonlinearity="relu"))
    assert repr(shenjing.nn.GRU(3, 4, batch_first=True)) == repr(torch.nn.GRU(3, 4,
                                                                              batch_first=True))
    assert repr(shenjing.nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == \
        repr(torch.nn.RNNCell(3, 4, bias=False, nonlinearity="relu"))
    assert repr(shenjing.nn.LSTMCell(3, 4)) == repr(torch.nn.LSTMCell(3, 4))
    m = shenjing.nn.GRU(3, 4, 2, bidirectional=True)
    assert m.flatten_parameters() is None
    assert sorted(m.state_dict()) == sorted(torch.nn.GRU(3, 4, 2, bidirectional=True).state_dict())


CELLS = {"rnn_tanh": (torch.nn.RNNCell, shenjing.nn.RNNCell, {}),
         "rnn_relu": (torch.nn.RNNCell, shenjing.nn.RNNCell, {"nonlinearity": "relu"}),
         "lstm": (torch.nn.LSTMCell, shenjing.nn.LSTMCell, {}),
         "gru": (torch.nn.GRUCell, shenjing.nn.GRUCell, {})}


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("bias,with_state,batched", [(True, True, True), (False, False, True),
                                                     (True, True, False), (True, False, False)])
def test_cell_parity(kind, bias, with_state, batched):
    tcls, scls, extra = CELLS[kind]
    torch.manual_seed(0)
    tm = tcls(I, H, bias=bias, **extra).double()
    sm = scls(I, H, bias=bias, **extra).double()
    sm.load_state_dict({k: shenjing.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, I) if batched else (I,))
    hshape = (N, H) if batched else (H,)
    states = [rng.standard_normal(hshape) for _ in range(2 if kind == "lstm" else 1)]
    tx, sx = torch.tensor(x, requires_grad=True), shenjing.tensor(x, requires_grad=True)
    ths = [torch.tensor(s, requires_grad=True) for s in states]
    shs = [shenjing.tensor(s, requires_grad=True) for s in states]
    if with_state:
        targ, sarg = (tuple(ths), tuple(shs)) if kind == "lstm" else (ths[0], shs[0])
        tout, sout = tm(tx, targ), sm(sx, sarg)
    else:
        tout, sout = tm(tx), sm(sx)
    touts = list(tout) if kind == "lstm" else [tout]
    souts = list(sout) if kind == "lstm" else [sout]
    tl, sl = 0, 0
    for k, (a, b) in enumerate(zip(souts, touts)):
        _close(a, b, f"output {k}")
        u = rng.standard_normal(tuple(b.shape))
        tl, sl = tl + (b * torch.tensor(u)).sum(), sl + (a * shenjing.tensor(u)).sum()
    tl.backward()
    sl.backward()
    _close(sx.grad, tx.grad, "grad of input")
    if with_state:
        for a, b in zip(shs, ths):
            _close(a.grad, b.grad, "grad of state")
    tp = dict(tm.named_parameters())
    for name, p in sm.named_parameters():
        _close(p.grad, tp[name].grad, f"grad of {name}")
    assert sorted(tp) == sorted(dict(sm.named_parameters()))  # every parameter compared


# ----------------------------------------------------------------------------- errors
def test_wrong_feature_size():
    m = shenjing.nn.LSTM(10, 20, 2)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 10, got 7") as e:
        m(shenjing.randn(5, 3, 7))
    assert "LSTM" in str(e.value)


def test_wrong_hidden_shape():
    m = shenjing.nn.LSTM(10, 20, 2)
    h, c = shenjing.zeros(1, 3, 20), shenjing.zeros(2, 3, 20)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 3, 20\), got "
                                           r"\[1, 3, 20\]"):
        m(shenjing.randn(5, 3, 10), (h, c))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(2, 3, 20\), got "
                                           r"\[2, 3, 19\]"):
        m(shenjing.randn(5, 3, 10), (c, shenjing.zeros(2, 3, 19)))
    g = shenjing.nn.GRU(10, 20, 2, bidirectional=True)
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(4, 3, 20\), got \[2, 3, 20\]"):
        g(shenjing.randn(5, 3, 10), shenjing.zeros(2, 3, 20))


def test_wrong_ndim_and_dtype():
    m = shenjing.nn.LSTM(10, 20)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        m(shenjing.randn(5, 3, 10, 1))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx and cx should also be "
                                           r"2-D but got \(3-D, 3-D\) tensors"):
        m(shenjing.randn(5, 10), (shenjing.zeros(1, 3, 20), shenjing.zeros(1, 3, 20)))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D"):
        shenjing.nn.RNN(10, 20)(shenjing.randn(5, 3, 10), shenjing.zeros(1, 20))
    with pytest.raises(ValueError, match="input must have the type"):
        m(shenjing.randn(5, 3, 10, dtype=shenjing.float64))
    with pytest.raises(RuntimeError, match="inconsistent input_size: got 7 expected 10"):
        shenjing.nn.LSTMCell(10, 20)(shenjing.randn(3, 7))
    with pytest.raises(RuntimeError, match="Input batch size 3 doesn't match hidden0 batch size 2"):
        shenjing.nn.GRUCell(10, 20)(shenjing.randn(3, 10), shenjing.zeros(2, 20))
    with pytest.raises(ValueError, match="Expected input to be 1D or 2D, got 3D"):
        shenjing.nn.RNNCell(10, 20)(shenjing.randn(3, 1, 10))


def test_bad_constructor_args():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        shenjing.nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size should be a positive integer"):
        shenjing.nn.LSTM(3, 4, proj_size=-1)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        shenjing.nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        shenjing.nn.LSTM(3, 4, 2, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        shenjing.nn.RNN(3, 0)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        shenjing.nn.RNN(3, 4, nonlinearity="sigmoid")
