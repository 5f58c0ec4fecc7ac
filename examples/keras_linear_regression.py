"""Seed 002, 4.1: linear regression with the Keras face, `from shenjing import keras`.

y = 2x + 1 plus a little noise; one Dense(1) unit trained by SGD on mean squared error
recovers slope 2 and intercept 1. (The seed adds unit-variance noise to only 100 points,
which leaves the fit about 0.3 off; the noise here is small so the result is checkable.)
Run: python examples/keras_linear_regression.py [--epochs 1000]
"""
from __future__ import annotations

import argparse

import numpy as np

from shenjing import keras


def main(epochs: int = 1000, noise: float = 0.05, verbose: int = 0,
         seed: int = 0) -> tuple[float, float, float]:
    np.random.seed(seed)
    X = np.random.rand(100, 1)
    Y = 2 * X + 1 + noise * np.random.randn(100, 1)

    model = keras.Sequential([keras.layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mean_squared_error")
    model.fit(X, Y, epochs=epochs, verbose=verbose)

    X_new = np.array([[0.5]])
    Y_pred = model.predict(X_new, verbose=0)
    kernel, bias = model.get_weights()
    slope, intercept = float(kernel[0, 0]), float(bias[0])
    print(f"learned y = {slope:.3f} x + {intercept:.3f}  (true: y = 2 x + 1)")
    print(f"prediction at x=0.5: {Y_pred[0, 0]:.3f}  (true: 2.0)")
    return slope, intercept, float(Y_pred[0, 0])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--verbose", type=int, default=0)
    args = ap.parse_args()
    main(args.epochs, verbose=args.verbose)
