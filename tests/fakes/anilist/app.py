"""`FakeAniList` itself: its state, and the way from a POST to an answer.

Every request is recorded, then answered by a scripted fault if one is queued, else
counted against the rate limit and executed. The domains are mixins, one module each
(`store`, `resolvers`, `execution`, `rate_limit`, `faults`); this module sets their
attributes and holds the lock they share.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from anitrakt.clock import Clock, SystemClock
from fakes.anilist.errors import error_response, too_many
from fakes.anilist.execution import GraphQLExecution
from fakes.anilist.faults import NO_REFERER_BODY, FaultKind, ScriptedFaults
from fakes.anilist.rate_limit import NOMINAL_LIMIT
from fakes.anilist.schema import SCHEMA_PATH, load_schema
from fakes.transport import FAULT_HEADER


@dataclass
class RecordedRequest:
    query: str
    variables: dict[str, Any]
    authorized: bool  # an Authorization header was sent
    at: float  # the fake's clock when it arrived
    status: int = 0
    referer: str | None = None
    user_agent: str | None = None


class FakeAniList(GraphQLExecution, ScriptedFaults):
    """The fake; an ASGI app (`SyncASGITransport(fake)` or `serve_in_thread(fake)`).

    Seed it with `add_user`, `add_media`, `add_entry`, `add_activity`; read `users`,
    `media`, `entries`, `activities` and `requests`; script failures with `fail_next`.
    Knobs (plain attributes): `rate_limit`, `reset_header_when_exhausted`,
    `require_referer` (the edge's 403 for a request without `Referer`, on by default as
    the real service behaves since 2026-08).
    """

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        rate_limit: int = NOMINAL_LIMIT,
        schema_path: Path = SCHEMA_PATH,
    ) -> None:
        self.clock = clock or SystemClock()
        self.rate_limit = rate_limit
        self.reset_header_when_exhausted = False
        self.require_referer = True
        self.refused_without_referer = 0
        self.schema = load_schema(schema_path)
        self.users = {}
        self.media = {}
        self.cover_base = None
        self.entries = []
        self.activities = []
        self.requests: list[RecordedRequest] = []
        self._faults = []
        self._lock = threading.Lock()
        self._window_start = None
        self._window_count = 0
        self._next_id = 1000
        self._next_created = 1_700_000_000
        self._app = Starlette(routes=[Route("/", self._handle, methods=["POST"])])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._app(scope, receive, send)

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        if self.require_referer and not request.headers.get("referer"):
            # The edge answers before the origin sees anything: no validation, no fault,
            # no rate-limit count, no rate-limit headers.
            with self._lock:
                self.refused_without_referer += 1
            return JSONResponse(NO_REFERER_BODY, status_code=403)
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return error_response(400, [{"message": "Must provide query string.", "status": 400}])
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return error_response(400, [{"message": "Variables must be an object.", "status": 400}])
        auth = request.headers.get("authorization")
        record = RecordedRequest(
            payload["query"],
            dict(variables),
            auth is not None,
            self.clock.time(),
            referer=request.headers.get("referer"),
            user_agent=request.headers.get("user-agent"),
        )
        with self._lock:
            self.requests.append(record)
            fault = self._take_fault()
        if fault is not None and fault.kind is FaultKind.TIMEOUT:
            await asyncio.sleep(fault.delay)
            response: Response = Response(status_code=200, headers={FAULT_HEADER: "ReadTimeout"})
        else:
            with self._lock:
                if fault is not None:
                    response = self._fault_response(fault)
                else:
                    response = self._answer(payload["query"], variables, auth)
        record.status = response.status_code
        return response

    def _answer(self, query: str, variables: dict[str, Any], auth: str | None) -> Response:
        headers, over = self._count_request()
        if over:
            return error_response(429, [too_many()], headers)
        return self._execute(query, variables, self._context(auth), headers)
