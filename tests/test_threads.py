"""Intra-op threads (shenjing.backend.threads): the pool, the BLAS hold, and ops that use it.

The ops' parity tests use small inputs that stay on one thread; here inputs are large enough
to be split over the threads, and must still equal PyTorch's results and the serial ones.
"""
import threading
import time

import numpy as np
import pytest
import torch

import shenjing
from shenjing.backend import threads
from helpers import compare, rand

needs_blas_control = pytest.mark.skipif(
    threads._blas().set is None, reason="the BLAS cannot be held to one thread here")


@pytest.fixture
def two_threads():
    prev = shenjing.get_num_threads()
    shenjing.set_num_threads(2)
    yield
    shenjing.set_num_threads(prev)


@pytest.fixture
def splits(monkeypatch):
    """The part counts of every parallel region entered during the test."""
    seen: list = []
    real = threads.parallel_map

    def spy(fn, parts):
        seen.append(len(parts))
        return real(fn, parts)

    monkeypatch.setattr(threads, "parallel_map", spy)
    return seen


def _was_split(splits: list) -> bool:
    return any(n >= 2 for n in splits)


@needs_blas_control
def test_parallel_map_keeps_order_and_uses_two_threads(two_threads):
    seen = []
    barrier = threading.Barrier(2, timeout=10)  # passes only if two threads run at once

    def fn(i):
        if i < 2:
            barrier.wait()
        seen.append(threading.get_ident())
        return i * i

    assert threads.parallel_map(fn, list(range(7))) == [i * i for i in range(7)]
    assert len(set(seen)) == 2


@needs_blas_control
def test_blas_held_to_one_thread_inside_and_restored_after(two_threads):
    inside = threads.parallel_map(lambda _: threads._blas().get(), [0, 1])
    assert inside == [1, 1]
    assert threads._blas().get() == 2


@needs_blas_control
def test_an_error_in_a_part_propagates_and_restores(two_threads):
    def fn(i):
        if i == 3:
            raise ValueError("part 3 failed")
        return i

    with pytest.raises(ValueError, match="part 3 failed"):
        threads.parallel_map(fn, list(range(4)))
    assert threads._blas().get() == 2
    assert threads.parallel_map(lambda i: i + 1, [1, 2]) == [2, 3]  # the pool still works


@needs_blas_control
def test_nested_regions_run_serially(two_threads):
    def outer(i):
        return threads.parallel_map(lambda j: (i, j, threading.get_ident()), [0, 1])

    for inner in threads.parallel_map(outer, [0, 1]):
        assert len({t for _, _, t in inner}) == 1  # one thread did the whole inner map


def test_one_thread_runs_everything_on_the_caller():
    prev = shenjing.get_num_threads()
    try:
        shenjing.set_num_threads(1)
        assert shenjing.get_num_threads() == 1
        me = threading.get_ident()
        assert threads.parallel_map(lambda _: threading.get_ident(), [0, 1, 2]) == [me] * 3
        lo_hi = []
        threads.parallel_range(lambda lo, hi: lo_hi.append((lo, hi)), 10, 1 << 30)
        assert lo_hi == [(0, 10)]
    finally:
        shenjing.set_num_threads(prev)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_set_num_threads_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="set_num_threads: expected a positive integer"):
        shenjing.set_num_threads(bad)


@needs_blas_control
def test_parallel_range_covers_the_range_once(two_threads):
    hits = np.zeros(101, np.int64)

    def fn(lo, hi):
        hits[lo:hi] += 1

    threads.parallel_range(fn, 101, 1 << 30)
    assert (hits == 1).all()


# ----------------------------------------------------------------------------- ops
@needs_blas_control
@pytest.mark.parametrize("stride,pad,groups", [(1, 1, 1), (2, 1, 1), (1, 0, 2), (2, 2, 4)])
def test_conv2d_split_over_threads_matches_torch(two_threads, splits, stride, pad, groups):
    x, w, b = rand(9, 16, 40, 38, seed=1), rand(24, 16 // groups, 3, 3, seed=2), rand(24, seed=3)
    compare(lambda x, w, b: shenjing.nn.functional.conv2d(x, w, b, stride, pad, 1, groups),
            lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride, pad, 1, groups),
            x, w, b, atol=1e-4, rtol=1e-4, grad_atol=2e-3)  # dW sums 13,680 products
    assert _was_split(splits), "the op never split its work over the threads"


