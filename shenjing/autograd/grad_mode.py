"""Grad mode: whether new ops record themselves on the tape."""
from __future__ import annotations

import functools
from typing import Any, Callable


class _State:
    enabled = True


state = _State()


def is_grad_enabled() -> bool:
    return state.enabled


class set_grad_enabled:
    """Turn recording on or off; usable as a call, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        state.enabled = self.prev
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*a: Any, **k: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*a, **k)

        return wrapper


class _Mode:
    mode = True

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*a: Any, **k: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*a, **k)

        return wrapper


class no_grad(_Mode):
    """Context manager / decorator: ops inside record nothing (inference pays no tape)."""

    mode = False


class enable_grad(_Mode):
    """Context manager / decorator: recording on, even inside ``no_grad``."""

    mode = True


class inference_mode(no_grad):
    def __init__(self, mode: bool = True) -> None:
        self.mode = not mode
