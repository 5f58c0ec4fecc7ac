"""Keras's progress bar: ``32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.3000``."""
from __future__ import annotations

import math
import sys
import time

import numpy as np

__all__ = ["Progbar"]


class Progbar:
    """Keras's bar: ``32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.3000``.

    verbose=1 redraws one line (at most every 0.05 s, only on a terminal; elsewhere it prints
    the finished line); verbose=2 prints one line per epoch.
    """

    width = 20

    def __init__(self, target: int | None, verbose: int = 1, unit_name: str = "step") -> None:
        self.target, self.verbose, self.unit_name = target, verbose, unit_name
        self.start = self.last = time.time()
        self.dynamic = hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
        self.prev_width = 0

    def due(self) -> bool:
        return self.verbose == 1 and self.dynamic and time.time() - self.last >= 0.05

    @staticmethod
    def _fmt_value(v: float) -> str:
        return f" {v:.4f}" if abs(v) > 1e-3 else f" {v:.4e}"

    def _per_unit(self, seconds: float) -> str:
        if seconds >= 1 or seconds == 0:
            return f"{seconds:.0f}s/{self.unit_name}"
        if seconds >= 1e-3:
            return f"{seconds * 1e3:.0f}ms/{self.unit_name}"
        return f"{seconds * 1e6:.0f}us/{self.unit_name}"

    def update(self, current: int, logs: dict | None = None, finalize: bool = False) -> None:
        now = time.time()
        self.last = now
        elapsed = now - self.start
        per = elapsed / max(current, 1)
        metrics = "".join(f" - {k}:{self._fmt_value(float(v))}" for k, v in (logs or {}).items()
                          if np.ndim(v) == 0)
        target = self.target or current
        digits = int(math.log10(max(target, 1))) + 1
        count = f"{current:{digits}d}/{target}"
        if self.verbose == 2:
            if finalize:
                sys.stdout.write(f"{count} - {elapsed:.0f}s - {self._per_unit(per)}{metrics}\n")
                sys.stdout.flush()
            return
        filled = int(self.width * current / max(target, 1))
        bar = "━" * filled + "━" * (self.width - filled)
        if finalize:
            timing = f"{elapsed:.0f}s {self._per_unit(per)}"
        else:
            eta = per * (target - current)
            timing = f"{eta:.0f}s {self._per_unit(per)}" if eta < 60 else \
                f"{int(eta // 60)}:{int(eta % 60):02d} {self._per_unit(per)}"
        line = f"{count} {bar} {timing}{metrics}"
        if self.dynamic:
            pad = " " * max(self.prev_width - len(line), 0)
            sys.stdout.write("\r" + line + pad + ("\n" if finalize else ""))
            self.prev_width = len(line)
        elif finalize:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
