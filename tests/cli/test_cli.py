"""The `anitrakt` command as a person at a terminal sees it, on SQLite and PostgreSQL.

Commands run through Typer's CliRunner with the environment pointing at the test
database; the working directory is a temporary folder so no developer `.env` is read.
With this Click version `result.output` holds stdout and stderr interleaved, while
`result.stdout` / `result.stderr` hold each stream alone.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from anitrakt.cli import app
from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.domain.values import IdMapping, LogLevel
from anitrakt.store import migrate
from anitrakt.store.mappings import get_mapping, list_mappings, save_mapping
from anitrakt.store.progress import get_progress, set_progress
from anitrakt.store.system_config import set_config
from anitrakt.store.titles import save_titles
from anitrakt.usecases.sync.status import SyncFailure, record_failure
from anitrakt.web import server as web_server
from fakes.server import serve_in_thread
from fakes.trakt import FakeTrakt
from seed import add_log
from waiting import answers, wait_until

Sessions = sessionmaker[Session]
Invoke = Callable[..., Result]

LAST_RUN_KEYS = {"lastManualSync", "lastAutomatedSync", "lastCompletedSync", "lastWatchingSync"}
STATUS_KEYS = {*LAST_RUN_KEYS, "lastFailure"}
UNREACHABLE_DB = "postgresql://u:sekret-pass@127.0.0.1:1/x"
# Only ever passed to `serve` with the uvicorn runner replaced; nothing binds to it.
PUBLIC_HOST = "0.0.0.0"  # noqa: S104
# Every variable Settings reads, so the developer's environment cannot leak in.
SETTINGS_VARIABLES = [name.upper() for name in Settings.model_fields]


@pytest.fixture
def invoke(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `anitrakt ARGS…` against the test database; keyword args add env variables."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    base_env: dict[str, str | None] = dict.fromkeys(SETTINGS_VARIABLES)
    base_env["DATABASE_URL"] = settings.database_url
    base_env["ANITRAKT_DATA_DIR"] = str(tmp_path / "data")
    base_env["PGCONNECT_TIMEOUT"] = "5"

    def run(*args: str, **env: str | None) -> Result:
        return runner.invoke(app, list(args), env={**base_env, **env})

    return run


def _ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.exception is None
    return result.output


def _json(result: Result) -> Any:
    _ok(result)
    return json.loads(result.stdout)


def _assert_one_line_failure(result: Result, *words: str) -> str:
    """Non-zero exit, a single clear line on stderr naming `words`, no traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0] in result.stderr
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    return lines[0]


# --- status ------------------------------------------------------------------------


def test_status_table_shows_never_for_runs_that_never_happened(invoke: Invoke) -> None:
    output = _ok(invoke("status"))

    assert "Sync status" in output
    for label in ("manual", "automated", "completed", "watching"):
        assert label in output
    assert output.count("Never") == 4


def test_status_table_shows_a_recorded_run(invoke: Invoke, sessions: Sessions) -> None:
    with sessions.begin() as s:
        set_config(s, keys.STATUS_SYNC_LAST_RUN, "2024-05-01T12:00:00Z")

    output = _ok(invoke("status"))

    (manual_line,) = [line for line in output.splitlines() if "manual" in line]
    assert "2024-05-01" in manual_line
    assert "Never" not in manual_line
    assert output.count("Never") == 3


def test_status_shows_the_last_failure_until_a_sync_succeeds(
    invoke: Invoke, sessions: Sessions
) -> None:
    with sessions.begin() as s:
        record_failure(
            s, SyncFailure(datetime(2024, 5, 1, 12, tzinfo=UTC), "full sync", "Trakt said 503")
        )

    output = _ok(invoke("status"))
    body = _json(invoke("status", "--json"))

    assert "last failure" in output
    assert "(full sync): Trakt said 503" in output
    assert body["lastFailure"] == {
        "at": "2024-05-01T12:00:00+00:00",
        "mode": "full sync",
        "error": "Trakt said 503",
        "code": None,
    }


def test_status_json(invoke: Invoke, sessions: Sessions) -> None:
    with sessions.begin() as s:
        set_config(s, keys.STATUS_SYNC_WATCHING_LAST_RUN, 1714564800000)  # epoch ms

    body = _json(invoke("status", "--json"))

    assert set(body) == STATUS_KEYS
    assert body["lastFailure"] is None
    watching = datetime.fromisoformat(body["lastWatchingSync"])
    assert watching.utcoffset() is not None
    assert watching == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert [body[k] for k in sorted(LAST_RUN_KEYS - {"lastWatchingSync"})] == [None] * 3


# --- logs --------------------------------------------------------------------------


