"""Who may call the app, and CSRF protection for browser requests (SPEC §2 `ANITRAKT_API_TOKEN`).

Two kinds of caller:

- **Scripts** send `Authorization: Bearer <token>`. A valid Bearer header is never sent by
  a browser on its own, so such requests skip the CSRF check.
- **Browsers** log in at `/login` with the token and get a session cookie: HttpOnly,
  SameSite=Strict, value `<nonce>.<issued>.<hmac>` signed with a key derived from the
  token (itsdangerous is not a dependency; `hmac` + `hashlib` are enough). Changing the
  token invalidates every session. The session's CSRF token is derived from the same key
  and nonce, so the server keeps no session state; logout deletes the cookie.

Every non-GET request that is not Bearer-authenticated must carry the CSRF token in the
`X-CSRF-Token` header (the UI's fetch calls) or a `csrf_token` form field (the login and
logout forms), and must not come from another origin (`Origin` / `Sec-Fetch-Site`).

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
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response

from anitrakt.errors import AnitraktError

SESSION_COOKIE = "anitrakt_session"
CSRF_COOKIE = "anitrakt_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_MAX_AGE = 30 * 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Unauthorized(AnitraktError):
    """The request lacks the configured API token or a valid session."""


class Forbidden(AnitraktError):
    """The request is authenticated but failed the CSRF / origin check."""


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


def _configured_token(request: Request) -> str | None:
    secret = request.app.state.runtime.settings.anitrakt_api_token
    return None if secret is None else str(secret.get_secret_value())


def token_matches(request: Request, given: str) -> bool:
    """Whether `given` is the configured token (constant-time)."""
    expected = _configured_token(request)
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def new_session_cookie(request: Request, *, now: float | None = None) -> str:
    """A fresh signed session value; only valid while the token stays the same."""
    token = _configured_token(request)
    assert token is not None, "sessions exist only when ANITRAKT_API_TOKEN is set"
    payload = f"{secrets.token_urlsafe(18)}.{int(now if now is not None else time.time())}"
    return f"{payload}.{_sign(_key(token), 'session:' + payload)}"


def _session_nonce(request: Request) -> str | None:
    """The nonce of a valid, unexpired session cookie, else None."""
    token = _configured_token(request)
    value = request.cookies.get(SESSION_COOKIE, "")
    if token is None or value.count(".") != 2:
        return None
    nonce, issued, signature = value.split(".")
    payload = f"{nonce}.{issued}"
    if not hmac.compare_digest(signature, _sign(_key(token), "session:" + payload)):
        return None
    if not issued.isdigit() or time.time() - int(issued) > SESSION_MAX_AGE:
        return None
    return nonce


def _bearer_ok(request: Request) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token_matches(request, given.strip())


@dataclass(frozen=True, slots=True)
class Caller:
    """How the request authenticated; `csrf` is the token its writes must echo.

    `kind` is `bearer`, `session`, `open` (no token configured) or `login` (the login
    form itself, before any session exists).
    """

    kind: str
    csrf: str | None


def identify(request: Request) -> Caller | None:
    """The caller, or None when a token is configured and the request proves nothing."""
    if _configured_token(request) is None:
        return Caller("open", request.cookies.get(CSRF_COOKIE) or None)
    if _bearer_ok(request):
        return Caller("bearer", None)
    nonce = _session_nonce(request)
    if nonce is None:
        return None
    token = _configured_token(request)
    assert token is not None
    return Caller("session", _sign(_key(token), "csrf:" + nonce))


def _same_origin(request: Request) -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("Host", request.url.netloc)


def check_csrf(request: Request, caller: Caller, supplied: str | None) -> None:
    """Refuse a state-changing browser request without the right CSRF token."""
    if request.method in SAFE_METHODS or caller.kind == "bearer":
        return
    if not _same_origin(request):
        raise Forbidden("cross-origin request refused")
    if caller.kind == "open" and caller.csrf is None:
        return  # a same-origin script without cookies; see the module docstring
    if not supplied or not caller.csrf or not hmac.compare_digest(supplied, caller.csrf):
        raise Forbidden("missing or invalid CSRF token (send the X-CSRF-Token header)")


def require_api_token(request: Request) -> None:
    """Guard every `/api/` route but health: Bearer or session, plus CSRF on writes."""
    caller = identify(request)
    if caller is None:
        raise Unauthorized(
            "missing or invalid API token (send Authorization: Bearer <token> or log in)"
        )
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


def set_session(request: Request, response: Response) -> None:
    """Log the browser in: the signed, HttpOnly, SameSite=Strict session cookie."""
    response.set_cookie(
        SESSION_COOKIE,
        new_session_cookie(request),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="strict",
        path="/",
        secure=_https(request),
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def _https(request: Request) -> bool:
    return request.url.scheme == "https"
