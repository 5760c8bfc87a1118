"""Route registration shared by the API modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter


def get_and_post(router: APIRouter, path: str, handler: Callable[..., Any], **kwargs: Any) -> None:
    """Serve `handler` on GET (SPEC §7 compatibility) and POST (what the UI uses).

    Registered as two operations so the OpenAPI document gets distinct operation ids.
    """
    for method in ("GET", "POST"):
        router.add_api_route(
            path, handler, methods=[method], name=f"{handler.__name__}_{method.lower()}", **kwargs
        )
