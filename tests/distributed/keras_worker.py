"""Run under mpiexec (or alone): a Keras-face fit whose final weights go to OUT_DIR/w<world>.npz.

World 2 with batch 16 per rank and world 1 with batch 32 see the same samples per step (the
sampler deals sample i to rank i % 2), so their weights must match to float32 rounding.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import shenjing  # noqa: E402
from shenjing import distributed as dist, keras  # noqa: E402

dist.init()
world = dist.get_world_size()
rng = np.random.default_rng(0)
x = rng.standard_normal((128, 6)).astype(np.float32)
y = (x[:, 0] - x[:, 1] > 0).astype(np.int64)
shenjing.manual_seed(1 + dist.get_rank())  # different init per rank: fit must broadcast rank 0's
model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(2)])
model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
hist = model.fit(x, y, batch_size=32 // world, epochs=3, shuffle=False, verbose=2)
if dist.is_main_process():
    np.savez(os.path.join(sys.argv[1], f"w{world}.npz"), *model.get_weights())
    print("final loss", hist.history["loss"][-1])
