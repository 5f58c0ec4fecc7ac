"""Random numbers: shenjing's own seeded generator (not bitwise PyTorch's streams)."""
from __future__ import annotations

from typing import Any

import numpy as np


class Generator:
    """A seedable source of random numbers, like ``torch.Generator``."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._seed = 67280421310721
        self._rng = np.random.default_rng(self._seed)
        self._device_rngs: dict = {}  # GPU index -> cupy Generator, made on first use

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        self.manual_seed_devices(seed)
        return self

    def manual_seed_devices(self, seed: int) -> None:
        """Forget the GPU streams; each restarts from ``seed`` (+ its index) when next used."""
        self._device_seed = int(seed)
        self._device_rngs = {}

    def rng_like(self, array: Any) -> Any:
        """The stream for ``array``'s device: NumPy's for CPU arrays, CuPy's for GPU ones."""
        if type(array).__module__.startswith("cupy"):
            index = int(getattr(getattr(array, "device", None), "id", 0))
            rng = self._device_rngs.get(index)
            if rng is None:
                import cupy  # noqa: PLC0415

                with cupy.cuda.Device(index):
                    rng = cupy.random.default_rng(getattr(self, "_device_seed", self._seed)
                                                  + index)
                self._device_rngs[index] = rng
            return rng
        return self._rng

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self._rng.bit_generator.state = state

    @property
    def rng(self) -> np.random.Generator:
        return self._rng


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator; runs are then reproducible."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def rng_of(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator).rng


def rng_like(generator: Generator | None, array: Any) -> Any:
    """The random stream of ``generator`` (default: the global one) on ``array``'s device."""
    return (generator or default_generator).rng_like(array)
