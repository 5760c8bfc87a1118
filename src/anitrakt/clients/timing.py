"""The two pacing shapes the upstreams need, on an injected clock (anitrakt.clock).

Besides blocking (`acquire`), each says when it would next let a call through
(`ready_at`), so a caller with work for several budgets can do first whatever is
allowed first (the sync pipeline overlaps Trakt reads and writes that way).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Protocol

from anitrakt.clock import Clock

# Told (seconds, reason) just before a client waits: a pacing wait or a retry's backoff.
# The sync sets it to report rate-limit waits as such (`usecases.sync.report.SyncDeps`).
WaitHook = Callable[[float, str], None]
PACING_REASON = "staying under its rate limit"


class Pacer(Protocol):
    def acquire(self) -> None:
        """Block (on the injected clock) until one more request is allowed."""


class MinInterval:
    """At most one call per `interval` seconds (Trakt writes: 1 per second)."""

    def __init__(self, interval: float, clock: Clock) -> None:
        self.interval = interval
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()
        self.on_wait: WaitHook | None = None

    def acquire(self) -> None:
        with self._lock:
            now = self._clock.monotonic()
            if self._last is not None:
                wait = self._last + self.interval - now
                if wait > 0:
                    if self.on_wait is not None:
                        self.on_wait(wait, PACING_REASON)
                    self._clock.sleep(wait)
                    now = self._clock.monotonic()
            self._last = now

    def ready_at(self) -> float:
        """The monotonic moment `acquire` would return without waiting."""
        with self._lock:
            now = self._clock.monotonic()
            return now if self._last is None else max(now, self._last + self.interval)


class SlidingWindow:
    """At most `limit` calls in any `period` seconds (Trakt GETs, AniList's minute budget)."""

    def __init__(self, limit: int, period: float, clock: Clock) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()
        self.on_wait: WaitHook | None = None

    def acquire(self) -> None:
        with self._lock:
            now = self._clock.monotonic()
            while self._calls and self._calls[0] <= now - self.period:
                self._calls.popleft()
            if len(self._calls) >= self.limit:
                wait = self._calls[0] + self.period - now
                if wait > 0:
                    if self.on_wait is not None:
                        self.on_wait(wait, PACING_REASON)
                    self._clock.sleep(wait)
                now = self._clock.monotonic()
                while self._calls and self._calls[0] <= now - self.period:
                    self._calls.popleft()
            self._calls.append(now)

    def ready_at(self, keep: int = 0) -> float:
        """The monotonic moment a call would fit with `keep` more still free afterwards."""
        with self._lock:
            now = self._clock.monotonic()
            while self._calls and self._calls[0] <= now - self.period:
                self._calls.popleft()
            allowed = self.limit - keep
            if allowed <= 0:
                return float("inf")
            over = len(self._calls) - allowed
            if over < 0:
                return now
            return max(now, self._calls[over] + self.period)

    def pause_until(self, moment: float) -> None:
        """Treat the window as full until `moment` (monotonic), e.g. after 'remaining: 0'."""
        with self._lock:
            self._calls.clear()
            start = moment - self.period
            self._calls.extend([start] * self.limit)
