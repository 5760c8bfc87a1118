"""Refreshing the mapping sources and looking ids up, as the API, the CLI and the resolver see it.

Every test runs on SQLite and on PostgreSQL. Sources are served by a real local HTTP
server (tests/fakes/files.py) or read from disk; what is asserted is what a person
would notice: the entries a lookup returns, the `?check=1` answer, the logs page, the
exit code — and, after a bad download, that all of those are exactly as before.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner, Result

from anitrakt.cli import app as cli_app
from anitrakt.clients.download import DownloadOptions
from anitrakt.clock import utc_now
from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.domain.mapping_source import SourceEntry, TmdbKind
from anitrakt.domain.values import LogLevel, SourceName
from anitrakt.errors import ConflictError, MappingSourceError, UpstreamError
from anitrakt.store.logs import list_logs
from anitrakt.store.system_config import get_config, get_config_many
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.index import SharedSourceIndex
from anitrakt.usecases.sources.refresh import (
    SOURCE_MAX_AGE,
    refresh_source,
    refresh_stale_sources,
    source_status,
)
from anitrakt.web.app import create_app
from clocks import ManualClock
from fakes.files import FileServer, anibridge_release, anibridge_stats, fribb_json, otaku_db
from fakes.server import serve_in_thread
from sql_log import recorded_statements as statements

FRIBB_PATH = "/Fribb/anime-lists/master/anime-list-full.json"
OTAKU_PATH = "/Otaku-Mappings/anime_mappings.db"
ANIBRIDGE_DIR = "/anibridge/anibridge-mappings/releases/download/v3"
ANIBRIDGE_PATH = f"{ANIBRIDGE_DIR}/mappings.min.json"
ANIBRIDGE_MEMBERS = {"anilist:145064": {"tmdb_show:95479:s1": {"1-23": "25-47"}}}
CURRENT_LIST = [
    {
        "anilist_id": 104578,
        "mal_id": 38524,
        "type": "TV",
        "tvdb_id": 267440,
        "themoviedb_id": {"tv": 1429},
        "season": {"tvdb": 3, "tmdb": 3},
        "episode_offset": {"tvdb": 12, "tmdb": 12},
    },
    {"anilist_id": 21, "type": "TV", "tvdb_id": 81797, "themoviedb_id": {"tv": 37854}},
    {
        "anilist_id": 21519,
        "type": "MOVIE",
        "imdb_id": ["tt5311514"],
        "themoviedb_id": {"movie": [372058]},
    },
    {"mal_id": 54496, "type": "MOVIE"},
]
FLAT_LIST = [
    {"anilist_id": 104578, "thetvdb_id": 267440, "type": "TV"},
    {"anilist_id": 21519, "type": "MOVIE", "imdb_id": "tt5311514", "themoviedb_id": 372058},
    {"kitsu_id": 1, "type": "TV"},
]
OTAKU_ROWS = [
    {"anilist_id": 16498, "thetvdb_id": 267440, "trakt_id": 1420, "thetvdb_season": 1},
    {"anilist_id": 21519, "themoviedb_id": 372058, "trakt_id": 231427, "anime_media_type": "MOVIE"},
]
OTAKU_ACTIVITY = 1_714_000_000
AOT_S3P2 = SourceEntry(
    104578, tvdb_id=267440, tmdb_id=1429, tmdb_kind=TmdbKind.TV, mal_id=38524,
    media_type="TV", season=3, episode_offset=12,
)  # fmt: skip
HTML_PAGE = b"<!DOCTYPE html><html><body>Rate limit exceeded</body></html>"
TEST_CAP = 2_000_000
OVERSIZED = b"[" + b" " * TEST_CAP + b"]"
CHECK_FIELDS = {
    SourceName.FRIBB: {"count", "lastSync", "lastFullSync"},
    SourceName.OTAKU: {"count", "lastSync", "lastActivity"},
}
SETTINGS_VARIABLES = [name.upper() for name in Settings.model_fields]


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _served() -> Iterator[tuple[FileServer, str]]:
    server = FileServer()
    with serve_in_thread(server) as base_url:
        yield server, base_url


@pytest.fixture
def files(_served: tuple[FileServer, str]) -> Iterator[FileServer]:
    """The upstream file server, serving a small current-shape Fribb list and an Otaku db."""
    server, _ = _served
    server.reset()
    server.put(FRIBB_PATH, fribb_json(CURRENT_LIST), content_type="application/json")
    server.put(OTAKU_PATH, otaku_db(OTAKU_ROWS, last_updated=OTAKU_ACTIVITY))
    server.put(ANIBRIDGE_PATH, anibridge_release(ANIBRIDGE_MEMBERS))
    server.put(f"{ANIBRIDGE_DIR}/stats.json", anibridge_stats())
    yield server
    server.reset()


@pytest.fixture
def source_settings(settings: Settings, _served: tuple[FileServer, str]) -> Settings:
    _, base_url = _served
    return settings.model_copy(
        update={
            "fribbs_url": base_url + FRIBB_PATH,
            "otaku_url": base_url + OTAKU_PATH,
            "anibridge_url": base_url + ANIBRIDGE_PATH,
        }
    )


def _quick_downloads() -> DownloadOptions:
    # A clock that never really sleeps: retries of 5xx are counted, not waited for; and a
    # cap small enough to test cheaply.
    return DownloadOptions(clock=ManualClock(), max_bytes=TEST_CAP)


@pytest.fixture
def runtime(source_settings: Settings, files: FileServer) -> Iterator[Runtime]:
    runtime = Runtime.open(source_settings)
    runtime.downloads = _quick_downloads()
    yield runtime
    runtime.close()


@pytest.fixture
def client(source_settings: Settings, files: FileServer) -> Iterator[TestClient]:
    with TestClient(create_app(source_settings)) as test_client:
        test_client.app.state.runtime.downloads = _quick_downloads()  # type: ignore[attr-defined]
        yield test_client


Invoke = Callable[..., Result]


@pytest.fixture
def invoke(
    source_settings: Settings, files: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Invoke:
    """Run `anitrakt ARGS…` against the test database and the file server."""
    monkeypatch.chdir(tmp_path)
    env: dict[str, str | None] = dict.fromkeys(SETTINGS_VARIABLES)
    env["DATABASE_URL"] = source_settings.database_url
    env["FRIBBS_URL"] = source_settings.fribbs_url
    env["OTAKU_URL"] = source_settings.otaku_url
    env["ANIBRIDGE_URL"] = source_settings.anibridge_url

    def run(*args: str, **extra: str) -> Result:
        return CliRunner().invoke(cli_app, list(args), env={**env, **extra})

    return run


# --- helpers --------------------------------------------------------------------------


def lookup(runtime: Runtime, *anilist_ids: int) -> dict[int, Any]:
    """What a fresh process would find for these ids (its own index, loaded from the store)."""
    fresh = SharedSourceIndex(runtime.sessions)
    return {
        anilist_id: (hit.fribb, hit.otaku)
        for anilist_id, hit in fresh.lookup_many(anilist_ids).items()
    }


def cache_state(runtime: Runtime) -> dict[str, Any]:
    """Everything a refresh may change: index rows, cache metadata and status keys."""
    with runtime.sessions() as session:
        stored = get_config_many(
            session,
            [
                keys.CACHE_FRIBBS,
                keys.CACHE_OTAKU,
                keys.STATUS_FRIBBS_LAST_SYNC,
                keys.STATUS_OTAKU_LAST_SYNC,
                keys.STATUS_OTAKU_LAST_ACTIVITY,
            ],
        )
        rows = session.execute(
            sa.text("select source, anilist_id from mapping_source_entries order by 1, 2")
        ).all()
    return {"config": stored, "rows": [tuple(r) for r in rows]}


def error_logs(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return [row.message for row in list_logs(session, level=LogLevel.ERROR)]


def _instant(text: Any) -> datetime:
    assert isinstance(text, str), text
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None, f"{text!r} has no offset"
    return moment


# --- refresh: the happy paths ---------------------------------------------------------


def test_refresh_over_http_fills_the_index_the_keys_and_the_log(
    runtime: Runtime, files: FileServer
) -> None:
    outcome = refresh_source(runtime, SourceName.FRIBB)

    assert outcome.changed
    assert outcome.meta.count == 3
    assert outcome.meta.shape == "current"
    found = lookup(runtime, 104578, 21, 21519, 54496)
    assert found[104578] == (AOT_S3P2, None)
    assert found[21][0].season is None
    assert found[21519][0].is_movie
    assert (found[21519][0].tmdb_id, found[21519][0].imdb_id) == (372058, "tt5311514")
    assert 54496 not in found
    with runtime.sessions() as session:
        meta = get_config(session, keys.CACHE_FRIBBS)
        last_sync = get_config(session, keys.STATUS_FRIBBS_LAST_SYNC)
        info = [row.message for row in list_logs(session, level=LogLevel.INFO)]
    assert meta["count"] == 3
    assert meta["url"] == runtime.settings.fribbs_url
    assert len(meta["sha256"]) == 64
    assert meta["shape"] == "current"
    assert _instant(meta["fetchedAt"]) == _instant(last_sync)
    assert any("Fribb mapping list refreshed: 3 AniList entries" in m for m in info)
    assert files.requests[-1].headers["user-agent"].startswith("anitrakt/")
    # Uncompressed, so the size cap bounds what lands in memory.
    assert files.requests[-1].headers["accept-encoding"] == "identity"


@pytest.mark.parametrize("form", [pytest.param("path", id="plain-path"), "file-url"])
def test_refresh_reads_local_files(runtime: Runtime, tmp_path: Path, form: str) -> None:
    path = tmp_path / "lists" / "anime-list-full.json"
    path.parent.mkdir()
    path.write_bytes(fribb_json(FLAT_LIST))
    runtime.settings = runtime.settings.model_copy(
        update={"fribbs_url": str(path) if form == "path" else path.as_uri()}
    )

    outcome = refresh_source(runtime, SourceName.FRIBB)

    assert (outcome.meta.count, outcome.meta.shape) == (2, "flat")
    found = lookup(runtime, 104578, 21519)
    assert found[104578][0] == SourceEntry(104578, tvdb_id=267440, media_type="TV")
    assert found[21519][0].tmdb_kind is TmdbKind.MOVIE


def test_refresh_otaku_keeps_trakt_ids_and_the_last_activity(runtime: Runtime) -> None:
    outcome = refresh_source(runtime, SourceName.OTAKU)

    assert (outcome.changed, outcome.meta.count, outcome.meta.shape) == (True, 2, "sqlite")
    found = lookup(runtime, 16498, 21519)
    assert found[16498][1] == SourceEntry(16498, tvdb_id=267440, season=1, trakt_id=1420)
    assert found[21519][1].trakt_id == 231427
    with runtime.sessions() as session:
        status = source_status(session, SourceName.OTAKU)
    assert status.count == 2
    assert status.last_activity is not None
    assert status.last_activity.timestamp() == OTAKU_ACTIVITY


def test_both_sources_answer_one_lookup(runtime: Runtime) -> None:
    refresh_source(runtime, SourceName.FRIBB)
    refresh_source(runtime, SourceName.OTAKU)

    fribb, otaku = lookup(runtime, 21519)[21519]

    assert (fribb.tmdb_id, otaku.trakt_id) == (372058, 231427)


def test_otaku_without_optional_columns_still_refreshes(
    runtime: Runtime, files: FileServer
) -> None:
    files.put(OTAKU_PATH, otaku_db(OTAKU_ROWS, columns=["anilist_id"], last_updated=None))
    refresh_source(runtime, SourceName.OTAKU)  # an earlier file had an activity date…
    files.put(
        OTAKU_PATH, otaku_db(OTAKU_ROWS, columns=["anilist_id", "trakt_id"], last_updated=None)
    )

    outcome = refresh_source(runtime, SourceName.OTAKU)

    assert "lacks optional columns" in outcome.message
    assert "thetvdb_season" in outcome.meta.missing_columns
    assert lookup(runtime, 16498)[16498][1] == SourceEntry(16498, trakt_id=1420)
    assert outcome.status.last_activity is None


def test_download_progress_is_reported(runtime: Runtime, files: FileServer) -> None:
    body = fribb_json(CURRENT_LIST * 2000)
    files.put(FRIBB_PATH, body, chunked=True)
    seen: list[tuple[int, int | None]] = []

    refresh_source(runtime, SourceName.FRIBB, lambda got, total: seen.append((got, total)))

    assert len(seen) > 1
    assert [r for r, _ in seen] == sorted(r for r, _ in seen)
    assert seen[-1] == (len(body), None)


# --- refresh: unchanged downloads ----------------------------------------------------


def test_an_unchanged_download_only_moves_last_sync(runtime: Runtime, files: FileServer) -> None:
    first = refresh_source(runtime, SourceName.FRIBB)
    rows_before = cache_state(runtime)["rows"]

    second = refresh_source(runtime, SourceName.FRIBB)

    assert not second.changed
    assert "unchanged" in second.message
    assert second.status.last_full_sync == first.status.last_full_sync
    assert second.status.last_sync is not None
    assert first.status.last_sync is not None
    assert second.status.last_sync > first.status.last_sync
    assert cache_state(runtime)["rows"] == rows_before
    # The second download was conditional, and the server said 304.
    assert files.requests[-1].headers["if-none-match"] == files.files[FRIBB_PATH].etag
    assert files.requests[-1].status == 304


def test_force_rebuilds_an_unchanged_cache(runtime: Runtime, files: FileServer) -> None:
    first = refresh_source(runtime, SourceName.FRIBB)

    again = refresh_source(runtime, SourceName.FRIBB, force=True)

    assert again.changed
    assert again.status.last_full_sync != first.status.last_full_sync
    assert "if-none-match" not in files.requests[-1].headers


def test_a_cache_emptied_by_hand_is_rebuilt(runtime: Runtime) -> None:
    refresh_source(runtime, SourceName.FRIBB)
    with runtime.sessions.begin() as session:
        session.execute(sa.text("delete from mapping_source_entries"))

    outcome = refresh_source(runtime, SourceName.FRIBB)

    assert outcome.changed
    assert set(lookup(runtime, 21, 104578, 21519)) == {21, 104578, 21519}


# --- unattended refresh (before automated syncs) --------------------------------------


def test_unattended_runs_load_missing_sources_then_only_stale_ones(
    runtime: Runtime, files: FileServer
) -> None:
    every = [SourceName.FRIBB, SourceName.OTAKU, SourceName.ANIBRIDGE]
    assert refresh_stale_sources(runtime) == every
    assert set(lookup(runtime, 104578, 16498, 145064)) == {104578, 16498, 145064}
    asked = len(files.requests)

    assert refresh_stale_sources(runtime) == []  # fresh: not even a request
    assert len(files.requests) == asked

    a_day_on = utc_now() + SOURCE_MAX_AGE + timedelta(minutes=1)
    assert refresh_stale_sources(runtime, now=a_day_on) == every
    # Unchanged, so cheap: Fribb and Otaku answer 304, anibridge's stats.json says the
    # release was not rebuilt and the release itself is not asked for.
    later = [(r.path.rsplit("/", 1)[1], r.status) for r in files.requests[asked:]]
    assert later == [("anime-list-full.json", 304), ("anime_mappings.db", 304), ("stats.json", 200)]


def test_an_unattended_refresh_that_fails_is_logged_and_the_other_source_loads(
    runtime: Runtime, files: FileServer
) -> None:
    del files.files[FRIBB_PATH]

    assert refresh_stale_sources(runtime) == [SourceName.OTAKU, SourceName.ANIBRIDGE]

    assert lookup(runtime, 16498)[16498][1].trakt_id == 1420
    [logged] = error_logs(runtime)
    assert logged.startswith("Fribb mapping list refresh failed")
    assert "HTTP 404" in logged


# --- refresh: bad sources change nothing ---------------------------------------------

BAD_FRIBBS = [
    pytest.param(HTML_PAGE, None, "HTML", id="html"),
    pytest.param(fribb_json(CURRENT_LIST)[:-20], None, "truncated", id="truncated-json"),
    pytest.param(b"[]", None, "the list is empty", id="empty-list"),
    pytest.param(fribb_json([{"mal_id": 1}]), None, "has an anilist_id", id="no-anilist-ids"),
    pytest.param(None, 404, "HTTP 404", id="http-404"),
    pytest.param(None, 500, "HTTP 500", id="http-500"),
    pytest.param(OVERSIZED, None, "over the 2,000,000-byte limit", id="oversized"),
]


def _serve_bad(files: FileServer, path: str, body: bytes | None, status: int | None) -> None:
    if status == 404:
        del files.files[path]
    elif status is not None:
        files.fail(path, *[status] * 10)
    else:
        assert body is not None
        files.put(path, body)


@pytest.mark.parametrize(("body", "status", "reason"), BAD_FRIBBS)
def test_a_bad_fribb_download_keeps_the_previous_cache(
    runtime: Runtime, files: FileServer, body: bytes | None, status: int | None, reason: str
) -> None:
    refresh_source(runtime, SourceName.FRIBB)
    refresh_source(runtime, SourceName.OTAKU)
    before = cache_state(runtime)
    _serve_bad(files, FRIBB_PATH, body, status)

    with pytest.raises(UpstreamError) as caught:
        refresh_source(runtime, SourceName.FRIBB)

    assert reason in caught.value.message
    assert cache_state(runtime) == before
    assert lookup(runtime, 104578)[104578][0] == AOT_S3P2
    assert runtime.source_index.lookup_many([104578])[104578].fribb == AOT_S3P2
    logged = error_logs(runtime)
    assert len(logged) == 1
    assert logged[0].startswith("Fribb mapping list refresh failed")
    assert reason in logged[0]
    assert "kept the previous cache (3 entries" in logged[0]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"SQLite format 2\x00" + b"\x00" * 100, "not a SQLite database", id="bytes"),
        pytest.param(HTML_PAGE, "HTML page", id="html"),
        pytest.param(otaku_db(OTAKU_ROWS)[:3000], "damaged or truncated", id="truncated"),
    ],
)
def test_a_bad_otaku_download_keeps_the_previous_cache(
    runtime: Runtime, files: FileServer, body: bytes, reason: str
) -> None:
    refresh_source(runtime, SourceName.OTAKU)
    before = cache_state(runtime)
    files.put(OTAKU_PATH, body)

    with pytest.raises(MappingSourceError, match=reason):
        refresh_source(runtime, SourceName.OTAKU)

    assert cache_state(runtime) == before
    assert lookup(runtime, 16498)[16498][1].trakt_id == 1420
    assert any(m.startswith("Otaku mappings refresh failed") for m in error_logs(runtime))


def test_a_5xx_is_retried_before_giving_up(runtime: Runtime, files: FileServer) -> None:
    files.fail(FRIBB_PATH, 503, 502)

    outcome = refresh_source(runtime, SourceName.FRIBB)

    assert outcome.changed
    assert [r.status for r in files.requests] == [503, 502, 200]


@pytest.mark.parametrize("chunked", [pytest.param(False, id="content-length"), True])
def test_an_oversized_download_is_cut_off(
    runtime: Runtime, files: FileServer, chunked: bool
) -> None:
    refresh_source(runtime, SourceName.FRIBB)
    before = cache_state(runtime)
    files.put(FRIBB_PATH, fribb_json(CURRENT_LIST * 500), chunked=chunked)
    runtime.downloads.max_bytes = 100_000

    with pytest.raises(MappingSourceError, match="over the 100,000-byte limit"):
        refresh_source(runtime, SourceName.FRIBB)

    assert cache_state(runtime) == before
    assert "over the 100,000-byte limit" in error_logs(runtime)[0]


def test_a_first_refresh_that_fails_leaves_no_cache(runtime: Runtime, files: FileServer) -> None:
    files.put(FRIBB_PATH, HTML_PAGE)

    with pytest.raises(MappingSourceError):
        refresh_source(runtime, SourceName.FRIBB)

    assert cache_state(runtime) == {"config": {}, "rows": []}
    assert "there was no previous cache" in error_logs(runtime)[0]


def test_a_refresh_already_running_is_a_conflict(runtime: Runtime) -> None:
    with (
        runtime.source_index.refreshing(SourceName.FRIBB),
        pytest.raises(ConflictError, match="already running"),
    ):
        refresh_source(runtime, SourceName.FRIBB)

    refresh_source(runtime, SourceName.OTAKU)  # the other source is not blocked


# --- the shared index ------------------------------------------------------------------


def test_the_index_is_loaded_once_and_lookups_send_no_query(
    runtime: Runtime, files: FileServer
) -> None:
    refresh_source(runtime, SourceName.FRIBB)
    refresh_source(runtime, SourceName.OTAKU)
    downloads = files.count()
    shared = SharedSourceIndex(runtime.sessions)

    with statements(runtime.engine) as sent:
        first = shared.lookup_many([21])
        loading = list(sent)
        for _ in range(50):
            hits = shared.lookup_many(range(1, 110_000, 100))
        batch = shared.lookup_many([21, 104578, 16498, 21519, 999_999])

    assert first[21].fribb is not None
    assert sum("mapping_source_entries" in s for s in loading) == 1
    assert len(loading) <= 2  # the cache stamps and the rows
    assert len(sent) == len(loading)
    assert set(batch) == {21, 104578, 16498, 21519}
    assert batch[21519].fribb is not None
    assert batch[21519].otaku is not None
    assert 104501 not in hits
    assert files.count() == downloads  # nothing is downloaded or parsed again


def test_a_refresh_in_this_process_updates_the_shared_index_without_reloading(
    runtime: Runtime, files: FileServer
) -> None:
    refresh_source(runtime, SourceName.FRIBB)
    assert runtime.source_index.lookup_many([21])[21].fribb is not None
    files.put(FRIBB_PATH, fribb_json(FLAT_LIST))

    with statements(runtime.engine) as sent:
        refresh_source(runtime, SourceName.FRIBB)
        before_lookup = len(sent)
        hits = runtime.source_index.lookup_many([21, 104578])

    assert set(hits) == {104578}
    assert hits[104578].fribb == SourceEntry(104578, tvdb_id=267440, media_type="TV")
    assert len(sent) == before_lookup


def test_a_refresh_by_another_process_is_noticed_after_the_recheck_interval(
    runtime: Runtime, source_settings: Settings, files: FileServer
) -> None:
    refresh_source(runtime, SourceName.FRIBB)
    now = [0.0]
    shared = SharedSourceIndex(runtime.sessions, recheck_seconds=30, monotonic=lambda: now[0])
    assert 21 in shared.lookup_many([21])
    other = Runtime.open(source_settings)  # e.g. `anitrakt refresh fribbs` while serve runs
    files.put(FRIBB_PATH, fribb_json(FLAT_LIST))
    try:
        refresh_source(other, SourceName.FRIBB)
    finally:
        other.close()

    now[0] = 29.0
    still_old = shared.lookup_many([21])
    now[0] = 31.0
    renewed = shared.lookup_many([21, 104578])

    assert 21 in still_old
    assert set(renewed) == {104578}


def test_lookups_are_safe_from_many_threads(runtime: Runtime) -> None:
    refresh_source(runtime, SourceName.FRIBB)
    shared = SharedSourceIndex(runtime.sessions)
    results: list[int] = []

    def work() -> None:
        results.append(len(shared.lookup_many([21, 104578, 21519])))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [3] * 8


# --- the API -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("route", "source", "count"),
    [
        pytest.param("/api/refresh-fribbs", SourceName.FRIBB, 3, id="fribbs"),
        pytest.param("/api/refresh-otaku", SourceName.OTAKU, 2, id="otaku"),
    ],
)
def test_api_refresh_then_check(
    client: TestClient, method: str, route: str, source: SourceName, count: int
) -> None:
    never = client.request(method, route, params={"check": "1"})
    assert never.status_code == 200
    assert never.json() == {"count": 0, **dict.fromkeys(CHECK_FIELDS[source] - {"count"})}

    refreshed = client.request(method, route)

    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert (body["success"], body["changed"], body["count"], body["source"]) == (
        True,
        True,
        count,
        source.value,
    )
    assert set(body["status"]) == CHECK_FIELDS[source]
    checked = client.request(method, route, params={"check": "true"}).json()
    assert set(checked) == CHECK_FIELDS[source]
    assert checked["count"] == count
    _instant(checked["lastSync"])
    if source is SourceName.FRIBB:
        assert _instant(checked["lastFullSync"]) == _instant(checked["lastSync"])
    else:
        assert _instant(checked["lastActivity"]).timestamp() == OTAKU_ACTIVITY


@pytest.mark.parametrize(("body", "status", "reason"), BAD_FRIBBS)
def test_api_bad_source_answers_a_json_error_and_keeps_the_cache(
    client: TestClient, files: FileServer, body: bytes | None, status: int | None, reason: str
) -> None:
    assert client.post("/api/refresh-fribbs").status_code == 200
    _serve_bad(files, FRIBB_PATH, body, status)

    response = client.post("/api/refresh-fribbs")

    assert response.status_code == 502
    assert response.headers["content-type"].startswith("application/json")
    assert "Fribb mapping list" in response.json()["error"]
    assert reason in response.json()["error"]
    assert client.get("/api/refresh-fribbs", params={"check": 1}).json()["count"] == 3
    newest = client.get("/api/logs", params={"level": "error"}).json()[0]
    assert newest["message"].startswith("Fribb mapping list refresh failed")


def test_api_bad_otaku_file_answers_502(client: TestClient, files: FileServer) -> None:
    files.put(OTAKU_PATH, b"definitely not sqlite")

    response = client.get("/api/refresh-otaku")

    assert response.status_code == 502
    assert response.json()["details"] == {
        "source": "Otaku mappings",
        "reason": "the download is not a SQLite database",
    }


def test_api_refresh_needs_the_token_when_one_is_set(
    source_settings: Settings, files: FileServer
) -> None:
    guarded = source_settings.model_copy(update={"anitrakt_api_token": SecretStr("s3cret-token")})
    with TestClient(create_app(guarded)) as client:
        for method in ("GET", "POST"):
            for route in ("/api/refresh-fribbs", "/api/refresh-otaku?check=1"):
                assert client.request(method, route).status_code == 401
        allowed = client.post(
            "/api/refresh-fribbs", headers={"Authorization": "Bearer s3cret-token"}
        )
    assert allowed.status_code == 200
    assert files.count() == 1


def test_openapi_documents_the_refresh_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    for route in ("/api/refresh-fribbs", "/api/refresh-otaku"):
        assert set(paths[route]) == {"get", "post"}


# --- the CLI -----------------------------------------------------------------------


def test_cli_refresh_and_check(invoke: Invoke) -> None:
    refreshed = invoke("refresh", "fribbs")
    assert refreshed.exit_code == 0, refreshed.output
    assert "Fribb mapping list refreshed: 3 AniList entries" in refreshed.stdout

    as_json = invoke("refresh", "otaku", "--json")
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.stdout)
    assert (body["count"], body["changed"]) == (2, True)

    checked = invoke("refresh", "fribbs", "--check", "--json")
    assert checked.exit_code == 0, checked.output
    status = json.loads(checked.stdout)
    assert set(status) == CHECK_FIELDS[SourceName.FRIBB]
    assert status["count"] == 3

    table = invoke("refresh", "otaku", "--check")
    assert table.exit_code == 0, table.output
    assert "Otaku mappings" in table.stdout
    assert "newest activity" in table.stdout


@pytest.mark.parametrize(
    ("command", "path", "body", "reason"),
    [
        pytest.param("fribbs", FRIBB_PATH, HTML_PAGE, "HTML", id="fribbs-html"),
        pytest.param("fribbs", FRIBB_PATH, None, "404", id="fribbs-404"),
        pytest.param("otaku", OTAKU_PATH, b"\x00" * 64, "not a SQLite database", id="otaku-bytes"),
    ],
)
def test_cli_bad_source_exits_non_zero_and_keeps_the_cache(
    invoke: Invoke, files: FileServer, command: str, path: str, body: bytes | None, reason: str
) -> None:
    assert invoke("refresh", command).exit_code == 0
    if body is None:
        del files.files[path]
    else:
        files.put(path, body)

    failed = invoke("refresh", command)

    assert failed.exit_code == 1
    assert failed.exception is None or isinstance(failed.exception, SystemExit)
    assert reason in failed.stderr
    assert "Traceback" not in failed.output
    checked = json.loads(invoke("refresh", command, "--check", "--json").stdout)
    assert checked["count"] == (3 if command == "fribbs" else 2)
