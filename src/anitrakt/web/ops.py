"""Operations routes: `/livez` and `/readyz` (no token, GET and HEAD) and `/metrics`.

Thin: the verdict comes from `usecases.health`, the text from `usecases.metrics`;
these routes only pick the status. `/metrics` wants the token when one is set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from anitrakt.schemas.common import ErrorBody
from anitrakt.usecases.health import check_readiness
from anitrakt.usecases.metrics import CONTENT_TYPE
from anitrakt.web.deps import RuntimeDep
from anitrakt.web.security import require_api_token

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


@router.get(
    "/metrics",
    dependencies=[Depends(require_api_token)],
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"},
        401: {"model": ErrorBody},
    },
)
def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus metrics: runs, plays, upstream requests and waits, stored state."""
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE, headers=NO_STORE)
