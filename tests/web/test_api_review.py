"""Held entries, the one-click fix and explain over HTTP (issue 14 §2), on both engines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.store.anibridge import add_ranges
from anitrakt.web.app import create_app
from sync_world import JJK_2, JJK_TMDB, JJK_TRAKT, World


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    w = World(sessions, settings)
    w.jujutsu_kaisen(dated=False)  # no air dates: Fribb's `s2` cannot be settled
    return w


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world.settings, upstream_transport=world.transport())
    with TestClient(app) as test_client:
        yield test_client


def jjk_plays(world: World) -> list[tuple[int, int]]:
    history: Counter[Any] = world.history()
    return sorted((k[1], k[2]) for k in history if k[0] == JJK_TRAKT)


def test_a_held_entry_is_listed_then_fixed_in_one_step(world: World, client: TestClient) -> None:
    world.watched(JJK_2, "1 - 3")

    run = client.post("/api/full-sync").json()

    assert (run["added"], run["held"]) == (0, 3)
    assert run["review"][0]["episodesText"] == "1–3"
    listed = client.get("/api/review").json()
    assert listed["count"] == 1
    [item] = listed["items"]
    assert (item["anilistId"], item["traktId"], item["episodes"]) == (JJK_2, JJK_TRAKT, [1, 2, 3])
    assert item["title"] == "Jujutsu Kaisen Season 2"
    assert "season 2" in item["reason"]

    fixed = client.post(f"/api/review/{JJK_2}/fix", json={"season": 1, "episode": 25})

    assert fixed.status_code == 200
    assert (fixed.json()["season"], fixed.json()["offset"]) == (1, 24)
    assert client.get("/api/review").json()["count"] == 0
    again = client.post("/api/full-sync").json()
    assert (again["added"], again["held"]) == (3, 0)
    assert jjk_plays(world) == [(1, 25), (1, 26), (1, 27)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"season": 1, "episode": 48}, "episode", id="past-the-season"),
        pytest.param({"season": 2, "episode": 1}, "season", id="no-such-season"),
        pytest.param({"season": "one", "episode": 1}, "season", id="not-a-number"),
        pytest.param({"season": 1, "episode": 0}, "episode", id="episode-zero"),
    ],
)
def test_a_fix_naming_no_trakt_episode_is_refused_and_saves_nothing(
    world: World, client: TestClient, body: dict[str, Any], field: str
) -> None:
    world.watched(JJK_2, "1")
    client.post("/api/full-sync")

    answer = client.post(f"/api/review/{JJK_2}/fix", json=body)

    assert answer.status_code == 400
    assert field in answer.json()["error"]
    assert client.get("/api/review").json()["count"] == 1
    assert client.get("/api/mappings").json()["manual"] == []


def test_fixing_an_entry_nobody_knows_is_404(client: TestClient) -> None:
    answer = client.post("/api/review/999999/fix", json={"season": 1, "episode": 1})

    assert answer.status_code == 404
    assert "999999" in answer.json()["error"]


def test_review_routes_need_the_api_token(world: World) -> None:
    token = SecretStr("s3cret-token-value")
    settings = world.settings.model_copy(update={"anitrakt_api_token": token})
    app = create_app(settings, upstream_transport=world.transport())
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/review").status_code == 401
        fix = anonymous.post(f"/api/review/{JJK_2}/fix", json={"season": 1, "episode": 25})
        assert fix.status_code == 401


def test_explain_shows_every_episode_its_rule_and_where_sources_disagree(
    world: World, client: TestClient
) -> None:
    with world.sessions.begin() as session:
        add_ranges(session, [(JJK_2, '{"tmdb_show:95479:s1":{"1-23":"25-47"}}', JJK_TMDB, None)])

    body = client.get(f"/api/explain/{JJK_2}").json()

    assert (body["title"], body["kind"], body["traktId"]) == (
        "Jujutsu Kaisen Season 2",
        "show",
        JJK_TRAKT,
    )
    episodes = body["episodes"]
    assert len(episodes) == 23
    assert (episodes[0]["trakt"], episodes[0]["rule"]) == ("S1E25", "anibridge")
    assert episodes[-1]["trakt"] == "S1E47"
    says = {s["source"]: s["says"] for s in body["sources"]}
    assert says["anibridge"] == "S1E25–S1E47"
    assert says["fribb"].startswith("holds 1–23")
    assert body["disagreement"] is None  # Fribb places nothing, so nothing to disagree with
    # Explaining changes nothing: no mapping saved, nothing posted.
    assert client.get("/api/mappings").json()["auto"] == []
    assert world.history() == Counter()


def test_explain_of_an_unknown_entry_is_404(client: TestClient) -> None:
    answer = client.get("/api/explain/424242")

    assert answer.status_code == 404
    assert "424242" in answer.json()["error"]