@needs_blas_control
def test_conv_transpose2d_split_over_threads_matches_torch(two_threads, splits):
    x, w = rand(8, 32, 24, 24, seed=4), rand(32, 16, 3, 3, seed=5)
    compare(lambda x, w: shenjing.nn.functional.conv_transpose2d(x, w, stride=2, padding=1),
            lambda x, w: torch.nn.functional.conv_transpose2d(x, w, stride=2, padding=1),
            x, w, atol=1e-4, rtol=1e-4, grad_atol=2e-3)
    assert _was_split(splits), "the op never split its work over the threads"


@needs_blas_control
def test_threads_give_the_serial_result(two_threads):
    x, w = rand(9, 16, 40, 38, seed=6), rand(24, 16, 3, 3, seed=7)

    def run():
        xt = shenjing.tensor(x, requires_grad=True)
        wt = shenjing.tensor(w, requires_grad=True)
        y = shenjing.nn.functional.max_pool2d(shenjing.nn.functional.conv2d(xt, wt, padding=1),
                                              2)
        (y * y).sum().backward()
        return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()

    par = run()
    shenjing.set_num_threads(1)
    ser = run()
    for a, b in zip(par, ser):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


@needs_blas_control
@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_max_pool2d_split_over_threads_matches_torch(two_threads, splits, k, s, p):
    x = rand(16, 32, 64, 64, seed=8)  # 8 MiB: above the split threshold
    compare(lambda x: shenjing.nn.functional.max_pool2d(x, k, s, p),
            lambda x: torch.nn.functional.max_pool2d(x, k, s, p), x)
    assert _was_split(splits), "the op never split its work over the threads"


@needs_blas_control
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_split_over_threads_matches_torch(two_threads, splits, training):
    x = rand(16, 64, 32, 32, seed=9)  # 4 MiB: split by channel
    rm, rv = rand(64, seed=10), rand(64, seed=11, low=0.5, high=2.0)
    w, b = rand(64, seed=12), rand(64, seed=13)

    def run(mod):
        def f(x, w, b):
            mean, var = mod.tensor(rm.copy()), mod.tensor(rv.copy())
            y = mod.nn.functional.batch_norm(x, mean, var, w, b, training=training)
            return y, mean, var
        return f

    compare(run(shenjing), run(torch), x, w, b, atol=1e-4, rtol=1e-4, grad_atol=2e-3)
    assert _was_split(splits), "the op never split its work over the threads"


@needs_blas_control
def test_relu_split_over_threads_matches_torch(two_threads, splits):
    x = rand(8, 64, 64, 64, seed=14)  # 8 MiB: cut into flat slices
    compare(shenjing.relu, torch.relu, x, atol=0, rtol=0)
    assert _was_split(splits), "the op never split its work over the threads"


@needs_blas_control
@pytest.mark.parametrize("slope", [0.2, 1.5])
def test_leaky_relu_split_over_threads_matches_torch(two_threads, splits, slope):
    x = rand(8, 64, 64, 64, seed=15)
    compare(lambda x: shenjing.nn.functional.leaky_relu(x, slope),
            lambda x: torch.nn.functional.leaky_relu(x, slope), x)
    assert _was_split(splits), "the op never split its work over the threads"


