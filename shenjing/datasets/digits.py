"""The 8x8 handwritten digits bundled with scikit-learn: the default data set, no download."""
from __future__ import annotations

import numpy as np


def load_digits(seed: int = 0, val_fraction: float = 0.1,
                test_fraction: float = 0.2) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Digits split into train, val and test: images float32 in [0, 1] of shape (N, 64), labels int64.

    The split is stratified-free but seeded, so every run with the same seed sees the same data.
    """
    try:
        from sklearn.datasets import load_digits as _sk_digits  # noqa: PLC0415
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ImportError(
            "the digits data set ships with scikit-learn: pip install 'shenjing[digits]'") from e
    bunch = _sk_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = int(round(len(x) * test_fraction))
    n_val = int(round(len(x) * val_fraction))
    return {
        "test": (x[:n_test], y[:n_test]),
        "val": (x[n_test:n_test + n_val], y[n_test:n_test + n_val]),
        "train": (x[n_test + n_val:], y[n_test + n_val:]),
    }
