"""The HTML pages of README "The dashboard" plus login/logout.

Handlers only read what the first paint needs through the same core functions the API
routes use; everything interactive is a `fetch()` to the `/api/` routes from
`static/app.js`, so pages and scripts run exactly the same code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from anitrakt.domain.charts import daily_bars, share_segments
from anitrakt.domain.instants import iso_instant
from anitrakt.usecases.covers import cover_file
from anitrakt.usecases.dashboard import dashboard as dashboard_view
from anitrakt.usecases.scheduler import CHECK_EVERY_SECONDS, RETRY_AFTER_FAILURE
from anitrakt.web.deps import RuntimeDep
from anitrakt.web.security import (
    CSRF_COOKIE,
    Caller,
    Forbidden,
    TooManyAttempts,
    check_csrf,
    check_throttle,
    end_session,
    identify,
    note_failure,
    page_csrf_token,
    remember_csrf,
    require_page_session,
    start_session,
    token_matches,
)

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Counts for people: "18,265" everywhere (the JSON keeps bare numbers); times are
# rendered in the browser's local time by app.js (`time[data-local]`).
TEMPLATES.env.filters["num"] = lambda n: f"{n:,}" if isinstance(n, int) else n
PageCaller = Annotated[Caller, Depends(require_page_session)]
# The dashboard banner's headline for a failure the person must act on; the failure's
# own message (shown under it) says what to do.
FAILURE_HEADLINES = {
    "anilist_refused": "AniList is refusing anitrakt's requests",
    "trakt_app_rejected": "Trakt does not accept this app (TRAKT_CLIENT_ID)",
    "edge_blocked": "A CDN in front of an upstream is blocking anitrakt",
    "trakt_account_locked": "Your Trakt account is locked",
    "trakt_vip_required": "This needs Trakt VIP",
}

router = APIRouter(include_in_schema=False)
FAVICON = Path(__file__).parent / "static" / "favicon.svg"


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The icon browsers ask for on their own (public, like /static)."""
    return FileResponse(
        FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )


@router.get("/covers/{anilist_id}")
def cover(anilist_id: str, runtime: RuntimeDep, caller: PageCaller) -> Response:
    """An entry's cover thumbnail from the app's own cache (docs/covers.md), so pages
    load nothing from another origin; typed by its checked bytes, private to the caller."""
    found = cover_file(runtime, anilist_id)
    headers = {"Cache-Control": "private, max-age=86400"}
    return Response(found.body, media_type=found.media_type, headers=headers)


NAV = [
    ("/", "Dashboard"),
    ("/sync", "Sync"),
    ("/library", "Library"),
    ("/mappings", "Mappings"),
    ("/manual", "Manual mapping"),
    ("/overrides", "Overrides"),
    ("/logs", "Logs"),
]


def render(
    request: Request,
    caller: Caller,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render with the shared layout context; set the double-submit cookie when needed."""
    csrf = page_csrf_token(request, caller)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "csrf": csrf,
            "nav": NAV,
            "path": request.url.path,
            "logged_in": caller.kind == "session",
            **context,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )
    remember_csrf(request, response, caller, csrf)
    return response


def _safe_next(value: str | None) -> str:
    """Only same-site paths, so the login form cannot be used as an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _login_caller(request: Request) -> Caller:
    # Before login there is no session: the login form uses a double-submit cookie, and
    # unlike cookie-less script posts ("open") the token is always required.
    return Caller("login", request.cookies.get(CSRF_COOKIE) or None)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    """The token form; straight to the app when no token is configured or already in."""
    caller = identify(request)
    if caller is not None and caller.kind in ("open", "session"):
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(
        request, _login_caller(request), "login.html", nav=[], next=_safe_next(next), error=None
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the token; on success start a session and go where the user was headed.

    A wrong token counts towards the address's failure throttle; a locked-out address
    is told how long to wait (429) and its token is not even compared.
    """
    caller = _login_caller(request)

    def again(status: int, error: str, headers: dict[str, str] | None = None) -> Response:
        return render(
            request,
            caller,
            "login.html",
            nav=[],
            status_code=status,
            headers=headers,
            next=_safe_next(next),
            error=error,
        )

    try:
        check_csrf(request, caller, csrf_token)
    except Forbidden:
        return again(403, "The form expired; please try again.")
    try:
        check_throttle(request)
    except TooManyAttempts as exc:
        return again(
            429,
            f"Too many wrong tokens from your address; try again in {exc.retry_after} seconds.",
            {"Retry-After": str(exc.retry_after)},
        )
    if not token_matches(request, token.strip()):
        note_failure(request)
        return again(401, "Wrong token.")
    response = RedirectResponse(_safe_next(next), status_code=303)
    start_session(request, response)
    return response


@router.post("/logout")
def logout(
    request: Request,
    caller: PageCaller,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """End the session: its server-side row goes, so a copy of the cookie stops working."""
    check_csrf(request, caller, csrf_token)
    response = RedirectResponse("/login", status_code=303)
    end_session(request, response)
    return response


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, runtime: RuntimeDep, caller: PageCaller) -> Response:
    """Mapping sources, sync status, next run, Trakt account, recent progress, extras."""
    view = dashboard_view(runtime)
    trakt = view.trakt
    return render(
        request,
        caller,
        "dashboard.html",
        sources=view.sources,
        status=view.status,
        cron=view.cron,
        scheduler_enabled=view.scheduler_enabled,
        trakt_connected=trakt.connected,
        trakt_source=trakt.source,
        trakt_expires=iso_instant(trakt.expires_at) if trakt.expires_at else None,
        progress=view.progress,
        extras=view.extras,
        plays_bars=daily_bars(view.plays),
        plays_total=sum(count for _, count in view.plays),
        state_segments=share_segments(view.states.counts) if view.states else [],
        states_at=iso_instant(view.states.at) if view.states else None,
        setup=view.setup,
        scheduler_check_minutes=round(CHECK_EVERY_SECONDS / 60),
        scheduler_retry_minutes=round(RETRY_AFTER_FAILURE.total_seconds() / 60),
        failure_headlines=FAILURE_HEADLINES,
        iso=iso_instant,
    )


def _static_page(template: str, summary: str) -> Any:
    def handler(request: Request, caller: PageCaller) -> Response:
        return render(request, caller, template)

    handler.__doc__ = summary
    return handler


for _path, _template, _summary in [
    ("/sync", "sync.html", "Single show, full / completed / watching runs, Trakt connection."),
    (
        "/mappings",
        "mappings.html",
        "Manual and automatic mappings, entries held for review, and unmapped entries.",
    ),
    ("/manual", "manual.html", "Add or update one manual mapping."),
    ("/library", "library.html", "Every AniList entry, its state and why; fix it from there."),
    ("/overrides", "overrides.html", "Episode overrides: show-absolute episode → S/E."),
    ("/logs", "logs.html", "The operational log, live."),
]:
    router.add_api_route(
        _path,
        _static_page(_template, _summary),
        methods=["GET"],
        response_class=HTMLResponse,
        name=_template.removesuffix(".html") + "_page",
    )
