"""The JSON API (SPEC §7) as a client sees it, on SQLite and on PostgreSQL.

Each test seeds state through the repository functions, then talks to the real app
(lifespan included) through `TestClient`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.domain.values import IdMapping, LogLevel, TraktType
from anitrakt.store.mappings import list_mappings, save_mapping
from anitrakt.store.progress import set_progress
from anitrakt.store.system_config import set_config
from anitrakt.web.app import create_app
from fakes.server import serve_in_thread
from fakes.trakt import FakeTrakt
from seed import add_log

Sessions = sessionmaker[Session]

STATUS_FIELDS = {
    keys.STATUS_SYNC_LAST_RUN: "lastManualSync",
    keys.STATUS_SYNC_LAST_RUN_AUTO: "lastAutomatedSync",
    keys.STATUS_SYNC_COMPLETED_LAST_RUN: "lastCompletedSync",
    keys.STATUS_SYNC_WATCHING_LAST_RUN: "lastWatchingSync",
}
MAPPING_ROW_KEYS = {"anilistId", "traktId", "tmdbId", "imdbId", "tvdbId", "type"}
NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _instant(text: Any) -> datetime:
    """Parse an API timestamp, insisting that it carries an offset."""
    assert isinstance(text, str), text
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None, f"{text!r} has no offset"
    return moment


def _assert_error(response: Any, status: int, *words: str) -> str:
    """A JSON `{error, ...}` body with `status`, whose message contains every word."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("error"), str)
    assert body["error"]
    for word in words:
        assert word in body["error"], f"{word!r} not in {body['error']!r}"
    return str(body["error"])


# --- /api/status -------------------------------------------------------------------


def test_status_is_all_null_when_nothing_ran(client: TestClient) -> None:
    response = client.get("/api/status")

    assert response.status_code == 200
    assert response.json() == dict.fromkeys([*STATUS_FIELDS.values(), "lastFailure"])


def test_status_returns_every_last_run_with_an_offset(
    client: TestClient, sessions: Sessions
) -> None:
    stored = {
        keys.STATUS_SYNC_LAST_RUN: "2024-05-01T14:00:00+02:00",
        keys.STATUS_SYNC_LAST_RUN_AUTO: "2024-05-01T12:00:00Z",
        keys.STATUS_SYNC_COMPLETED_LAST_RUN: "2024-05-01T12:00:00",  # naive: UTC
        keys.STATUS_SYNC_WATCHING_LAST_RUN: int(NOON.timestamp() * 1000),  # epoch ms
    }
    with sessions.begin() as s:
        for key, value in stored.items():
            set_config(s, key, value)

    body = client.get("/api/status").json()

    assert set(body) == {*STATUS_FIELDS.values(), "lastFailure"}
    for field in STATUS_FIELDS.values():
        assert _instant(body[field]) == NOON, field


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        pytest.param("2024-05-01T14:00:00+02:00", NOON, id="iso-with-offset"),
        pytest.param("2024-05-01T12:00:00Z", NOON, id="iso-z"),
        pytest.param("2024-05-01T12:00:00", NOON, id="iso-naive-is-utc"),
        pytest.param("2024-05-01 12:00:00.000", NOON, id="iso-space-separator"),
        pytest.param(int(NOON.timestamp() * 1000), NOON, id="epoch-ms-number"),
        pytest.param(int(NOON.timestamp()), NOON, id="epoch-seconds-number"),
        pytest.param(str(int(NOON.timestamp() * 1000)), NOON, id="epoch-ms-text"),
        pytest.param("not a date", None, id="garbage-is-null"),
        pytest.param(0, None, id="zero-is-null"),
    ],
)
def test_status_field_formats(
    client: TestClient, sessions: Sessions, stored: Any, expected: datetime | None
) -> None:
    key = keys.STATUS_SYNC_COMPLETED_LAST_RUN
    with sessions.begin() as s:
        set_config(s, key, stored)

    response = client.get("/api/status")

    assert response.status_code == 200
    body = response.json()
    field = STATUS_FIELDS[key]
    if expected is None:
        assert body[field] is None
    else:
        assert _instant(body[field]) == expected
    assert all(body[other] is None for other in STATUS_FIELDS.values() if other != field)


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("99999999999999999999", id="huge-epoch"),
        pytest.param("9999-12-31T23:59:59-05:00", id="iso-past-year-9999-in-utc"),
    ],
)
def test_status_survives_out_of_range_stored_values(
    settings: Settings, sessions: Sessions, stored: str
) -> None:
    with sessions.begin() as s:
        set_config(s, keys.STATUS_SYNC_LAST_RUN, stored)

    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        response = test_client.get("/api/status")

    assert response.status_code == 200
    assert response.json()["lastManualSync"] is None