@needs_blas_control
@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_gets_a_pool_of_its_own(two_threads):
    import os

    assert threads.parallel_map(lambda i: i, [0, 1]) == [0, 1]  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # child: must not wait on threads that were not forked
        try:
            ok = threads.parallel_map(lambda i: i * 2, [1, 2, 3]) == [2, 4, 6]
        finally:
            os._exit(0 if ok else 1)
    import signal
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.WEXITSTATUS(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung in parallel_map")


@needs_blas_control
def test_relu_on_a_channels_last_view_splits_and_matches_torch(two_threads):
    x = rand(8, 64, 64, 64, seed=16).transpose(0, 2, 3, 1)  # a permuted, non-contiguous view
    compare(shenjing.relu, torch.relu, x, atol=0, rtol=0)
    seen = []
    from shenjing.ops._util import elementwise

    out = np.empty_like(x)
    elementwise(lambda o, a: seen.append(o.shape) or np.maximum(a, 0, out=o), out, x)
    assert len(seen) == 2 and sum(s[0] for s in seen) == x.shape[0]  # split along axis 0
    np.testing.assert_array_equal(out, np.maximum(x, 0))


@needs_blas_control
@pytest.mark.parametrize("layout", ["c", "channels_last", "mixed"])
def test_large_add_splits_and_matches_torch(two_threads, splits, layout):
    """A residual-sized sum splits over the threads (same layouts) and equals PyTorch's."""
    a, b = rand(16, 64, 32, 32, seed=17), rand(16, 64, 32, 32, seed=18)

    def lay(mod, t, which):
        if layout == "channels_last" or (layout == "mixed" and which == 0):
            return t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
        return t

    compare(lambda x, y: lay(shenjing, x, 0) + lay(shenjing, y, 1),
            lambda x, y: lay(torch, x, 0) + lay(torch, y, 1), a, b, atol=0, rtol=0)
    assert (2 in splits) == (layout != "mixed")


# ----------------------------------------------------------------------------- recurrent
def _rnn_pair(kind: str, seed: int, **kw):
    """The same recurrent layer in shenjing and in PyTorch (shenjing's weights copied over)."""
    shenjing.manual_seed(seed)
    sj = getattr(shenjing.nn, kind)(6, 8, **kw)
    th = getattr(torch.nn, kind)(6, 8, **kw)
    th.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in sj.state_dict().items()})
    return sj, th


def _run_rnn(mod, layer, x: np.ndarray, lengths: list | None):
    layer.zero_grad()
    xt = mod.tensor(x.copy(), requires_grad=True)
    inp = xt if lengths is None else mod.nn.utils.rnn.pack_padded_sequence(
        xt, lengths, batch_first=True, enforce_sorted=False)
    out, state = layer(inp)
    if lengths is not None:
        out = mod.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)[0]
    hn = state[0] if isinstance(state, tuple) else state
    ((out * out).sum() + (hn * hn).sum() * 0.5).backward()
    grads = [xt.grad] + [p.grad for p in layer.parameters()]
    return [t.detach().numpy() for t in [out, hn] + grads]


@needs_blas_control
@pytest.mark.parametrize("kind,kw,packed", [
    ("LSTM", {}, False), ("LSTM", {"bidirectional": True, "num_layers": 2}, True),
    ("LSTM", {"proj_size": 5}, True), ("GRU", {}, True), ("RNN", {"nonlinearity": "relu"}, True),
])
def test_recurrent_layers_split_rows_over_threads_and_match_torch(two_threads, splits, kind,
                                                                  kw, packed):
    x = rand(40, 9, 6, seed=16)  # 40 sequences: two row ranges of 20
    lengths = [9 - i % 9 for i in range(40)] if packed else None  # ranges end at other steps
    sj, th = _rnn_pair(kind, 17, batch_first=True, **kw)
    ours, ref = _run_rnn(shenjing, sj, x, lengths), _run_rnn(torch, th, x, lengths)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    assert _was_split(splits), "the layer never split its rows over the threads"
    shenjing.set_num_threads(1)  # and the serial run gives the same numbers
    for a, b in zip(_run_rnn(shenjing, sj, x, lengths), ours):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@needs_blas_control
def test_sparse_adam_splits_its_rows_over_threads_and_matches_torch(two_threads, splits):
    rng = np.random.default_rng(18)
    w0 = rng.standard_normal((6000, 64)).astype(np.float32)
    batches = [rng.integers(0, 6000, 5000) for _ in range(3)]  # ~3,500 distinct rows each

    def run(mod):
        emb = mod.nn.Embedding(6000, 64, sparse=True)
        with mod.no_grad():
            emb.weight.copy_(mod.tensor(w0))
        opt = mod.optim.SparseAdam(emb.parameters(), lr=0.01)
        for k, idx in enumerate(batches):
            opt.zero_grad()
            ((emb(mod.tensor(idx)) - 0.1 * k) ** 2).sum().backward()
            opt.step()
        return emb.weight.detach().numpy()

    np.testing.assert_allclose(run(shenjing), run(torch), rtol=1e-5, atol=1e-6)
    assert _was_split(splits), "SparseAdam never split its rows over the threads"


