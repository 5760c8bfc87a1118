"""What every route handler of the fake Trakt shares.

A handler gets a `_Ctx` and returns a response; `_Route` is a row of the route table.
Trakt documents no error bodies for the API host, so refusals are `_empty` (with an
`x-fake-reason` header for whoever reads a failing test); lists are `_paginated` the way
Trakt pages them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from starlette.responses import JSONResponse, Response

from fakes.faults import RecordedRequest


@dataclass
class _Ctx:
    """What a route handler gets: the request, path parameters and the caller's token."""

    req: RecordedRequest
    params: dict[str, str]
    token: str | None
    extended: frozenset[str]


Handler = Callable[[_Ctx], Response]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: Literal["required", "optional", "none"]


def _empty(status: int, reason: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers={"x-fake-reason": reason, **(headers or {})})


def _paginated(
    items: list[Any], query: Mapping[str, str], *, default_limit: int, max_limit: int | None = None
) -> Response:
    """Trakt pagination: `page`/`limit` query, X-Pagination-* headers (apiary intro)."""
    limit = int(query["limit"]) if query.get("limit", "").isdigit() else default_limit
    limit = max(1, min(limit, max_limit) if max_limit else limit)
    page = max(1, int(query["page"]) if query.get("page", "").isdigit() else 1)
    pages = max(1, -(-len(items) // limit))
    headers = {
        "X-Pagination-Page": str(page),
        "X-Pagination-Limit": str(limit),
        "X-Pagination-Page-Count": str(pages),
        "X-Pagination-Item-Count": str(len(items)),
    }
    return JSONResponse(items[(page - 1) * limit : page * limit], headers=headers)