# --- /api/logs ---------------------------------------------------------------------

LEVELS = [LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR]


@pytest.fixture
def many_logs(sessions: Sessions) -> list[tuple[int, str, str]]:
    """205 rows cycling through the levels; returned oldest first as (id, message, level)."""
    with sessions.begin() as s:
        rows = [add_log(s, f"event {i}", LEVELS[i % 3]) for i in range(205)]
        return [(row.id, row.message, row.level) for row in rows]


def test_logs_newest_200_first_and_not_cached(
    client: TestClient, many_logs: list[tuple[int, str, str]]
) -> None:
    response = client.get("/api/logs")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert len(body) == 200
    newest_first = list(reversed(many_logs))[:200]
    assert [(r["id"], r["message"], r["level"]) for r in body] == newest_first
    for row in body:
        assert set(row) == {"id", "message", "level", "created_at"}
        _instant(row["created_at"])
    stamps = [_instant(row["created_at"]) for row in body]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize("level", [pytest.param(level, id=level.value) for level in LEVELS])
def test_logs_level_filter(
    client: TestClient, many_logs: list[tuple[int, str, str]], level: LogLevel
) -> None:
    response = client.get("/api/logs", params={"level": level.value})

    assert response.status_code == 200
    body = response.json()
    expected = [row for row in reversed(many_logs) if row[2] == level.value]
    assert [(r["id"], r["message"], r["level"]) for r in body] == expected


@pytest.mark.parametrize(
    ("limit", "expected_count"),
    [
        pytest.param("3", 3, id="three"),
        pytest.param("0", 1, id="zero-clamped-to-one"),
        pytest.param("-7", 1, id="negative-clamped-to-one"),
        pytest.param("5000", 205, id="huge-clamped-returns-all"),
    ],
)
def test_logs_limit(
    client: TestClient, many_logs: list[tuple[int, str, str]], limit: str, expected_count: int
) -> None:
    response = client.get("/api/logs", params={"limit": limit})

    assert response.status_code == 200
    ids = [row["id"] for row in response.json()]
    assert ids == [row[0] for row in reversed(many_logs)][:expected_count]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param({"level": "bogus"}, "level", id="level-bogus"),
        pytest.param({"level": "ERROR"}, "level", id="level-upper-case"),
        pytest.param({"limit": "abc"}, "limit", id="limit-abc"),
        pytest.param({"limit": "1.5"}, "limit", id="limit-fraction"),
    ],
)
def test_logs_bad_query_is_400_naming_the_parameter(
    client: TestClient, query: dict[str, str], field: str
) -> None:
    _assert_error(client.get("/api/logs", params=query), 400, field)


def test_logs_empty(client: TestClient) -> None:
    response = client.get("/api/logs")

    assert response.status_code == 200
    assert response.json() == []


# --- /api/progress -----------------------------------------------------------------


def _seed_progress(sessions: Sessions, count: int) -> None:
    with sessions.begin() as s:
        for anilist_id in range(1, count + 1):
            set_progress(s, anilist_id, anilist_id * 2)


