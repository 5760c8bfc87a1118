"""Sync, Trakt authorization, overrides and unmapped routes (SPEC §7 and extensions).

Thin: parse, call one core function from `anitrakt.sync` / `anitrakt.services`, render.
Runs happen inside the request (SPEC's GET routes stay for compatibility; the UI posts).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Query, Request

from anitrakt.domain.instants import iso_instant
from anitrakt.errors import InputError, UpstreamError
from anitrakt.mappings.manual import parse_anilist_id
from anitrakt.runtime import Runtime
from anitrakt.services import run_automated_sync, sync_deps, trakt_client
from anitrakt.store.tokens import load_tokens
from anitrakt.sync.engine import SyncReport
from anitrakt.sync.modes import cron_state, run_full, run_list, sync_show, unmapped_entries
from anitrakt.sync.overrides import (
    Override,
    overrides,
    parse_override,
    remove_override,
    save_override,
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


def _transport(request: Request) -> httpx.BaseTransport | None:
    transport: httpx.BaseTransport | None = getattr(request.app.state, "upstream_transport", None)
    return transport


def _finish(report: SyncReport) -> SyncRunBody:
    """The run's body, or the error that stopped it (its own status) carrying the body."""
    body = SyncRunBody.of(report)
    if report.failure is not None:
        raise report.failure.restated(report.message, details=body.model_dump())
    return body


def _full(runtime: Runtime, request: Request, *, dry_run: bool) -> SyncReport:
    with sync_deps(runtime, transport=_transport(request)) as deps:
        return run_full(deps, dry_run=dry_run)


def _list(runtime: Runtime, request: Request, *, completed: bool, dry_run: bool) -> SyncReport:
    with sync_deps(runtime, transport=_transport(request)) as deps:
        return run_list(deps, completed=completed, dry_run=dry_run)


@router.get("/sync", response_model=ShowSyncBody, openapi_extra=changes_state())
def single_show(
    runtime: RuntimeDep, request: Request, anilist_id: Annotated[str, Query(alias="anilistId")]
) -> ShowSyncBody:
    """Resolve one entry and cache its Trakt episode list; posts nothing."""
    entry = parse_anilist_id(anilist_id)
    with sync_deps(runtime, transport=_transport(request)) as deps:
        result = sync_show(deps, entry)
    return ShowSyncBody(
        success=True, count=result.count, anilistId=result.anilist_id, traktId=result.trakt_id
    )


def full_sync(
    runtime: RuntimeDep, request: Request, dry_run: Annotated[bool, Query(alias="dryRun")] = False
) -> SyncRunBody:
    """Manual incremental sync of AniList activities since the last one."""
    return _finish(_full(runtime, request, dry_run=dry_run))


get_and_post(router, "/full-sync", full_sync, response_model=SyncRunBody)


@router.get("/cron", response_model=CronBody, openapi_extra=changes_state())
def cron(runtime: RuntimeDep, request: Request) -> CronBody:
    """The cron gate: run the automated full sync when `SYNC_INTERVAL_HOURS` has passed."""
    with runtime.sessions() as session:
        decision = cron_state(session, runtime.settings.sync_interval_hours)
    if not decision.due:
        message = (
            "scheduler disabled (SYNC_INTERVAL_HOURS=0)"
            if decision.next_run is None
            else "skipped: not due yet"
        )
        return CronBody(
            message=message,
            ran=False,
            lastRun=iso_instant(decision.last_run),
            nextRun=iso_instant(decision.next_run),
        )
    result = _finish(run_automated_sync(runtime, transport=_transport(request)))
    return CronBody(message=result.message, ran=True, lastRun=None, nextRun=None, result=result)


def _list_route(completed: bool) -> Callable[..., SyncRunBody | PreviewBody]:
    def handler(
        runtime: RuntimeDep,
        request: Request,
        preview: Annotated[bool, Query()] = False,
        dry_run: Annotated[bool, Query(alias="dryRun")] = False,
    ) -> SyncRunBody | PreviewBody:
        if preview:
            return PreviewBody.of(_list(runtime, request, completed=completed, dry_run=True))
        return _finish(_list(runtime, request, completed=completed, dry_run=dry_run))

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


@router.get("/trakt-auth", response_model=TraktAuthStatus)
def trakt_auth_status(runtime: RuntimeDep, request: Request) -> TraktAuthStatus:
    """The authorization URL (code-paste flow) and whether an account is connected."""
    with runtime.sessions() as session:
        tokens = load_tokens(session)
    with trakt_client(runtime, transport=_transport(request)) as client:
        url = client.authorization_url(secrets.token_urlsafe(16))
        username = None
        if tokens is not None:
            try:
                username = client.user_settings().username
            except UpstreamError:
                username = None
    return TraktAuthStatus(
        url=url,
        connected=tokens is not None,
        username=username,
        expiresAt=iso_instant(tokens.expires_at) if tokens and tokens.expires_at else None,
    )


@router.post("/trakt-auth", response_model=TraktAuthStatus)
def trakt_auth_exchange(runtime: RuntimeDep, request: Request, body: CodeBody) -> TraktAuthStatus:
    """Exchange a pasted code for tokens and store them."""
    with trakt_client(runtime, transport=_transport(request)) as client:
        tokens = client.exchange_code(body.code.strip())
        username = client.user_settings().username
    runtime.events.info(f"Trakt connected as {username} (code flow)")
    return TraktAuthStatus(
        url=None,
        connected=True,
        username=username,
        expiresAt=iso_instant(tokens.expires_at) if tokens.expires_at else None,
    )


@router.post("/trakt-auth/device", response_model=DeviceStart)
def trakt_device_start(runtime: RuntimeDep, request: Request) -> DeviceStart:
    """Start device authorization: show `userCode` at `verificationUrl`, then poll."""
    with trakt_client(runtime, transport=_transport(request)) as client:
        device = client.device_code()
    request.app.state.pending_device = device
    return DeviceStart(
        userCode=device.user_code,
        verificationUrl=device.verification_url,
        expiresIn=device.expires_in,
        interval=device.interval,
    )


@router.get("/trakt-auth/device", response_model=DevicePoll, openapi_extra=changes_state())
def trakt_device_poll(runtime: RuntimeDep, request: Request) -> DevicePoll:
    """Poll once: `pending`, or `connected` with the account name (tokens stored)."""
    device = getattr(request.app.state, "pending_device", None)
    if device is None:
        raise InputError("no device authorization in progress; POST /api/trakt-auth/device")
    with trakt_client(runtime, transport=_transport(request)) as client:
        try:
            tokens = client.poll_device_once(device)
        except UpstreamError:
            request.app.state.pending_device = None
            raise
        if tokens is None:
            return DevicePoll(status="pending")
        request.app.state.pending_device = None
        username = client.user_settings().username
    runtime.events.info(f"Trakt connected as {username} (device code)")
    return DevicePoll(status="connected", username=username)


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
    with trakt_client(runtime, transport=_transport(request)) as client:
        results = client.search_shows(query.strip())
    return [
        TraktSearchHit(
            traktId=r.show.ids.trakt, title=r.show.title, year=r.show.year, slug=r.show.ids.slug
        )
        for r in results
        if r.show is not None and r.show.ids.trakt is not None
    ]
