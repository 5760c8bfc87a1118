"""Request recording and scripted faults, shared by the fake Trakt and the fake TMDB.

Both fakes are one catch-all ASGI route behind a lock: every request is recorded
(`fake.requests`), then answered — or, when a test scripted it with `fail_next`, answered
with a fault instead (a status, a Cloudflare-style page, or a timeout). `FakeUpstream` is
that pipeline, so a fake only says how it answers (`_answer`) and how it looks when it
fails (`_fault_response`). The fake AniList keeps its own: its faults are GraphQL-shaped
kinds taken in order, not status codes matched by path.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the fake received it; `headers` keys are lower-case."""

    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    body: bytes = b""


@dataclass
class Fault:
    """A scripted failure for the next `remaining` requests matching `method`/`path`."""

    remaining: int
    status: int | None = None
    retry_after: str | None = None
    html: bool = False
    timeout: bool = False
    after_apply: bool = False
    path: str | None = None
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is None:
            return True
        return path == self.path or fnmatch.fnmatchcase(path, self.path)


class FaultQueue:
    """The scripted faults not yet used up; the first one that matches a request wins."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(
        self,
        n: int,
        *,
        status: int | None,
        retry_after: str | None,
        html: bool,
        timeout: bool,
        after_apply: bool,
        path: str | None,
        method: str | None,
        headers: Mapping[str, str] | None,
    ) -> None:
        if n < 1:
            raise ValueError("fail_next needs n >= 1")
        if (status is None) == (not timeout):
            raise ValueError("fail_next needs exactly one of status=… or timeout=True")
        self.faults.append(
            Fault(
                n,
                status,
                retry_after,
                html,
                timeout,
                after_apply,
                path,
                method,
                dict(headers or {}),
            )
        )

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None


def cloudflare_page(status: int, host: str) -> str:
    """An HTML error page like the ones Cloudflare serves in front of an API."""
    return (
        "<!DOCTYPE html>\n<html><head><title>"
        f'{host} | {status}: Error</title></head>\n<body><div id="cf-error-details">'
        f"<h1>Error {status}</h1><p>Ray ID: fake · Performance &amp; security by Cloudflare</p>"
        "</div></body></html>\n"
    )


def parse_body_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def record(request: Request, body: bytes) -> RecordedRequest:
    return RecordedRequest(
        method=request.method,
        host=request.headers.get("host", ""),
        path=request.url.path,
        query=dict(request.query_params),
        headers={key.lower(): value for key, value in request.headers.items()},
        json=parse_body_json(body),
        body=body,
    )


class FakeUpstream:
    """An upstream fake's plumbing: record every request, then answer it or fail it.

    `fake.app` (or the fake itself) is the ASGI app. A subclass supplies `_answer` and
    `_fault_response`, and may refuse a request before any fault is taken
    (`_misdirected`, e.g. an API path on the OAuth host); `reset` calls its
    `_forget_catalog` and `_forget_session`.
    """

    def __init__(self, *, in_process: bool, timeout_sleep: float) -> None:
        self.in_process = in_process
        self.timeout_sleep = timeout_sleep
        self._lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self._faults = FaultQueue()
        self.app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=ALL_METHODS)])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The fake is itself an ASGI app, the same as `fake.app`."""
        await self.app(scope, receive, send)

    def reset(self, *, catalog: bool = False) -> None:
        """Forget requests, faults and what tests and requests built up since (history,
        tokens, counters: `_forget_session`); the catalog too when asked."""
        with self._lock:
            if catalog:
                self._forget_catalog()
            self.requests = []
            self._faults = FaultQueue()
            self._forget_session()

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int | None = None,
        retry_after: str | None = None,
        html: bool = False,
        timeout: bool = False,
        after_apply: bool = False,
        path: str | None = None,
        method: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next `n` matching requests with a fault instead of the real answer.

        `status` (with `retry_after`, `html` for a Cloudflare-style page, extra `headers`
        such as Trakt's X-Account-Limit for a 420) or `timeout=True` (the transport raises
        ReadTimeout in-process; a real server sleeps `timeout_sleep`). With
        `after_apply=True` the request is processed first — a history post is recorded —
        and only then answered with the fault. `path` may be a glob ("/sync/*").
        """
        with self._lock:
            self._faults.add(
                n,
                status=status,
                retry_after=retry_after,
                html=html,
                timeout=timeout,
                after_apply=after_apply,
                path=path,
                method=method,
                headers=headers,
            )

    def clear_faults(self) -> None:
        """Drop every scripted fault not yet used up (the storm is over)."""
        with self._lock:
            self._faults = FaultQueue()

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path == path and (method is None or r.method == method.upper())
            ]

    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        recorded = record(request, body)
        with self._lock:
            self.requests.append(recorded)
            response, fault = self._dispatch(recorded)
        if fault is not None and fault.timeout and not self.in_process:
            await asyncio.sleep(self.timeout_sleep)
        return response

    def _dispatch(self, req: RecordedRequest) -> tuple[Response, Fault | None]:
        refused = self._misdirected(req)
        if refused is not None:
            return refused, None
        fault = self._faults.take(req.method, req.path)
        if fault is not None and not fault.after_apply:
            return self._fault_response(fault, req), fault
        response = self._answer(req)
        if fault is not None:
            return self._fault_response(fault, req), fault
        return response, None

    def _forget_catalog(self) -> None:
        """Drop what the tests declared upstream has (shows, movies, ids)."""

    def _forget_session(self) -> None:
        """Drop what was built up since the last reset, besides requests and faults."""

    def _misdirected(self, req: RecordedRequest) -> Response | None:
        """A refusal that comes before any scripted fault; None lets the request through."""
        return None

    def _answer(self, req: RecordedRequest) -> Response:
        raise NotImplementedError

    def _fault_response(self, fault: Fault, req: RecordedRequest) -> Response:
        raise NotImplementedError
