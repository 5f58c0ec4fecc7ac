"""Shape ops against PyTorch (values, input grads), float64 gradcheck, and error parity."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import check_grad, compare, rand

# name -> (input shapes, fn(module) -> callable on tensors); each runs on both libraries
CASES = {
    "reshape_-1": ([(2, 3, 4)], lambda m: lambda x: x.reshape(4, -1)),
    "reshape_tuple": ([(2, 3, 4)], lambda m: lambda x: x.reshape((6, 4))),
    "reshape_fn": ([(2, 3)], lambda m: lambda x: m.reshape(x, (-1,))),
    "reshape_0d": ([()], lambda m: lambda x: x.reshape(1, 1)),
    "reshape_empty": ([(0, 3)], lambda m: lambda x: x.reshape(3, 0)),
    "view": ([(2, 3, 4)], lambda m: lambda x: x.view(3, 2, -1)),
    "view_as": ([(2, 6), (3, 4)], lambda m: lambda x, y: x.view_as(y) * y),
    "reshape_as": ([(2, 6), (4, 3)], lambda m: lambda x, y: x.reshape_as(y) + y),
    "flatten": ([(2, 3, 4)], lambda m: lambda x: x.flatten()),
    "flatten_1": ([(2, 3, 4, 5)], lambda m: lambda x: m.flatten(x, 1, 2)),
    "flatten_0d": ([()], lambda m: lambda x: x.flatten()),
    "unflatten": ([(2, 12)], lambda m: lambda x: x.unflatten(1, (3, -1))),
    "squeeze_all": ([(1, 3, 1, 2)], lambda m: lambda x: x.squeeze()),
    "squeeze_dim": ([(1, 3, 1, 2)], lambda m: lambda x: x.squeeze(2)),
    "squeeze_non1": ([(1, 3, 1, 2)], lambda m: lambda x: x.squeeze(1)),
    "squeeze_tuple": ([(1, 3, 1, 2)], lambda m: lambda x: x.squeeze((0, -2))),
    "unsqueeze": ([(3, 2)], lambda m: lambda x: x.unsqueeze(-1)),
    "unsqueeze_0": ([(3, 2)], lambda m: lambda x: m.unsqueeze(x, 1)),
    "permute": ([(2, 3, 4)], lambda m: lambda x: x.permute(2, 0, 1)),
    "permute_tuple": ([(2, 3, 4)], lambda m: lambda x: m.permute(x, (1, -1, 0))),
    "transpose": ([(2, 3, 4)], lambda m: lambda x: x.transpose(0, 2)),
    "transpose_same": ([(2, 3)], lambda m: lambda x: x.transpose(1, 1)),
    "swapaxes": ([(2, 3, 4)], lambda m: lambda x: m.swapaxes(x, 1, -1)),
    "t": ([(2, 3)], lambda m: lambda x: x.t()),
    "t_1d": ([(3,)], lambda m: lambda x: m.t(x)),
    "T": ([(2, 3, 4)], lambda m: lambda x: x.permute(2, 1, 0)),
    "expand": ([(3, 1)], lambda m: lambda x: x.expand(2, 3, 4)),
    "expand_-1": ([(3, 1)], lambda m: lambda x: x.expand(-1, 5)),
    "expand_as": ([(1, 4), (3, 4)], lambda m: lambda x, y: x.expand_as(y) * y),
    "broadcast_to": ([(4,)], lambda m: lambda x: m.broadcast_to(x, (2, 3, 4))),
    "expand_empty": ([(1, 3)], lambda m: lambda x: x.expand(0, 3)),
    "repeat": ([(2, 3)], lambda m: lambda x: x.repeat(2, 3)),
    "repeat_lead": ([(2, 3)], lambda m: lambda x: x.repeat(2, 1, 2)),
    "repeat_zero": ([(2, 3)], lambda m: lambda x: x.repeat(0, 2)),
    "tile": ([(2, 3)], lambda m: lambda x: m.tile(x, (2,))),
    "tile_more": ([(3,)], lambda m: lambda x: x.tile((2, 2))),
    "cat0": ([(2, 3), (4, 3)], lambda m: lambda x, y: m.cat([x, y])),
    "cat1": ([(2, 3), (2, 1), (2, 0)], lambda m: lambda x, y, z: m.cat((x, y, z), dim=-1)),
    "cat_legacy_empty": ([(2, 3), (0,)], lambda m: lambda x, y: m.cat([x, y, x], 1)),
    "concat": ([(2, 3), (2, 3)], lambda m: lambda x, y: m.concat([x, y], dim=1)),
    "stack": ([(2, 3), (2, 3)], lambda m: lambda x, y: m.stack([x, y])),
    "stack_last": ([(2, 3), (2, 3)], lambda m: lambda x, y: m.stack([x, y, x], dim=-1)),
    "stack_0d": ([(), ()], lambda m: lambda x, y: m.stack([x, y])),
    "hstack": ([(2, 3), (2, 1)], lambda m: lambda x, y: m.hstack([x, y])),
    "vstack": ([(3,), (2, 3)], lambda m: lambda x, y: m.vstack([x, y])),
    "split_int": ([(5, 2)], lambda m: lambda x: x.split(2)),
    "split_list": ([(2, 6)], lambda m: lambda x: m.split(x, [1, 0, 5], dim=1)),
    "split_empty": ([(0, 3)], lambda m: lambda x: x.split(2)),
    "chunk": ([(5, 2)], lambda m: lambda x: x.chunk(3)),
    "chunk_few": ([(5, 3)], lambda m: lambda x: m.chunk(x, 4, dim=0)),
    "chunk_dim": ([(2, 7)], lambda m: lambda x: x.chunk(2, dim=-1)),
    "unbind": ([(3, 2)], lambda m: lambda x: x.unbind()),
    "unbind_1": ([(3, 2, 4)], lambda m: lambda x: m.unbind(x, 1)),
    "flip": ([(2, 3, 4)], lambda m: lambda x: x.flip(0, 2)),
    "flip_list": ([(2, 3)], lambda m: lambda x: m.flip(x, [-1])),
    "fliplr": ([(2, 3)], lambda m: lambda x: m.fliplr(x)),
    "roll": ([(2, 3, 4)], lambda m: lambda x: x.roll(1, 2)),
    "roll_multi": ([(2, 3, 4)], lambda m: lambda x: m.roll(x, (1, -2), (0, 2))),
    "roll_flat": ([(2, 3)], lambda m: lambda x: x.roll(4)),
    "narrow": ([(4, 5)], lambda m: lambda x: x.narrow(1, 1, 3)),
    "narrow_neg": ([(4, 5)], lambda m: lambda x: m.narrow(x, 0, -2, 2)),
    "narrow_empty": ([(4, 5)], lambda m: lambda x: x.narrow(1, 5, 0)),
    "select": ([(4, 5)], lambda m: lambda x: x.select(1, -1)),
    "movedim": ([(2, 3, 4)], lambda m: lambda x: x.movedim(0, -1)),
    "movedim_multi": ([(2, 3, 4, 5)], lambda m: lambda x: m.movedim(x, (0, 1), (3, 1))),
    "moveaxis": ([(2, 3, 4)], lambda m: lambda x: m.moveaxis(x, 2, 0)),
    "contiguous": ([(2, 3)], lambda m: lambda x: x.t().contiguous()),
}


@pytest.mark.parametrize("name", list(CASES))
def test_parity(name):
    shapes, f = CASES[name]
    arrays = [rand(*s, seed=i + 1) for i, s in enumerate(shapes)]
    compare(f(sj), f(torch), *arrays)


@pytest.mark.parametrize("name", [n for n, (s, _) in CASES.items()
                                  if all(np.prod(x) > 0 for x in s)])
def test_gradcheck(name):
    shapes, f = CASES[name]
    check_grad(f(sj), *[rand(*s, seed=i + 3) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("shape", [(1,), (5,), (1, 1), (3, 1, 4), (0, 2)])
@pytest.mark.parametrize("op", ["flatten", "squeeze", "unsqueeze", "flip", "T", "expand",
                                "repeat", "roll"])
def test_small_and_empty_shapes(shape, op):
    fs = {"flatten": lambda m: lambda x: x.flatten(), "squeeze": lambda m: lambda x: x.squeeze(),
          "unsqueeze": lambda m: lambda x: x.unsqueeze(0), "flip": lambda m: lambda x: x.flip(0),
          "T": lambda m: lambda x: x.permute(*reversed(range(x.ndim))),
          "expand": lambda m: lambda x: x.expand(2, *x.shape),
          "repeat": lambda m: lambda x: x.repeat(*([2] * x.ndim)),
          "roll": lambda m: lambda x: x.roll(1, 0)}
    compare(fs[op](sj), fs[op](torch), rand(*shape, seed=9))


def test_cat_dtype_promotion_and_int_grad():
    a = rand(2, 2)
    i = np.arange(4, dtype=np.int64).reshape(2, 2)
    compare(lambda a, i: sj.cat([a, i]), lambda a, i: torch.cat([a, i]), a, i)
    out = sj.cat([sj.tensor(i), sj.tensor(i.astype(np.int32))])
    assert out.dtype == sj.int64


def test_split_outputs_used_twice_accumulate():
    def f(m):
        def g(x):
            a, b = x.split([2, 1], dim=1)
            c, d = x.chunk(2)
            return a * b + a, c * d + c[:, :1]
        return g
    compare(f(sj), f(torch), rand(4, 3))


def test_view_shares_memory_and_t_dims():
    x = sj.zeros(2, 3)
    v = x.view(6)
    v._data[0] = 5.0
    assert x[0, 0].item() == 5.0
    assert sj.Tensor.T.fget(sj.zeros(2, 3, 4)).shape == (4, 3, 2)
    assert sj.zeros(2, 3).view(sj.int32).dtype == sj.int32


def test_flip_is_a_copy():
    x = sj.arange(4.0)
    y = x.flip(0)
    y._data[0] = 100.0
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0]


ERRORS = [
    (lambda m: m.zeros(2, 3).view(4, 2),
     RuntimeError, "shape '[4, 2]' is invalid for input of size 6"),
    (lambda m: m.zeros(2, 3).reshape(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (lambda m: m.zeros(2, 3).reshape(4, -1), RuntimeError, "shape '[4, -1]' is invalid"),
    (lambda m: m.zeros(0, 3).view(-1, 0), RuntimeError, "ambiguous"),
    (lambda m: m.zeros(2, 3).flatten(1, 0), RuntimeError, "start_dim cannot come after end_dim"),
    (lambda m: m.zeros(2, 3).unflatten(1, (2, 2)), RuntimeError, "don't multiply up"),
    (lambda m: m.zeros(2, 3).squeeze(2), IndexError, "Dimension out of range"),
    (lambda m: m.zeros(2, 3).unsqueeze(3), IndexError, "Dimension out of range"),
    (lambda m: m.zeros(2, 3).permute(0),
     RuntimeError, "input.dim() = 2 is not equal to len(dims) = 1"),
    (lambda m: m.zeros(2, 3).permute(0, 0), RuntimeError, "duplicate dims are not allowed"),
    (lambda m: m.zeros(2, 3, 4).t(), RuntimeError, "t() expects a tensor with <= 2 dimensions"),
    (lambda m: m.zeros(2, 3).expand(2, 4), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
     "dimension 1"),
    (lambda m: m.zeros(2, 3).expand(3), RuntimeError, "must be greater or equal to the number"),
    (lambda m: m.zeros(2, 3).expand(-1, 2, 3), RuntimeError, "leading, non-existing dimension 0"),
    (lambda m: m.zeros(2, 3).repeat(2), RuntimeError, "can not be smaller than number"),
    (lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 4)]), RuntimeError,
     "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for "
     "tensor number 1 in the list."),
    (lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 3, 1)]), RuntimeError,
     "Tensors must have same number of dimensions: got 2 and 3"),
    (lambda m: m.cat([m.zeros(()), m.zeros(2)]),
     RuntimeError, "zero-dimensional tensor (at position 0)"),
    (lambda m: m.cat([]), ValueError, "expected a non-empty list of Tensors"),
    (lambda m: m.cat([m.zeros(2, 3)], dim=2), IndexError, "Dimension out of range"),
    (lambda m: m.stack([m.zeros(2, 3), m.zeros(2, 4)]), RuntimeError,
     "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1"),
    (lambda m: m.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (lambda m: m.zeros(2, 3).split([1, 2]),
     RuntimeError, "split_with_sizes expects split_sizes to sum"),
    (lambda m: m.zeros(2, 3).split(0, 1), RuntimeError, "split_size can only be 0"),
    (lambda m: m.zeros(2, 3).chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0"),
    (lambda m: m.zeros(2, 3).narrow(1, 2, 4),
     RuntimeError, "start (2) + length (4) exceeds dimension size (3)."),
    (lambda m: m.zeros(2, 3).narrow(1, 4, 0), IndexError, "start out of range"),
    (lambda m: m.zeros(2, 3).movedim((0, 1), (1,)),
     RuntimeError, "should contain the same number of dims"),
    (lambda m: m.zeros(2, 3).roll((1, 2), (0,)), RuntimeError, "shifts and dimensions must align"),
    (lambda m: m.zeros(2, 3).flip(0, 0), RuntimeError, "dim 0 appears multiple times"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_match_torch(k):
    f, err, msg = ERRORS[k]
    with pytest.raises(err) as ours:
        f(sj)
    with pytest.raises(err) as theirs:
        f(torch)
    assert msg in str(ours.value), str(ours.value)
    assert msg in str(theirs.value), str(theirs.value)  # the oracle says the same


def test_no_grad_records_nothing():
    x = sj.ones(2, 3, requires_grad=True)
    with sj.no_grad():
        y = x.reshape(3, 2).t().expand(2, 2, 3)
    assert y.grad_fn is None and not y.requires_grad
    z = x.permute(1, 0)
    assert z.requires_grad and z.grad_fn is not None
