"""Memory formats as PyTorch has them: contiguous_format, channels_last, preserve_format on
tensors and modules; values and gradients never change, only the memory order."""
import numpy as np
import pytest
import torch

import shenjing as sj
from helpers import compare, rand


def test_names_and_repr():
    assert repr(sj.channels_last) == "shenjing.channels_last"
    assert isinstance(sj.contiguous_format, sj.memory_format)
    assert sj.preserve_format is not sj.channels_last


@pytest.mark.parametrize("fmt", ["channels_last", "contiguous_format"])
def test_to_and_contiguous_match_torch(fmt):
    """Values, gradients and is_contiguous answers equal PyTorch's after a format change."""
    x = rand(2, 3, 4, 5, seed=1)
    ours, ref = sj.tensor(x), torch.tensor(x)
    for a, b in ((ours.to(memory_format=getattr(sj, fmt)),
                  ref.to(memory_format=getattr(torch, fmt))),
                 (ours.contiguous(memory_format=getattr(sj, fmt)),
                  ref.contiguous(memory_format=getattr(torch, fmt)))):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        for f in ("channels_last", "contiguous_format"):
            assert a.is_contiguous(memory_format=getattr(sj, f)) == \
                b.is_contiguous(memory_format=getattr(torch, f)), f
    compare(lambda t: t.to(memory_format=getattr(sj, fmt)) * 2,
            lambda t: t.to(memory_format=getattr(torch, fmt)) * 2, x)


def test_clone_preserves_memory_order_and_contiguous_copies():
    x = sj.tensor(rand(2, 3, 4, 5, seed=2)).to(memory_format=sj.channels_last)
    assert not x.is_contiguous() and x.is_contiguous(memory_format=sj.channels_last)
    assert x.clone().is_contiguous(memory_format=sj.channels_last)
    assert x.clone(memory_format=sj.contiguous_format).is_contiguous()
    c = x.contiguous()
    assert c.is_contiguous() and c is not x
    assert c.contiguous() is c
    np.testing.assert_array_equal(c.numpy(), x.numpy())


def test_conv_output_reports_channels_last_like_its_memory():
    y = sj.nn.functional.conv2d(sj.tensor(rand(2, 4, 6, 6, seed=3)),
                                sj.tensor(rand(5, 4, 3, 3, seed=4)), padding=1)
    assert y.is_contiguous(memory_format=sj.channels_last)


def test_module_to_channels_last():
    """model.to(memory_format=channels_last) relays out 4-D weights; outputs unchanged."""
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
                              torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 16, 2))
    ours = sj.nn.Sequential(sj.nn.Conv2d(3, 4, 3), sj.nn.BatchNorm2d(4), sj.nn.ReLU(),
                            sj.nn.Flatten(), sj.nn.Linear(4 * 16, 2))
    ours.load_state_dict({k: sj.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    assert ours.to(memory_format=sj.channels_last) is ours
    ref = ref.to(memory_format=torch.channels_last)
    assert ours[0].weight.is_contiguous(memory_format=sj.channels_last)
    assert ours[4].weight.is_contiguous()
    x = rand(2, 3, 6, 6, seed=5)
    compare(lambda t: ours(t.to(memory_format=sj.channels_last)),
            lambda t: ref(t.to(memory_format=torch.channels_last)), x, atol=2e-5)


def test_errors_name_the_rank_and_type():
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
        sj.ones(2, 3).contiguous(memory_format=sj.channels_last)
    with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d"):
        sj.ones(2, 3, 4, 5).to(memory_format=sj.channels_last_3d)
    with pytest.raises(TypeError, match="memory_format"):
        sj.ones(2, 3).is_contiguous(memory_format="channels_last")


def test_channels_last_weights_save_and_load_row_major(tmp_path):
    """Checkpoints hold values, not memory order: channels-last weights round-trip exactly
    and load back row-major."""
    m = sj.nn.Sequential(sj.nn.Conv2d(3, 4, 3), sj.nn.Flatten(), sj.nn.Linear(4 * 9, 2))
    m.to(memory_format=sj.channels_last)
    assert not m[0].weight.is_contiguous()
    sj.save(m.state_dict(), tmp_path / "m.pt")
    loaded = sj.load(tmp_path / "m.pt")
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(loaded[k].numpy(), v.numpy())
        assert loaded[k].is_contiguous()
