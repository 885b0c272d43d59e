"""A frozen stand-in for ``time.monotonic``, for tests of what the solver does as time passes."""

from __future__ import annotations


class FrozenClock:
    """Reads ``now``, which moves only when a test moves it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
