"""Who may call the app, and CSRF protection for browser requests (README "Exposing anitrakt").

Two kinds of caller:

- **Scripts** send `Authorization: Bearer <token>`. A valid Bearer header is never sent by
  a browser on its own, so such requests skip the CSRF check. Wrong ones count towards
  the per-address failure throttle (`web/throttle.py`).
- **Browsers** log in at `/login` with the token and get a session cookie: HttpOnly,
  SameSite=Strict, Secure when the page came over HTTPS, holding a random id. The
  server keeps the id's SHA-256 in `web_sessions` with a fingerprint of the token it
  was made under: logout deletes the row, and changing the token ends every session.
  The session's CSRF token is an HMAC of the id under a key derived from the token.

Every non-GET request that is not Bearer-authenticated must carry the CSRF token in the
`X-CSRF-Token` header (the UI's fetch calls) or a `csrf_token` form field (the login and
logout forms), and must not come from another origin (`Origin` / `Sec-Fetch-Site`).
The edge (`web/edge.py`) refuses cross-site requests to every route that changes
state, GET ones included, before any route runs; it calls `identify` before the body is
read, and the result is kept on the request so the routes do not look it up again.

Without a token (loopback default) there is no login. Browser requests still get a
double-submit CSRF token: pages set a random `anitrakt_csrf` cookie (HttpOnly,
SameSite=Strict) and render the same value into the page; a non-GET request carrying
that cookie must echo it. Cookie-less posts from scripts (curl) stay allowed, whatever
their body: a browser sending a request cross-site never attaches the Strict cookie but
always adds `Origin` (and `Sec-Fetch-Site`), which the origin check refuses. That
origin check is the documented simpler choice for cookie-less requests; it keeps the
API's own 400s for wrongly typed bodies instead of turning them into 403s.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from anitrakt.errors import AnitraktError
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.web_sessions import (
    end_login,
    forget_other_logins,
    login_alive,
    start_login,
)
from anitrakt.web.throttle import FailureThrottle

logger = logging.getLogger("anitrakt.web")

SESSION_COOKIE = "anitrakt_session"
CSRF_COOKIE = "anitrakt_csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE = 30 * 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What `secrets.token_urlsafe(32)` gives; anything else is not worth a database look-up.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")
# Where the request's caller is kept once known (the edge identifies before any route).
_CALLER_KEY = "anitrakt.caller"


class Unauthorized(AnitraktError):
    """The request lacks the configured API token or a valid session."""


class Forbidden(AnitraktError):
    """The request is authenticated but failed the CSRF / origin check."""


class TooManyAttempts(AnitraktError):
    """This address failed to authenticate too often; it must wait `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed sign-ins from this address; try again in {retry_after} s",
            details={"retryAfter": retry_after},
        )
        self.retry_after = retry_after


class LoginRequired(Exception):
    """A page was asked for without a session; the handler redirects to `/login`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _key(token: str) -> bytes:
    # Domain-separated so the signing key is never the token itself.
    return hashlib.sha256(b"anitrakt-session-v1\x00" + token.encode()).digest()


def _sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _configured_token(request: Request) -> str | None:
    secret = _runtime(request).settings.anitrakt_api_token
    return None if secret is None else str(secret.get_secret_value())


def _throttle(request: Request) -> FailureThrottle:
    throttle: FailureThrottle = request.app.state.throttle
    return throttle


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def token_matches(request: Request, given: str) -> bool:
    """Whether `given` is the configured token (constant-time)."""
    expected = _configured_token(request)
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def check_throttle(request: Request) -> None:
    """Refuse an authentication attempt from an address that is locked out."""
    wait = _throttle(request).retry_after(_client(request))
    if wait is not None:
        raise TooManyAttempts(wait)


def note_failure(request: Request) -> None:
    """Count a wrong token from this address; log once when that starts a lock-out."""
    throttle = _throttle(request)
    if throttle.failed(_client(request)):
        minutes = max(1, round(throttle.window / 60))
        _runtime(request).events.warn(
            f"web: {throttle.limit} failed sign-ins from {_client(request) or 'unknown'} "
            f"within {minutes} min; its sign-ins are refused for {minutes} min"
        )


def _fingerprint(token: str) -> str:
    return _sign(_key(token), "token-fingerprint")


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _session_id(request: Request, token: str) -> str | None:
    """The id of a live session cookie made under `token`, else None."""
    value = request.cookies.get(SESSION_COOKIE, "")
    if not _SESSION_ID.fullmatch(value):
        return None
    alive = login_alive(_runtime(request), _id_hash(value), _fingerprint(token))
    return value if alive else None


@dataclass(frozen=True, slots=True)
class Caller:
    """How the request authenticated; `csrf` is the token its writes must echo.

    `kind` is `bearer`, `session`, `open` (no token configured) or `login` (the login
    form itself, before any session exists).
    """

    kind: str
    csrf: str | None


def identify(request: Request) -> Caller | None:
    """The caller, or None when a token is configured and the request proves nothing.

    A Bearer header from a locked-out address raises TooManyAttempts; a wrong one is
    counted as a failure. Blocking (it may read the database): async code runs it in
    a thread.
    """
    if _CALLER_KEY in request.scope:
        known: Caller | None = request.scope[_CALLER_KEY]
        return known
    caller = _identify(request)
    request.scope[_CALLER_KEY] = caller
    return caller


def identify_at_once(request: Request) -> Caller | Literal[False] | None:
    """`identify` when it needs no database, else False (call `identify_async`).

    Known already, no token configured, or the right Bearer token from an address that
    is not locked out: decided from memory. A session cookie (a database look-up) and a
    wrong Bearer token (counted, perhaps logged) are left to `identify`.
    """
    if _CALLER_KEY in request.scope:
        known: Caller | None = request.scope[_CALLER_KEY]
        return known
    token = _configured_token(request)
    if token is None:
        return identify(request)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token_matches(request, given.strip()):
        check_throttle(request)
        caller = request.scope[_CALLER_KEY] = Caller("bearer", None)
        return caller
    return False


async def identify_async(request: Request) -> Caller | None:
    """`identify` from async code: in a worker thread only when it reads the database.

    The hop to the thread pool and back costs more than a read route's query (issue 18),
    so the common cases (no token, a Bearer token, the edge already knew) skip it.
    """
    caller = identify_at_once(request)
    if caller is False:
        return await run_in_threadpool(identify, request)
    return caller


def _identify(request: Request) -> Caller | None:
    token = _configured_token(request)
    if token is None:
        return Caller("open", request.cookies.get(CSRF_COOKIE) or None)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        check_throttle(request)
        if token_matches(request, given.strip()):
            return Caller("bearer", None)
        note_failure(request)
    session_id = _session_id(request, token)
    if session_id is None:
        return None
    return Caller("session", _sign(_key(token), "csrf:" + session_id))


def same_origin(request: Request) -> bool:
    """Whether a browser sent this from our own pages (or no browser sent it at all).

    Fetch metadata first (`Sec-Fetch-Site`: anything but same-origin or none is
    another site's page); then `Origin`, which must name the Host we answer as.
    Requests with neither (curl, cron) count as same-origin.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site.lower() not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    host = request.headers.get("Host", request.url.netloc)
    return _netloc(origin).lower() == host.lower()


def _netloc(origin: str) -> str:
    _, _, rest = origin.partition("://")
    return rest.split("/", 1)[0]


def check_csrf(request: Request, caller: Caller, supplied: str | None) -> None:
    """Refuse a state-changing browser request without the right CSRF token."""
    if request.method in SAFE_METHODS or caller.kind == "bearer":
        return
    if not same_origin(request):
        raise Forbidden("cross-origin request refused")
    if caller.kind == "open" and caller.csrf is None:
        return  # a same-origin script without cookies; see the module docstring
    if not supplied or not caller.csrf or not hmac.compare_digest(supplied, caller.csrf):
        raise Forbidden("missing or invalid CSRF token (send the X-CSRF-Token header)")


UNAUTHORIZED_MESSAGE = "missing or invalid API token (send Authorization: Bearer <token> or log in)"


# Declares the scheme in the OpenAPI document; the check itself is `identify`.
BEARER = HTTPBearer(
    scheme_name="bearerAuth",
    description="The value of ANITRAKT_API_TOKEN, when one is set (else no token is needed).",
    auto_error=False,
)


async def require_api_token(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> None:
    """Guard every `/api/` route but health: Bearer or session, plus CSRF on writes."""
    caller = await identify_async(request)
    if caller is None:
        raise Unauthorized(UNAUTHORIZED_MESSAGE)
    check_csrf(request, caller, request.headers.get(CSRF_HEADER))


def require_page_session(request: Request) -> Caller:
    """Guard a page: without a session when a token is set, send the browser to `/login`."""
    caller = identify(request)
    if caller is None:
        raise LoginRequired(request.url.path)
    return caller


def page_csrf_token(request: Request, caller: Caller) -> str:
    """The CSRF token to render into a page (a new double-submit value when none yet)."""
    return caller.csrf or secrets.token_urlsafe(24)


def remember_csrf(request: Request, response: Response, caller: Caller, token: str) -> None:
    """Without a login, set the double-submit cookie that `token` must match."""
    if caller.kind in ("open", "login") and request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", path="/", secure=_https(request)
        )


def start_session(request: Request, response: Response) -> None:
    """Log the browser in: a new `web_sessions` row and its HttpOnly, Strict cookie."""
    token = _configured_token(request)
    assert token is not None, "sessions exist only when ANITRAKT_API_TOKEN is set"
    session_id = secrets.token_urlsafe(32)
    lifetime = timedelta(seconds=SESSION_MAX_AGE)
    start_login(_runtime(request), _id_hash(session_id), _fingerprint(token), lifetime)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="strict",
        path="/",
        secure=_https(request),
    )


def forget_stale_sessions(runtime: Runtime) -> None:
    """At start-up: drop expired sessions and every one made under another token (or all
    of them without a token), so going back to an old token revives none."""
    secret = runtime.settings.anitrakt_api_token
    fingerprint = "" if secret is None else _fingerprint(secret.get_secret_value())
    forget_other_logins(runtime, fingerprint)


def end_session(request: Request, response: Response) -> None:
    """Log the browser out: delete its session row (a copied cookie dies too) and cookie."""
    value = request.cookies.get(SESSION_COOKIE, "")
    if _SESSION_ID.fullmatch(value):
        end_login(_runtime(request), _id_hash(value))
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_https(request)
    )


def _https(request: Request) -> bool:
    # The scheme the browser used: the edge takes it from X-Forwarded-Proto when the
    # request came through a trusted proxy.
    return request.url.scheme == "https"
