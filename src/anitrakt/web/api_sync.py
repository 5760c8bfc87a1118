"""Sync, Trakt authorization, overrides and unmapped routes (SPEC §7 and extensions).

Thin: parse, call one use case from `anitrakt.usecases`, render.
Runs happen inside the request (SPEC's GET routes stay for compatibility; the UI posts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from anitrakt.domain.instants import iso_instant
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.manual import parse_anilist_id
from anitrakt.usecases.scheduler import Tick, cron_tick
from anitrakt.usecases.sync.engine import SyncReport
from anitrakt.usecases.sync.modes import run_full, run_list, sync_show, unmapped_entries
from anitrakt.usecases.sync.overrides import (
    Override,
    overrides,
    parse_override,
    remove_override,
    save_override,
)
from anitrakt.usecases.trakt_account import (
    TraktConnection,
    connect_with_code,
    connection_status,
    poll_device_authorization,
    start_device_authorization,
)
from anitrakt.web.deps import RuntimeDep, SessionDep
from anitrakt.web.routing import changes_state, get_and_post
from anitrakt.web.schemas import ErrorBody
from anitrakt.web.schemas_sync import (
    CodeBody,
    CronBody,
    DevicePoll,
    DeviceStart,
    OverrideBody,
    OverrideList,
    OverrideRequest,
    PreviewBody,
    ShowSyncBody,
    SyncRunBody,
    TraktAuthStatus,
    TraktSearchHit,
    UnmappedItem,
    UnmappedList,
)
from anitrakt.web.security import require_api_token

router = APIRouter(
    prefix="/api",
    dependencies=[Depends(require_api_token)],
    responses={
        400: {"model": ErrorBody},
        401: {"model": ErrorBody},
        409: {"model": ErrorBody},
        502: {"model": ErrorBody},
        503: {"model": ErrorBody},
    },
)

Flag = Annotated[bool, Query(description="1/true to enable")]


def _finish(report: SyncReport) -> SyncRunBody:
    """The run's body, or the error that stopped it (its own status) carrying the body."""
    body = SyncRunBody.of(report)
    if report.failure is not None:
        raise report.failure.restated(report.message, details=body.model_dump())
    return body


def _full(runtime: Runtime, *, dry_run: bool) -> SyncReport:
    with runtime.sync_deps() as deps:
        return run_full(deps, dry_run=dry_run)


def _list(runtime: Runtime, *, completed: bool, dry_run: bool) -> SyncReport:
    with runtime.sync_deps() as deps:
        return run_list(deps, completed=completed, dry_run=dry_run)


@router.get("/sync", response_model=ShowSyncBody, openapi_extra=changes_state())
def single_show(
    runtime: RuntimeDep, anilist_id: Annotated[str, Query(alias="anilistId")]
) -> ShowSyncBody:
    """Resolve one entry and cache its Trakt episode list; posts nothing."""
    entry = parse_anilist_id(anilist_id)
    with runtime.sync_deps() as deps:
        result = sync_show(deps, entry)
    return ShowSyncBody(
        success=True, count=result.count, anilistId=result.anilist_id, traktId=result.trakt_id
    )


def full_sync(
    runtime: RuntimeDep, dry_run: Annotated[bool, Query(alias="dryRun")] = False
) -> SyncRunBody:
    """Manual incremental sync of AniList activities since the last one."""
    return _finish(_full(runtime, dry_run=dry_run))


get_and_post(router, "/full-sync", full_sync, response_model=SyncRunBody)


@router.get("/cron", response_model=CronBody, openapi_extra=changes_state())
def cron(runtime: RuntimeDep) -> CronBody:
    """The cron gate: run the automated full sync when `SYNC_INTERVAL_HOURS` has passed."""
    outcome = cron_tick(runtime)
    decision = outcome.decision
    if outcome.tick is Tick.NOT_DUE:
        if decision.next_run is None:
            message = "scheduler disabled (SYNC_INTERVAL_HOURS=0)"
        elif decision.backing_off:
            message = "skipped: the last automated run failed; waiting before the next try"
        else:
            message = "skipped: not due yet"
        return CronBody(
            message=message,
            ran=False,
            lastRun=iso_instant(decision.last_run),
            nextRun=iso_instant(decision.next_run),
        )
    if outcome.error is not None:
        raise outcome.error  # another sync holds the lease (409), or it could not start
    assert outcome.report is not None
    result = _finish(outcome.report)
    return CronBody(message=result.message, ran=True, lastRun=None, nextRun=None, result=result)


def _list_route(completed: bool) -> Callable[..., SyncRunBody | PreviewBody]:
    def handler(
        runtime: RuntimeDep,
        preview: Annotated[bool, Query()] = False,
        dry_run: Annotated[bool, Query(alias="dryRun")] = False,
    ) -> SyncRunBody | PreviewBody:
        if preview:
            return PreviewBody.of(_list(runtime, completed=completed, dry_run=True))
        return _finish(_list(runtime, completed=completed, dry_run=dry_run))

    return handler