@pytest.mark.parametrize(
    ("query", "expected_ids"),
    [
        pytest.param({}, list(range(60, 10, -1)), id="default-50"),
        pytest.param({"limit": "10"}, list(range(60, 50, -1)), id="ten"),
        pytest.param({"limit": "0"}, [60], id="zero-clamped-to-one"),
        pytest.param({"limit": "-3"}, [60], id="negative-clamped-to-one"),
        pytest.param({"limit": "9999"}, list(range(60, 0, -1)), id="huge-returns-all-60"),
    ],
)
def test_progress_page(
    client: TestClient, sessions: Sessions, query: dict[str, str], expected_ids: list[int]
) -> None:
    _seed_progress(sessions, 60)

    response = client.get("/api/progress", params=query)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "items"}
    assert body["count"] == 60
    assert [item["anilistId"] for item in body["items"]] == expected_ids
    for item in body["items"]:
        assert set(item) == {"anilistId", "lastAbs", "updatedAt", "title"}
        assert item["lastAbs"] == item["anilistId"] * 2
        _instant(item["updatedAt"])


def test_progress_limit_is_capped_at_500(client: TestClient, sessions: Sessions) -> None:
    _seed_progress(sessions, 501)

    body = client.get("/api/progress", params={"limit": "9999"}).json()

    assert body["count"] == 501
    assert len(body["items"]) == 500
    assert body["items"][0]["anilistId"] == 501


def test_progress_empty(client: TestClient) -> None:
    assert client.get("/api/progress").json() == {"count": 0, "items": []}


@pytest.mark.parametrize(
    ("anilist_id", "expected"),
    [
        pytest.param("5", {"anilistId": 5, "lastAbs": 12}, id="stored"),
        pytest.param(" 5 ", {"anilistId": 5, "lastAbs": 12}, id="padded"),
        pytest.param("6", {"anilistId": 6, "lastAbs": 0}, id="missing-is-zero"),
    ],
)
def test_progress_of_one_entry(
    client: TestClient, sessions: Sessions, anilist_id: str, expected: dict[str, int]
) -> None:
    with sessions.begin() as s:
        set_progress(s, 5, 12)

    response = client.get("/api/progress", params={"anilistId": anilist_id})

    assert response.status_code == 200
    assert response.json() == expected


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"anilistId": "abc"}, id="anilistId-abc"),
        pytest.param({"anilistId": "-1"}, id="anilistId-negative"),
        pytest.param({"anilistId": "0"}, id="anilistId-zero"),
        pytest.param({"anilistId": "1.5"}, id="anilistId-fraction"),
        pytest.param({"anilistId": "1e3"}, id="anilistId-exponent"),
        pytest.param({"anilistId": ""}, id="anilistId-empty"),
        pytest.param({"anilistId": "9" * 20}, id="anilistId-too-large"),
        pytest.param({"limit": "abc"}, id="limit-abc"),
    ],
)
def test_progress_bad_query_is_400_naming_the_parameter(
    client: TestClient, query: dict[str, str]
) -> None:
    (field,) = query
    _assert_error(client.get("/api/progress", params=query), 400, field)


# --- /api/mappings -----------------------------------------------------------------


def test_mappings_lists_manual_and_auto_rows(client: TestClient, sessions: Sessions) -> None:
    with sessions.begin() as s:
        save_mapping(
            s,
            IdMapping(21, 37696, tmdb_id=37854, imdb_id="tt0388629", tvdb_id=81797, manual=True),
        )
        save_mapping(s, IdMapping(1, 30857, tmdb_id=30991, manual=False))
        save_mapping(s, IdMapping(5, None, manual=False))

    response = client.get("/api/mappings")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"manual", "auto"}
    for row in body["manual"] + body["auto"]:
        assert set(row) >= MAPPING_ROW_KEYS
    (manual,) = body["manual"]
    assert {k: manual[k] for k in MAPPING_ROW_KEYS} == {
        "anilistId": 21,
        "traktId": 37696,
        "tmdbId": 37854,
        "imdbId": "tt0388629",
        "tvdbId": 81797,
        "type": "manual",
    }
    auto = {row["anilistId"]: row for row in body["auto"]}
    assert set(auto) == {1, 5}
    assert auto[1]["traktId"] == 30857
    assert auto[1]["tmdbId"] == 30991
    assert auto[5]["traktId"] is None
    assert {row["type"] for row in body["auto"]} == {"auto"}


