"""JSON routes of SPEC §7 that need no upstream. Each parses, calls one core function, renders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from anitrakt import __version__
from anitrakt.domain.values import LogLevel
from anitrakt.store.logs import list_logs
from anitrakt.store.progress import count_progress, get_progress, list_progress
from anitrakt.store.titles import get_titles
from anitrakt.usecases.manual import (
    ManualMappingInput,
    parse_positive_id,
    save_manual_mapping,
    trakt_lookup,
)
from anitrakt.usecases.sync.status import read_sync_status
from anitrakt.web.deps import RuntimeDep, SessionDep
from anitrakt.web.schemas import (
    ErrorBody,
    Health,
    LogBody,
    ManualMapRequest,
    ManualMapResult,
    MappingBody,
    MappingLists,
    ProgressItem,
    ProgressOne,
    ProgressPage,
    StatusBody,
)
from anitrakt.web.security import require_api_token

router = APIRouter(
    prefix="/api",
    dependencies=[Depends(require_api_token)],
    responses={400: {"model": ErrorBody}, 401: {"model": ErrorBody}},
)
# Needs no token: load balancers and `make run` checks poll it.
public_router = APIRouter(prefix="/api")

LOGS_DEFAULT_LIMIT = 200
LOGS_MAX_LIMIT = 1000
PROGRESS_DEFAULT_LIMIT = 50
PROGRESS_MAX_LIMIT = 500


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


@public_router.get("/health", response_model=Health)
def health() -> Health:
    """Liveness check; needs no token and touches nothing."""
    return Health(status="ok", version=__version__)


@router.get("/status", response_model=StatusBody)
def status(session: SessionDep) -> StatusBody:
    """When each kind of sync last ran (ISO-8601 with offset, or null)."""
    return StatusBody.of(read_sync_status(session))


@router.get("/logs", response_model=list[LogBody])
def logs(
    session: SessionDep,
    response: Response,
    limit: Annotated[int, Query(description="rows to return, 1–1000")] = LOGS_DEFAULT_LIMIT,
    level: Annotated[LogLevel | None, Query(description="only this level")] = None,
) -> list[LogBody]:
    """The newest log rows, newest first."""
    response.headers["Cache-Control"] = "no-store"
    rows = list_logs(session, limit=_clamp(limit, 1, LOGS_MAX_LIMIT), level=level)
    return [LogBody.of(row) for row in rows]


@router.get("/progress", response_model=ProgressPage | ProgressOne)
def progress(
    session: SessionDep,
    limit: Annotated[int, Query(description="rows to return, clamped to 1–500")] = (
        PROGRESS_DEFAULT_LIMIT
    ),
    anilist_id: Annotated[str | None, Query(alias="anilistId")] = None,
) -> ProgressPage | ProgressOne:
    """Posting progress: one entry with `anilistId`, else the most recent rows."""
    if anilist_id is not None:
        entry = parse_positive_id(anilist_id, "anilistId")
        return ProgressOne(anilistId=entry, lastAbs=get_progress(session, entry))
    rows = list_progress(session, limit=_clamp(limit, 1, PROGRESS_MAX_LIMIT))
    return ProgressPage(count=count_progress(session), items=[ProgressItem.of(r) for r in rows])


@router.get("/mappings", response_model=MappingLists)
def mappings(session: SessionDep) -> MappingLists:
    """Every stored mapping, manual and automatic, with the AniList title a sync saw."""
    return MappingLists.load(session)


@router.post("/manual-map", response_model=ManualMapResult)
def manual_map(runtime: RuntimeDep, session: SessionDep, body: ManualMapRequest) -> ManualMapResult:
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
    with trakt_lookup(runtime.trakt) as lookup:
        row = save_manual_mapping(session, given, lookup)
    title = get_titles(session, [row.anilist_id]).get(row.anilist_id)
    return ManualMapResult(success=True, added=MappingBody.of(row, title))
