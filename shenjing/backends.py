"""``shenjing.backends``: PyTorch's ``torch.backends`` switches, and our kernel choices.

>>> import shenjing as torch
>>> torch.backends.cudnn.benchmark = True  # accepted; no cuDNN on this build
>>> torch.backends.mps.is_available()
False
>>> torch.backends.winograd.enabled  # Winograd F(4x4, 3x3) for deep 3x3 convs
True
"""
from .backend.flags import cuda, cudnn, mkldnn, mps, winograd

__all__ = ["cuda", "cudnn", "mkldnn", "mps", "winograd"]