def test_mappings_empty(client: TestClient) -> None:
    assert client.get("/api/mappings").json() == {"manual": [], "auto": []}


# --- POST /api/manual-map ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"anilistId": 21, "traktId": 37696},
            {"anilistId": 21, "traktId": 37696, "traktType": "show"},
            id="numbers",
        ),
        pytest.param(
            {"anilistId": "21", "traktId": "37696", "tmdbId": "37854", "tvdbId": "81797"},
            {"anilistId": 21, "traktId": 37696, "tmdbId": 37854, "tvdbId": 81797},
            id="numeric-strings",
        ),
        pytest.param(
            {"anilistId": "https://anilist.co/anime/21/one-piece/", "traktId": 37696},
            {"anilistId": 21, "traktId": 37696},
            id="anilist-url-with-slug",
        ),
        pytest.param(
            {"anilistId": "https://anilist.co/anime/21", "traktId": 37696},
            {"anilistId": 21, "traktId": 37696},
            id="anilist-url-bare",
        ),
        pytest.param(
            {
                "anilistId": 21,
                "traktId": 37696,
                "imdbId": "tt0388629",
                "season": 1,
                "offset": "12",
            },
            {"anilistId": 21, "imdbId": "tt0388629", "season": 1, "offset": 12},
            id="imdb-season-offset",
        ),
        pytest.param(
            {"anilistId": 21, "traktId": 37696, "tmdbId": "", "imdbId": None},
            {"anilistId": 21, "tmdbId": None, "imdbId": None},
            id="empty-optionals-are-null",
        ),
        pytest.param(
            {"anilistId": 199, "traktId": 1234, "movie": True},
            {"anilistId": 199, "traktId": 1234, "traktType": "movie"},
            id="movie",
        ),
    ],
)
def test_manual_map_saves_a_manual_row(
    client: TestClient, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = client.post("/api/manual-map", json=body)

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["success"] is True
    added = result["added"]
    assert added["type"] == "manual"
    assert {k: added[k] for k in expected} == expected
    listed = client.get("/api/mappings").json()
    assert listed["auto"] == []
    (row,) = listed["manual"]
    assert {k: row[k] for k in MAPPING_ROW_KEYS} == {k: added[k] for k in MAPPING_ROW_KEYS}


def test_a_write_is_committed_before_its_answer_is_sent(
    settings: Settings, sessions: Sessions
) -> None:
    """A client told "saved" may read it back at once (and a failed commit is no 200)."""
    app = create_app(settings)
    visible_at_answer: list[int] = []

    async def watch_the_answer(scope: Any, receive: Any, send: Any) -> None:
        async def send_after_looking(message: Any) -> None:
            if message["type"] == "http.response.start" and scope.get("method") == "POST":
                with sessions() as session:  # another connection: sees only committed rows
                    visible_at_answer.append(len(list_mappings(session)))
            await send(message)

        await app(scope, receive, send_after_looking)

    with TestClient(watch_the_answer) as client:
        response = client.post("/api/manual-map", json={"anilistId": 21, "traktId": 1234})

    assert response.status_code == 200
    assert visible_at_answer == [1]


def test_a_write_while_the_database_stays_locked_is_503_and_loses_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds SQLite's write lock past the busy timeout."""
    from anitrakt.store import db

    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's single writer; PostgreSQL locks rows, not the database")
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 100)  # read at connect time
    holder = sqlite3.connect(str(make_url(settings.database_url).database), isolation_level=None)
    body = {"anilistId": 21, "traktId": 1234}
    with TestClient(create_app(settings)) as client:
        holder.execute("BEGIN IMMEDIATE")
        try:
            refused = client.post("/api/manual-map", json=body)
        finally:
            holder.rollback()
        holder.close()

        _assert_error(refused, 503, "database error: database is locked")
        assert refused.headers["retry-after"] == "5"
        assert "INSERT" not in refused.text
        assert client.get("/api/mappings").json()["manual"] == []
        assert client.post("/api/manual-map", json=body).status_code == 200
        assert [row["traktId"] for row in client.get("/api/mappings").json()["manual"]] == [1234]


