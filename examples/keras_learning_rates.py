"""Seed 001: a Keras Dense network on three classes (cat / dog / panda), learning rates compared.

The seed flattens small animal images, one-hot encodes the labels with ``to_categorical`` and
trains Dense layers (TruncatedNormal init, L2 regularization, Dropout, BatchNormalization) with
SGD at learning rates 0.001 and 0.01, then compares their loss and accuracy curves. Here the
images are replaced by generated arrays of the same kind (three noisy class prototypes), so
the program needs no download. Both runs start from the same seed; both curves go into one PNG.
Run: python examples/keras_learning_rates.py [--epochs 25] [--out keras_learning_rates.png]
"""
from __future__ import annotations

import argparse

import numpy as np

import shenjing
from shenjing import keras
from shenjing.keras import layers

CLASSES = ("cat", "dog", "panda")


def make_data(n: int = 600, side: int = 16, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Flattened side x side x 3 'images' in [0, 1]: a class prototype plus heavy noise."""
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(0, 1, (len(CLASSES), side * side * 3))
    labels = rng.integers(0, len(CLASSES), n)
    x = 0.35 * prototypes[labels] + 0.65 * rng.uniform(0, 1, (n, side * side * 3))
    return x.astype(np.float32), labels


def build_model(input_dim: int) -> keras.Sequential:
    """The seed's Dense stack: 3072-1024-512-3 scaled down to input-128-64-3."""
    init = keras.initializers.TruncatedNormal(mean=0.0, stddev=0.01)
    return keras.Sequential([
        keras.Input(shape=(input_dim,)),
        layers.Dense(128, activation="relu", kernel_initializer=init,
                     kernel_regularizer=keras.regularizers.l2(0.0005)),
        layers.BatchNormalization(),
        layers.Dropout(0.3),
        layers.Dense(64, activation="relu", kernel_initializer=init,
                     kernel_regularizer=keras.regularizers.l2(0.0005)),
        layers.Dense(len(CLASSES), activation="softmax", kernel_initializer=init),
    ])


def train(lr: float, epochs: int, x: np.ndarray, y: np.ndarray, verbose: int = 0):
    shenjing.manual_seed(1)
    model = build_model(x.shape[1])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, batch_size=32, epochs=epochs, validation_split=0.25,
                     verbose=verbose)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--out", default="keras_learning_rates.png")
    args = ap.parse_args(argv)
    x, labels = make_data()
    y = keras.utils.to_categorical(labels, num_classes=len(CLASSES))
    histories = {}
    for lr in (0.001, 0.01):
        h = train(lr, args.epochs, x, y)
        histories[f"lr={lr}"] = h
        print(f"lr={lr}: final loss {h.history['loss'][-1]:.4f} "
              f"accuracy {h.history['accuracy'][-1]:.3f} "
              f"val_loss {h.history['val_loss'][-1]:.4f} "
              f"val_accuracy {h.history['val_accuracy'][-1]:.3f}")
    keras.utils.plot_histories(histories, args.out, keys=["loss", "accuracy"],
                               title="SGD learning rate:")
    print(f"curves written to {args.out}")
    return histories


if __name__ == "__main__":
    main()
