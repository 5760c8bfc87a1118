"""Shared fixtures: every store test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from `ANITRAKT_TEST_PG_URL` (set by scripts/ensure-postgres.sh, which
`make test` runs) or the machine default 127.0.0.1:5432 as `postgres`. Each run creates
its own uniquely named databases and drops them afterwards. When no server answers, the
PostgreSQL variants are skipped with the reason shown in the summary (`-ra`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.store import migrate
from anitrakt.store.db import create_db_engine, create_session_factory
from anitrakt.store.models import Base

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _admin_url() -> str:
    return os.environ.get("ANITRAKT_TEST_PG_URL") or DEFAULT_PG_ADMIN_URL


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresServer:
    """Creates and drops throwaway databases on the test server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def create_database(self) -> str:
        name = f"anitrakt_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_libpq(self.admin_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with psycopg.connect(_libpq(self.admin_url), autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    admin_url = _admin_url()
    try:
        with psycopg.connect(_libpq(admin_url), connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pytest.skip(f"PostgreSQL tests skipped: no server at {make_url(admin_url).host}: {reason}")
    server = PostgresServer(admin_url)
    yield server
    server.drop_all()


@pytest.fixture
def new_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the parametrised kind (`engine_kind`), for migration tests."""
    kind = request.getfixturevalue("engine_kind")
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        yield request.getfixturevalue("postgres_server").create_database()


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session", params=ENGINES)
def _migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'anitrakt.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(_migrated_engine: Engine) -> Iterator[Engine]:
    """A migrated database (SQLite, then PostgreSQL), emptied after each test."""
    yield _migrated_engine
    with _migrated_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(sa.delete(table))


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return create_session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s
        s.rollback()


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    """Settings pointing at the test database, ignoring the developer's environment.

    `testserver` is the Host that Starlette's TestClient sends by default; the app
    answers only to allowed Host names.
    """
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=engine.url.render_as_string(hide_password=False),
        anitrakt_data_dir=tmp_path,
        anitrakt_allowed_hosts=["testserver"],
    )
