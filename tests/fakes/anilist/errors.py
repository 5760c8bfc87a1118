"""AniList's error shape, shared by every way the fake can refuse a request.

AniList answers errors as `{"data": null, "errors": [{"message", "status", "locations"}]}`
(docs/guide/graphql/errors.md); resolvers raise `Failure` to pick the HTTP status.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError
from starlette.responses import JSONResponse

_QUOTED_NAME = re.compile(r"'([_A-Za-z$][_0-9A-Za-z!\[\]$]*)'")


class Failure(Exception):
    """An AniList-style error raised by a resolver: HTTP status + message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def too_many() -> dict[str, Any]:
    # docs/guide/rate-limiting.md: the 429 body.
    return {"message": "Too Many Requests.", "status": 429}


def error_response(
    status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"data": None, "errors": errors}, status, headers=headers)


def format_error(error: GraphQLError, status: int) -> dict[str, Any]:
    """AniList's error item: message, status, locations."""
    message = error.message
    if isinstance(error.original_error, Failure):
        status = error.original_error.status
    elif isinstance(error.original_error, GraphQLError | None):
        # graphql-core quotes names as 'x'; AniList (like graphql-js) as "x" (errors.md).
        message = _QUOTED_NAME.sub(r'"\1"', message)
    item: dict[str, Any] = {"message": message, "status": status}
    if error.locations:
        item["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    return item