def test_logs_json_filtered_and_limited(invoke: Invoke, sessions: Sessions) -> None:
    with sessions.begin() as s:
        ids = {
            message: add_log(s, message, level).id
            for message, level in [
                ("first failure", LogLevel.ERROR),
                ("routine", LogLevel.INFO),
                ("second failure", LogLevel.ERROR),
                ("odd", LogLevel.WARN),
                ("third failure", LogLevel.ERROR),
            ]
        }

    rows = _json(invoke("logs", "--json", "--level", "error", "--limit", "2"))

    assert [(r["id"], r["message"], r["level"]) for r in rows] == [
        (ids["third failure"], "third failure", "error"),
        (ids["second failure"], "second failure", "error"),
    ]
    for row in rows:
        assert datetime.fromisoformat(row["created_at"]).utcoffset() is not None


def test_logs_table(invoke: Invoke, sessions: Sessions) -> None:
    with sessions.begin() as s:
        add_log(s, "sync finished: 3 shows", LogLevel.INFO)

    output = _ok(invoke("logs"))

    assert "sync finished: 3 shows" in output


# --- progress ----------------------------------------------------------------------


@pytest.fixture
def some_progress(sessions: Sessions) -> None:
    with sessions.begin() as s:
        set_progress(s, 21, 7)
        set_progress(s, 22, 3)


@pytest.mark.usefixtures("some_progress")
def test_progress_list(invoke: Invoke) -> None:
    output = _ok(invoke("progress"))

    assert "Progress (2 entries)" in output
    assert "21" in output
    assert "22" in output

    body = _json(invoke("progress", "--json"))
    assert body["count"] == 2
    assert {(i["anilistId"], i["lastAbs"]) for i in body["items"]} == {(21, 7), (22, 3)}


@pytest.mark.usefixtures("some_progress")
@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("21", id="id"),
        pytest.param("https://anilist.co/anime/21", id="url"),
        pytest.param("https://anilist.co/anime/21/one-piece/", id="url-with-slug"),
        pytest.param("anilist.co/anime/21", id="url-without-scheme"),
    ],
)
def test_progress_of_one_entry(invoke: Invoke, entry: str) -> None:
    assert _json(invoke("progress", entry, "--json")) == {"anilistId": 21, "lastAbs": 7}
    output = _ok(invoke("progress", entry))
    assert "21" in output
    assert "7" in output


@pytest.mark.usefixtures("some_progress")
def test_progress_of_one_entry_names_it(invoke: Invoke, sessions: Sessions) -> None:
    with sessions.begin() as s:
        save_titles(s, {21: "One Piece"})

    assert _ok(invoke("progress", "21")).strip() == "One Piece (AniList 21): episodes 1–7 posted"


@pytest.mark.usefixtures("some_progress")
def test_progress_reset_deletes_the_row(invoke: Invoke, sessions: Sessions) -> None:
    output = _ok(invoke("progress", "21", "--reset", "--yes"))

    assert "reset" in output
    with sessions() as s:
        assert get_progress(s, 21) == 0
        assert get_progress(s, 22) == 3
    assert _json(invoke("progress", "--json"))["count"] == 1


def test_progress_reset_of_unknown_entry_says_so(invoke: Invoke) -> None:
    output = _ok(invoke("progress", "https://anilist.co/anime/21", "--reset", "--yes"))

    assert "no progress" in output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(("progress", "abc"), ("ANILIST_ID",), id="bad-id"),
        pytest.param(("progress", "0"), ("ANILIST_ID",), id="zero"),
        pytest.param(("progress", "--reset"), ("--reset", "ANILIST_ID"), id="reset-without-id"),
    ],
)
def test_progress_bad_input(invoke: Invoke, args: tuple[str, ...], words: tuple[str, ...]) -> None:
    _assert_one_line_failure(invoke(*args), *words)


# --- map ---------------------------------------------------------------------------


def test_map_stores_a_manual_mapping(invoke: Invoke, sessions: Sessions) -> None:
    with sessions.begin() as s:
        save_mapping(s, IdMapping(21, 999, manual=False))

    body = _json(
        invoke(
            "map",
            "https://anilist.co/anime/21/one-piece/",
            "37696",
            "--imdb",
            "tt0388629",
            "--season",
            "1",
            "--offset",
            "12",
            "--json",
        )
    )

    assert body["success"] is True
    added = body["added"]
    assert (added["anilistId"], added["traktId"], added["imdbId"]) == (21, 37696, "tt0388629")
    assert (added["season"], added["offset"], added["type"]) == (1, 12, "manual")
    with sessions() as s:
        row = get_mapping(s, 21)
        assert row is not None
        assert row.trakt_id == 37696
        assert row.imdb_id == "tt0388629"
        assert row.trakt_season == 1
        assert row.episode_offset == 12
        assert row.type == "manual"
        assert row.is_manual is True
        assert row.trakt_type == "show"


