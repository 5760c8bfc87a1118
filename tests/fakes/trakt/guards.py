"""What stands between a request to the fake Trakt and its handler, and how it says no.

The API host's checks (trakt-api-key, trakt-api-version, a JSON content type), bearer
tokens, the rate limits (only with `enforce_rate_limits`), and the Trakt-shaped answer
to a scripted fault (X-Ratelimit on a 429, X-Upgrade-URL on a 420/426, …).
"""

from __future__ import annotations

import json
import math
from fnmatch import fnmatchcase
from typing import Literal

from starlette.responses import HTMLResponse, Response

from fakes.faults import Fault, RecordedRequest, cloudflare_page
from fakes.transport import FAULT_HEADER

from .answers import _empty
from .model import iso_utc
from .state import TraktState


class RequestGuards(TraktState):
    """Checks, authentication, rate limits and fault answers of `FakeTrakt`."""

    def _fault_response(self, fault: Fault, req: RecordedRequest) -> Response:
        if fault.timeout:
            if self.in_process:
                return Response(b"", status_code=504, headers={FAULT_HEADER: "ReadTimeout"})
            return _empty(504, "scripted timeout")
        status = fault.status or 500
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        if status == 429 and not fault.html:
            if req.method in ("POST", "PUT", "DELETE"):
                headers["X-Ratelimit"] = self._ratelimit_header("AUTHED_API_POST_LIMIT", 1, 1)
            else:
                authed = "authorization" in req.headers
                name = "AUTHED_API_GET_LIMIT" if authed else "UNAUTHED_API_GET_LIMIT"
                headers["X-Ratelimit"] = self._ratelimit_header(name, 300, self.get_limit)
        if status in (420, 426):
            headers["X-Upgrade-URL"] = "https://trakt.tv/vip"
        if status == 401:
            headers["WWW-Authenticate"] = _www_authenticate("The access token is invalid")
        headers.update(fault.headers)
        if fault.html:
            page = cloudflare_page(status, req.host or "api.trakt.tv")
            return HTMLResponse(page, status_code=status, headers=headers)
        return _empty(status, "scripted fault", headers)

    def _edge_refusal(self, req: RecordedRequest) -> Response | None:
        """Cloudflare in front of both hosts: no User-Agent → an HTML 403 page (2026)."""
        if self.require_user_agent and not req.headers.get("user-agent", "").strip():
            page = cloudflare_page(403, req.host or "api.trakt.tv")
            return HTMLResponse(page, status_code=403)
        return None

    def _account_refusal(self, req: RecordedRequest, token: str | None) -> Response | None:
        """423 for a locked account; 426 on a VIP-only path for a free account."""
        if token is not None and self.account_locked:
            return _empty(423, "locked user account: contact support")
        if any(fnmatchcase(req.path, pattern) for pattern in self.vip_only) and not self.vip:
            return _empty(426, "VIP only", {"X-Upgrade-URL": "https://trakt.tv/vip"})
        return None

    def _check_api_request(self, req: RecordedRequest) -> Response | None:
        if req.headers.get("trakt-api-key") != self.client_id:
            return _empty(403, "missing or wrong trakt-api-key")
        if req.headers.get("trakt-api-version") != "2":
            return _empty(400, "missing or wrong trakt-api-version (must be 2)")
        if req.method in ("POST", "PUT", "DELETE"):
            content_type = req.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                return _empty(412, "use application/json content type")
        return None

    def _authenticate(
        self, req: RecordedRequest, need: Literal["required", "optional", "none"]
    ) -> tuple[str | None, Response | None]:
        if need == "none":
            return None, None
        header = req.headers.get("authorization")
        if header is None:
            if need == "required":
                return None, self._unauthorized("OAuth must be provided")
            return None, None
        scheme, _, value = header.partition(" ")
        record_ = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if record_ is None or record_.revoked:
            return None, self._unauthorized("The access token is invalid")
        if self.clock() >= record_.expires_at:
            return None, self._unauthorized("The access token expired")
        return record_.access, None

    def _unauthorized(self, description: str) -> Response:
        return _empty(401, description, {"WWW-Authenticate": _www_authenticate(description)})

    def _rate_limit(self, req: RecordedRequest, token: str | None) -> Response | None:
        """Trakt's three budgets, each in its own window (only with `enforce_rate_limits`).

        trakt/trakt-api `guides/rate-limiting.md` (2026-10-07): writes 1 per second per
        user; GETs with a token `get_limit` per 5 minutes per user; GETs without one
        `get_limit` per 5 minutes per client id and public IP (one IP here: the key is
        the client id). A refused request does not count against its window.
        """
        if not self.enforce_rate_limits:
            return None
        now = self.clock()
        if req.method in ("POST", "PUT", "DELETE"):
            if token is None:
                return None
            last = self._last_post.get(self.username)
            if last is not None and now - last < 1.0:
                return self._too_many("AUTHED_API_POST_LIMIT", 1, 1, last + 1.0)
            self._last_post[self.username] = now
            return None
        if token is None:
            name, key = "UNAUTHED_API_GET_LIMIT", "app:" + req.headers.get("trakt-api-key", "")
        else:
            name, key = "AUTHED_API_GET_LIMIT", "user:" + self.username
        window = [t for t in self._gets.get(key, []) if t > now - 300]
        self._gets[key] = window
        if len(window) >= self.get_limit:
            return self._too_many(name, 300, self.get_limit, window[0] + 300)
        window.append(now)
        return None

    def _too_many(self, name: str, period: int, limit: int, until: float) -> Response:
        """A 429 as the rate-limiting guide shows it: Retry-After and X-Ratelimit."""
        self.rate_limited += 1
        wait = until - self.clock()
        headers = {
            "Retry-After": str(max(1, math.ceil(wait))),
            "X-Ratelimit": self._ratelimit_header(name, period, limit, until),
        }
        return _empty(429, f"{name} exceeded", headers)

    def _ratelimit_header(
        self, name: str, period: int, limit: int, until: float | None = None
    ) -> str:
        moment = iso_utc(self.clock() + period if until is None else until)
        body = {"name": name, "period": period, "limit": limit, "remaining": 0, "until": moment}
        return json.dumps(body, separators=(",", ":"))


def _www_authenticate(description: str) -> str:
    return f'Bearer realm="trakt", error="invalid_token", error_description="{description}"'