def test_manual_map_replaces_an_auto_row(client: TestClient, sessions: Sessions) -> None:
    with sessions.begin() as s:
        save_mapping(s, IdMapping(21, 999, tmdb_id=5, manual=False, trakt_type=TraktType.SHOW))
        save_mapping(s, IdMapping(22, 888, manual=False))

    response = client.post("/api/manual-map", json={"anilistId": 21, "traktId": 37696})

    assert response.status_code == 200
    listed = client.get("/api/mappings").json()
    assert [(r["anilistId"], r["traktId"], r["type"]) for r in listed["manual"]] == [
        (21, 37696, "manual")
    ]
    assert [(r["anilistId"], r["traktId"]) for r in listed["auto"]] == [(22, 888)]


def test_manual_map_updates_an_earlier_manual_row(client: TestClient) -> None:
    client.post("/api/manual-map", json={"anilistId": 21, "traktId": 1})
    response = client.post("/api/manual-map", json={"anilistId": 21, "traktId": 37696})

    assert response.json()["added"]["traktId"] == 37696
    listed = client.get("/api/mappings").json()
    assert [(r["anilistId"], r["traktId"]) for r in listed["manual"]] == [(21, 37696)]


# Trakt URLs and slugs are looked up on a fake Trakt served for real at TRAKT_API_URL.
ONE_PIECE_TRAKT, YOUR_NAME_TRAKT = 37696, 4001


@pytest.fixture(scope="module")
def trakt_server() -> Iterator[tuple[FakeTrakt, str]]:
    fake = FakeTrakt(in_process=False)
    fake.add_show(ONE_PIECE_TRAKT, "One Piece", year=1999, seasons={1: 8})
    fake.add_movie(YOUR_NAME_TRAKT, "Your Name.", year=2016)
    with serve_in_thread(fake.app) as url:
        yield fake, url


@pytest.fixture
def trakt_client(
    settings: Settings, trakt_server: tuple[FakeTrakt, str]
) -> Iterator[tuple[TestClient, FakeTrakt]]:
    """The app with TRAKT_CLIENT_ID set and Trakt pointing at the served fake."""
    fake, url = trakt_server
    fake.reset()
    configured = settings.model_copy(
        update={"trakt_client_id": fake.client_id, "trakt_api_url": url}
    )
    with TestClient(create_app(configured)) as test_client:
        yield test_client, fake


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"traktId": "https://trakt.tv/shows/one-piece"}, (ONE_PIECE_TRAKT, "show"),
            id="show-url",
        ),
        pytest.param(
            {"traktId": "https://trakt.tv/shows/one-piece/seasons/1"}, (ONE_PIECE_TRAKT, "show"),
            id="show-url-with-season-path",
        ),
        pytest.param(
            {"traktId": "trakt.tv/shows/one-piece?utm=x"}, (ONE_PIECE_TRAKT, "show"),
            id="show-url-without-scheme",
        ),
        pytest.param(
            {"traktId": "https://trakt.tv/movies/your-name-2016"}, (YOUR_NAME_TRAKT, "movie"),
            id="movie-url-sets-movie",
        ),
        pytest.param({"traktId": " One-Piece "}, (ONE_PIECE_TRAKT, "show"), id="slug"),
        pytest.param(
            {"traktId": "your-name-2016"}, (YOUR_NAME_TRAKT, "movie"),
            id="slug-of-a-movie-found-without-the-flag",
        ),
        pytest.param(
            {"traktId": "your-name-2016", "movie": True}, (YOUR_NAME_TRAKT, "movie"),
            id="slug-with-movie-flag",
        ),
    ],
)  # fmt: skip
def test_manual_map_resolves_trakt_urls_and_slugs(
    trakt_client: tuple[TestClient, FakeTrakt],
    body: dict[str, Any],
    expected: tuple[int, str],
) -> None:
    client, _ = trakt_client

    response = client.post("/api/manual-map", json={"anilistId": 21, "season": 1, **body})

    assert response.status_code == 200, response.text
    added = response.json()["added"]
    assert (added["traktId"], added["traktType"]) == expected
    assert (added["anilistId"], added["season"], added["type"]) == (21, 1, "manual")
    (row,) = client.get("/api/mappings").json()["manual"]
    assert (row["traktId"], row["traktType"]) == expected


