"""Linear algebra against PyTorch: every matmul case, mm/bmm/dot/mv/outer, linear, einsum."""
import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.nn.functional as SF
from helpers import check_grad, compare, rand

MATMUL_SHAPES = [
    ((3,), (3,)), ((1,), (1,)), ((0,), (0,)),  # dot
    ((2, 3), (3, 4)), ((1, 1), (1, 1)), ((0, 3), (3, 2)), ((2, 0), (0, 3)),  # mm
    ((3,), (3, 4)), ((2, 3), (3,)),  # vm, mv
    ((3,), (5, 3, 4)), ((5, 2, 3), (3,)),  # vector with batch
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),  # batch with a shared matrix
    ((5, 2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (6, 3, 2)),  # broadcast batch
    ((2, 1, 2, 3), (1, 4, 3, 5)), ((0, 2, 3), (3, 4)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_parity(sa, sb):
    compare(sj.matmul, torch.matmul, rand(*sa, seed=1), rand(*sb, seed=2))
    compare(lambda a, b: a @ b, lambda a, b: a @ b, rand(*sa, seed=3), rand(*sb, seed=4))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 2)),
                                   ((2, 2, 3), (3, 2)), ((1, 2, 3), (2, 3, 2)), ((3,), (2, 3, 2))])
def test_matmul_gradcheck(sa, sb):
    check_grad(sj.matmul, rand(*sa, seed=5), rand(*sb, seed=6))


def test_matmul_one_side_requires_grad_and_int():
    a, b = rand(2, 3), rand(3, 4)
    ta = sj.tensor(a, requires_grad=True)
    (ta @ sj.tensor(b)).sum().backward()
    np.testing.assert_allclose(ta.grad.numpy(), np.ones((2, 4)) @ b.T, rtol=1e-5)
    ia, ib = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    compare(sj.matmul, torch.matmul, ia, ib, grad=False)


def test_rmatmul_with_numpy_operand():
    b = rand(3, 2)
    out = sj.Tensor.__rmatmul__(sj.tensor(b), sj.tensor(rand(4, 3)))
    np.testing.assert_allclose(out.numpy(), rand(4, 3) @ b, rtol=1e-5)


@pytest.mark.parametrize("fn,sa,sb", [
    ("mm", (2, 3), (3, 4)), ("mm", (0, 3), (3, 1)), ("bmm", (4, 2, 3), (4, 3, 5)),
    ("bmm", (1, 1, 1), (1, 1, 1)), ("dot", (5,), (5,)), ("mv", (2, 3), (3,)),
    ("outer", (3,), (4,)), ("outer", (1,), (0,)),
])
def test_named_products(fn, sa, sb):
    a, b = rand(*sa, seed=1), rand(*sb, seed=2)
    compare(getattr(sj, fn), getattr(torch, fn), a, b)
    compare(lambda x, y: getattr(x, fn)(y), lambda x, y: getattr(x, fn)(y), a, b)
    if 0 not in sa + sb:
        check_grad(getattr(sj, fn), a, b)


