"""`create_app(settings)`: the FastAPI application; its lifespan owns the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from anitrakt import __version__
from anitrakt.config import Settings
from anitrakt.runtime import Runtime
from anitrakt.web import api_sources
from anitrakt.web.api import public_router
from anitrakt.web.api import router as api_router
from anitrakt.web.errors import install_error_handlers


def create_app(settings: Settings) -> FastAPI:
    """Build the app; the database engine is opened on start-up and disposed on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.open(settings)
        app.state.runtime = runtime
        try:
            yield
        finally:
            runtime.close()

    app = FastAPI(
        title="anitrakt",
        version=__version__,
        summary="Keep Trakt watch history in step with an AniList anime list.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(public_router)
    app.include_router(api_router)
    app.include_router(api_sources.router)
    return app
