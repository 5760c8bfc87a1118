"""Our error tree → JSON `{error, details}` with the right status, in one place.

`details` is always an object: field errors as `{fields: [{field, label, message}]}`
(every bad field at once, the message in words a form can show), the rest as what the
error carries (a run's report, `{status}`, `{retryAfter}` …).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from anitrakt.errors import (
    AnitraktError,
    ConfigError,
    ConflictError,
    InputError,
    Interrupted,
    InvalidFields,
    NotFoundError,
    RateLimited,
    StoreUnavailable,
    UpstreamError,
)
from anitrakt.usecases.database import DATABASE_ERRORS, database_unavailable
from anitrakt.web.security import Forbidden, LoginRequired, TooManyAttempts, Unauthorized

logger = logging.getLogger("anitrakt.web")

# A busy database usually frees up within seconds (SQLite's writer, a restarting server).
STORE_RETRY_AFTER_SECONDS = 5

_STATUS: list[tuple[type[AnitraktError], int]] = [
    (NotFoundError, 404),
    (InputError, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (TooManyAttempts, 429),
    (ConflictError, 409),
    (ConfigError, 400),
    (StoreUnavailable, 503),
    (Interrupted, 503),
    (RateLimited, 503),
    (UpstreamError, 502),
]


def error_response(
    status: int, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if details is not None:
        body["details"] = details
    return JSONResponse(
        body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    # Only the top-level field: deeper parts are union members or list indexes, which
    # mean nothing to the caller.
    # The first part is the location; a parameter may share its name ("query").
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return parts[0] if parts else ""


# How the forms name the API's fields, so a message reads "AniList id must be …".
FIELD_LABELS = {
    "anilistId": "AniList id",
    "traktId": "Trakt id",
    "tmdbId": "TMDB id",
    "imdbId": "IMDb id",
    "tvdbId": "TVDB id",
    "season": "Season",
    "offset": "Offset",
    "abs": "Absolute episode",
    "episode": "Episode",
    "movie": "Movie",
    "code": "Authorization code",
    "body": "The request",
}


def in_words(field: str, message: str) -> str:
    """`anilistId must be …` → `AniList id must be …` (the message as a form shows it)."""
    label = FIELD_LABELS.get(field)
    if label is None:
        return message
    for prefix in (f"{field} ", f"{field}: "):
        if message.startswith(prefix):
            return label + message[len(field) :]
    return message


def field_details(problems: list[tuple[str, str]]) -> dict[str, Any]:
    """The one shape of field errors: `{fields: [{field, label, message}]}`, all at once."""
    return {
        "fields": [
            {"field": f, "label": FIELD_LABELS.get(f, f), "message": in_words(f, m)}
            for f, m in problems
        ]
    }


def _describe_validation(errors: list[dict[str, Any]]) -> tuple[str, list[tuple[str, str]]]:
    details: list[tuple[str, str]] = []
    seen: set[str] = set()
    for err in errors:
        loc = tuple(err.get("loc", ()))
        kind = str(err.get("type", ""))
        field = _field_of(loc)
        if kind == "json_invalid":
            message = "request body is not valid JSON"
            field = "body"
        elif kind in ("model_attributes_type", "dict_type") and not field:
            message = "request body must be a JSON object (Content-Type: application/json)"
            field = "body"
        elif kind == "missing":
            message = f"{field or 'body'} is required"
        else:
            message = f"{field or 'body'}: {err.get('msg', 'invalid value')}"
        if (field or "body") in seen:
            continue
        seen.add(field or "body")
        details.append((field or "body", message))
    return "; ".join(message for _, message in details), details


async def _anitrakt_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AnitraktError)
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
    details = exc.details
    if isinstance(exc, InvalidFields) and details is None:
        details = field_details(exc.problems)
    elif isinstance(exc, InputError) and exc.field and details is None:
        details = field_details([(exc.field, exc.message)])
    headers = {}
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        headers["Retry-After"] = str(int(exc.retry_after + 0.999))
    if isinstance(exc, StoreUnavailable):
        headers["Retry-After"] = str(STORE_RETRY_AFTER_SECONDS)
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(status, exc.message, details, headers)


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    """A locked or unreachable database: a 503 that says so, not an anonymous 500."""
    failure = database_unavailable(exc)  # the driver's line only: SQL values may hold secrets
    logger.warning("%s %s: %s", request.method, request.url.path, failure.message)
    return await _anitrakt_error(request, failure)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, problems = _describe_validation([dict(e) for e in exc.errors()])
    return error_response(400, message, field_details(problems))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))


async def _login_required(_request: Request, exc: Exception) -> RedirectResponse:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(
        f"/login?{urlencode({'next': exc.next_path})}",
        status_code=303,
        headers={"Cache-Control": "no-store"},
    )


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    logger.error("unexpected error while handling a request: %s", type(exc).__name__)
    return error_response(500, "internal error; see the server log")


async def edge_error(request: Request, exc: Exception) -> JSONResponse | None:
    """The same answer for an error raised in the edge middleware, outside the routes."""
    if isinstance(exc, AnitraktError):
        return await _anitrakt_error(request, exc)
    if isinstance(exc, DATABASE_ERRORS):
        return await _store_error(request, exc)
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Register the one mapping from exceptions to JSON error responses."""
    app.add_exception_handler(AnitraktError, _anitrakt_error)
    for kind in DATABASE_ERRORS:
        app.add_exception_handler(kind, _store_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
