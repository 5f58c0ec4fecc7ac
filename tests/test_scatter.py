"""The row scatters behind embedding gradients and the sparse optimizers (backend/scatter.py),
on both paths: SciPy's CSR kernel (rows grouped by a stable sort) and the add.at fallback
(float rows of even width added as complex pairs). Each output row must get exactly a loop's
additions in order, bit for bit; factored rows coef[i] * basis[owner[i]] never formed."""
import numpy as np
import pytest

import shenjing as sj
from shenjing.autograd.tensor import SparseRows
from shenjing.backend import scatter
from shenjing.backend.scatter import coalesce_rows, scatter_add_outer, scatter_add_rows

pytest.importorskip("scipy")
_COST_MODEL = scatter._worth  # the fixture below replaces it on the CSR path


@pytest.fixture(params=["csr", "add.at"], autouse=True)
def path(request, monkeypatch):
    """Every test runs on the CSR kernel (whatever the cost model would pick for these
    small sizes) and on the fallback."""
    if request.param == "add.at":
        monkeypatch.setattr(scatter, "_KERNEL", [None])
    else:
        assert scatter.csr_kernel() is not None  # SciPy is installed with the tests
        monkeypatch.setattr(scatter, "_worth", lambda lo, hi, n, width, formed: lo >= 0)
    return request.param


def _loop_reference(out: np.ndarray, index: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """out[index[i]] += rows[i], one row at a time in order (the same float additions)."""
    out = out.copy()
    for i, j in enumerate(index):
        out[j] += rows[i]
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(100,), (7,), (3, 4), (1,)])
def test_scatter_add_rows_sums_duplicates_exactly(dtype, shape):
    rng = np.random.default_rng(0)
    index = rng.integers(0, 9, 200)  # 200 rows into 9: many repeats
    rows = rng.standard_normal((200,) + shape).astype(dtype)
    out = rng.standard_normal((9,) + shape).astype(dtype)
    expected = _loop_reference(out, index, rows)
    got = scatter_add_rows(out, index, rows)
    assert got is out
    np.testing.assert_array_equal(got, expected)


def test_scatter_add_rows_casts_rows_and_handles_views_and_empty():
    rng = np.random.default_rng(1)
    index = rng.integers(0, 5, 30)
    rows = rng.standard_normal((30, 6))  # float64 rows into a float32 table
    out = np.zeros((5, 6), np.float32)
    np.testing.assert_array_equal(scatter_add_rows(out, index, rows),
                                  _loop_reference(np.zeros((5, 6), np.float32), index,
                                                  rows.astype(np.float32)))
    big = np.zeros((5, 12), np.float32)
    view = big[:, ::2]  # not contiguous: the row-wise path
    scatter_add_rows(view, index, rows)
    np.testing.assert_allclose(view, out, rtol=1e-5, atol=1e-5)
    assert (big[:, 1::2] == 0).all()
    assert scatter_add_rows(out, index[:0], rows[:0]) is out


def test_coalesce_rows_gives_sorted_unique_indices_and_row_sums():
    rng = np.random.default_rng(2)
    index = rng.integers(0, 50, 300)
    rows = rng.standard_normal((300, 10)).astype(np.float32)
    uniq, sums = coalesce_rows(index, rows)
    np.testing.assert_array_equal(uniq, np.unique(index))
    dense = _loop_reference(np.zeros((50, 10), np.float32), index, rows)
    np.testing.assert_array_equal(sums, dense[uniq])
    distinct = np.array([4, 1, 3])
    u, s = coalesce_rows(distinct, rows[:3])
    np.testing.assert_array_equal(u, [1, 3, 4])
    np.testing.assert_array_equal(s, rows[[1, 2, 0]])


@pytest.mark.parametrize("rows_n", [3, 5000, 30000])  # cached offsets: grown, and bypassed
def test_scatter_add_rows_flat_index_for_small_and_large_batches(rows_n):
    rng = np.random.default_rng(3)
    index = rng.integers(0, 700, rows_n)
    rows = rng.standard_normal((rows_n, 80)).astype(np.float32)
    out = np.zeros((700, 80), np.float32)
    expected = np.zeros((700, 80), np.float32)
    np.add.at(expected, index, rows)  # NumPy's row scatter: the same additions in order
    np.testing.assert_array_equal(scatter_add_rows(out, index, rows), expected)


