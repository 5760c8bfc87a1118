"""The real app on a test `World`'s fakes, as a browser at 127.0.0.1:8000 reaches it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from anitrakt.web.app import create_app
from sync_world import World


def world_client(world: World, **settings: object) -> TestClient:
    """A TestClient (not yet started) for the app with `world`'s settings, changed by
    `settings`, and every upstream request sent to its fakes."""
    app = create_app(
        world.settings.model_copy(update=settings), upstream_transport=world.transport()
    )
    return TestClient(app, base_url="http://127.0.0.1:8000")
