"""AniList's rate limit: 90 requests a minute, counted in a fixed window.

docs/guide/rate-limiting.md: `X-RateLimit-Limit`/`-Remaining` on every answer, and past
the limit a 429 with `Retry-After` and `X-RateLimit-Reset`. The window runs on the
fake's injectable clock, so tests can cross it without sleeping.
"""

from __future__ import annotations

import math

from anitrakt.clock import Clock

# docs/guide/rate-limiting.md: 90 requests per minute, headers on every response.
NOMINAL_LIMIT = 90
RATE_WINDOW_SECONDS = 60.0


class RateLimiter:
    """The counting window; `FakeAniList.__init__` sets the attributes."""

    clock: Clock
    rate_limit: int
    # AniList documents X-RateLimit-Reset on 429s only; tests may ask for it earlier.
    reset_header_when_exhausted: bool
    _window_start: float | None
    _window_count: int

    def _count_request(self) -> tuple[dict[str, str], bool]:
        """Rate-limit headers for this request, and whether it is over the limit."""
        now = self.clock.time()
        if self._window_start is None or now >= self._window_start + RATE_WINDOW_SECONDS:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        reset = math.ceil(self._window_start + RATE_WINDOW_SECONDS)
        remaining = max(0, self.rate_limit - self._window_count)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(remaining),
        }
        over = self._window_count > self.rate_limit
        if over:
            headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
        if over or (remaining == 0 and self.reset_header_when_exhausted):
            headers["X-RateLimit-Reset"] = str(reset)
        return headers, over
