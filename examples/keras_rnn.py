"""Seed 002, 4.4: the RNN with the Keras face, `from shenjing import keras`.

The seed's model unchanged: Embedding(2, 16), SimpleRNN(16), Dense(1, sigmoid), adam, binary
cross-entropy. The seed feeds random floats in [0, 1) to the embedding (which Keras truncates
to token 0) with random labels, so nothing can be learned; here the 100 sequences of 10 steps
hold tokens 0/1 and the label says whether token 1 is the majority, which an RNN can count.
Run: python examples/keras_rnn.py [--epochs 60]
"""
from __future__ import annotations

import argparse

import numpy as np

from shenjing import keras


def main(epochs: int = 60, n: int = 100, verbose: int = 0, seed: int = 0) -> float:
    np.random.seed(seed)
    X = np.random.randint(0, 2, (n, 10))
    Y = (X.sum(axis=1, keepdims=True) > 5).astype("float32")

    model = keras.Sequential([
        keras.layers.Embedding(2, 16),
        keras.layers.SimpleRNN(16),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, epochs=epochs, batch_size=16, verbose=verbose)

    X_new = np.array([[1, 1, 1, 0, 1, 1, 0, 1, 1, 1], [0, 0, 1, 0, 0, 0, 1, 0, 0, 0]])
    probs = model.predict(X_new, verbose=0)[:, 0]
    loss, acc = model.evaluate(X, Y, verbose=0)
    print(f"training accuracy {acc:.3f}, loss {loss:.4f}")
    print(f"P(majority of ones) for a mostly-ones sequence {probs[0]:.3f}, "
          f"a mostly-zeros one {probs[1]:.3f}")
    return float(acc)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--verbose", type=int, default=0)
    args = ap.parse_args()
    main(args.epochs, verbose=args.verbose)
