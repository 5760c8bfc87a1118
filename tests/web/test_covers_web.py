"""Covers over HTTP: `GET /covers/{id}` serves the cached image from the app's own origin,
and the library, previews and unmapped list say where each entry's cover is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from sync_world import AOT, LOST, SPLIT, World
from web_client import world_client

API_TOKEN = "a-long-enough-api-token-for-the-tests"


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return World(sessions, settings).all_completed()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with world_client(world) as test_client:
        yield test_client


def test_a_preview_caches_covers_that_the_app_then_serves(world: World, client: TestClient) -> None:
    published = world.with_covers()

    preview = client.get("/api/completed-sync?preview=1").json()

    covers = {item["anilistShowId"]: item["cover"] for item in preview["items"]}
    assert covers == {SPLIT: f"/covers/{SPLIT}", AOT: f"/covers/{AOT}"}
    assert [(s["anilistShowId"], s["cover"]) for s in preview["skipped"]] == [
        (LOST, f"/covers/{LOST}")
    ]
    served = client.get(f"/covers/{AOT}")
    assert served.status_code == 200
    assert served.content == published[AOT]
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "private" in served.headers["cache-control"]


def test_the_library_and_unmapped_list_name_each_cached_cover(
    world: World, client: TestClient
) -> None:
    world.with_covers()
    assert client.post("/api/completed-sync").status_code == 200

    after = {
        item["anilistId"]: item["cover"] for item in client.get("/api/library").json()["items"]
    }
    assert after == {SPLIT: f"/covers/{SPLIT}", AOT: f"/covers/{AOT}", LOST: f"/covers/{LOST}"}
    unmapped = client.get("/api/unmapped").json()["items"]
    assert [(u["anilistId"], u["cover"]) for u in unmapped] == [(LOST, f"/covers/{LOST}")]


def test_opening_the_library_fills_its_covers_behind_the_page(
    world: World, client: TestClient
) -> None:
    """The incremental sync never reads the whole list; the library does, so the covers
    of entries no sync has read are fetched in the background, and the next load has them."""
    published = world.with_covers()

    assert client.get("/api/library").status_code == 200  # no sync has run
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    runtime.cover_filler.wait()

    items = client.get("/api/library").json()["items"]
    assert {item["anilistId"]: item["cover"] for item in items} == {
        SPLIT: f"/covers/{SPLIT}",
        AOT: f"/covers/{AOT}",
        LOST: f"/covers/{LOST}",
    }
    assert client.get(f"/covers/{SPLIT}").content == published[SPLIT]
    assert world.cdn.count() == 3
    client.get("/api/library")
    runtime.cover_filler.wait()
    assert world.cdn.count() == 3  # all cached: no fill starts


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        (f"/covers/{AOT}", 404, f"no cover is cached for AniList {AOT}"),
        ("/covers/abc", 400, "anilistId must be a positive integer"),
        ("/covers/99999999999999999999999", 400, "anilistId"),
    ],
)
def test_a_cover_that_is_not_there_is_a_clear_error(
    client: TestClient, path: str, status: int, words: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert words in response.json()["error"]


def test_with_a_token_a_cover_needs_the_login(world: World) -> None:
    world.with_covers()
    with world_client(world, anitrakt_api_token=SecretStr(API_TOKEN)) as client:
        bearer = {"Authorization": f"Bearer {API_TOKEN}"}
        assert client.get("/api/completed-sync?preview=1", headers=bearer).status_code == 200
        anonymous = client.get(f"/covers/{AOT}", follow_redirects=False)
        assert anonymous.status_code in (302, 303, 401)
        assert client.get(f"/covers/{AOT}", headers=bearer).status_code == 200