def _outer_reference(out, index, coef, basis, owner):
    out = out.copy()
    for i, j in enumerate(index):
        out[j] += coef[i] * basis[owner[i]]
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scatter_add_outer_forms_no_rows_and_matches_a_loop(dtype):
    rng = np.random.default_rng(4)
    basis = rng.standard_normal((30, 7)).astype(dtype)
    owner = np.repeat(np.arange(30), 4)
    index = rng.integers(3, 40, 120)  # the lowest rows stay untouched
    coef = rng.standard_normal(120).astype(dtype)
    out = rng.standard_normal((40, 7)).astype(dtype)
    expected = _outer_reference(out, index, coef, basis, owner)
    got = scatter_add_outer(out, index, coef, basis, owner)
    assert got is out
    np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6)


def test_scatter_add_rows_scales_by_alpha():
    rng = np.random.default_rng(5)
    index = rng.integers(0, 6, 50)
    rows = rng.standard_normal((50, 4)).astype(np.float32)
    out = np.zeros((6, 4), np.float32)
    expected = _loop_reference(out, index, rows * np.float32(-0.25))  # exact: a power of 2
    np.testing.assert_array_equal(scatter_add_rows(out, index, rows, -0.25), expected)


@pytest.mark.parametrize("index", [np.array([2, 99_990, 2, 5]),  # far wider than the batch
                                   np.array([-1, 3, -1])])  # negative: NumPy's wrap-around
def test_wide_or_negative_indices_take_the_fallback(index):
    rows = np.arange(len(index) * 2, dtype=np.float32).reshape(-1, 2)
    out = np.zeros((100_000, 2), np.float32)
    expected = out.copy()
    np.add.at(expected, index, rows)
    np.testing.assert_array_equal(scatter_add_rows(out, index, rows), expected)


def test_integer_tables_take_the_fallback():
    out = np.zeros((4, 3), np.int64)
    scatter_add_rows(out, np.array([1, 1, 3]), np.ones((3, 3), np.int64))
    np.testing.assert_array_equal(out[:, 0], [0, 2, 0, 1])


def test_coalesce_of_factored_rows_sums_them():
    rng = np.random.default_rng(6)
    basis = rng.standard_normal((10, 5)).astype(np.float32)
    owner = rng.integers(0, 10, 40)
    index = rng.integers(0, 12, 40)
    coef = rng.standard_normal(40).astype(np.float32)
    uniq, sums = coalesce_rows(index, basis, coef, owner)
    dense = _outer_reference(np.zeros((12, 5), np.float32), index, coef, basis, owner)
    np.testing.assert_array_equal(uniq, np.unique(index))
    np.testing.assert_allclose(sums, dense[uniq], rtol=1e-5, atol=1e-6)
    u0, s0 = coalesce_rows(index[:0], basis, coef[:0], owner[:0])
    assert u0.shape == (0,) and s0.shape == (0, 5)


