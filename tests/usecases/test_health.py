"""Health probes: `/livez`, `/readyz` and `anitrakt healthcheck`, as an orchestrator sees them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from anitrakt.cli import app as cli_app
from anitrakt.config import Settings
from anitrakt.store import migrate
from anitrakt.store.db import create_db_engine, create_session_factory
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.events import EventLog
from anitrakt.usecases.health import check_readiness, readyz_url
from anitrakt.web.app import create_app
from fakes.server import free_port, serve_in_thread

TOKEN = "health-token-0123456789"
DB_PASSWORD = "sekret-db-pass"


@dataclass
class FakeTimer:
    alive: bool


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    locked = settings.model_copy(update={"anitrakt_api_token": SecretStr(TOKEN)})
    with TestClient(create_app(locked)) as test_client:
        yield test_client


def _fresh_settings(tmp_path: Path, revision: str | None) -> Settings:
    """Settings over a new SQLite file migrated to `revision` (None: not at all)."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    if revision is not None:
        engine = create_db_engine(url)
        migrate.upgrade(engine, revision)
        engine.dispose()
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        anitrakt_data_dir=tmp_path,
        anitrakt_allowed_hosts=["testserver"],  # the Host TestClient sends
    )


@pytest.mark.parametrize("path", ["/livez", "/readyz"])
def test_probes_answer_get_and_head_without_the_token(client: TestClient, path: str) -> None:
    got = client.get(path)
    head = client.head(path)

    assert got.status_code == 200, got.text
    assert got.headers["cache-control"] == "no-store"
    assert head.status_code == 200
    assert head.content == b""
    # The rest of the API still wants the token.
    assert client.get("/api/status").status_code == 401


def test_readyz_names_each_check(client: TestClient) -> None:
    body = client.get("/readyz").json()

    assert body["status"] == "ready"
    assert "error" not in body
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == f"ok (at {migrate.head_revision()})"
    assert body["checks"]["scheduler"] == "disabled"  # create_app(scheduler=False)


def test_the_old_health_route_still_answers(client: TestClient) -> None:
    assert client.get("/api/health").json()["status"] == "ok"


def test_a_schema_behind_the_code_is_not_ready(tmp_path: Path) -> None:
    settings = _fresh_settings(tmp_path, "0003")

    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert "migrations: schema at 0003" in body["error"]
    assert "anitrakt db upgrade" in body["error"]
    assert body["checks"]["database"] == "ok"


def test_an_unreachable_database_is_not_ready_and_the_password_stays_hidden(
    tmp_path: Path,
) -> None:
    url = f"postgresql://anitrakt:{DB_PASSWORD}@127.0.0.1:{free_port()}/anitrakt"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        anitrakt_data_dir=tmp_path,
        anitrakt_allowed_hosts=["testserver"],
    )

    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
        live = client.get("/livez")

    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable: ")
    assert DB_PASSWORD not in response.text
    assert live.status_code == 200  # alive, only not ready


@pytest.mark.parametrize(
    ("timer", "verdict", "ready"),
    [
        pytest.param(None, "disabled", True, id="no-scheduler"),
        pytest.param(FakeTimer(alive=True), "ok", True, id="alive"),
        pytest.param(FakeTimer(alive=False), "the scheduler thread has stopped", False, id="dead"),
    ],
)
def test_readiness_follows_the_scheduler_thread(
    settings: Settings, timer: FakeTimer | None, verdict: str, ready: bool
) -> None:
    engine = create_db_engine(settings.sqlalchemy_url)
    sessions = create_session_factory(engine)
    runtime = Runtime(settings, engine, sessions, EventLog(sessions))

    readiness = check_readiness(runtime, timer)

    engine.dispose()
    assert readiness.checks["scheduler"] == verdict
    assert readiness.ready is ready


def test_readyz_is_503_when_the_scheduler_died(client: TestClient) -> None:
    client.app.state.scheduler = FakeTimer(alive=False)  # type: ignore[attr-defined]

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["error"] == "scheduler: the scheduler thread has stopped"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        pytest.param("127.0.0.1", "http://127.0.0.1:8123/readyz", id="loopback"),
        pytest.param("0.0.0.0", "http://127.0.0.1:8123/readyz", id="any-ipv4"),  # noqa: S104
        pytest.param("::", "http://[::1]:8123/readyz", id="any-ipv6"),
        pytest.param("anitrakt.lan", "http://anitrakt.lan:8123/readyz", id="named"),
    ],
)
def test_the_healthcheck_asks_where_the_server_listens(host: str, url: str) -> None:
    settings = Settings(_env_file=None, anitrakt_host=host, anitrakt_port=8123)  # type: ignore[call-arg]
    assert readyz_url(settings) == url


def _healthcheck(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, ["healthcheck", *args], env={"ANITRAKT_API_TOKEN": None})
    return result.exit_code, result.output


def test_healthcheck_exits_0_with_one_line_when_the_server_is_ready(settings: Settings) -> None:
    with serve_in_thread(create_app(settings), lifespan="on") as base:
        code, output = _healthcheck("--url", f"{base}/readyz")

    assert (code, output) == (0, "ready\n")


def test_healthcheck_exits_1_with_the_reason_when_not_ready(tmp_path: Path) -> None:
    settings = _fresh_settings(tmp_path, "0003")

    with serve_in_thread(create_app(settings), lifespan="on") as base:
        code, output = _healthcheck("--url", f"{base}/readyz")

    assert code == 1
    assert output.count("\n") == 1
    assert output.startswith("not ready: migrations: schema at 0003")


def test_healthcheck_exits_1_when_nothing_answers() -> None:
    url = f"http://127.0.0.1:{free_port()}/readyz"

    code, output = _healthcheck("--url", url)

    assert code == 1
    assert output == f"not ready: no answer from {url} (ConnectError)\n"
