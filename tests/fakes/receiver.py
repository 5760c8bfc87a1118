"""A webhook receiver (ASGI) standing in for notification services and healthchecks.io.

Apprise's `json://host:port/path` and `form://…` URLs post to it; so do the healthcheck
pings. It records every request and answers `status` (200 unless a test changes it).
Serve it with `fakes.server.serve_in_thread`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def fields(self) -> dict[str, Any]:
        """The body as Apprise sends it: JSON (`json://`) or a form (`form://`)."""
        if self.headers.get("content-type", "").startswith("application/json"):
            value = json.loads(self.body)
            assert isinstance(value, dict)
            return value
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Receiver:
    status: int = 200
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            self.received.append(Received(scope["method"], scope["path"], headers, body))
            status = self.status
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"OK"})

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.received]
