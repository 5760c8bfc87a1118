"""The dashboard's charts: plays posted per day over 30 days, and entries by state as the
last library read found them — inline SVG, nothing loaded from elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.web.app import create_app
from sync_world import LOST, SPLIT, World


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    world = World(sessions, settings).small_library()
    world.anilist.add_entry(world.user.id, SPLIT, progress=0, status="COMPLETED")
    world.anilist.add_entry(world.user.id, LOST, progress=2, status="CURRENT")
    return world


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings, upstream_transport=world.transport())) as c:
        yield c


def test_the_plays_chart_counts_what_runs_posted_each_day(client: TestClient) -> None:
    before = client.get("/").text
    assert before.count("0 plays on ") == 30
    assert "(0 in all)" in before

    client.cookies.clear()  # the page gave a browser session; the API calls are a script's
    assert client.post("/api/completed-sync").json()["added"] == 24
    client.post("/api/completed-sync")  # posts nothing more: the count stays
    client.post("/api/completed-sync", params={"dryRun": 1})  # a dry run posts nothing

    page = client.get("/").text
    assert page.count("<title>24 plays on ") == 1
    assert page.count("0 plays on ") == 29
    assert "(24 in all)" in page


def test_the_state_chart_shows_the_last_library_read(client: TestClient) -> None:
    assert 'Open the <a href="/library">Library</a>' in client.get("/").text

    client.cookies.clear()
    client.get("/api/library")

    page = client.get("/").text
    assert "<title>pending: 1 (50%)</title>" in page
    assert "<title>unmapped: 1 (50%)</title>" in page
    assert "as of the last library read" in page