@needs_blas_control
def test_few_tap_conv_splits_its_samples_over_threads_and_matches_torch(two_threads, splits):
    x, w, b = rand(32, 3, 40, 40, seed=19), rand(8, 3, 3, 3, seed=20), rand(8, seed=21)
    compare(lambda x, w, b: shenjing.nn.functional.conv2d(x, w, b, padding=1),
            lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=1),
            x, w, b, atol=1e-4, rtol=1e-4, grad_atol=2e-3)
    assert _was_split(splits), "the op never split its work over the threads"


@needs_blas_control
def test_parts_run_under_the_callers_numpy_errstate(two_threads):
    with np.errstate(over="raise", divide="ignore"):
        seen = threads.parallel_map(lambda _: (np.geterr()["over"], np.geterr()["divide"]),
                                    list(range(4)))
    assert seen == [("raise", "ignore")] * 4


@needs_blas_control
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent_layers_on_threads_keep_overflow_quiet(two_threads, splits, kind):
    import warnings

    layer = getattr(shenjing.nn, kind)(4, 8)
    x = shenjing.tensor(rand(20, 64, 4, seed=22) * 1000)  # GRU's exp overflows in the gates
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, _ = layer(x)
    assert np.isfinite(y.detach().numpy()).all() and _was_split(splits)


def _pipeline_calls(xp, k: int, fail_at: int | None = None) -> list:
    from shenjing.ops import recurrent

    calls: list = []

    def task(name):
        def run(c):
            if name == "loop" and c == fail_at:
                raise ValueError("loop failed")
            time.sleep(0.002 if name == "loop" else 0.001)
            calls.append((name, c, threading.get_ident()))
        return run

    recurrent._pipeline(xp, k, task("prep"), task("loop"), task("finish"))
    return calls


@needs_blas_control
def test_recurrent_pipeline_runs_each_task_once_around_an_ordered_loop(two_threads, splits):
    calls = _pipeline_calls(np, 6)
    assert sorted((n, c) for n, c, _ in calls) == sorted(
        (n, c) for n in ("prep", "loop", "finish") for c in range(6))
    order = {(n, c): i for i, (n, c, _) in enumerate(calls)}
    assert [c for n, c, _ in calls if n == "loop"] == list(range(6))
    assert len({t for n, _, t in calls if n == "loop"}) == 1  # the loop stays on one thread
    for c in range(6):
        assert order[("prep", c)] < order[("loop", c)] < order[("finish", c)]
    assert len({t for _, _, t in calls}) == 2 and _was_split(splits)
    with pytest.raises(ValueError, match="loop failed"):  # an error ends it, no hang
        _pipeline_calls(np, 6, fail_at=2)


def test_gpu_arrays_get_no_thread_splits(two_threads):
    """On a GPU (any array module but NumPy) kernels take whole batches: a recurrent layer's
    work runs in order on the calling thread, and conv chunks are sized for memory only,
    not for the host threads."""
    from shenjing.ops import conv, recurrent

    gpu = object()  # stands for cupy: only ``xp is np`` is asked
    calls = _pipeline_calls(gpu, 2)
    assert [(n, c) for n, c, _ in calls] == [("prep", 0), ("loop", 0), ("finish", 0),
                                             ("prep", 1), ("loop", 1), ("finish", 1)]
    assert {t for _, _, t in calls} == {threading.get_ident()}
    assert len(recurrent._step_chunks([(0, 4)] * 9, 1)) == 1
    assert conv._chunks(gpu, 64, 1 << 20) == [(0, 8), (8, 16), (16, 24), (24, 32), (32, 40),
                                              (40, 48), (48, 56), (56, 64)]  # 8 MiB each
    assert len(conv._chunks(np, 64, 1 << 20)) == 32  # 2 MiB each, a multiple of 2 threads
    assert len(conv._chunks(gpu, 3, 1 << 10)) == 1
