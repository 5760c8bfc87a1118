"""`anitrakt serve` hardening (issue 12, points 4, 6, 10, 11, 12): as a person starts it.

The start-up checks run through Typer's CliRunner with uvicorn.run replaced; the last
test starts the real server in a subprocess and talks HTTP (and raw sockets) to it.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from anitrakt.cli import app
from anitrakt.config import MIN_API_TOKEN_LENGTH, Settings
from anitrakt.store import migrate
from anitrakt.store.db import create_db_engine, sqlite_exposure
from anitrakt.store.logs import list_logs
from anitrakt.web import server as web_server
from anitrakt.web.accesslog import MaskQueryStrings, mask_query
from anitrakt.web.app import create_app
from fakes.server import free_port
from waiting import answers, wait_until

SETTINGS_VARIABLES = [name.upper() for name in Settings.model_fields]
PUBLIC_HOST = "0.0.0.0"  # noqa: S104 - only ever passed to a replaced uvicorn.run
Invoke = Callable[..., Result]


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the server runner so `serve` never starts a server in-process."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(web_server, "run_server", lambda _app, **kwargs: calls.append(kwargs))
    return calls


@pytest.fixture
def invoke(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(tmp_path)
    base: dict[str, str | None] = dict.fromkeys(SETTINGS_VARIABLES)
    base["DATABASE_URL"] = settings.database_url
    base["ANITRAKT_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str, **env: str | None) -> Result:
        return CliRunner().invoke(app, list(args), env={**base, **env})

    return run


def _warnings(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return [r.message for r in list_logs(session, limit=50) if r.level == "warn"]


# --- 6. weak tokens -----------------------------------------------------------------


@pytest.mark.parametrize("token", ["Q", "Z" * (MIN_API_TOKEN_LENGTH - 1)])
def test_a_weak_token_is_refused_off_loopback(
    invoke: Invoke, uvicorn_calls: list[dict[str, Any]], token: str
) -> None:
    result = invoke("serve", "--host", PUBLIC_HOST, ANITRAKT_API_TOKEN=token)

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error:")
    assert "ANITRAKT_API_TOKEN" in lines[0]
    assert "anitrakt token new" in lines[0]
    assert token not in lines[0]
    assert uvicorn_calls == []


@pytest.mark.parametrize("token", [None, "short-token"])
def test_a_trusted_proxy_counts_as_off_loopback(
    invoke: Invoke, uvicorn_calls: list[dict[str, Any]], token: str | None
) -> None:
    # Whoever reaches the proxy reaches the app, even on a loopback bind.
    result = invoke("serve", ANITRAKT_TRUSTED_PROXIES="127.0.0.1", ANITRAKT_API_TOKEN=token)

    assert result.exit_code == 1
    assert "ANITRAKT_TRUSTED_PROXIES" in result.output
    assert "ANITRAKT_API_TOKEN" in result.output
    assert uvicorn_calls == []


def test_a_weak_token_on_loopback_starts_with_a_warning(
    invoke: Invoke, uvicorn_calls: list[dict[str, Any]], sessions: sessionmaker[Session]
) -> None:
    result = invoke("serve", ANITRAKT_API_TOKEN="short-token")

    assert result.exit_code == 0, result.output
    assert len(uvicorn_calls) == 1
    [warning] = [w for w in _warnings(sessions) if "ANITRAKT_API_TOKEN" in w]
    assert "short-token" not in warning
    assert str(MIN_API_TOKEN_LENGTH) in warning


def test_token_new_prints_a_strong_token_that_serve_accepts_anywhere(
    invoke: Invoke, uvicorn_calls: list[dict[str, Any]]
) -> None:
    first, second = invoke("token", "new"), invoke("token", "new")

    assert first.exit_code == 0
    token = first.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert token != second.stdout.strip()
    assert invoke("serve", "--host", PUBLIC_HOST, ANITRAKT_API_TOKEN=token).exit_code == 0
    assert [c["host"] for c in uvicorn_calls] == [PUBLIC_HOST]


def test_serve_leaves_forwarded_headers_to_the_app_and_masks_the_access_log(
    settings: Settings,
) -> None:
    config = web_server.server_config(create_app(settings), host="127.0.0.1", port=8000)

    assert config.proxy_headers is False
    log_config = config.log_config
    assert isinstance(log_config, dict)
    assert log_config["handlers"]["access"]["filters"] == ["mask_query"]
    assert log_config["filters"]["mask_query"]["()"] is MaskQueryStrings


# --- 10. file permissions ---------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_folder_and_database_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = data / "anitrakt.db"
    url = f"sqlite:///{database}"

    engine = create_db_engine(url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:  # WAL mode: the -wal and -shm files exist now
            assert _mode(data) == 0o700
            assert _mode(database) == 0o600
            for sidecar in data.glob("anitrakt.db-*"):
                assert _mode(sidecar) == 0o600, sidecar
            conn.exec_driver_sql("select 1")
    finally:
        engine.dispose()
    assert sqlite_exposure(url, data) == []


def test_an_existing_readable_database_is_warned_about_at_start(
    invoke: Invoke, uvicorn_calls: list[dict[str, Any]], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # noqa: S103 - the permissive mode under test
    database = data / "anitrakt.db"
    database.touch()
    os.chmod(database, 0o644)

    result = invoke("serve", DATABASE_URL=None)

    assert result.exit_code == 0, result.output
    assert _mode(database) == 0o644  # warned about, not changed behind the owner's back
    warnings = sqlite_exposure(f"sqlite:///{database}", data)
    assert any(f"chmod 600 {database}" in w for w in warnings)
    assert any(f"chmod 700 {data}" in w for w in warnings)
    engine = create_db_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("select message from logs where level = 'warn'").all()
    finally:
        engine.dispose()
    messages = [r[0] for r in rows]
    assert any("chmod 600" in m and "Trakt tokens" in m for m in messages)


def test_a_database_outside_the_data_folder_is_judged_by_the_file_alone(tmp_path: Path) -> None:
    shared = tmp_path / "srv"
    shared.mkdir()
    os.chmod(shared, 0o755)  # noqa: S103 - a shared folder, on purpose
    database = shared / "anitrakt.db"
    database.touch()
    os.chmod(database, 0o600)
    assert sqlite_exposure(f"sqlite:///{database}", tmp_path / "data") == []


# --- 11. the access log --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "logged"),
    [
        ("/api/status", "/api/status"),
        ("/api/status?token=s3cret-value", "/api/status?token=***"),
        (
            "/api/progress?limit=5&api_key=k&anilistId=21",
            "/api/progress?limit=5&api_key=***&anilistId=21",
        ),
        ("/login?next=/sync&code=abc", "/login?next=/sync&code=***"),
        ("/?s3cret-value", "/?***"),
        ("/api/logs?level=warn", "/api/logs?level=warn"),
    ],
)
def test_unknown_query_values_are_masked(target: str, logged: str) -> None:
    assert mask_query(target) == logged


def test_the_filter_rewrites_uvicorn_s_access_record() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/status?token=s3cret", "1.1", 401),
        None,
    )
    assert MaskQueryStrings().filter(record)
    assert "s3cret" not in record.getMessage()
    assert "/api/status?token=***" in record.getMessage()


# --- the real server -----------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARIABLES}
    env.update(
        {
            "ANITRAKT_DATA_DIR": str(tmp_path / "data"),
            "ANITRAKT_API_TOKEN": "served-token-0123456789abcdef",
            "SYNC_INTERVAL_HOURS": "0",
        }
    )
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "anitrakt", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(
                answers(base + "/api/health"),
                what="anitrakt serve answering",
                process=process,
                output=log.read_text,
            )
            yield base, port, log
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def test_the_real_server_end_to_end(served: tuple[str, int, Path], tmp_path: Path) -> None:
    base, port, log = served

    # 11: a token tried in the query string never reaches the log.
    tried = httpx.get(base + "/api/status?token=served-token-0123456789abcdef&limit=3")
    assert tried.status_code == 401
    # 12: uptime monitors' HEAD.
    for path in ("/", "/login", "/api/health"):
        head = httpx.head(base + path)
        assert head.status_code in (200, 303), path
        assert head.content == b""
    assert httpx.head(base + "/login").status_code == 200
    # 3, 8: the headers, as the real server sends them.
    assert httpx.get(base + "/login").headers["x-frame-options"] == "DENY"
    # 4: 24 MB announced, none sent: the answer comes without the server waiting for it.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/manual-map HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 25165824\r\n\r\n{"
        )
        answer = sock.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 401"), answer
    # 10: the data folder and database it created.
    data = tmp_path / "data"
    assert _mode(data) == 0o700
    assert _mode(data / "anitrakt.db") == 0o600

    text = log.read_text()
    assert "/api/status?token=***&limit=3" in text
    assert "served-token-0123456789abcdef" not in text
