"""The one choke point every upstream request goes through.

It owns: timeouts, the User-Agent, pacing (before each attempt), bounded retries —
429 honouring `Retry-After` (jittered backoff when there is none, e.g. an HTML page
from a proxy), 5xx/520–522/timeouts/connection errors with exponential backoff, nothing
else — and turning failures into the typed errors of `anitrakt.errors`.

Writes that are not idempotent (Trakt history posts: Trakt does not dedupe plays) are
never resent after an unclear failure; the caller gets `UnclearWrite` and must re-read
the upstream's state first.

Large downloads (a mapping release of tens of megabytes) ask for `stream=True`: the
retries cover everything up to the response headers, and the body is then read chunk by
chunk with `body_chunks` (a failure mid-body is an `UpstreamUnavailable`) and the
response closed by the caller — it is never held in memory whole.
"""

from __future__ import annotations

import email.utils
import logging
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from anitrakt import __version__
from anitrakt.clients.timing import Pacer, WaitHook
from anitrakt.clock import Clock, SystemClock
from anitrakt.errors import (
    EdgeBlocked,
    RateLimited,
    UnclearWrite,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamUnavailable,
)

logger = logging.getLogger("anitrakt.http")

USER_AGENT = f"anitrakt/{__version__} (+https://github.com/anitrakt/anitrakt)"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Cloudflare's 520–522 ("unknown error", "web server down", "connection timed out") sit in
# front of Trakt and are as transient as the 5xx Trakt documents (apiary intro, Status Codes).
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504, 520, 521, 522})


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and how long to wait between them."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    # A Retry-After longer than this is not waited out inside one request.
    max_retry_after: float = 300.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with full jitter for attempt 1, 2, …"""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now)


class HttpObserver(Protocol):
    """Told about each attempt's answer and each wait between attempts (metrics)."""

    def answered(self, upstream: str, status: int | None) -> None:
        """One attempt ended: its HTTP status, or None when no answer came."""

    def waited(self, upstream: str, seconds: float, *, rate_limited: bool) -> None:
        """A wait before the next attempt; `rate_limited` when the upstream said 429."""


@dataclass
class Upstream:
    """A configured upstream: name (for messages), base URL, pacing and retry rules."""

    name: str
    base_url: str
    clock: Clock = field(default_factory=SystemClock)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    transport: httpx.BaseTransport | None = None
    rng: random.Random = field(default_factory=random.Random)
    observer: HttpObserver | None = None


