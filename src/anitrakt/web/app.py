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
from anitrakt.schemas.sync import SyncRunBody
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.jobs import JobRunner
from anitrakt.usecases.scheduler import Scheduler
from anitrakt.web import (
    api_extras,
    api_jobs,
    api_library,
    api_review,
    api_sources,
    api_sync,
    docs,
    ops,
    pages,
)
from anitrakt.web.api import public_router
from anitrakt.web.api import router as api_router
from anitrakt.web.edge import Edge
from anitrakt.web.errors import install_error_handlers
from anitrakt.web.forwarding import HostPolicy, ProxyPolicy
from anitrakt.web.routing import changes_state_paths
from anitrakt.web.security import forget_stale_sessions
from anitrakt.web.throttle import FailureThrottle

STATIC_DIR = Path(__file__).parent / "static"
# How long shutdown waits for a scheduled sync to reach its next batch boundary (the stop
# flag is set on SIGTERM); short enough that a container stops inside Docker's 10 s.
SCHEDULER_STOP_SECONDS = 5.0


def create_app(
    settings: Settings,
    *,
    scheduler: bool = False,
    upstream_transport: httpx.BaseTransport | None = None,
    throttle: FailureThrottle | None = None,
) -> FastAPI:
    """Build the app; the lifespan opens the engine (and the scheduler, when asked).

    `upstream_transport` routes every upstream request (tests point it at the fakes);
    `throttle` counts failed sign-ins (tests give it a clock they move).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.open(settings, transport=upstream_transport)
        runtime.open_loop_reads()
        forget_stale_sessions(runtime)
        app.state.runtime = runtime
        timer = Scheduler(runtime) if scheduler and settings.sync_interval_hours > 0 else None
        app.state.scheduler = timer  # /readyz asks whether it is alive
        if timer is not None:
            timer.start()
        jobs = JobRunner(runtime, lambda report: SyncRunBody.of(report).model_dump(mode="json"))
        app.state.jobs = jobs
        jobs.start()
        try:
            yield
        finally:
            jobs.stop(SCHEDULER_STOP_SECONDS)
            if timer is not None:
                timer.stop(SCHEDULER_STOP_SECONDS)
            await runtime.close_loop_reads()
            runtime.close()

    app = FastAPI(
        title="anitrakt",
        version=__version__,
        summary="Keep Trakt watch history in step with an AniList anime list.",
        lifespan=lifespan,
        # The CDN-loaded Swagger and ReDoc pages are replaced by our own (web/docs.py).
        docs_url=None,
        redoc_url=None,
        # No OpenTelemetry: /metrics is Prometheus (usecases/metrics.py). Left on, FastAPI
        # asks the global OpenTelemetry providers on every request whether they are set.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.throttle = throttle or FailureThrottle()
    install_error_handlers(app)
    app.include_router(ops.router)
    app.include_router(public_router)
    app.include_router(api_router)
    app.include_router(api_sources.router)
    app.include_router(api_sync.router)
    app.include_router(api_jobs.router)
    app.include_router(api_library.router)
    app.include_router(api_review.router)
    app.include_router(api_extras.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    # Public on purpose: CSS and JS only, no data; the login page needs them too.
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(
        Edge,
        hosts=HostPolicy.of(settings),
        proxies=ProxyPolicy(settings.anitrakt_trusted_proxies),
        changes_state=changes_state_paths(app.openapi()),
        token_set=settings.anitrakt_api_token is not None,
    )
    return app
