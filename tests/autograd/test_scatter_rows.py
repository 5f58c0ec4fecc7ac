"""scatter_add_rows / coalesce_rows: the row scatter behind embedding gradients and the sparse
optimizers (float rows of even width are added as complex pairs: same sums, bit for bit)."""
import numpy as np
import pytest

from shenjing.autograd.tensor import coalesce_rows, scatter_add_rows


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
