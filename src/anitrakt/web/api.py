"""JSON routes that need no upstream: status, logs, progress, mappings.

Each parses its input, calls one use case and renders it (docs/architecture.md).

The read routes are `async` and run their read on the event loop itself
(`Runtime.read_from_loop`, store/loop_reads.py): a hop to the thread pool and back cost
more than the query, and under load the worker threads queued behind each other for the
GIL (issue 18, docs/performance.md). The list routes render their JSON without a model
per row.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from anitrakt import __version__
from anitrakt.domain.ids import parse_anilist_id, parse_positive_id
from anitrakt.domain.values import LogLevel
from anitrakt.schemas.common import (
    Health,
    LogBody,
    ManualMapRequest,
    ManualMapResult,
    MappingBody,
    MappingLists,
    ProgressOne,
    ProgressPage,
    StatusBody,
    UnmapResult,
    logs_json,
    progress_page_json,
)
from anitrakt.usecases.logs import logs_page
from anitrakt.usecases.manual import ManualMappingInput
from anitrakt.usecases.mappings import map_manually, mapping_lists, unmap
from anitrakt.usecases.progress import last_posted, progress_page
from anitrakt.usecases.sync.status import read_sync_status
from anitrakt.web.deps import RuntimeDep
from anitrakt.web.routing import api_router

router = api_router(400, 401)
# Needs no token: load balancers and `make run` checks poll it.
public_router = APIRouter(prefix="/api")

LOGS_DEFAULT_LIMIT = 200
LOGS_MAX_LIMIT = 1000
PROGRESS_DEFAULT_LIMIT = 50
PROGRESS_MAX_LIMIT = 500


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


@public_router.get("/health", response_model=Health)
async def health() -> Health:
    """Liveness check; needs no token and touches nothing."""
    return Health(status="ok", version=__version__)


@router.get("/status", response_model=StatusBody)
async def status(runtime: RuntimeDep) -> StatusBody:
    """When each kind of sync last ran (ISO-8601 with offset, or null)."""
    return StatusBody.of(await runtime.read_from_loop(read_sync_status))


JSON = "application/json"
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/logs", response_model=list[LogBody])
async def logs(
    runtime: RuntimeDep,
    limit: Annotated[int, Query(description="rows to return, 1–1000")] = LOGS_DEFAULT_LIMIT,
    level: Annotated[LogLevel | None, Query(description="only this level")] = None,
) -> Response:
    """The newest log rows, newest first."""
    rows = await runtime.read_from_loop(
        logs_page, limit=_clamp(limit, 1, LOGS_MAX_LIMIT), level=level
    )
    return Response(logs_json(rows), media_type=JSON, headers=NO_STORE)


@router.get("/progress", response_model=ProgressPage | ProgressOne)
async def progress(
    runtime: RuntimeDep,
    limit: Annotated[int, Query(description="rows to return, clamped to 1–500")] = (
        PROGRESS_DEFAULT_LIMIT
    ),
    anilist_id: Annotated[str | None, Query(alias="anilistId")] = None,
) -> ProgressOne | Response:
    """Posting progress: one entry with `anilistId`, else the most recent rows."""
    if anilist_id is not None:
        entry = parse_positive_id(anilist_id, "anilistId")
        return ProgressOne(
            anilistId=entry, lastAbs=await runtime.read_from_loop(last_posted, entry)
        )
    page = await runtime.read_from_loop(progress_page, limit=_clamp(limit, 1, PROGRESS_MAX_LIMIT))
    return Response(progress_page_json(page), media_type=JSON)


@router.get("/mappings", response_model=MappingLists)
def mappings(runtime: RuntimeDep) -> MappingLists:
    """Every stored mapping, manual and automatic, with the AniList title a sync saw."""
    return MappingLists.of(mapping_lists(runtime))


@router.post("/manual-map", response_model=ManualMapResult)
def manual_map(runtime: RuntimeDep, body: ManualMapRequest) -> ManualMapResult:
    """Add or replace a manual mapping; manual rows always win over automatic ones.

    `traktId` may be a Trakt URL or slug, looked up on Trakt (needs TRAKT_CLIENT_ID).
    """
    given = ManualMappingInput(
        anilist_id=body.anilistId,
        trakt_id=body.traktId,
        tmdb_id=body.tmdbId,
        imdb_id=body.imdbId,
        tvdb_id=body.tvdbId,
        season=body.season,
        offset=body.offset,
        movie=body.movie,
    )
    return ManualMapResult(success=True, added=MappingBody.of(map_manually(runtime, given)))


@router.delete("/manual-map", response_model=UnmapResult)
def delete_manual_map(
    runtime: RuntimeDep, anilist_id: Annotated[str, Query(alias="anilistId")]
) -> UnmapResult:
    """Delete a manual mapping; the next sync resolves the entry automatically again."""
    entry = parse_anilist_id(anilist_id)
    unmap(runtime, entry)
    return UnmapResult(success=True, anilistId=entry)
