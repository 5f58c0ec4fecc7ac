"""``shenjing.special``: the part of PyTorch's ``torch.special`` namespace that shenjing has
(erf, erfc, erfinv, gammaln, digamma / psi, expit, logit, ndtr, log1p, expm1, exp2, xlogy,
logsumexp, softmax, log_softmax, round); the ops live in ops/ (mathfn.py, special_fn.py)."""
from __future__ import annotations

import math

from .autograd.tensor import Tensor
from .ops.activation import log_softmax, sigmoid as expit, softmax  # noqa: F401
from .ops.elementwise import expm1, log1p, round  # noqa: F401
from .ops.mathfn import (  # noqa: F401
    digamma, erf, erfc, erfinv, exp2, lgamma as gammaln, logit, xlogy,
)
from .ops.reduce import logsumexp  # noqa: F401

psi = digamma


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF, (1 + erf(x / sqrt 2)) / 2, as erfc(-x / sqrt 2) / 2 so that
    the lower tail keeps its relative accuracy."""
    return erfc(input * (-1 / math.sqrt(2))) * 0.5