def test_map_plain_output(invoke: Invoke) -> None:
    output = _ok(invoke("map", "21", "37696", "--movie"))

    assert "21" in output
    assert "37696" in output
    assert "movie" in output


def test_mappings_lists_both_kinds_with_titles_and_filters(
    invoke: Invoke, sessions: Sessions
) -> None:
    with sessions.begin() as s:
        save_mapping(s, IdMapping(16498, 1420, manual=True, trakt_season=1))
        save_mapping(s, IdMapping(21, 37696))
        save_titles(s, {16498: "Attack on Titan", 21: "One Piece"})

    everything = _json(invoke("mappings", "--json"))
    table = _ok(invoke("mappings", "titan"))
    by_id = _json(invoke("mappings", "37696", "--json"))

    assert [(r["anilistId"], r["title"]) for r in everything["manual"]] == [
        (16498, "Attack on Titan")
    ]
    assert [(r["anilistId"], r["title"]) for r in everything["auto"]] == [(21, "One Piece")]
    assert "Attack on Titan" in table
    assert "One Piece" not in table
    assert "Manual mappings (1)" in table
    assert "Automatic mappings (0)" in table
    assert (by_id["manual"], [r["anilistId"] for r in by_id["auto"]]) == ([], [21])


@pytest.mark.parametrize(
    ("args", "field"),
    [
        pytest.param(("21", "not a slug"), "traktId", id="trakt-not-a-slug"),
        pytest.param(("21", "https://trakt.tv/users/sean"), "traktId", id="trakt-user-url"),
        pytest.param(("21", "0"), "traktId", id="trakt-zero"),
        pytest.param(("abc", "1"), "anilistId", id="anilist-text"),
        pytest.param(("0", "1"), "anilistId", id="anilist-zero"),
        pytest.param(("21", "1", "--imdb", "12345"), "imdbId", id="imdb-no-tt"),
        pytest.param(("21", "1", "--tmdb", "x"), "tmdbId", id="tmdb-text"),
        pytest.param(("21", "1", "--season", "-1"), "season", id="season-negative"),
        pytest.param(("21", "1", "--offset", "x"), "offset", id="offset-text"),
    ],
)
def test_map_bad_input_is_one_clear_line(
    invoke: Invoke, sessions: Sessions, args: tuple[str, ...], field: str
) -> None:
    _assert_one_line_failure(invoke("map", *args), field)

    with sessions() as s:
        assert list_mappings(s) == []


@pytest.fixture(scope="module")
def trakt_url() -> Iterator[str]:
    """A fake Trakt with One Piece and Your Name., served for real (TRAKT_API_URL)."""
    fake = FakeTrakt(in_process=False)
    fake.add_show(37696, "One Piece", year=1999, seasons={1: 8})
    fake.add_movie(4001, "Your Name.", year=2016)
    with serve_in_thread(fake.app) as url:
        yield url


@pytest.mark.parametrize(
    ("trakt_id", "expected"),
    [
        pytest.param("https://trakt.tv/shows/one-piece/seasons/1", (37696, "show"), id="show-url"),
        pytest.param("https://trakt.tv/movies/your-name-2016", (4001, "movie"), id="movie-url"),
        pytest.param("one-piece", (37696, "show"), id="slug"),
    ],
)
def test_map_resolves_a_trakt_url_or_slug(
    invoke: Invoke, sessions: Sessions, trakt_url: str, trakt_id: str, expected: tuple[int, str]
) -> None:
    env = {"TRAKT_CLIENT_ID": "fake-client-id", "TRAKT_API_URL": trakt_url}

    body = _json(invoke("map", "21", trakt_id, "--json", **env))

    assert (body["added"]["traktId"], body["added"]["traktType"]) == expected
    with sessions() as s:
        row = get_mapping(s, 21)
        assert row is not None
        assert (row.trakt_id, row.trakt_type, row.is_manual) == (*expected, True)


def test_map_unknown_slug_is_one_clear_line(
    invoke: Invoke, sessions: Sessions, trakt_url: str
) -> None:
    env = {"TRAKT_CLIENT_ID": "fake-client-id", "TRAKT_API_URL": trakt_url}

    _assert_one_line_failure(invoke("map", "21", "no-such-show", **env), "traktId", "no-such-show")

    with sessions() as s:
        assert list_mappings(s) == []


