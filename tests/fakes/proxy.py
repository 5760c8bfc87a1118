"""A reverse proxy in front of an ASGI app, as nginx or Caddy would put one, in-process.

`ForwardingProxy(app, address=…)` hands each request on from its own address, with
the Host rewritten to the upstream's (`127.0.0.1:8000`, as `proxy_pass` does) and the
browser's scheme, Host and address in `X-Forwarded-Proto/Host/For`. Lifespan events
go straight through, so `TestClient(ForwardingProxy(create_app(…)))` runs the app's
start-up as usual.

`call_asgi` drives an app with a body given in chunks and reports how many chunks
the app pulled: what a test needs to show a body was left unread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UPSTREAM_HOST = "127.0.0.1:8000"


class ForwardingProxy:
    """An ASGI app that forwards every HTTP request to `app` as a reverse proxy would."""

    def __init__(self, app: ASGIApp, *, address: str, upstream_host: str = UPSTREAM_HOST) -> None:
        self.app = app
        self.address = address
        self.upstream_host = upstream_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = Headers(scope=scope)
        browser = scope["client"][0] if scope.get("client") else "unknown"
        kept = [
            (name, value)
            for name, value in scope["headers"]
            if name.lower() not in (b"host", b"x-forwarded-proto", b"x-forwarded-host")
        ]
        forwarded_for = seen.get("x-forwarded-for")
        kept = [(n, v) for n, v in kept if n.lower() != b"x-forwarded-for"]
        chain = f"{forwarded_for}, {browser}" if forwarded_for else browser
        headers = [
            *kept,
            (b"host", self.upstream_host.encode()),
            (b"x-forwarded-proto", scope["scheme"].encode()),
            (b"x-forwarded-host", seen.get("host", "").encode()),
            (b"x-forwarded-for", chain.encode()),
        ]
        host, port = self.upstream_host.split(":")
        upstream = {
            **scope,
            "headers": headers,
            "scheme": "http",
            "client": (self.address, 40000),
            "server": (host, int(port)),
        }
        await self.app(upstream, receive, send)


@dataclass
class AsgiAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    chunks_read: int
    chunks_offered: int = 0
    messages: list[Message] = field(default_factory=list)


def call_asgi(
    app: ASGIApp,
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    chunks: Iterable[bytes] = (),
    host: str = "testserver",
) -> AsgiAnswer:
    """One request straight into `app` (its lifespan must be running elsewhere)."""
    body = list(chunks)
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        if pulled < len(body):
            pulled += 1
            return {
                "type": "http.request",
                "body": body[pulled - 1],
                "more_body": pulled < len(body),
            }
        if not body and pulled == 0:
            pulled = -1  # the empty body, once
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # nothing more: the client just waits
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", host.encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": ("203.0.113.7", 50000),
        "server": ("testserver", 80),
    }

    async def main() -> None:
        # A guard, not a wait: a passing run answers in milliseconds.
        await asyncio.wait_for(app(scope, receive, send), timeout=60)

    asyncio.run(main())
    start = next(m for m in sent if m["type"] == "http.response.start")
    return AsgiAnswer(
        status=start["status"],
        headers={k.decode().lower(): v.decode() for k, v in start["headers"]},
        body=b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
        chunks_read=max(pulled, 0),
        chunks_offered=len(body),
        messages=sent,
    )
