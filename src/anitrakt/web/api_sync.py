"""Sync, Trakt authorization, overrides and unmapped routes.

Thin: parse, call one use case from `anitrakt.usecases`, render. Runs happen inside the
request (the GET forms stay for scripts and cron jobs; the UI posts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Query

from anitrakt.domain.ids import parse_anilist_id
from anitrakt.domain.instants import iso_instant
from anitrakt.domain.values import SyncMode
from anitrakt.schemas.sync import (
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
    UnmappedList,
)
from anitrakt.usecases.covers import cached_cover_ids
from anitrakt.usecases.mappings import find_shows_on_trakt
from anitrakt.usecases.scheduler import Tick, cron_tick
from anitrakt.usecases.sync.modes import recent_unmapped
from anitrakt.usecases.sync.overrides import (
    overrides,
    parse_override,
    remove_override,
    save_override,
)
from anitrakt.usecases.sync.report import SyncReport
from anitrakt.usecases.sync.runs import cache_show, run_sync
from anitrakt.usecases.trakt_account import (
    TraktConnection,
    connect_with_code,
    connection_status,
    disconnect,
    poll_device_authorization,
    start_device_authorization,
)
from anitrakt.web.deps import RuntimeDep
from anitrakt.web.routing import api_router, changes_state, get_and_post

router = api_router(400, 401, 409, 502, 503)


def _finish(report: SyncReport) -> SyncRunBody:
    """The run's body, or the error that stopped it (its own status) carrying the body."""
    body = SyncRunBody.of(report)
    if report.failure is not None:
        raise report.failure.restated(report.message, details=body.model_dump())
    return body


@router.get("/sync", response_model=ShowSyncBody, openapi_extra=changes_state())
def single_show(
    runtime: RuntimeDep, anilist_id: Annotated[str, Query(alias="anilistId")]
) -> ShowSyncBody:
    """Resolve one entry and cache its Trakt episode list; posts nothing."""
    result = cache_show(runtime, parse_anilist_id(anilist_id))
    return ShowSyncBody(
        success=True, count=result.count, anilistId=result.anilist_id, traktId=result.trakt_id
    )


def full_sync(
    runtime: RuntimeDep, dry_run: Annotated[bool, Query(alias="dryRun")] = False
) -> SyncRunBody:
    """Manual incremental sync of AniList activities since the last one."""
    return _finish(run_sync(runtime, SyncMode.FULL, dry_run=dry_run))


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


def _list_route(mode: SyncMode) -> Callable[..., SyncRunBody | PreviewBody]:
    def handler(
        runtime: RuntimeDep,
        preview: Annotated[bool, Query()] = False,
        dry_run: Annotated[bool, Query(alias="dryRun")] = False,
    ) -> SyncRunBody | PreviewBody:
        if preview:
            # A preview is a dry run: when it fails, say so as `?dryRun=1` does.
            report = run_sync(runtime, mode, dry_run=True)
            body = PreviewBody.of(report, cached_cover_ids(runtime))
            if report.failure is not None:
                raise report.failure.restated(report.message, details=body.model_dump())
            return body
        return _finish(run_sync(runtime, mode, dry_run=dry_run))

    return handler


completed_sync = _list_route(SyncMode.COMPLETED)
completed_sync.__name__ = "completed_sync"
watching_sync = _list_route(SyncMode.WATCHING)
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


@router.delete("/trakt-auth", response_model=TraktAuthStatus)
def trakt_disconnect(runtime: RuntimeDep) -> TraktAuthStatus:
    """Disconnect Trakt: revoke the stored tokens at Trakt and forget them."""
    return _auth_status(disconnect(runtime))


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


@router.get("/overrides", response_model=OverrideList)
def list_overrides_route(
    runtime: RuntimeDep, trakt_id: Annotated[str | None, Query(alias="traktId")] = None
) -> OverrideList:
    return OverrideList.of(overrides(runtime, trakt_id))


@router.post("/overrides", response_model=OverrideBody)
def add_override(runtime: RuntimeDep, body: OverrideRequest) -> OverrideBody:
    """Send show-absolute episode `abs` of `traktId` to S`season`E`episode`."""
    override = parse_override(body.traktId, body.abs, body.season, body.episode)
    return OverrideBody.of(save_override(runtime, override))


@router.delete("/overrides", response_model=OverrideList)
def delete_override_route(
    runtime: RuntimeDep,
    trakt_id: Annotated[str, Query(alias="traktId")],
    abs: Annotated[str, Query()],
) -> OverrideList:
    remove_override(runtime, trakt_id, abs)
    return OverrideList.of(overrides(runtime, trakt_id))


@router.get("/unmapped", response_model=UnmappedList)
def unmapped(runtime: RuntimeDep) -> UnmappedList:
    """Entries that failed resolution in recent runs, with the reason."""
    return UnmappedList.of(recent_unmapped(runtime), cached_cover_ids(runtime))


@router.get("/trakt-search", response_model=list[TraktSearchHit])
def trakt_search(
    runtime: RuntimeDep,
    query: Annotated[str, Query(min_length=1, max_length=200, description="show title")],
) -> list[TraktSearchHit]:
    """Shows on Trakt matching a title: the "Find on Trakt" action of the Unmapped list."""
    return [
        TraktSearchHit(
            traktId=r.show.ids.trakt, title=r.show.title, year=r.show.year, slug=r.show.ids.slug
        )
        for r in find_shows_on_trakt(runtime, query)
        if r.show is not None and r.show.ids.trakt is not None
    ]