def test_map_slug_without_trakt_client_id_names_it(invoke: Invoke, sessions: Sessions) -> None:
    _assert_one_line_failure(invoke("map", "21", "one-piece"), "traktId", "TRAKT_CLIENT_ID")

    with sessions() as s:
        assert list_mappings(s) == []


# --- db ----------------------------------------------------------------------------


def test_db_upgrade_prints_the_revision(invoke: Invoke, engine: Engine) -> None:
    head = ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()
    assert head is not None

    output = _ok(invoke("db", "upgrade"))

    assert head in output
    assert migrate.current_revision(engine) == head


# --- configuration and start-up errors ---------------------------------------------


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        pytest.param({"ANITRAKT_PORT": "abc"}, "ANITRAKT_PORT", id="port-text"),
        pytest.param({"ANITRAKT_PORT": "0"}, "ANITRAKT_PORT", id="port-zero"),
        pytest.param({"SYNC_INTERVAL_HOURS": "-1"}, "SYNC_INTERVAL_HOURS", id="interval-neg"),
        pytest.param({"TRAKT_API_URL": "ftp://x"}, "TRAKT_API_URL", id="api-url-scheme"),
        pytest.param(
            {"DATABASE_URL": "mysql://u:sekret-pass@h/db"}, "DATABASE_URL", id="database-kind"
        ),
    ],
)
@pytest.mark.parametrize("command", [("status",), ("db", "upgrade")])
def test_bad_configuration_is_one_line_naming_the_variable(
    invoke: Invoke, env: dict[str, str], variable: str, command: tuple[str, ...]
) -> None:
    result = invoke(*command, **env)

    _assert_one_line_failure(result, variable)
    assert "sekret-pass" not in result.output


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the uvicorn runner so `serve` never starts a server in-process."""
    calls: list[dict[str, Any]] = []

    def fake_run(_app: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    monkeypatch.setattr(web_server, "run_server", fake_run)
    return calls


@pytest.mark.parametrize(
    ("args", "env"),
    [
        pytest.param(("--host", PUBLIC_HOST), {}, id="host-option"),
        pytest.param((), {"ANITRAKT_HOST": PUBLIC_HOST}, id="host-variable"),
    ],
)
def test_serve_on_a_public_host_without_token_is_refused(
    invoke: Invoke,
    uvicorn_calls: list[dict[str, Any]],
    args: tuple[str, ...],
    env: dict[str, str],
) -> None:
    result = invoke("serve", *args, **env)

    _assert_one_line_failure(result, "ANITRAKT_API_TOKEN", PUBLIC_HOST)
    assert uvicorn_calls == []


def test_serve_on_a_public_host_with_token_starts(
    invoke: Invoke, uvicorn_calls: list[dict[str, Any]]
) -> None:
    result = invoke(
        "serve",
        "--host",
        PUBLIC_HOST,
        "--port",
        "8123",
        ANITRAKT_API_TOKEN="tok-999999-strong-enough-for-serve",
    )

    _ok(result)
    assert [(c["host"], c["port"]) for c in uvicorn_calls] == [(PUBLIC_HOST, 8123)]
    assert "tok-999999-strong-enough-for-serve" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("status",), id="status"),
        pytest.param(("db", "upgrade"), id="db-upgrade"),
        pytest.param(("logs",), id="logs"),
        pytest.param(("progress", "21"), id="progress"),
        pytest.param(("map", "21", "37696"), id="map"),
    ],
)
def test_unreachable_database_is_one_line_without_the_password(
    invoke: Invoke, command: tuple[str, ...]
) -> None:
    result = invoke(*command, DATABASE_URL=UNREACHABLE_DB)

    line = _assert_one_line_failure(result)
    assert "database" in line.lower()
    assert "sekret-pass" not in result.output


# --- the real server, end to end ---------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_over_http(tmp_path: Path) -> None:
    """`anitrakt serve` with no DATABASE_URL: SQLite in the data dir, migrated, answering."""
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env["ANITRAKT_DATA_DIR"] = str(data_dir)
    base = f"http://127.0.0.1:{port}"
    server_log = tmp_path / "server.log"

    with server_log.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "anitrakt", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                answers(f"{base}/api/status"),
                what="anitrakt serve answering",
                process=process,
                output=server_log.read_text,
            )
            response = httpx.get(f"{base}/api/status", timeout=10)
            assert response.status_code == 200
            assert set(response.json()) == STATUS_KEYS

            events = httpx.get(f"{base}/api/logs", timeout=2).json()
            assert any(f"serving on 127.0.0.1:{port}" in e["message"] for e in events)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    assert (data_dir / "anitrakt.db").is_file()