def test_manual_map_numeric_trakt_id_needs_no_lookup(
    trakt_client: tuple[TestClient, FakeTrakt],
) -> None:
    client, fake = trakt_client

    response = client.post("/api/manual-map", json={"anilistId": 21, "traktId": "37696"})

    assert response.status_code == 200, response.text
    assert fake.requests == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param(
            {"traktId": "no-such-show"}, ("traktId", "no-such-show"), id="unknown-slug"
        ),
        pytest.param(
            {"traktId": "https://trakt.tv/movies/one-piece"}, ("traktId", "movie"),
            id="show-slug-as-movie-url",
        ),
        pytest.param(
            {"traktId": "https://trakt.tv/shows/one-piece", "movie": True}, ("movie",),
            id="show-url-with-movie-flag",
        ),
        pytest.param(
            {"traktId": "one-piece", "imdbId": "123"}, ("imdbId",),
            id="other-fields-checked-before-any-lookup",
        ),
    ],
)  # fmt: skip
def test_manual_map_trakt_lookup_failures_are_400(
    trakt_client: tuple[TestClient, FakeTrakt], body: dict[str, Any], words: tuple[str, ...]
) -> None:
    client, fake = trakt_client

    response = client.post("/api/manual-map", json={"anilistId": 21, **body})

    _assert_error(response, 400, *words)
    assert client.get("/api/mappings").json() == {"manual": [], "auto": []}
    if "imdbId" in body:
        assert fake.requests == []


def test_manual_map_slug_without_trakt_client_id_names_it(client: TestClient) -> None:
    response = client.post(
        "/api/manual-map", json={"anilistId": 21, "traktId": "https://trakt.tv/shows/one-piece"}
    )

    _assert_error(response, 400, "traktId", "TRAKT_CLIENT_ID")
    assert client.get("/api/mappings").json() == {"manual": [], "auto": []}


