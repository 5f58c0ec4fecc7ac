"""Seed 002, 4.2: logistic regression with the Keras face, `from shenjing import keras`.

Points in the unit square labelled 1 above the line x0 + x1 = 1. The seed's Dense(1) has no
activation, so binary cross-entropy would read raw scores as clipped probabilities and stall;
here the unit is a sigmoid, which is what logistic regression means.
Run: python examples/keras_logistic_regression.py [--epochs 300]
"""
from __future__ import annotations

import argparse

import numpy as np

from shenjing import keras


def main(epochs: int = 300, verbose: int = 0, seed: int = 0) -> tuple[float, float]:
    np.random.seed(seed)
    X = np.random.rand(100, 2)
    Y = np.where(X[:, 0] + X[:, 1] > 1, 1, 0)

    model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(2,))])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(X, Y, epochs=epochs, verbose=verbose)

    X_new = np.array([[0.3, 0.7], [0.9, 0.8], [0.1, 0.2]])
    Y_pred = model.predict(X_new, verbose=0)
    loss, acc = model.evaluate(X, Y, verbose=0)
    print(f"training accuracy {acc:.3f}, loss {loss:.4f}")
    for x, p in zip(X_new, Y_pred[:, 0]):
        print(f"P(y=1 | x={x.tolist()}) = {p:.3f}")
    return float(acc), float(Y_pred[1, 0])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--verbose", type=int, default=0)
    args = ap.parse_args()
    main(args.epochs, verbose=args.verbose)
