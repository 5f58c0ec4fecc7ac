"""Seed 002, 4.3: the CIFAR-10 CNN with the Keras face, `from shenjing import keras`.

The seed's model unchanged (Conv2D 32/64/128 + MaxPooling2D, Flatten, Dense 128, Dense 10
softmax; adam, sparse categorical cross-entropy, accuracy). No data set can be downloaded
here, so it trains on generated CIFAR-shaped arrays: (N, 32, 32, 3) uint8 images and (N, 1)
uint8 labels like cifar10.load_data(), where class k puts a coloured blob in cell k.
Run: python examples/keras_cifar_cnn.py [--epochs 2 --n-train 1024]
"""
from __future__ import annotations

import argparse

import numpy as np

from shenjing import keras
from shenjing.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from shenjing.keras.models import Sequential


def generated_cifar10(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10-shaped (n, 32, 32, 3) uint8 images and (n, 1) labels that can be learned."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, (n, 1)).astype(np.uint8)
    x = rng.normal(100, 30, (n, 32, 32, 3))
    for k in range(10):
        r, c = divmod(k, 4)
        rows = y[:, 0] == k
        x[rows, r * 10 + 2:r * 10 + 10, c * 8:c * 8 + 8, k % 3] += 120
    return np.clip(x, 0, 255).astype(np.uint8), y


def main(epochs: int = 2, n_train: int = 1024, n_test: int = 256, batch_size: int = 64,
         verbose: int = 2, seed: int = 0) -> float:
    np.random.seed(seed)
    (X_train, Y_train), (X_test, Y_test) = generated_cifar10(n_train, seed), \
        generated_cifar10(n_test, seed + 1)

    X_train = X_train.astype("float32") / 255
    X_test = X_test.astype("float32") / 255

    model = Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Conv2D(128, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(128, activation="relu"),
        Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X_train, Y_train, epochs=epochs, batch_size=batch_size, verbose=verbose)

    test_loss, test_acc = model.evaluate(X_test, Y_test, verbose=0)
    print(f"test accuracy {test_acc:.3f} (chance 0.1), test loss {test_loss:.4f}")
    return float(test_acc)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--n-train", type=int, default=1024)
    args = ap.parse_args()
    keras.backend.clear_session()
    main(args.epochs, args.n_train)
