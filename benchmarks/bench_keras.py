"""The Keras face against shenjing's own PyTorch face: one epoch of training, the same network.

Issue 6's bar: Keras-face training costs at most 1.1x the same network trained through the
PyTorch face. Here BOTH columns are shenjing: the "shenjing" slot runs ``model.fit(x, y,
batch_size=128, epochs=1, verbose=0, shuffle=True)`` of ``shenjing.keras``, the "torch" slot a
hand-written PyTorch-face loop in shenjing (DataLoader + nn.Sequential + Adam, summing the
batch losses as fit does for its History). So ratio = PyTorch-face time / Keras-face time and
the bar is ratio >= 1 / 1.1 = 0.91.

The CNN case is sensitive to glibc malloc returning freed memory to the OS: the Keras face's
extra layout copies (channels_last <-> NCHW) make the heap trim and re-fault pages each step.
Compare with MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ pinned to see the compute alone.
"""
from __future__ import annotations

import numpy as np

import shenjing
from harness import Workload
from shenjing import keras

N_MLP = 4096
N_CNN = 1024
BATCH = 128


def _data(n: int, shape: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, *shape)).astype(np.float32),
            rng.integers(0, 10, n).astype(np.int64))


def _keras_fit(layers: list, x: np.ndarray, y: np.ndarray):
    """One epoch of Keras-face fit: Adam, sparse categorical cross-entropy from logits."""
    shenjing.manual_seed(0)
    model = keras.Sequential([keras.Input(x.shape[1:]), *layers])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    def epoch():
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)

    return epoch


def _torch_face_loop(model: shenjing.nn.Module, x: np.ndarray, y: np.ndarray):
    """The same epoch written as a PyTorch tutorial loop, on shenjing."""
    from shenjing.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(shenjing.tensor(x), shenjing.tensor(y)),
                        batch_size=BATCH, shuffle=True)
    opt = shenjing.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = shenjing.nn.CrossEntropyLoss()

    def epoch():
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
        return total

    return epoch


def _mlp():
    x, y = _data(N_MLP, (784,))
    L = keras.layers
    k = _keras_fit([L.Dense(256, activation="relu"), L.Dense(128, activation="relu"),
                    L.Dense(10)], x, y)
    shenjing.manual_seed(0)
    nn = shenjing.nn
    t = _torch_face_loop(nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                                       nn.ReLU(), nn.Linear(128, 10)), x, y)
    return k, t


def _cnn():
    # Keras takes channels_last (N, 28, 28, 1); the PyTorch face NCHW (N, 1, 28, 28)
    x, y = _data(N_CNN, (28, 28, 1), seed=1)
    L = keras.layers
    k = _keras_fit([L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
                    L.Dense(10)], x, y)
    shenjing.manual_seed(0)
    nn = shenjing.nn
    t = _torch_face_loop(nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Flatten(), nn.Linear(32 * 13 * 13, 10)),
                         np.ascontiguousarray(x.transpose(0, 3, 1, 2)), y)
    return k, t


_NOTE = "both shenjing: torch column = PyTorch-face loop; bar ratio >= 0.91"
_MLP_K, _MLP_T = _mlp()
_CNN_K, _CNN_T = _cnn()

WORKLOADS = [
    Workload(f"Keras fit vs PyTorch-face loop: MLP 784-256-128-10, 1 epoch of {N_MLP} "
             f"(Adam, batch {BATCH})", _MLP_K, _MLP_T, unit="ms", note=_NOTE),
    Workload(f"Keras fit vs PyTorch-face loop: CNN Conv2D(32)-MaxPool-Dense, 1 epoch of "
             f"{N_CNN} 28x28 (Adam, batch {BATCH})", _CNN_K, _CNN_T, unit="ms", note=_NOTE),
]
