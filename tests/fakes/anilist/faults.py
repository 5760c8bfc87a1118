"""Scripted faults: the ways AniList (or the proxy in front of it) fails, on demand.

`fail_next(kind, times=…)` answers the next requests with a fault instead of executing
them, in the order scripted. The kinds are GraphQL-shaped — AniList's error bodies, its
429s, the "API disabled" 403 of docs/guide/considerations.md — which is why this is not
`fakes.faults` (status codes matched by path, for the REST fakes).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from enum import StrEnum

from starlette.responses import Response

from fakes.anilist.errors import error_response, too_many
from fakes.anilist.rate_limit import RateLimiter

# What AniList's edge answers, since 2026-08, to any request without a `Referer` header
# (any value passes; `Origin` does not count; the User-Agent does not matter): a fast 403
# with this body, no rate-limit headers (lawrenceli0228/animego PR #170, wuon/openanime
# #34, kodjodevf/mangayomi PR #911).
NO_REFERER_MESSAGE = "The AniList API has been temporarily disabled due to severe stability issues."
NO_REFERER_BODY = {"errors": [{"message": NO_REFERER_MESSAGE, "status": 403}], "data": None}
# docs/guide/considerations.md, "Example API unavailable error".
API_DISABLED_MESSAGE = (
    "The AniList API has been temporarily disabled due to severe stability issues. "
    "Please check the official AniList Discord for more information."
)


class FaultKind(StrEnum):
    RATE_LIMITED = "rate_limited"  # 429 + Retry-After + X-RateLimit-Reset (docs example)
    RATE_LIMITED_BARE = "rate_limited_bare"  # 429 JSON without Retry-After
    HTML = "html"  # an HTML error page from the proxy (status: 429, 502, …)
    SERVER_ERROR = "server_error"  # 5xx with a GraphQL error body
    API_DISABLED = "api_disabled"  # 403, considerations.md body
    GRAPHQL_ERROR = "graphql_error"  # an `errors` array at any HTTP status (200 too)
    TIMEOUT = "timeout"  # no answer: transport ReadTimeout in-process


@dataclass
class Fault:
    kind: FaultKind
    times: int
    status: int | None = None
    retry_after: int = 30
    message: str | None = None
    delay: float = 0.0


class ScriptedFaults(RateLimiter):
    """The fault queue and the answers it gives; `FakeAniList.__init__` sets the attributes."""

    _faults: list[Fault]
    _lock: threading.Lock

    def fail_next(
        self,
        kind: FaultKind | str,
        *,
        times: int = 1,
        status: int | None = None,
        retry_after: int = 30,
        message: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests with a fault instead of executing them."""
        fault = Fault(FaultKind(kind), times, status, retry_after, message, delay)
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self) -> Fault | None:
        if not self._faults:
            return None
        fault = self._faults[0]
        fault.times -= 1
        if fault.times <= 0:
            self._faults.pop(0)
        return fault

    def _fault_response(self, fault: Fault) -> Response:
        """The answer for any kind but TIMEOUT (which `FakeAniList` turns into no answer)."""
        now = self.clock.time()
        limit_headers = {"X-RateLimit-Limit": str(self.rate_limit)}
        if fault.kind is FaultKind.RATE_LIMITED:
            headers = {
                **limit_headers,
                "X-RateLimit-Remaining": "0",
                "Retry-After": str(fault.retry_after),
                "X-RateLimit-Reset": str(math.ceil(now + fault.retry_after)),
            }
            return error_response(429, [too_many()], headers)
        if fault.kind is FaultKind.RATE_LIMITED_BARE:
            headers, _ = self._count_request()
            return error_response(429, [too_many()], headers)
        if fault.kind is FaultKind.HTML:
            status = fault.status or 429
            page = (
                f"<!DOCTYPE html><html><head><title>{status} Error</title></head><body>"
                f"<center><h1>{status} Error</h1></center><hr><center>cloudflare</center>"
                "</body></html>"
            )
            return Response(page, status_code=status, media_type="text/html")
        if fault.kind is FaultKind.SERVER_ERROR:
            status = fault.status or 500
            error = {"message": fault.message or "Internal Server Error", "status": status}
            return error_response(status, [error], limit_headers)
        if fault.kind is FaultKind.API_DISABLED:
            error = {
                "message": API_DISABLED_MESSAGE,
                "status": 403,
                "locations": [{"line": 1, "column": 1}],
            }
            return error_response(403, [error])
        status = fault.status or 200
        error = {"message": fault.message or "Internal Server Error", "status": status}
        return error_response(status, [error], limit_headers)