def test_factored_sparse_rows_behave_like_formed_ones():
    rng = np.random.default_rng(7)
    basis = rng.standard_normal((8, 3))
    owner, index = rng.integers(0, 8, 20), rng.integers(0, 6, 20)
    coef = rng.standard_normal(20)
    lazy = SparseRows.outer(index, coef, basis, owner, (6, 3))
    formed = SparseRows(index, coef[:, None] * basis[owner], (6, 3))
    assert lazy.dtype == np.float64 and lazy._values is None
    dense = formed.to_dense()
    np.testing.assert_allclose(lazy.to_dense(), dense, atol=1e-12)
    np.testing.assert_allclose((-lazy).to_dense(), -dense, atol=1e-12)
    np.testing.assert_allclose((lazy * 3.0).to_dense(), 3 * dense, atol=1e-12)
    np.testing.assert_allclose(lazy.coalesce().to_dense(), dense, atol=1e-12)
    np.testing.assert_allclose(lazy.add_to(np.ones((6, 3)), -0.5), 1 - 0.5 * dense, atol=1e-12)
    np.testing.assert_allclose((lazy + lazy).to_dense(), 2 * dense, atol=1e-12)
    np.testing.assert_allclose(lazy + np.ones((6, 3)), dense + 1, atol=1e-12)
    copy = lazy.copy()
    copy._factor[0][:] = 0  # a copy owns its coefficients
    np.testing.assert_allclose(lazy.to_dense(), dense, atol=1e-12)
    np.testing.assert_allclose(lazy.astype(np.float32).values, formed.values, rtol=1e-6)
    np.testing.assert_allclose(lazy.values, formed.values, atol=1e-12)  # formed on demand
    lazy.fill(0)
    assert lazy.indices.shape == (0,) and not lazy.to_dense().any()


def test_word2vec_style_sparse_sgd_matches_torch():
    """The fused loss's factored dW through SparseTensor and SGD, against PyTorch."""
    torch = pytest.importorskip("torch")
    from shenjing.ops.embedding import negative_sampling_loss  # noqa: PLC0415
    rng = np.random.default_rng(8)
    w0 = rng.standard_normal((50, 6)).astype(np.float32)
    h0 = rng.standard_normal((16, 6)).astype(np.float32)
    t = rng.integers(0, 50, (16, 4))
    ws, wt = sj.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    opt_s, opt_t = sj.optim.SGD([ws], lr=0.1), torch.optim.SGD([wt], lr=0.1)
    for _ in range(3):
        opt_s.zero_grad()
        opt_t.zero_grad()
        negative_sampling_loss(sj.tensor(h0), ws, t, sparse=True).backward()
        o = torch.nn.functional.embedding(torch.tensor(t), wt, sparse=True)
        s = torch.bmm(o, torch.tensor(h0).unsqueeze(2)).squeeze(2)
        s = s * torch.tensor([1.0] + [-1.0] * 3)
        (-torch.nn.functional.logsigmoid(s).sum()).backward()
        assert ws.grad.is_sparse and wt.grad.is_sparse
        np.testing.assert_allclose(ws.grad.coalesce().to_dense().numpy(),
                                   wt.grad.coalesce().to_dense().numpy(), rtol=1e-4, atol=1e-5)
        opt_s.step()
        opt_t.step()
        np.testing.assert_allclose(ws.detach().numpy(), wt.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)


def test_out_of_range_rows_raise_instead_of_writing_past_the_table():
    """The CSR kernel checks no bounds: such calls must reach NumPy's IndexError."""
    out = np.zeros((5, 2), np.float32)
    ones = np.ones((3, 2), np.float32)
    with pytest.raises(IndexError):
        scatter_add_rows(out, np.array([1, 5]), ones[:2])
    with pytest.raises(IndexError):
        scatter_add_outer(out, np.array([1, 2]), np.ones(2, np.float32), ones, np.array([0, 3]))
    with pytest.raises(IndexError):
        coalesce_rows(np.array([1, 2]), ones, np.ones(2, np.float32), np.array([0, 7]))


@pytest.mark.parametrize("span,n,width,formed,kernel", [
    (10_000, 6144, 100, False, True),  # word2vec's output table: the kernel, ~4x faster
    (10_000, 1024, 100, True, True),  # its input table
    (1000, 50_000, 300, True, True),
    (10, 100_000, 16, True, False),  # narrow rows: the sort costs more than add.at
    (200_000, 1024, 100, True, False),  # a few rows over a huge table: visiting it costs more
    (30, 64, 8, True, False),  # tiny: the fixed cost decides
])
def test_cost_model_picks_the_faster_path(span, n, width, formed, kernel):
    """Decisions measured on this repo's machine (kernel vs add.at), not timed here."""
    assert _COST_MODEL(0, span, n, width, formed) is kernel
    assert not _COST_MODEL(-1, span, n, width, formed)