completed_sync = _list_route(completed=True)
completed_sync.__name__ = "completed_sync"
watching_sync = _list_route(completed=False)
watching_sync.__name__ = "watching_sync"
get_and_post(
    router,
    "/completed-sync",
    completed_sync,
    response_model=SyncRunBody | PreviewBody,
    summary="Completed sync (preview=1 lists what would be posted)",
)
get_and_post(
    router,
    "/watching-sync",
    watching_sync,
    response_model=SyncRunBody | PreviewBody,
    summary="Watching sync (preview=1 lists what would be posted)",
)


# -- Trakt authorization -------------------------------------------------------------


def _auth_status(connection: TraktConnection) -> TraktAuthStatus:
    return TraktAuthStatus(
        url=connection.link,
        connected=connection.connected,
        username=connection.username,
        source=connection.source,
        expiresAt=iso_instant(connection.expires_at) if connection.expires_at else None,
    )


@router.get("/trakt-auth", response_model=TraktAuthStatus)
def trakt_auth_status(runtime: RuntimeDep) -> TraktAuthStatus:
    """The authorization URL (code-paste flow, PKCE) and whether an account is connected.

    Tokens from TRAKT_ACCESS_TOKEN count as connected: the sync uses them.
    """
    return _auth_status(connection_status(runtime, with_link=True))


@router.post("/trakt-auth", response_model=TraktAuthStatus)
def trakt_auth_exchange(runtime: RuntimeDep, body: CodeBody) -> TraktAuthStatus:
    """Exchange a pasted code for tokens and store them."""
    return _auth_status(connect_with_code(runtime, body.code.strip()))


@router.post("/trakt-auth/device", response_model=DeviceStart)
def trakt_device_start(runtime: RuntimeDep) -> DeviceStart:
    """Start device authorization: show `userCode` at `verificationUrl`, then poll."""
    device = start_device_authorization(runtime)
    return DeviceStart(
        userCode=device.user_code,
        verificationUrl=device.verification_url,
        expiresIn=device.expires_in,
        interval=device.interval,
    )


@router.get("/trakt-auth/device", response_model=DevicePoll, openapi_extra=changes_state())
def trakt_device_poll(runtime: RuntimeDep) -> DevicePoll:
    """Poll once: `pending`, or `connected` with the account name (tokens stored)."""
    connection = poll_device_authorization(runtime)
    if connection is None:
        return DevicePoll(status="pending")
    return DevicePoll(status="connected", username=connection.username)


# -- overrides and unmapped ----------------------------------------------------------


def _bodies(items: list[Override]) -> list[OverrideBody]:
    return [
        OverrideBody(traktId=o.trakt_id, abs=o.abs, season=o.season, episode=o.episode)
        for o in items
    ]


@router.get("/overrides", response_model=OverrideList)
def list_overrides_route(
    session: SessionDep, trakt_id: Annotated[str | None, Query(alias="traktId")] = None
) -> OverrideList:
    items = _bodies(overrides(session, trakt_id))
    return OverrideList(count=len(items), items=items)


@router.post("/overrides", response_model=OverrideBody)
def add_override(session: SessionDep, body: OverrideRequest) -> OverrideBody:
    """Send show-absolute episode `abs` of `traktId` to S`season`E`episode`."""
    override = parse_override(body.traktId, body.abs, body.season, body.episode)
    return _bodies([save_override(session, override)])[0]


@router.delete("/overrides", response_model=OverrideList)
def delete_override_route(
    session: SessionDep,
    trakt_id: Annotated[str, Query(alias="traktId")],
    abs: Annotated[str, Query()],
) -> OverrideList:
    remove_override(session, trakt_id, abs)
    items = _bodies(overrides(session, trakt_id))
    return OverrideList(count=len(items), items=items)


@router.get("/unmapped", response_model=UnmappedList)
def unmapped(session: SessionDep) -> UnmappedList:
    """Entries that failed resolution in recent runs, with the reason."""
    items = [UnmappedItem(**item) for item in unmapped_entries(session)]
    return UnmappedList(count=len(items), items=items)


@router.get("/trakt-search", response_model=list[TraktSearchHit])
def trakt_search(
    runtime: RuntimeDep,
    request: Request,
    query: Annotated[str, Query(min_length=1, max_length=200, description="show title")],
) -> list[TraktSearchHit]:
    """Shows on Trakt matching a title: the "Find on Trakt" action of the Unmapped list."""
    with runtime.trakt() as client:
        results = client.search_shows(query.strip())
    return [
        TraktSearchHit(
            traktId=r.show.ids.trakt, title=r.show.title, year=r.show.year, slug=r.show.ids.slug
        )
        for r in results
        if r.show is not None and r.show.ids.trakt is not None
    ]
