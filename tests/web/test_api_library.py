"""`GET /api/library[/{id}]`: every AniList entry with its mapping, progress and state, and
one entry's episodes → Trakt S/E with the rule; the reset a person can do from there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain.review import ReviewEntry
from anitrakt.store.review import save_review
from anitrakt.usecases.library import DETAIL_REUSES_LIST_SECONDS, library, library_entry
from anitrakt.web.app import create_app
from sync_world import AOT, AOT_TRAKT, LOST, SPLIT, SPLIT_TRAKT, World

# A show AniList lists and no mapping or source knows.
HELD = 777


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    world = World(sessions, settings).small_library()
    user = world.user.id
    world.anilist.add_entry(user, SPLIT, progress=0, status="COMPLETED")
    world.anilist.add_entry(user, AOT, progress=4, status="CURRENT")
    world.anilist.add_entry(user, LOST, progress=2, status="CURRENT")
    world.media(HELD, "Held Back", episodes=12)
    world.trakt.add_show(7771, "Held Back", seasons={1: 12})
    world.map(HELD, 7771, season=1)
    world.anilist.add_entry(user, HELD, progress=3, status="CURRENT")
    with world.sessions.begin() as session:
        save_review(
            session,
            [ReviewEntry(HELD, "Held Back", 7771, (1, 2, 3), "the sources disagree")],
        )
    return world


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world.settings, upstream_transport=world.transport())
    with TestClient(app) as test_client:
        yield test_client


def test_every_entry_is_listed_with_its_mapping_progress_and_state(client: TestClient) -> None:
    body = client.get("/api/library").json()

    rows = {item["anilistId"]: item for item in body["items"]}
    assert [item["title"] for item in body["items"]] == [
        "Attack on Titan Season 3 Part 2",
        "Held Back",
        "Nobody Knows",
        "Split Cour",
    ]
    assert body["states"] == {"ok": 0, "pending": 2, "needs review": 1, "unmapped": 1}
    split = rows[SPLIT]
    assert (split["state"], split["progress"], split["lastSyncedEpisode"]) == ("pending", 24, 0)
    assert "episodes 1–24 not synced yet" in split["why"]
    assert (split["mappingSource"], split["traktId"], split["season"]) == (
        "manual",
        SPLIT_TRAKT,
        1,
    )
    assert split["anilistUrl"] == f"https://anilist.co/anime/{SPLIT}"
    assert split["traktUrl"] == f"https://trakt.tv/shows/{SPLIT_TRAKT}"
    assert rows[LOST]["state"] == "unmapped"
    assert "map it by hand" in rows[LOST]["why"]
    assert rows[LOST]["traktUrl"] is None
    assert rows[HELD]["state"] == "needs review"
    assert "episodes 1–3 held: the sources disagree" in rows[HELD]["why"]


def test_the_library_filters_by_state_and_searches_titles(client: TestClient) -> None:
    unmapped = client.get("/api/library", params={"state": "unmapped"}).json()
    assert [i["anilistId"] for i in unmapped["items"]] == [LOST]
    review = client.get("/api/library", params={"state": "needs-review"}).json()
    assert [i["anilistId"] for i in review["items"]] == [HELD]
    found = client.get("/api/library", params={"q": "TITAN"}).json()
    assert [i["anilistId"] for i in found["items"]] == [AOT]
    assert found["count"] == 1
    assert found["states"]["pending"] == 2  # the counts cover the whole list
    bad = client.get("/api/library", params={"state": "great"})
    assert bad.status_code == 400
    assert "state must be one of ok, pending, needs review, unmapped" in bad.json()["error"]


def test_after_a_sync_an_entry_is_ok_and_its_detail_says_where_each_episode_landed(
    client: TestClient,
) -> None:
    assert client.post("/api/completed-sync").status_code == 200

    split = next(i for i in client.get("/api/library").json()["items"] if i["anilistId"] == SPLIT)
    assert (split["state"], split["lastSyncedEpisode"]) == ("ok", 24)

    detail = client.get(f"/api/library/{AOT}").json()
    assert detail["entry"]["traktUrl"] == f"https://trakt.tv/shows/{AOT_TRAKT}"
    episodes = detail["explanation"]["episodes"]
    assert [(e["anilistEpisode"], e["trakt"]) for e in episodes][:2] == [(1, "S3E13"), (2, "S3E14")]
    assert len(episodes) == 10
    assert all(e["rule"] for e in episodes)
    assert detail["synced"] == []  # CURRENT entries wait for the watching sync
    assert detail["overrides"] == []


def test_reset_progress_from_the_library_makes_the_entry_pending_again(
    client: TestClient,
) -> None:
    client.post("/api/completed-sync")

    reset = client.post(f"/api/library/{SPLIT}/reset-progress")

    assert reset.status_code == 200
    assert reset.json()["reset"] is True
    split = next(i for i in client.get("/api/library").json()["items"] if i["anilistId"] == SPLIT)
    assert (split["state"], split["lastSyncedEpisode"]) == ("pending", 0)
    again = client.post(f"/api/library/{SPLIT}/reset-progress").json()
    assert again["reset"] is False


def test_an_entry_not_on_the_list_or_a_bad_id_is_a_clear_4xx(client: TestClient) -> None:
    missing = client.get("/api/library/424242")
    assert missing.status_code == 404
    assert "not on the AniList list" in missing.json()["error"]
    assert client.get("/api/library/not-a-number").status_code == 400


def test_an_entry_detail_reuses_the_list_just_read_instead_of_reading_it_again(
    world: World,
) -> None:
    """The page opens a detail right after the list (and after each fix): AniList allows
    30 requests a minute, so the detail does not read the whole list again."""
    runtime = world.runtime

    def list_reads() -> int:
        return sum("MediaListCollection" in r.query for r in world.anilist.requests)

    library(runtime)
    assert list_reads() == 1
    assert library_entry(runtime, AOT).entry.title == "Attack on Titan Season 3 Part 2"
    library_entry(runtime, SPLIT)
    assert list_reads() == 1

    # Added on AniList after the list was read: the detail reads the list once more.
    world.media(8080, "Added Just Now", episodes=12)
    world.anilist.add_entry(world.user.id, 8080, progress=1, status="CURRENT")
    assert library_entry(runtime, 8080).entry.title == "Added Just Now"
    assert list_reads() == 2

    world.clock.advance(DETAIL_REUSES_LIST_SECONDS + 1)  # an old read is not trusted
    library_entry(runtime, AOT)
    assert list_reads() == 3
    library(runtime)  # the list itself always reads AniList
    assert list_reads() == 4
