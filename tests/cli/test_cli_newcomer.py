"""What a newcomer met at the terminal (issue 15 §3): bad ids, a busy port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from anitrakt.cli import app
from anitrakt.config import Settings
from anitrakt.store import migrate
from anitrakt.store.db import create_db_engine

Invoke = Callable[..., Result]
SETTINGS_VARIABLES = [name.upper() for name in Settings.model_fields]
BAD_IDS = ["99999999999999999999", "²", "0", "12abc"]


@pytest.fixture
def invoke(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env: dict[str, str | None] = dict.fromkeys(SETTINGS_VARIABLES)
    env["DATABASE_URL"] = settings.database_url
    env["ANITRAKT_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env)

    return run


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(
    "command",
    [
        ["unmap", "{}", "--yes"],
        ["progress", "{}"],
        ["progress", "--reset", "{}", "--yes"],
        ["explain", "{}"],
        ["map", "{}", "1"],
        ["map", "1", "{}"],
        ["map", "1", "1", "--tmdb", "{}"],
        ["map", "1", "1", "--tvdb", "{}"],
        ["override", "set", "{}", "1", "1", "1"],
        ["override", "set", "1", "{}", "1", "1"],
        ["override", "rm", "{}", "1"],
        ["override", "list", "--trakt-id", "{}"],
        ["review", "fix", "{}", "--season", "1", "--episode", "1"],
        ["sync", "show", "{}"],
    ],
    ids=lambda c: " ".join(c) if isinstance(c, list) else c,
)
def test_every_id_argument_answers_a_bad_id_with_one_line(
    invoke: Invoke, command: list[str], bad: str
) -> None:
    result = invoke(*(part.replace("{}", bad) for part in command))

    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("search", ["99999999999999999999", "²"])
def test_a_search_that_is_no_id_is_a_title_search(invoke: Invoke, search: str) -> None:
    result = invoke("mappings", search, "--json")

    assert result.exit_code == 0, result.output
    assert result.exception is None


def test_serve_on_a_busy_port_fails_without_saying_it_serves(tmp_path: Path) -> None:
    database = tmp_path / "anitrakt.db"
    engine = create_db_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "anitrakt", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )

    assert done.returncode != 0
    reader = create_engine(f"sqlite:///{database}")
    with reader.connect() as connection:
        messages = [row[0] for row in connection.execute(text("SELECT message FROM logs"))]
    reader.dispose()
    assert not [m for m in messages if "serving on" in m], messages


def test_doctor_on_a_fresh_install_names_everything_left_to_do(invoke: Invoke) -> None:
    result = invoke("doctor")

    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "todo AniList account",
        "todo Trakt API app",
        "todo Trakt account",
        "todo Mapping sources",
    ]
    assert "set TRAKT_CLIENT_ID" in result.stdout
    assert "anitrakt refresh fribbs" in result.stdout


# What `anitrakt status` must not load: it reads the database and prints (on SQLite
# here, so no PostgreSQL driver or dialect either).
HEAVY = (
    "httpx",
    "fastapi",
    "uvicorn",
    "alembic",
    "psycopg",
    "sqlalchemy.dialects.postgresql",
    "anitrakt.clients.http",
    "anitrakt.domain.planning",
)
PROBE = f"""
import runpy, sys
sys.argv = ["anitrakt", "status"]
try:
    runpy.run_module("anitrakt", run_name="__main__")
except SystemExit:
    pass
print("LOADED", [m for m in {HEAVY!r} if m in sys.modules])
"""


def test_status_loads_no_http_client_web_framework_planner_or_postgresql(tmp_path: Path) -> None:
    database = tmp_path / "anitrakt.db"
    engine = create_db_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env["DATABASE_URL"] = f"sqlite:///{database}"

    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert "Sync status" in done.stdout, done.stderr
    assert "LOADED []" in done.stdout
