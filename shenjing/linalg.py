"""``shenjing.linalg``: PyTorch's ``torch.linalg`` namespace (inv, det, slogdet, solve,
matrix_power, vector_norm, matrix_norm, norm, svdvals); the ops live in ops/linalg_fn.py."""
from .ops.linalg_fn import (  # noqa: F401  (the namespace)
    det, inv, matrix_norm, matrix_power, norm, slogdet, solve, svdvals, vector_norm,
)