@pytest.mark.parametrize("fn,sa,sb,msg", [
    ("matmul", (2, 3), (4, 5), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ("matmul", (2, 3, 4), (5, 6), r"mat1 and mat2 shapes cannot be multiplied \(6x4 and 5x6\)"),
    ("matmul", (3,), (4,), "inconsistent tensor size, expected tensor \\[3\\] and src \\[4\\]"),
    ("matmul", (2, 3), (4,), r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    ("matmul", (3, 2, 3), (2, 3, 4), "must match the size of tensor b"),
    ("matmul", (), (2, 2), "both arguments to matmul need to be at least 1D, but they are 0D"),
    ("mm", (2, 3), (3,), "mat2 must be a matrix"),
    ("mm", (2, 2, 3), (3, 3), "self must be a matrix"),
    ("bmm", (2, 3), (4, 5), "batch1 must be a 3D tensor"),
    ("bmm", (2, 3, 4), (3, 4, 5), r"Expected size for first two dimensions of batch2 tensor"),
    ("dot", (2, 3), (2, 3), "1D tensors expected, but got 2D and 2D tensors"),
    ("mv", (3,), (3,), "vector \\+ matrix @ vector expected"),
    ("outer", (2, 2), (2,), "outer: Expected 1-D argument self, but got 2-D"),
])
def test_shape_errors_match_torch(fn, sa, sb, msg):
    for mod in (sj, torch):
        with pytest.raises(RuntimeError, match=msg):
            getattr(mod, fn)(mod.tensor(rand(*sa)), mod.tensor(rand(*sb)))


def test_dtype_mismatch_error():
    a, b = rand(2, 3), rand(3, 2).astype(np.float64)
    for mod in (sj, torch):
        with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but "
                                                 "got: float != double"):
            mod.matmul(mod.tensor(a), mod.tensor(b))


@pytest.mark.parametrize("sx", [(4, 3), (3,), (2, 5, 3), (2, 1, 2, 3), (0, 3), (1, 3)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_parity(sx, with_bias):
    x, w, b = rand(*sx, seed=1), rand(5, 3, seed=2), rand(5, seed=3)
    args = (x, w, b) if with_bias else (x, w)
    compare(SF.linear, torch.nn.functional.linear, *args)


def test_linear_gradcheck_and_matches_composition():
    x, w, b = rand(2, 4, 3, seed=1), rand(5, 3, seed=2), rand(5, seed=3)
    check_grad(SF.linear, x, w, b)
    check_grad(SF.linear, x, w)
    # fused node == matmul + add with the transposed weight
    tx, tw, tb = (sj.tensor(v, requires_grad=True) for v in (x, w.T.copy(), b))
    (tx @ tw + tb).sum().backward()
    fx, fw, fb = (sj.tensor(v, requires_grad=True) for v in (x, w, b))
    SF.linear(fx, fw, fb).sum().backward()
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(fw.grad.numpy(), tw.grad.numpy().T, rtol=1e-5)
    np.testing.assert_allclose(fb.grad.numpy(), tb.grad.numpy(), rtol=1e-5)
    assert type(SF.linear(fx, fw, fb).grad_fn).__name__ == "Linear"


def test_linear_shape_error_matches_torch():
    for mod, F in ((sj, SF), (torch, torch.nn.functional)):
        with pytest.raises(RuntimeError,
                           match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
            F.linear(mod.tensor(rand(2, 3)), mod.tensor(rand(5, 4)))


@pytest.mark.parametrize("sx", [(4, 3), (3,), (2, 5, 3), (2, 1, 2, 3), (0, 3), (1, 3)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_dense_parity(sx, with_bias):
    # Keras's layout: kernel (in, out), y = x @ K + b
    from shenjing.ops.linalg import dense
    x, k, b = rand(*sx, seed=1), rand(3, 5, seed=2), rand(5, seed=3)
    args = (x, k, b) if with_bias else (x, k)
    compare(dense, lambda x, k, b=None: x @ k if b is None else x @ k + b, *args)


def test_dense_gradcheck_one_node_and_errors():
    from shenjing.ops.linalg import dense
    x, k, b = rand(2, 4, 3, seed=1), rand(3, 5, seed=2), rand(5, seed=3)
    check_grad(dense, x, k, b)
    check_grad(dense, x, k)
    check_grad(dense, rand(1, 1, seed=4), rand(1, 1, seed=5), rand(1, seed=6))
    y = dense(sj.tensor(x, requires_grad=True), sj.tensor(k, requires_grad=True), sj.tensor(b))
    assert type(y.grad_fn).__name__ == "Dense" and y.grad_fn.next_fns[2] is None
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(2x4 and 3x5\)"):
        dense(sj.tensor(rand(2, 4)), sj.tensor(k))
    with pytest.raises(RuntimeError, match="kernel must be 2-D"):
        dense(sj.tensor(x), sj.tensor(rand(3, seed=1)))
    with pytest.raises(RuntimeError, match=r"bias of shape \(5,\)"):
        dense(sj.tensor(x), sj.tensor(k), sj.tensor(rand(4)))
    with pytest.raises(RuntimeError, match="same dtype"):
        dense(sj.tensor(x), sj.tensor(k.astype(np.float64)))


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(5,), (5,)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ij,kj", [(2, 3), (4, 3)]),
    ("ii->i", [(3, 3)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("ij,k->ijk", [(2, 3), (2,)]),
    ("ij,i->j", [(2, 3), (2,)]),
])
def test_einsum(eq, shapes):
    arrays = [rand(*s, seed=i + 1) for i, s in enumerate(shapes)]
    compare(lambda *t: sj.einsum(eq, *t), lambda *t: torch.einsum(eq, *t), *arrays)
    check_grad(lambda *t: sj.einsum(eq, *t), *arrays)
