"""A clock for tests: time moves only when slept on or advanced."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from anitrakt.clock import SystemClock

if TYPE_CHECKING:  # the benchmarks import this module too, and need no pytest (3.8 MB)
    import pytest


class ManualClock:
    """A clock that moves only when slept on or advanced; records every sleep."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if seconds > 0:
                self._now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class _Skipped:
    """Virtual time added to the system clock: sleeps return at once but still pass."""

    seconds = 0.0


def skip_real_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the real clock's sleeps return at once while time still moves on by them.

    For apps built by `create_app`, whose clients retry with back-off on the system
    clock: a test of what a run reports after its retries need not wait them out.
    """
    skipped = _Skipped()

    def sleep(_self: SystemClock, seconds: float) -> None:
        skipped.seconds += max(seconds, 0.0)

    real_monotonic, real_time = SystemClock.monotonic, SystemClock.time
    monkeypatch.setattr(SystemClock, "sleep", sleep)
    monkeypatch.setattr(SystemClock, "monotonic", lambda s: real_monotonic(s) + skipped.seconds)
    monkeypatch.setattr(SystemClock, "time", lambda s: real_time(s) + skipped.seconds)
