"""shenjing.backends: PyTorch's flag namespaces accepted as PyTorch accepts them, and the
Winograd switch."""
import pytest
import torch

import shenjing as sj


def test_pytorch_tutorial_lines_run():
    """Lines tutorials write before training: accepted, and read back like PyTorch's."""
    before = (sj.backends.cudnn.benchmark, sj.backends.cudnn.deterministic)
    try:
        sj.backends.cudnn.benchmark = True
        sj.backends.cudnn.deterministic = True
        sj.backends.cuda.matmul.allow_tf32 = True
        assert sj.backends.cudnn.benchmark is True and sj.backends.cudnn.deterministic is True
        assert sj.backends.cuda.matmul.allow_tf32 is True
    finally:
        sj.backends.cudnn.benchmark, sj.backends.cudnn.deterministic = before
        sj.backends.cuda.matmul.allow_tf32 = False
    # this CPU build of PyTorch has no MPS either; cuDNN/mkldnn are PyTorch's own kernels
    assert sj.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert sj.backends.cudnn.is_available() is False
    assert sj.backends.mkldnn.is_available() is False
    assert sj.backends.cuda.is_built() is False
    assert sj.backends.cudnn.enabled is torch.backends.cudnn.enabled


def test_defaults_match_pytorch():
    assert sj.backends.cudnn.benchmark is torch.backends.cudnn.benchmark
    assert sj.backends.cudnn.deterministic is torch.backends.cudnn.deterministic
    assert sj.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32
    assert sj.backends.winograd.enabled is True


def test_bad_flag_and_value_say_so():
    with pytest.raises(AttributeError, match=r"backends.cudnn has no flag 'benchmarks'"):
        sj.backends.cudnn.benchmarks = True
    with pytest.raises(TypeError, match=r"backends.winograd.enabled must be a bool, got int"):
        sj.backends.winograd.enabled = 0
    assert sj.backends.winograd.enabled is True
    assert "winograd(enabled=True)" in repr(sj.backends.winograd)