class HttpClient:
    """A thin wrapper over one `httpx.Client`; every request goes through `request()`."""

    def __init__(
        self,
        upstream: Upstream,
        *,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
        follow_redirects: bool = True,
    ) -> None:
        """`follow_redirects=False` for URLs taken from an upstream's data: a 3xx is then
        an error, and the place it points to is never asked."""
        self.upstream = upstream
        self._on_response = on_response
        # Told about every wait before a retry (`clients.timing.WaitHook`).
        self.on_wait: WaitHook | None = None
        self._client = httpx.Client(
            base_url=upstream.base_url,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            timeout=upstream.timeout,
            transport=upstream.transport,
            auth=auth,
            follow_redirects=follow_redirects,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        pacers: Iterable[Pacer] = (),
        idempotent: bool | None = None,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        ok_statuses: Iterable[int] = (),
        stream: bool = False,
    ) -> httpx.Response:
        """Send with pacing and bounded retries; return a 2xx (or `ok_statuses`) response.

        `stream`: the body is not read; iterate it with `body_chunks`, then close the
        response (`with response:`).
        """
        name = self.upstream.name
        policy = self.upstream.retry
        clock = self.upstream.clock
        safe_to_resend = method.upper() in ("GET", "HEAD") if idempotent is None else idempotent
        allowed = set(ok_statuses)
        pacers = tuple(pacers)
        for attempt in range(1, policy.max_attempts + 1):
            last = attempt == policy.max_attempts
            for pacer in pacers:
                pacer.acquire()
            try:
                if stream:
                    built = self._client.build_request(
                        method, url, params=params, json=json, data=data, headers=headers
                    )
                    response = self._client.send(built, auth=auth, stream=True)
                else:
                    response = self._client.request(
                        method, url, params=params, json=json, data=data, headers=headers, auth=auth
                    )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                self._observe(None)
                # Nothing reached the server: always safe to try again.
                if last:
                    raise UpstreamUnavailable(
                        f"{name} is unreachable ({type(exc).__name__})"
                    ) from None
                self._wait(policy.backoff(attempt, self.upstream.rng), f"{type(exc).__name__}")
                continue
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                self._observe(None)
                if not safe_to_resend:
                    raise UnclearWrite(
                        f"{name} did not answer a {method} clearly ({type(exc).__name__}); "
                        "it may have been applied"
                    ) from None
                if last:
                    raise UpstreamUnavailable(f"{name} timed out ({type(exc).__name__})") from None
                self._wait(policy.backoff(attempt, self.upstream.rng), type(exc).__name__)
                continue

            self._observe(response.status_code)
            if self._on_response is not None:
                self._on_response(response)
            status = response.status_code
            if 200 <= status < 300 or status in allowed:
                return response
            if stream:
                response.close()  # an error answer: its body is not wanted
            if status == 429:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), clock.time())
                if last or (retry_after is not None and retry_after > policy.max_retry_after):
                    raise RateLimited(
                        f"{name} is rate limiting us (HTTP 429); try again later",
                        retry_after=retry_after,
                    )
                delay = (
                    retry_after
                    if retry_after is not None
                    else policy.backoff(attempt, self.upstream.rng)
                )
                self._wait(delay, "HTTP 429")
                continue
            if status in RETRYABLE_STATUSES:
                if not safe_to_resend:
                    raise UnclearWrite(
                        f"{name} answered HTTP {status} to a {method}; it may have been applied"
                    )
                if last:
                    raise UpstreamUnavailable(f"{name} is unavailable (HTTP {status})")
                self._wait(policy.backoff(attempt, self.upstream.rng), f"HTTP {status}")
                continue
            raise self.error_for(response)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _wait(self, seconds: float, reason: str) -> None:
        logger.info("%s: %s, retrying in %.1fs", self.upstream.name, reason, seconds)
        if self.on_wait is not None:
            told = "it asked us to slow down (HTTP 429)" if reason == "HTTP 429" else reason
            self.on_wait(seconds, f"{told}, then retrying")
        if self.upstream.observer is not None:
            self.upstream.observer.waited(
                self.upstream.name, seconds, rate_limited=reason == "HTTP 429"
            )
        self.upstream.clock.sleep(seconds)

    def _observe(self, status: int | None) -> None:
        if self.upstream.observer is not None:
            self.upstream.observer.answered(self.upstream.name, status)

    def error_for(self, response: httpx.Response) -> UpstreamError:
        """The typed error for a final non-2xx response (no secrets: status and path only)."""
        name = self.upstream.name
        status = response.status_code
        where = f"{response.request.method} {response.request.url.path}"
        if status == 403 and is_html(response):
            return edge_blocked(name, where)
        if status == 404:
            return UpstreamNotFound(f"{name} has no such item ({where} → 404)")
        if status >= 500:
            return UpstreamUnavailable(f"{name} is unavailable (HTTP {status})")
        return UpstreamRejected(f"{name} rejected {where} (HTTP {status})", status=status)

    def json(self, response: httpx.Response) -> Any:
        """The response body as JSON, or UpstreamUnavailable naming what came instead."""
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "unknown content")
            status = response.status_code
            raise UpstreamUnavailable(
                f"{self.upstream.name} answered {kind} instead of JSON (HTTP {status})"
            ) from None


def body_chunks(name: str, response: httpx.Response) -> Iterator[bytes]:
    """The body of a `stream=True` response, chunk by chunk, as the network delivers it.

    A connection that breaks or stalls mid-body is an `UpstreamUnavailable` naming
    `name`; errors raised by the transport itself (a size cap) pass through as they are.
    """
    try:
        yield from response.iter_bytes()
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise UpstreamUnavailable(
            f"{name}: the download broke off ({type(exc).__name__})"
        ) from None


def is_html(response: httpx.Response) -> bool:
    """Whether the body is an HTML page (a CDN or proxy answering instead of the API)."""
    return "html" in response.headers.get("Content-Type", "").lower()


def edge_blocked(name: str, where: str) -> EdgeBlocked:
    """An HTML 403: the CDN in front (Cloudflare for Trakt) refused before the API saw it."""
    return EdgeBlocked(
        f"{name}'s edge refused {where} with an HTML page (HTTP 403). Its CDN blocks "
        "requests without a User-Agent and some networks (VPNs, data centres); anitrakt "
        "sends a User-Agent, so check that no proxy strips it, or try another network",
        status=403,
    )
