"""The beyond-history routes and the dashboard's section, against the fakes, both engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.usecases.sync.lock import sync_lock
from anitrakt.web.app import create_app
from extras_world import DROPPED_SHOW, OWN_DROPPED, library, make_world, trakt_state
from sync_world import World


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    w = make_world(sessions, settings, rewatches=False)
    library(w)
    return w


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world.settings, upstream_transport=world.transport())
    with TestClient(app) as test_client:
        yield test_client


def test_the_state_of_each_feature_before_and_after_a_run(world: World, client: TestClient) -> None:
    before = client.get("/api/extras").json()
    assert [(f["feature"], f["setting"], f["enabled"], f["last"]) for f in before] == [
        ("ratings", "SYNC_RATINGS", True, None),
        ("watchlist", "SYNC_WATCHLIST", True, None),
        ("dropped", "SYNC_DROPPED", True, None),
        ("rewatches", "SYNC_REWATCHES", False, None),
    ]

    run = client.post("/api/full-sync").json()

    assert [f["feature"] for f in run["extras"]] == ["ratings", "watchlist", "dropped"]
    assert run["extras"][0]["written"] == 3
    after = {f["feature"]: f["last"] for f in client.get("/api/extras").json()}
    assert after["dropped"]["written"] == 1
    assert after["dropped"]["summary"].startswith("dropped: wrote 1")
    assert after["rewatches"] is None
    page = client.get("/").text
    assert 'data-testid="extra-ratings" data-enabled="true"' in page
    assert "set SYNC_REWATCHES=true" in page
    assert "dropped: wrote 1" in page


def test_the_preview_plans_every_feature_and_writes_nothing(
    world: World, client: TestClient
) -> None:
    untouched = trakt_state(world)

    body = client.get("/api/extras/preview").json()

    assert trakt_state(world) == untouched
    features = {f["feature"]: f for f in body["features"]}
    assert set(features) == {"ratings", "watchlist", "dropped", "rewatches"}
    assert features["rewatches"]["enabled"] is False
    assert all(f["dryRun"] for f in features.values())
    dropped = features["dropped"]
    assert [(w["action"], w["target"]) for w in dropped["writes"]] == [
        ("drop", f"show {DROPPED_SHOW}")
    ]
    assert [item["note"] for item in dropped["left"]] == ["Trakt drops shows, not movies"]


def test_a_run_of_the_features_alone_then_again(world: World, client: TestClient) -> None:
    dry = client.post("/api/extras-sync", params={"dryRun": 1}).json()
    assert dry["mode"] == "extras"
    assert world.trakt.dropped_shows == {OWN_DROPPED}

    body = client.post("/api/extras-sync").json()

    assert body["message"].startswith("extras sync: ratings: wrote 3")
    assert world.trakt.dropped_shows == {OWN_DROPPED, DROPPED_SHOW}
    again = client.get("/api/extras-sync").json()
    assert [f["written"] for f in again["extras"]] == [0, 0, 0]


def test_a_feature_that_fails_fails_the_run_alone_with_its_status(
    world: World, client: TestClient
) -> None:
    world.trakt.fail_next(50, status=503, path="/users/hidden/dropped", method="GET")

    response = client.post("/api/extras-sync")

    assert response.status_code == 502
    details = response.json()["details"]
    by_feature = {f["feature"]: f for f in details["extras"]}
    assert by_feature["dropped"]["error"]
    assert by_feature["ratings"]["error"] is None  # the others ran
    assert by_feature["ratings"]["written"] == 3


def test_a_run_while_another_sync_holds_the_lease_is_a_409(
    world: World, client: TestClient
) -> None:
    with sync_lock(world.sessions):
        response = client.post("/api/extras-sync")
    assert response.status_code == 409


def test_a_run_alone_with_no_feature_on_is_a_400_that_asks_nothing(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = World(sessions, settings)
    app = create_app(world.settings, upstream_transport=world.transport())
    with TestClient(app) as client:
        response = client.post("/api/extras-sync")
    assert response.status_code == 400
    assert "SYNC_RATINGS" in response.json()["error"]
    assert world.anilist.requests == []