@pytest.mark.parametrize(
    ("request_kwargs", "field"),
    [
        pytest.param({"json": {"traktId": 37696}}, "anilistId", id="missing-anilistId"),
        pytest.param({"json": {"anilistId": 5}}, "traktId", id="missing-traktId"),
        pytest.param({"json": {"anilistId": 5, "traktId": None}}, "traktId", id="null-traktId"),
        pytest.param({"json": {"anilistId": "abc", "traktId": 1}}, "anilistId", id="anilistId-abc"),
        pytest.param({"json": {"anilistId": -5, "traktId": 1}}, "anilistId", id="anilistId-neg"),
        pytest.param(
            {"json": {"anilistId": "-5", "traktId": 1}}, "anilistId", id="anilistId-neg-text"
        ),
        pytest.param({"json": {"anilistId": 0, "traktId": 1}}, "anilistId", id="anilistId-zero"),
        pytest.param(
            {"json": {"anilistId": 1.5, "traktId": 1}}, "anilistId", id="anilistId-fraction"
        ),
        pytest.param(
            {"json": {"anilistId": True, "traktId": 1}},
            "anilistId",
            id="anilistId-bool",
        ),
        pytest.param({"json": {"anilistId": [5], "traktId": 1}}, "anilistId", id="anilistId-list"),
        pytest.param(
            {"json": {"anilistId": {"id": 5}, "traktId": 1}}, "anilistId", id="anilistId-object"
        ),
        pytest.param(
            {"json": {"anilistId": "https://anilist.co/manga/30013", "traktId": 1}},
            "anilistId",
            id="anilistId-manga-url",
        ),
        pytest.param(
            {"json": {"anilistId": 2**63, "traktId": 1}}, "anilistId", id="anilistId-too-large"
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": "one piece"}}, "traktId", id="traktId-not-a-slug"
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": "https://trakt.tv/users/sean"}},
            "traktId",
            id="traktId-other-trakt-url",
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": "https://example.com/shows/one-piece"}},
            "traktId",
            id="traktId-other-site",
        ),
        pytest.param({"json": {"anilistId": 5, "traktId": 0}}, "traktId", id="traktId-zero"),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": True}},
            "traktId",
            id="traktId-bool",
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": 1, "tmdbId": "x"}}, "tmdbId", id="tmdbId-text"
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": 1, "tvdbId": -1}}, "tvdbId", id="tvdbId-neg"
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": 1, "imdbId": "12345"}}, "imdbId", id="imdb-no-tt"
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": 1, "imdbId": 12345}}, "imdbId", id="imdb-number"
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": 1, "season": -1}}, "season", id="season-neg"
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": 1, "season": 1001}}, "season", id="season-huge"
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": 1, "offset": "x"}}, "offset", id="offset-text"
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": 1, "offset": -1}}, "offset", id="offset-neg"
        ),
        pytest.param(
            {"json": {"anilistId": 5, "traktId": 1, "movie": "x"}}, "movie", id="movie-text"
        ),
        pytest.param(
            {"content": b'{"anilistId": 5,', "headers": {"content-type": "application/json"}},
            "JSON",
            id="malformed-json",
        ),
        pytest.param({"json": [5, 50]}, "JSON object", id="json-array"),
        pytest.param({"json": "5"}, "JSON object", id="json-string"),
        pytest.param(
            {
                "content": b'{"anilistId": 5, "traktId": 50}',
                "headers": {"content-type": "text/plain"},
            },
            "JSON",
            id="text-plain",
        ),
        pytest.param({"data": {"anilistId": "5", "traktId": "50"}}, "JSON", id="form-encoded"),
        pytest.param({}, "body", id="empty-body"),
        pytest.param(
            {"content": b"", "headers": {"content-type": "application/json"}},
            "body",
            id="empty-json-body",
        ),
        pytest.param({"json": None}, "body", id="json-null"),
    ],
)
def test_manual_map_bad_input_is_400_and_changes_nothing(
    client: TestClient, sessions: Sessions, request_kwargs: dict[str, Any], field: str
) -> None:
    with sessions.begin() as s:
        save_mapping(s, IdMapping(5, 50, manual=False))
        save_mapping(s, IdMapping(7, 70, manual=True))
    before = client.get("/api/mappings").json()

    response = client.post("/api/manual-map", **request_kwargs)

    _assert_error(response, 400, field)
    assert client.get("/api/mappings").json() == before


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-header"),
        pytest.param("Bearer wrong-token", id="wrong-token"),
        pytest.param("guard-token-456", id="no-scheme"),
        pytest.param("Basic guard-token-456", id="wrong-scheme"),
    ],
)
def test_api_token_guards_every_api_route(
    settings: Settings, sessions: Sessions, authorization: str | None
) -> None:
    guarded = settings.model_copy(update={"anitrakt_api_token": SecretStr("guard-token-456")})
    headers = {"Authorization": authorization} if authorization else {}

    with TestClient(create_app(guarded)) as test_client:
        posted = test_client.post(
            "/api/manual-map", json={"anilistId": 21, "traktId": 1}, headers=headers
        )
        read = test_client.get("/api/status", headers=headers)
        health = test_client.get("/api/health", headers=headers)

    for response in (posted, read):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "token" in response.json()["error"]
        assert "guard-token-456" not in response.text
    assert health.status_code == 200
    with sessions() as session:
        assert list_mappings(session) == []


