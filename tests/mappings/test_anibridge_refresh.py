"""Refreshing anibridge-mappings v3 as the API, the CLI and the scheduler see it.

The release is served by a real local HTTP server (tests/fakes/files.py) as
`mappings.min.json` or `mappings.json.zst` with its `stats.json` beside it, or read from
disk. What is asserted is what a person would notice: the ranges placement reads, the
ids a lookup finds, the `?check=1` answer, the log — and after a bad download, that all
of those are exactly as before. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from anitrakt.cli import app as cli_app
from anitrakt.clients.download import DownloadOptions
from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.domain.mapping_source import SourceEntry, TmdbKind
from anitrakt.domain.values import LogLevel, SourceName
from anitrakt.errors import MappingSourceError, UpstreamError
from anitrakt.store.anibridge import ranges_for
from anitrakt.store.logs import list_logs
from anitrakt.store.system_config import get_config, get_config_many
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.anibridge import stats_url
from anitrakt.usecases.sources.index import SharedSourceIndex
from anitrakt.usecases.sources.refresh import refresh_source
from anitrakt.web.app import create_app
from clocks import ManualClock
from fakes.files import (
    ANIBRIDGE_GENERATED_ON,
    FileServer,
    anibridge_release,
    anibridge_stats,
    zstd,
)
from fakes.server import serve_in_thread

SOURCE = SourceName.ANIBRIDGE
FOLDER = "/anibridge/anibridge-mappings/releases/download/v3"
JSON_PATH = f"{FOLDER}/mappings.min.json"
ZSTD_PATH = f"{FOLDER}/mappings.json.zst"
STATS_PATH = f"{FOLDER}/stats.json"
JJK_2, BLUE_LOCK_2, GHIBLI = 145064, 163146, 5
MEMBERS: dict[str, Any] = {
    # Jujutsu Kaisen 2nd Season: TMDB keeps it in season 1.
    f"anilist:{JJK_2}": {
        "tmdb_show:95479:s1": {"1-23": "25-47"},
        "tvdb_show:377543:s2": {"1-23": "1-23"},
        "mal:51009": {"1": "1"},
    },
    f"anilist:{BLUE_LOCK_2}": {
        "tmdb_show:131041:s1": {"1-14": "25-38"},
        "imdb_show:tt16979292:s1": {"1-14": "25-38"},
    },
    # A film TMDB also files among a show's specials: resolves as the movie.
    f"anilist:{GHIBLI}": {"tmdb_movie:11299": {"1": "1"}, "tvdb_show:76885:s0": {"1": "3"}},
    # Ids only for placement's purposes (no placement line), and malformed members.
    "anilist:30": {"mal:30": {"1-26": "1-26"}},
    "anilist:31": {"tmdb_show:1:s1": {"1-12": "oops"}, "bogus": {"1": "1"}},
    "anilist:xyz": {"mal:1": {"1": "1"}},
    "anilist:32": [1, 2],
    "mal:51009": {f"anilist:{JJK_2}": {"1": "1"}},
}
RELEASE = anibridge_release(MEMBERS)
HTML_PAGE = b"<!DOCTYPE html><html><body>Rate limit exceeded</body></html>"
SETTINGS_VARIABLES = [name.upper() for name in Settings.model_fields]


@pytest.fixture(scope="module")
def _served() -> Iterator[tuple[FileServer, str]]:
    server = FileServer()
    with serve_in_thread(server) as base_url:
        yield server, base_url


@pytest.fixture
def files(_served: tuple[FileServer, str]) -> Iterator[FileServer]:
    server, _ = _served
    server.reset()
    server.put(JSON_PATH, RELEASE, content_type="application/json")
    server.put(ZSTD_PATH, zstd(RELEASE), chunked=True)
    server.put(STATS_PATH, anibridge_stats(), content_type="application/json")
    yield server
    server.reset()


@pytest.fixture
def base_url(_served: tuple[FileServer, str]) -> str:
    return _served[1]


@pytest.fixture
def source_settings(settings: Settings, base_url: str) -> Settings:
    return settings.model_copy(update={"anibridge_url": base_url + JSON_PATH})


@pytest.fixture
def runtime(source_settings: Settings, files: FileServer) -> Iterator[Runtime]:
    runtime = Runtime.open(source_settings)
    runtime.downloads = DownloadOptions(clock=ManualClock(), max_bytes=2_000_000)
    yield runtime
    runtime.close()


def use(runtime: Runtime, url: str) -> None:
    runtime.settings = runtime.settings.model_copy(update={"anibridge_url": url})


def lookup(runtime: Runtime, *anilist_ids: int) -> dict[int, SourceEntry | None]:
    """What a fresh process finds for these ids in anibridge (its own index, from the store)."""
    fresh = SharedSourceIndex(runtime.sessions)
    return {a: hit.anibridge for a, hit in fresh.lookup_many(anilist_ids).items()}


def cache_state(runtime: Runtime) -> dict[str, Any]:
    """Everything a refresh may change: ranges, id rows, metadata and status keys."""
    with runtime.sessions() as session:
        stored = get_config_many(session, [keys.CACHE_ANIBRIDGE, keys.STATUS_ANIBRIDGE_LAST_SYNC])
        ranges = session.execute(sa.text("select * from anibridge_ranges order by 1")).all()
        rows = session.execute(
            sa.text(
                "select anilist_id, tmdb_id, tvdb_id, imdb_id from mapping_source_entries "
                "where source = 'anibridge' order by 1"
            )
        ).all()
    return {
        "config": stored,
        "ranges": [tuple(r) for r in ranges],
        "rows": [tuple(r) for r in rows],
    }


def error_logs(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return [row.message for row in list_logs(session, level=LogLevel.ERROR)]


def release_requests(files: FileServer) -> int:
    return files.count(JSON_PATH) + files.count(ZSTD_PATH)


# --- refresh: the happy paths ---------------------------------------------------------


def test_refresh_stores_ranges_ids_metadata_and_status(runtime: Runtime, files: FileServer) -> None:
    outcome = refresh_source(runtime, SOURCE)

    assert outcome.changed
    meta = outcome.meta
    # 31's only placement line is malformed: its descriptor stays (anibridge knows the
    # show), its TMDB id counts.
    assert (meta.count, meta.ranges, meta.ids, meta.shape) == (5, 4, 4, "json")
    # "anilist:xyz" and the list value are skipped entries; "bogus" and "oops" bad lines.
    assert (meta.skipped, meta.skipped_lines) == (2, 2)
    with runtime.sessions() as session:
        stored = ranges_for(session, [JJK_2, BLUE_LOCK_2, GHIBLI, 30])
        cached = get_config(session, keys.CACHE_ANIBRIDGE)
        last_sync = get_config(session, keys.STATUS_ANIBRIDGE_LAST_SYNC)
        info = [row.message for row in list_logs(session, level=LogLevel.INFO)]
    assert json.loads(stored[JJK_2]) == {
        "tmdb_show:95479:s1": {"1-23": "25-47"},
        "tvdb_show:377543:s2": {"1-23": "1-23"},
    }
    assert set(stored) == {JJK_2, BLUE_LOCK_2, GHIBLI}  # 30 has no placement line
    assert cached["generatedOn"] == ANIBRIDGE_GENERATED_ON
    assert (cached["count"], cached["ranges"], cached["skippedLines"]) == (5, 4, 2)
    assert cached["url"] == runtime.settings.anibridge_url
    assert last_sync == cached["fetchedAt"]
    assert any("anibridge-mappings refreshed: 5 AniList entries (4 with episode" in m for m in info)
    found = lookup(runtime, JJK_2, BLUE_LOCK_2, GHIBLI, 30)
    assert found[JJK_2] == SourceEntry(
        JJK_2, tvdb_id=377543, tmdb_id=95479, tmdb_kind=TmdbKind.TV, mal_id=51009
    )
    blue_lock, ghibli = found[BLUE_LOCK_2], found[GHIBLI]
    assert blue_lock is not None
    assert blue_lock.imdb_id == "tt16979292"
    assert ghibli is not None
    assert ghibli.is_movie
    assert 30 not in found  # only a MAL id: nothing resolution can search by


def test_a_zstd_release_streams_in_with_progress(runtime: Runtime, files: FileServer) -> None:
    use(runtime, runtime.settings.anibridge_url.replace(JSON_PATH, ZSTD_PATH))
    seen: list[tuple[int, int | None]] = []

    outcome = refresh_source(runtime, SOURCE, lambda got, total: seen.append((got, total)))

    assert (outcome.meta.shape, outcome.meta.ranges) == ("zstd", 4)
    assert outcome.meta.bytes == len(files.files[ZSTD_PATH].body)
    assert seen[-1] == (outcome.meta.bytes, None)  # chunked: no Content-Length
    with runtime.sessions() as session:
        assert set(ranges_for(session, [JJK_2, BLUE_LOCK_2])) == {JJK_2, BLUE_LOCK_2}


@pytest.mark.parametrize("form", ["plain-path", "file-url"])
@pytest.mark.parametrize("name", ["mappings.min.json", "mappings.json.zst"])
def test_local_releases_with_stats_beside_them(
    runtime: Runtime, tmp_path: Path, form: str, name: str
) -> None:
    folder = tmp_path / "v3"
    folder.mkdir()
    (folder / name).write_bytes(zstd(RELEASE) if name.endswith(".zst") else RELEASE)
    (folder / "stats.json").write_bytes(anibridge_stats("2026-03-01T00:00:00Z"))
    path = folder / name
    use(runtime, str(path) if form == "plain-path" else path.as_uri())

    first = refresh_source(runtime, SOURCE)
    again = refresh_source(runtime, SOURCE)

    assert first.changed
    assert first.meta.generated_on == "2026-03-01T00:00:00Z"
    assert not again.changed
    assert "stats.json" in again.message
    assert set(lookup(runtime, JJK_2, BLUE_LOCK_2)) == {JJK_2, BLUE_LOCK_2}


# --- refresh: nothing new --------------------------------------------------------------


def test_an_unchanged_stats_json_skips_the_download(runtime: Runtime, files: FileServer) -> None:
    first = refresh_source(runtime, SOURCE)
    before = cache_state(runtime)
    downloads = release_requests(files)

    second = refresh_source(runtime, SOURCE)

    assert not second.changed
    assert "unchanged" in second.message
    assert release_requests(files) == downloads  # only stats.json was asked
    assert files.requests[-1].path == STATS_PATH
    assert second.status.last_full_sync == first.status.last_full_sync
    assert second.status.last_sync is not None
    assert first.status.last_sync is not None
    assert second.status.last_sync > first.status.last_sync
    after = cache_state(runtime)
    assert (after["ranges"], after["rows"]) == (before["ranges"], before["rows"])


def test_a_new_stats_date_downloads_the_release_again(runtime: Runtime, files: FileServer) -> None:
    refresh_source(runtime, SOURCE)
    changed = {**MEMBERS, "anilist:40": {"tmdb_show:7:s2": {"1-": "1-"}}}
    files.put(JSON_PATH, anibridge_release(changed, generated_on="2026-03-02T00:00:00Z"))
    files.put(STATS_PATH, anibridge_stats("2026-03-02T00:00:00Z"))

    outcome = refresh_source(runtime, SOURCE)

    assert outcome.changed
    assert (outcome.meta.count, outcome.meta.ranges) == (6, 5)
    assert outcome.status.generated_on is not None
    assert outcome.status.generated_on.isoformat() == "2026-03-02T00:00:00+00:00"


def test_a_rebuilt_release_with_the_same_bytes_changes_nothing_but_the_date(
    runtime: Runtime, files: FileServer
) -> None:
    refresh_source(runtime, SOURCE)
    files.put(STATS_PATH, anibridge_stats("2026-03-03T00:00:00Z"))

    rebuilt = refresh_source(runtime, SOURCE)
    downloads = release_requests(files)
    again = refresh_source(runtime, SOURCE)

    # The release was asked for conditionally (the server answered 304) ...
    assert not rebuilt.changed
    assert rebuilt.meta.generated_on == "2026-03-03T00:00:00Z"
    # ... and the new date is remembered, so the next check needs stats.json alone.
    assert not again.changed
    assert release_requests(files) == downloads


def test_without_stats_json_the_download_is_conditional(
    runtime: Runtime, files: FileServer
) -> None:
    del files.files[STATS_PATH]
    refresh_source(runtime, SOURCE)

    again = refresh_source(runtime, SOURCE)

    assert not again.changed
    last = files.requests[-1]
    assert (last.path, last.status) == (JSON_PATH, 304)
    assert last.headers["if-none-match"] == files.files[JSON_PATH].etag


def test_force_downloads_and_rebuilds(runtime: Runtime, files: FileServer) -> None:
    first = refresh_source(runtime, SOURCE)
    downloads = release_requests(files)

    forced = refresh_source(runtime, SOURCE, force=True)

    assert forced.changed
    assert release_requests(files) == downloads + 1
    assert forced.status.last_full_sync != first.status.last_full_sync


# --- refresh: bad downloads keep the previous cache -----------------------------------

GOOD_JSON = RELEASE.decode()
BAD_RELEASES = [
    pytest.param(HTML_PAGE, None, "HTML", id="html"),
    pytest.param(RELEASE[: len(RELEASE) // 2], None, "truncated", id="truncated-json"),
    pytest.param(b"", None, "empty", id="empty"),
    pytest.param(b'{"$meta":{},"mal:1":{}}', None, "no anilist entries", id="no-anilist"),
    pytest.param(b"[1, 2, 3]", None, "expected a JSON object", id="a-list"),
    pytest.param(b"\xff\xfe garbage \x00\x01", None, "not UTF-8", id="garbage"),
    pytest.param(zstd(RELEASE)[:40], None, "truncated", id="truncated-zstd"),
    pytest.param(b"\x28\xb5\x2f\xfd" + b"\xff" * 64, None, "corrupt", id="corrupt-zstd"),
    pytest.param(None, 404, "HTTP 404", id="http-404"),
    pytest.param(None, 500, "HTTP 500", id="http-500"),
    pytest.param(b"{" + b" " * 2_000_001 + b"}", None, "over the 2,000,000-byte limit", id="big"),
]


@pytest.mark.parametrize(("body", "status", "reason"), BAD_RELEASES)
def test_a_bad_download_keeps_the_previous_cache_and_logs_why(
    runtime: Runtime, files: FileServer, body: bytes | None, status: int | None, reason: str
) -> None:
    refresh_source(runtime, SOURCE)
    before = cache_state(runtime)
    files.put(STATS_PATH, anibridge_stats("2026-04-01T00:00:00Z"))  # something new, it says
    if status == 404:
        del files.files[JSON_PATH]
    elif status is not None:
        files.fail(JSON_PATH, *[status] * 5)
    else:
        assert body is not None
        files.put(JSON_PATH, body)

    with pytest.raises(UpstreamError) as raised:
        refresh_source(runtime, SOURCE)

    assert reason in str(raised.value)
    assert cache_state(runtime) == before
    assert set(lookup(runtime, JJK_2, BLUE_LOCK_2, GHIBLI)) == {JJK_2, BLUE_LOCK_2, GHIBLI}
    [logged] = error_logs(runtime)
    assert logged.startswith("anibridge-mappings refresh failed")
    assert reason in logged
    assert "kept the previous cache (5 entries" in logged


def test_a_first_refresh_that_fails_leaves_no_cache(runtime: Runtime, files: FileServer) -> None:
    files.put(JSON_PATH, HTML_PAGE)

    with pytest.raises(MappingSourceError):
        refresh_source(runtime, SOURCE)

    state = cache_state(runtime)
    assert (state["config"], state["ranges"], state["rows"]) == ({}, [], [])
    assert "there was no previous cache" in error_logs(runtime)[0]


# --- the API and the CLI --------------------------------------------------------------

CHECK_FIELDS = {"count", "lastSync", "lastFullSync", "generatedOn"}


@pytest.fixture
def client(source_settings: Settings, files: FileServer) -> Iterator[TestClient]:
    with TestClient(create_app(source_settings)) as test_client:
        runtime: Runtime = test_client.app.state.runtime  # type: ignore[attr-defined]
        runtime.downloads = DownloadOptions(clock=ManualClock(), max_bytes=2_000_000)
        yield test_client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_api_refresh_then_check(client: TestClient, method: str) -> None:
    route = "/api/refresh-anibridge"
    never = client.request(method, route, params={"check": "1"})
    assert never.json() == {"count": 0, "lastSync": None, "lastFullSync": None, "generatedOn": None}

    refreshed = client.request(method, route)

    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert (body["success"], body["changed"], body["count"], body["source"]) == (
        True,
        True,
        5,
        "anibridge",
    )
    assert (body["shape"], body["skipped"]) == ("json", 2)
    assert set(body["status"]) == CHECK_FIELDS
    checked = client.request(method, route, params={"check": "true"}).json()
    assert checked["count"] == 5
    assert checked["generatedOn"] == "2026-02-27T00:00:00+00:00"
    assert checked["lastSync"] == checked["lastFullSync"]


def test_api_bad_release_answers_502_and_keeps_the_cache(
    client: TestClient, files: FileServer
) -> None:
    assert client.post("/api/refresh-anibridge").status_code == 200
    files.put(STATS_PATH, anibridge_stats("2026-04-01T00:00:00Z"))
    files.put(JSON_PATH, HTML_PAGE)

    response = client.post("/api/refresh-anibridge")

    assert response.status_code == 502
    assert response.json()["details"] == {
        "source": "anibridge-mappings",
        "reason": "got an HTML/XML page instead of the mappings JSON",
    }
    assert client.get("/api/refresh-anibridge", params={"check": 1}).json()["count"] == 5


def test_openapi_documents_the_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert set(paths["/api/refresh-anibridge"]) == {"get", "post"}


def test_the_dashboard_has_an_anibridge_card(client: TestClient) -> None:
    client.post("/api/refresh-anibridge")

    page = client.get("/").text

    assert 'data-testid="source-anibridge"' in page
    assert 'data-url="/api/refresh-anibridge"' in page
    assert 'id="generated-on-anibridge" datetime="2026-02-27T00:00:00+00:00"' in page


Invoke = Callable[..., Result]


@pytest.fixture
def invoke(
    source_settings: Settings, files: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Invoke:
    monkeypatch.chdir(tmp_path)
    env: dict[str, str | None] = dict.fromkeys(SETTINGS_VARIABLES)
    env["DATABASE_URL"] = source_settings.database_url
    env["ANIBRIDGE_URL"] = source_settings.anibridge_url

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli_app, list(args), env=env)

    return run


def test_cli_refresh_and_check(invoke: Invoke, files: FileServer) -> None:
    refreshed = invoke("refresh", "anibridge")
    assert refreshed.exit_code == 0, refreshed.output
    assert "anibridge-mappings refreshed: 5 AniList entries" in refreshed.stdout

    again = invoke("refresh", "anibridge", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["changed"] is False

    checked = invoke("refresh", "anibridge", "--check", "--json")
    assert set(json.loads(checked.stdout)) == CHECK_FIELDS

    table = invoke("refresh", "anibridge", "--check")
    assert table.exit_code == 0, table.output
    assert "anibridge-mappings" in table.stdout
    assert "release built" in table.stdout


def test_cli_bad_release_exits_non_zero_and_keeps_the_cache(
    invoke: Invoke, files: FileServer
) -> None:
    assert invoke("refresh", "anibridge").exit_code == 0
    files.put(JSON_PATH, b"\x00garbage")

    failed = invoke("refresh", "anibridge", "--force")

    assert failed.exit_code == 1
    assert "anibridge-mappings" in failed.stderr
    assert "Traceback" not in failed.output
    assert json.loads(invoke("refresh", "anibridge", "--check", "--json").stdout)["count"] == 5


@pytest.mark.parametrize(
    ("url", "stats"),
    [
        pytest.param(
            "https://github.com/anibridge/anibridge-mappings/releases/download/v3/mappings.json.zst",
            "https://github.com/anibridge/anibridge-mappings/releases/download/v3/stats.json",
            id="release-asset",
        ),
        pytest.param(
            "http://mirror.test/v3/mappings.min.json?token=x#top",
            "http://mirror.test/v3/stats.json",
            id="query-dropped",
        ),
        pytest.param("file:///srv/v3/mappings.min.json", "file:///srv/v3/stats.json", id="file"),
        pytest.param("/srv/v3/mappings.json.zst", "/srv/v3/stats.json", id="path"),
        pytest.param("mappings.min.json", "stats.json", id="relative"),
    ],
)
def test_stats_json_is_looked_for_beside_the_release(url: str, stats: str) -> None:
    assert stats_url(url) == stats
