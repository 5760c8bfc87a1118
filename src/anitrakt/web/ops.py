"""Probes for orchestrators: `/livez` and `/readyz`, without the token, GET and HEAD.

Thin: the verdict comes from `anitrakt.health`; these routes only pick the status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from anitrakt.health import check_readiness
from anitrakt.web.deps import RuntimeDep

router = APIRouter(tags=["health"])

NO_STORE = {"Cache-Control": "no-store"}


class LiveBody(BaseModel):
    status: str


class ReadyBody(BaseModel):
    status: str
    error: str | None = None
    checks: dict[str, str]


def livez() -> JSONResponse:
    """The process answers; touches nothing else."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


def readyz(runtime: RuntimeDep, request: Request) -> JSONResponse:
    """Database reachable, schema at the newest migration, scheduler alive (when enabled).

    200 `{status: "ready", checks}`; otherwise 503 with `error` saying what is wrong.
    """
    readiness = check_readiness(runtime, getattr(request.app.state, "scheduler", None))
    status = 200 if readiness.ready else 503
    return JSONResponse(readiness.body(), status_code=status, headers=NO_STORE)


def _get_and_head(path: str, handler: Callable[..., Any], **kwargs: Any) -> None:
    # HEAD is registered apart and kept out of the OpenAPI document: one operation id each.
    router.add_api_route(path, handler, methods=["GET"], **kwargs)
    router.add_api_route(
        path, handler, methods=["HEAD"], name=f"{handler.__name__}_head", include_in_schema=False
    )


_get_and_head("/livez", livez, response_model=LiveBody)
_get_and_head("/readyz", readyz, response_model=ReadyBody, responses={503: {"model": ReadyBody}})
