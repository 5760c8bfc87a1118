"""`create_app(settings)`: the FastAPI application; its lifespan owns the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from anitrakt import __version__
from anitrakt.config import Settings
from anitrakt.runtime import Runtime
from anitrakt.scheduler import Scheduler
from anitrakt.web import api_sources, api_sync, ops, pages
from anitrakt.web.api import public_router
from anitrakt.web.api import router as api_router
from anitrakt.web.errors import install_error_handlers

STATIC_DIR = Path(__file__).parent / "static"
# How long shutdown waits for a scheduled sync to reach its next batch boundary (the stop
# flag is set on SIGTERM); short enough that a container stops inside Docker's 10 s.
SCHEDULER_STOP_SECONDS = 5.0


def create_app(
    settings: Settings,
    *,
    scheduler: bool = False,
    upstream_transport: httpx.BaseTransport | None = None,
) -> FastAPI:
    """Build the app; the lifespan opens the engine (and the scheduler, when asked).

    `upstream_transport` routes every upstream request (tests point it at the fakes).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.open(settings)
        if upstream_transport is not None:  # the mapping-source downloads too
            runtime.downloads.transport = upstream_transport
        app.state.runtime = runtime
        app.state.upstream_transport = upstream_transport
        timer = Scheduler(runtime) if scheduler and settings.sync_interval_hours > 0 else None
        app.state.scheduler = timer  # /readyz asks whether it is alive
        if timer is not None:
            timer.start()
        try:
            yield
        finally:
            if timer is not None:
                timer.stop(SCHEDULER_STOP_SECONDS)
            runtime.close()

    app = FastAPI(
        title="anitrakt",
        version=__version__,
        summary="Keep Trakt watch history in step with an AniList anime list.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(ops.router)
    app.include_router(public_router)
    app.include_router(api_router)
    app.include_router(api_sources.router)
    app.include_router(api_sync.router)
    app.include_router(pages.router)
    # Public on purpose: CSS and JS only, no data; the login page needs them too.
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
