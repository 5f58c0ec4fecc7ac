"""A terminal progress bar: steps, ETA and running metrics, redrawn in place."""
from __future__ import annotations

import sys
import time
from typing import IO


class ProgressBar:
    """``[=====>....] 12/40 - ETA 3s - loss: 0.4123 - acc: 0.9012`` on one line per epoch."""

    def __init__(self, total: int, prefix: str = "", width: int = 30, stream: IO | None = None,
                 enabled: bool = True) -> None:
        self.total, self.prefix, self.width = total, prefix, width
        self.stream = stream or sys.stdout
        self.enabled = enabled
        self.start = time.perf_counter()
        self._last = 0.0
        self.interactive = getattr(self.stream, "isatty", lambda: False)()

    def update(self, step: int, **metrics: float) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if step < self.total and now - self._last < 0.1:
            return
        self._last = now
        elapsed = now - self.start
        done = int(self.width * step / max(self.total, 1))
        bar = "=" * max(done - 1, 0) + (">" if step < self.total else "=") + "." * (self.width - done)
        eta = elapsed / max(step, 1) * (self.total - step)
        timing = f"ETA {eta:.0f}s" if step < self.total else f"{elapsed:.1f}s"
        stats = "".join(f" - {k}: {v:.4f}" for k, v in metrics.items())
        line = f"{self.prefix}[{bar[:self.width]}] {step}/{self.total} - {timing}{stats}"
        if self.interactive:
            self.stream.write("\r" + line)
            if step >= self.total:
                self.stream.write("\n")
        elif step >= self.total:
            self.stream.write(line + "\n")
        self.stream.flush()
