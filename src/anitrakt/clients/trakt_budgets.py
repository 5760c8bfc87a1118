"""Trakt's three rate-limit budgets, each paced in its own window (docs/sync.md §6).

`TraktBudgets` picks the window a request uses and says when the next write or catalog
read could go, so the sync pipeline can overlap reads and writes (docs/sync.md §3a).
"""

from __future__ import annotations

from collections.abc import Callable

from anitrakt.clients.timing import MinInterval, SlidingWindow
from anitrakt.clock import Clock

# Trakt's three budgets (trakt/trakt-api `projects/developer/src/lib/guides/rate-limiting.md`,
# updated 2026-10-07, "Current limits"), each paced in its own window:
# AUTHED_API_POST_LIMIT: POST, PUT and DELETE, 1 call per second per user. Every write
# waits until a second has passed since the previous one.
WRITE_INTERVAL_SECONDS = 1.0
# AUTHED_API_GET_LIMIT: GETs carrying the user's token, 500 calls every 5 minutes per user
# (the 2023 apiary excerpt still says 1000).
GET_LIMIT = 500
GET_PERIOD_SECONDS = 300.0
# UNAUTHED_API_GET_LIMIT: GETs without a token, 500 calls every 5 minutes per client id
# and public IP — "the bucket depends on whether the request is authenticated, even when
# the endpoint is public". The catalog reads (search, shows, seasons) go without the token
# in this window; the same guide allows sending the user's token on a public endpoint
# ("uses the user's AUTHED_API_GET_LIMIT bucket"), so once this window is full a catalog
# read borrows the user's window instead, as long as USER_GET_RESERVE of it stays free.
PUBLIC_GET_LIMIT = 500
PUBLIC_GET_PERIOD_SECONDS = 300.0
# User GETs a catalog read never takes: the watched-state pages a run must read (again
# after an unclear write) and /users/settings stay possible without waiting a window.
USER_GET_RESERVE = 50


class TraktBudgets:
    """The write interval and the two GET windows of one client."""

    def __init__(self, clock: Clock, has_token: Callable[[], bool]) -> None:
        self._clock = clock
        self._has_token = has_token
        self.writes = MinInterval(WRITE_INTERVAL_SECONDS, clock)
        self.user_reads = SlidingWindow(GET_LIMIT, GET_PERIOD_SECONDS, clock)
        self.public_reads = SlidingWindow(PUBLIC_GET_LIMIT, PUBLIC_GET_PERIOD_SECONDS, clock)

    def for_request(
        self, method: str, authenticated: bool
    ) -> tuple[MinInterval | SlidingWindow, bool]:
        """The window a request uses, and whether it carries the token to use it."""
        if method.upper() != "GET":
            return self.writes, authenticated
        if authenticated:
            return self.user_reads, True
        public = self.public_reads.ready_at()
        if public <= self._clock.monotonic() or not self._has_token():
            return self.public_reads, False
        if self.user_reads.ready_at(keep=USER_GET_RESERVE) < public:
            return self.user_reads, True
        return self.public_reads, False

    def next_write_at(self) -> float:
        """The monotonic moment a write could go without waiting."""
        return self.writes.ready_at()

    def next_catalog_read_at(self) -> float:
        """The monotonic moment a catalog read (e.g. a show's seasons) could go."""
        public = self.public_reads.ready_at()
        if not self._has_token():
            return public
        return min(public, self.user_reads.ready_at(keep=USER_GET_RESERVE))
