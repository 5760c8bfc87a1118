"""Failed sign-ins per client address: after a burst, that address waits (HTTP 429).

A failure is a wrong token at `/login` or a wrong `Authorization: Bearer` token.
`limit` failures within `window` seconds lock the address out for `window` seconds;
every attempt to authenticate from it meanwhile is answered 429 with `Retry-After`,
even one with the right token, and is not counted. Once the lock-out has passed the
address starts afresh. Requests that try no credentials (a session cookie, health
checks, pages before login) are never throttled, so a logged-in browser behind the
same address keeps working.

IPv6 clients are counted per /64, the block one host usually gets, so rotating
addresses inside it buys nothing. The time comes from an injectable clock, so tests
move it instead of sleeping.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import deque
from dataclasses import dataclass, field

from anitrakt.clock import Clock, SystemClock

# 10 wrong tokens in 5 minutes is far more than a person mistyping; a 24-character
# token guessed at 10 tries per 5 minutes is out of reach.
FAILURE_LIMIT = 10
FAILURE_WINDOW_SECONDS = 300.0
# Addresses remembered at once; beyond that the ones with nothing recent are forgotten.
MAX_CLIENTS = 10_000


def client_key(address: str | None) -> str:
    """The bucket an address counts in: itself, or its /64 for IPv6."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


@dataclass
class _Client:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class FailureThrottle:
    """Counts failed authentications per client and says how long a locked-out one waits."""

    def __init__(
        self,
        *,
        limit: int = FAILURE_LIMIT,
        window: float = FAILURE_WINDOW_SECONDS,
        clock: Clock | None = None,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock or SystemClock()
        self._max_clients = max_clients
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str | None) -> int | None:
        """Whole seconds until `address` may try again, or None when it may now."""
        now = self._clock.monotonic()
        with self._lock:
            client = self._clients.get(client_key(address))
            if client is None or client.locked_until <= now:
                return None
            return max(1, math.ceil(client.locked_until - now))

    def failed(self, address: str | None) -> bool:
        """Count one failure; True when it starts a lock-out (log it once, then)."""
        now = self._clock.monotonic()
        key = client_key(address)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                self._make_room(now)
                client = self._clients[key] = _Client()
            if client.locked_until > now:
                return False
            while client.failures and client.failures[0] <= now - self.window:
                client.failures.popleft()
            client.failures.append(now)
            if len(client.failures) < self.limit:
                return False
            client.failures.clear()
            client.locked_until = now + self.window
            return True

    def _make_room(self, now: float) -> None:
        if len(self._clients) < self._max_clients:
            return
        for key, client in list(self._clients.items()):
            recent = client.failures and client.failures[-1] > now - self.window
            if client.locked_until <= now and not recent:
                del self._clients[key]
        while len(self._clients) >= self._max_clients:  # all busy: forget the oldest
            del self._clients[next(iter(self._clients))]
