"""Route registration shared by the API modules, and the mark on routes that change state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends

from anitrakt.schemas.common import ErrorBody
from anitrakt.web.security import require_api_token

# OpenAPI extension on operations that change state even when called with GET: the
# edge refuses them from other sites' pages and never answers HEAD with them.
CHANGES_STATE_KEY = "x-changes-state"


def api_router(*statuses: int, described: Mapping[int, str] | None = None) -> APIRouter:
    """An /api router behind the API token, documenting each error status as `ErrorBody`
    (with a description where `described` gives one)."""
    notes = described or {}
    responses: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*statuses, *notes}):
        responses[status] = {"model": ErrorBody}
        if status in notes:
            responses[status]["description"] = notes[status]
    return APIRouter(prefix="/api", dependencies=[Depends(require_api_token)], responses=responses)


def changes_state() -> dict[str, Any]:
    """`openapi_extra` for a GET route that changes something (starts a run, stores tokens)."""
    return {CHANGES_STATE_KEY: True}


def changes_state_paths(document: dict[str, Any]) -> frozenset[str]:
    """Paths whose GET operation in the OpenAPI `document` is marked `changes_state()`."""
    return frozenset(
        path
        for path, operations in document.get("paths", {}).items()
        if operations.get("get", {}).get(CHANGES_STATE_KEY)
    )


def get_and_post(router: APIRouter, path: str, handler: Callable[..., Any], **kwargs: Any) -> None:
    """Serve `handler` on GET (README "HTTP API" compatibility) and POST (what the UI uses).

    Registered as two operations so the OpenAPI document gets distinct operation ids.
    Every such route runs something, so both are marked as changing state.
    """
    for method in ("GET", "POST"):
        router.add_api_route(
            path,
            handler,
            methods=[method],
            name=f"{handler.__name__}_{method.lower()}",
            openapi_extra=changes_state(),
            **kwargs,
        )
