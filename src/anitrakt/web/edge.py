"""The web edge: one pure ASGI middleware that every request passes before any route.

In order, for each HTTP request (docs/reliability.md, "What an attacker can try"):

1. `X-Forwarded-Proto/Host/For` are applied, but only from a peer listed in
   ANITRAKT_TRUSTED_PROXIES (`web/forwarding.py`); from anyone else they mean nothing.
2. The Host must be one the app answers to (ANITRAKT_ALLOWED_HOSTS and the defaults),
   else 400: a page on a re-bound DNS name reaches no route.
3. With ANITRAKT_API_TOKEN set, the API routes and the OpenAPI document need the token
   (Bearer or a session), checked from the headers before a byte of the body is read:
   401, or 429 for an address locked out by the failure throttle.
4. A route that changes state (every non-GET method, and the GET routes marked with
   `routing.changes_state()`) refuses what another site's page sent (`Sec-Fetch-Site`
   cross-site/same-site, or a foreign `Origin`): 403. Requests without fetch metadata
   (curl, cron) pass as before.
5. Bodies over MAX_BODY_BYTES are refused with 413: from `Content-Length` before
   reading, and while streaming as soon as the count passes the limit.
6. HEAD is answered like GET, without the body, on every GET route that changes nothing.

Every answer, the edge's own refusals included, carries SECURITY_HEADERS. This is pure
ASGI rather than Starlette's BaseHTTPMiddleware so that the body can be counted as it
streams in and left unread when the request is refused.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anitrakt.web.errors import edge_error, error_response
from anitrakt.web.forwarding import HostPolicy, ProxyPolicy
from anitrakt.web.security import SAFE_METHODS, UNAUTHORIZED_MESSAGE, identify_async, same_origin

MAX_BODY_BYTES = 1024 * 1024
# Only our own files: no inline script or style, no framing, forms post only here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Needs no token: load balancers and uptime monitors poll it.
PUBLIC_API_PATHS = frozenset({"/api/health"})
OPENAPI_PATH = "/openapi.json"


class BodyTooLarge(HTTPException):
    """The body passed MAX_BODY_BYTES while streaming (an HTTPException, so the routes'
    own error handling answers it as the JSON 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


def token_guarded(path: str) -> bool:
    """Whether `path` needs the API token (when one is set) before anything else."""
    return (path.startswith("/api/") and path not in PUBLIC_API_PATHS) or path == OPENAPI_PATH


def _content_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class Edge:
    """The middleware: `create_app` puts it in front of every route."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: HostPolicy,
        proxies: ProxyPolicy,
        changes_state: frozenset[str],
        token_set: bool,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.proxies = proxies
        self.changes_state = changes_state
        self.token_set = token_set
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = self.proxies.apply(scope)
        answer = _Answer(send)
        request = Request(scope)
        try:
            refusal = await self._refusal(request)
        except Exception as exc:  # our errors and an unreachable store, as the routes map them
            refusal = await edge_error(request, exc)
            if refusal is None:
                raise
        if refusal is not None:
            await refusal(scope, receive, answer.send)
            return
        if scope["method"] == "HEAD" and scope["path"] not in self.changes_state:
            # A copy: the server keeps its own scope saying HEAD, and sends no body.
            scope = {**scope, "method": "GET"}
            answer.bodiless = True
        body = _CountedBody(receive, self.max_body)
        try:
            await self.app(scope, body.receive, answer.send)
        except BodyTooLarge as exc:  # read outside a route (none today); same answer
            if answer.started:
                raise
            await error_response(413, str(exc.detail))(scope, receive, answer.send)

    async def _refusal(self, request: Request) -> Response | None:
        """The answer that stops this request at the edge, or None to let it through."""
        if not self.hosts.allows(request.headers.get("host", "")):
            return error_response(
                400, "this server does not answer to that Host (see ANITRAKT_ALLOWED_HOSTS)"
            )
        path, method = request.scope["path"], request.scope["method"]
        if self.token_set and token_guarded(path):
            caller = await identify_async(request)
            if caller is None:
                return error_response(
                    401, UNAUTHORIZED_MESSAGE, headers={"WWW-Authenticate": "Bearer"}
                )
        changes = method not in SAFE_METHODS or path in self.changes_state
        if changes and not same_origin(request):
            return error_response(403, "cross-site request refused")
        length = _content_length(request)
        if length is not None and length > self.max_body:
            return error_response(413, f"request body larger than {self.max_body} bytes")
        return None


class _Answer:
    """Wraps `send`: adds the security headers, drops the body of a HEAD answer."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False
        self.bodiless = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            for name, value in SECURITY_HEADERS.items():
                if name.lower().encode() not in present:
                    headers.append((name.lower().encode(), value.encode()))
            message = {**message, "headers": headers}
        elif message["type"] == "http.response.body" and self.bodiless:
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await self._send(message)


class _CountedBody:
    """Wraps `receive`: counts body bytes and stops at the limit, before buffering more."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.seen = 0

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                raise BodyTooLarge(self.limit)
        return message