def test_api_token_lets_the_right_bearer_through(settings: Settings, sessions: Sessions) -> None:
    guarded = settings.model_copy(update={"anitrakt_api_token": SecretStr("guard-token-456")})
    headers = {"Authorization": "Bearer guard-token-456"}

    with TestClient(create_app(guarded)) as test_client:
        posted = test_client.post(
            "/api/manual-map", json={"anilistId": 21, "traktId": 1}, headers=headers
        )
        listed = test_client.get("/api/mappings", headers=headers)

    assert posted.status_code == 200
    assert [row["anilistId"] for row in listed.json()["manual"]] == [21]


# --- routing, OpenAPI, health ------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/nope", "/api/status/extra", "/nope"])
def test_unknown_route_is_404_json(client: TestClient, path: str) -> None:
    _assert_error(client.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("POST", "/api/status", id="post-status"),
        pytest.param("DELETE", "/api/mappings", id="delete-mappings"),
        pytest.param("GET", "/api/manual-map", id="get-manual-map"),
        pytest.param("PUT", "/api/logs", id="put-logs"),
    ],
)
def test_wrong_method_is_405_json(client: TestClient, method: str, path: str) -> None:
    _assert_error(client.request(method, path), 405)


def test_wrong_method_names_the_allowed_ones(client: TestClient) -> None:
    response = client.post("/api/status")

    assert response.status_code == 405
    assert response.headers.get("allow") == "GET"


def test_openapi_lists_the_routes(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/health",
        "/api/status",
        "/api/logs",
        "/api/progress",
        "/api/mappings",
        "/api/manual-map",
    ):
        assert path in paths
    assert "post" in paths["/api/manual-map"]


def test_health(client: TestClient) -> None:
    response = client.get("/api/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


# --- secrets -----------------------------------------------------------------------

SECRETS = {
    "trakt_access_token": "supersecret-token-123",
    "trakt_refresh_token": "supersecret-refresh-456",
    "trakt_client_secret": "supersecret-client-789",
    "anilist_access_token": "supersecret-anilist-abc",
    "tmdb_api_key": "supersecret-tmdb-def",
}


def test_no_response_contains_a_secret(settings: Settings, sessions: Sessions) -> None:
    secret_settings = settings.model_copy(
        update={name: SecretStr(value) for name, value in SECRETS.items()}
    )
    with sessions.begin() as s:
        set_config(s, keys.STATUS_SYNC_LAST_RUN, "2024-05-01T12:00:00Z")
        add_log(s, "sync finished", LogLevel.INFO)
        set_progress(s, 21, 3)
        save_mapping(s, IdMapping(1, 30857, manual=False))
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/health", {}),
        ("GET", "/api/status", {}),
        ("GET", "/api/logs", {}),
        ("GET", "/api/logs?level=bogus", {}),
        ("GET", "/api/progress", {}),
        ("GET", "/api/progress?anilistId=21", {}),
        ("GET", "/api/progress?anilistId=abc", {}),
        ("GET", "/api/mappings", {}),
        ("POST", "/api/manual-map", {"json": {"anilistId": 21, "traktId": 37696}}),
        ("POST", "/api/manual-map", {"json": {"anilistId": 21, "traktId": "x"}}),
        ("POST", "/api/manual-map", {"content": b"{"}),
        ("GET", "/api/nope", {}),
        ("POST", "/api/status", {}),
        ("GET", "/openapi.json", {}),
    ]

    with TestClient(create_app(secret_settings)) as test_client:
        for method, path, kwargs in calls:
            response = test_client.request(method, path, **kwargs)
            assert response.status_code < 500, (method, path, response.text)
            exposed = response.text + repr(dict(response.headers))
            for name, secret in SECRETS.items():
                assert secret not in exposed, f"{name} leaked by {method} {path}"
