"""The sync, auth, override and unmapped routes against the fakes, on both engines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.store.overrides import list_overrides
from anitrakt.usecases.sync.lock import sync_lock
from anitrakt.web.app import create_app
from clocks import skip_real_waits
from fakes.files import fribb_json, otaku_db
from sync_world import AOT, AOT_TRAKT, LOST, SPLIT, SPLIT_TRAKT, World


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return World(sessions, settings).small_library()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world.settings, upstream_transport=world.transport())
    with TestClient(app) as test_client:
        yield test_client


def split_history() -> Counter[Any]:
    return Counter({(SPLIT_TRAKT, s, n): 1 for s in (1, 2) for n in range(1, 13)})


def test_full_sync_route_posts_and_reports_spec_fields(world: World, client: TestClient) -> None:
    world.watched(SPLIT, "1 - 24")
    world.watched(LOST, "1 - 2")

    response = client.post("/api/full-sync")

    assert response.status_code == 200
    body = response.json()
    assert {"message", "found", "synced", "alreadySynced", "skippedUnmapped", "added"} <= set(body)
    assert (body["found"], body["synced"], body["added"], body["skippedUnmapped"]) == (2, 1, 24, 1)
    assert world.history() == split_history()
    assert client.get("/api/status").json()["lastManualSync"] is not None
    [row] = [r for r in client.get("/api/mappings").json()["manual"] if r["anilistId"] == SPLIT]
    assert row["title"] == "Split Cour"
    assert client.get("/api/progress", params={"anilistId": SPLIT}).json()["lastAbs"] == 24
    unmapped = client.get("/api/unmapped").json()
    assert [(i["anilistId"], i["title"]) for i in unmapped["items"]] == [(LOST, "Nobody Knows")]
    again = client.get("/api/full-sync").json()
    assert again["added"] == 0
    assert world.history() == split_history()


def test_dry_run_lists_every_play_and_posts_nothing(world: World, client: TestClient) -> None:
    world.watched(AOT, "1 - 3")

    body = client.post("/api/full-sync", params={"dryRun": 1}).json()

    assert body["dryRun"] is True
    assert [(p["season"], p["episode"]) for p in body["plays"]] == [(3, 13), (3, 14), (3, 15)]
    assert {p["anilistId"] for p in body["plays"]} == {AOT}
    assert world.history() == Counter()
    assert client.get("/api/progress", params={"anilistId": AOT}).json()["lastAbs"] == 0


def test_completed_preview_then_run(world: World, client: TestClient) -> None:
    world.anilist.add_entry(world.user.id, SPLIT, progress=0, status="COMPLETED")

    preview = client.get("/api/completed-sync", params={"preview": 1}).json()

    assert preview["count"] == 1
    [item] = preview["items"]
    assert item["anilistShowId"] == SPLIT
    assert item["titleEnglish"] == "Split Cour"
    assert item["willPost"] == "S1E1–S1E12, S2E1–S2E12"
    assert world.history() == Counter()

    run = client.post("/api/completed-sync").json()

    assert run["addedEpisodes"] == 24
    assert run["batches"] == 1
    assert world.history() == split_history()
    assert client.get("/api/status").json()["lastCompletedSync"] is not None


def test_watching_preview_shows_trakt_numbers(world: World, client: TestClient) -> None:
    world.anilist.add_entry(world.user.id, AOT, progress=4, status="CURRENT")

    preview = client.get("/api/watching-sync", params={"preview": 1}).json()

    assert preview["items"][0]["willPost"] == "S3E13–S3E16"


def test_a_run_while_another_holds_the_lock_is_409(world: World, client: TestClient) -> None:
    world.watched(SPLIT, "1 - 2")
    with sync_lock(world.sessions):
        response = client.post("/api/full-sync")

    assert response.status_code == 409
    assert "already running" in response.json()["error"]
    assert world.history() == Counter()


def test_an_upstream_failure_mid_run_is_502_with_the_report(
    world: World, client: TestClient
) -> None:
    world.watched(SPLIT, "1 - 24")
    world.trakt.fail_next(5, status=503, path="/sync/history", method="POST")

    response = client.post("/api/full-sync")

    assert response.status_code == 502
    body = response.json()
    assert "503" in body["error"]
    assert body["details"]["added"] == 0
    assert world.history() == Counter()
    # Until a sync succeeds, the failure is on /api/status and the dashboard.
    failure = client.get("/api/status").json()["lastFailure"]
    assert failure["mode"] == "full sync"
    assert "503" in failure["error"]
    assert datetime.fromisoformat(failure["at"]).utcoffset() is not None
    assert "503" in client.get("/").text.split('id="last-failure"')[1].split("</dd>")[0]
    client.cookies.clear()  # the page's session cookie would make the POST need a CSRF token

    assert client.post("/api/full-sync").status_code == 200
    assert client.get("/api/status").json()["lastFailure"] is None
    assert 'id="last-failure"' not in client.get("/").text


def test_a_run_stopped_by_missing_settings_is_400_naming_them(world: World) -> None:
    world.watched(SPLIT, "1 - 24")
    settings = world.settings.model_copy(update={"anilist_access_token": None})
    app = create_app(settings, upstream_transport=world.transport())
    with TestClient(app) as client:
        response = client.post("/api/full-sync")

    assert response.status_code == 400
    body = response.json()
    assert "ANILIST_ACCESS_TOKEN" in body["error"]
    assert "ANILIST_USERNAME" in body["error"]
    assert body["details"]["added"] == 0
    assert world.history() == Counter()


def test_single_show_sync_accepts_an_anilist_url(client: TestClient) -> None:
    response = client.get("/api/sync", params={"anilistId": "https://anilist.co/anime/104578/"})

    assert response.json() == {"success": True, "count": 61, "anilistId": AOT, "traktId": AOT_TRAKT}
    missing = client.get("/api/sync", params={"anilistId": 999})
    assert missing.status_code == 404
    assert "not mapped to Trakt: no source entry" in missing.json()["error"]
    assert client.get("/api/sync", params={"anilistId": "abc"}).status_code == 400


def test_cron_runs_when_due_then_reports_the_next_run(world: World, client: TestClient) -> None:
    world.watched(SPLIT, "1 - 2")

    first = client.get("/api/cron").json()
    second = client.get("/api/cron").json()

    assert first["ran"] is True
    assert first["result"]["added"] == 2
    assert second["ran"] is False
    assert second["message"].startswith("skipped")
    assert second["lastRun"] is not None
    assert second["nextRun"] > second["lastRun"]
    assert client.get("/api/status").json()["lastAutomatedSync"] is not None


def test_the_unattended_run_loads_the_mapping_sources_first(
    world: World, client: TestClient
) -> None:
    """A fresh install: nothing refreshed by hand, LOST known only to Otaku."""
    world.unload_sources()
    lost_trakt = 6001
    world.trakt.add_show(lost_trakt, "Nobody Knows", seasons={1: 3})
    folder = world.settings.anitrakt_data_dir
    (folder / "anime-list-full.json").write_bytes(fribb_json([{"anilist_id": AOT, "type": "TV"}]))
    (folder / "anime_mappings.db").write_bytes(
        otaku_db([{"anilist_id": LOST, "trakt_id": lost_trakt}])
    )
    world.watched(LOST, "1 - 3")

    ran = client.get("/api/cron").json()

    assert ran["result"]["added"] == 3, ran
    assert world.history() == Counter({(lost_trakt, 1, n): 1 for n in (1, 2, 3)})
    check = client.get("/api/refresh-otaku", params={"check": 1}).json()
    assert check["count"] == 1
    assert client.get("/api/refresh-fribbs", params={"check": 1}).json()["count"] == 1


def test_overrides_crud_and_validation(world: World, client: TestClient) -> None:
    created = client.post(
        "/api/overrides", json={"traktId": AOT_TRAKT, "abs": 59, "season": 0, "episode": 1}
    )
    assert created.status_code == 200
    assert client.get("/api/overrides").json()["items"] == [
        {"traktId": AOT_TRAKT, "abs": 59, "season": 0, "episode": 1}
    ]
    for bad, field in [
        ({"traktId": "x", "abs": 1, "season": 1, "episode": 1}, "traktId"),
        ({"traktId": 1, "abs": 0, "season": 1, "episode": 1}, "abs"),
        ({"traktId": 1, "abs": 1, "season": -1, "episode": 1}, "season"),
        ({"traktId": 1, "abs": 1, "season": 1, "episode": 10**9}, "episode"),
        ({"traktId": 1, "abs": 1, "season": 1}, "episode"),
    ]:
        response = client.post("/api/overrides", json=bad)
        assert response.status_code == 400, bad
        assert field in response.json()["error"]
    gone = client.delete("/api/overrides", params={"traktId": AOT_TRAKT, "abs": 59})
    assert gone.json()["count"] == 0
    again = client.delete("/api/overrides", params={"traktId": AOT_TRAKT, "abs": 59})
    assert again.status_code == 404
    with world.sessions() as session:
        assert list_overrides(session) == []


def test_override_changes_where_the_next_sync_posts(world: World, client: TestClient) -> None:
    client.post("/api/overrides", json={"traktId": AOT_TRAKT, "abs": 50, "season": 0, "episode": 2})
    world.watched(AOT, "1")

    client.post("/api/full-sync")

    assert world.history() == Counter({(AOT_TRAKT, 0, 2): 1})


def test_device_authorization_through_the_api(world: World, client: TestClient) -> None:
    start = client.post("/api/trakt-auth/device").json()
    assert start["verificationUrl"]
    world.clock.advance(start["interval"])  # the page polls every `interval` seconds
    assert client.get("/api/trakt-auth/device").json() == {"status": "pending", "username": None}

    world.trakt.approve_device(start["userCode"])
    world.clock.advance(start["interval"])
    done = client.get("/api/trakt-auth/device").json()

    assert done == {"status": "connected", "username": world.trakt.username}
    status = client.get("/api/trakt-auth").json()
    assert status["connected"] is True
    assert status["username"] == world.trakt.username
    assert "auth.trakt.test" in status["url"]
    assert client.get("/api/trakt-auth/device").status_code == 400  # nothing in progress


def test_code_paste_authorization(world: World, client: TestClient) -> None:
    code = world.trakt.create_authorization_code()

    response = client.post("/api/trakt-auth", json={"code": code})

    assert response.status_code == 200
    assert response.json()["connected"] is True
    assert client.post("/api/trakt-auth", json={"code": ""}).status_code == 400
    assert code not in client.get("/api/logs").text


def test_a_preview_reports_an_upstream_failure_like_a_dry_run(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_real_waits(monkeypatch)  # Trakt's 503s are retried with back-off first
    world.anilist.add_entry(world.user.id, SPLIT, progress=0, status="COMPLETED")
    world.trakt.fail_next(50, status=503, path="/sync/watched/shows")

    preview = client.get("/api/completed-sync", params={"preview": 1})
    dry = client.get("/api/completed-sync", params={"dryRun": 1})

    assert preview.status_code == dry.status_code == 502
    assert "503" in preview.json()["error"]
    assert preview.json()["error"] == dry.json()["error"]


def test_a_preview_lists_what_it_would_not_post_and_why(world: World, client: TestClient) -> None:
    world.anilist.add_entry(world.user.id, SPLIT, progress=0, status="COMPLETED")
    world.anilist.add_entry(world.user.id, LOST, progress=3, status="COMPLETED")

    preview = client.get("/api/completed-sync", params={"preview": 1}).json()

    assert [i["anilistShowId"] for i in preview["items"]] == [SPLIT]
    [skip] = preview["skipped"]
    assert (skip["anilistShowId"], skip["state"]) == (LOST, "unmapped")
    assert skip["title"] == "Nobody Knows"
    assert skip["reason"]


def test_disconnecting_trakt_revokes_and_forgets_the_tokens(
    world: World, client: TestClient
) -> None:
    access = world.tokens.access_token

    response = client.delete("/api/trakt-auth")

    assert response.status_code == 200
    assert response.json()["connected"] is False
    assert access not in world.trakt.valid_access_tokens
    assert client.get("/api/trakt-auth").json()["connected"] is False
    again = client.delete("/api/trakt-auth")
    assert again.status_code == 400
    assert again.json()["error"] == "no Trakt account is connected"
    messages = [row["message"] for row in client.get("/api/logs").json()]
    assert any(m.startswith("Trakt disconnected") for m in messages)


def test_every_bad_field_comes_at_once_in_one_details_shape(client: TestClient) -> None:
    domain = client.post(
        "/api/overrides", json={"traktId": "x", "abs": 0, "season": 1, "episode": 0}
    )
    typed = client.post("/api/overrides", json={"traktId": 1})

    assert domain.status_code == typed.status_code == 400
    fields = domain.json()["details"]["fields"]
    assert [f["field"] for f in fields] == ["traktId", "abs", "episode"]
    assert fields[0]["message"] == "Trakt id must be a positive integer"
    assert {f["field"] for f in typed.json()["details"]["fields"]} == {"abs", "season", "episode"}
    assert typed.json()["details"]["fields"][0]["message"].startswith("Absolute episode")


def test_the_preview_says_where_each_watched_date_comes_from(
    world: World, sessions: sessionmaker[Session]
) -> None:
    world.anilist.add_entry(world.user.id, SPLIT, progress=0, status="COMPLETED")
    settings = world.settings.model_copy(update={"completed_watched_at": "updatedAt"})
    app = create_app(settings, upstream_transport=world.transport())

    with TestClient(app) as client:
        preview = client.get("/api/completed-sync", params={"preview": 1}).json()
        dry = client.get("/api/completed-sync", params={"dryRun": 1}).json()

    assert preview["items"][0]["watchedAtFrom"] == ["updatedAt"]
    assert {p["watchedAtFrom"] for p in dry["plays"]} == {"updatedAt"}
