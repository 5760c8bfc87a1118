"""EventLog: every event becomes a `logs` row and a log line, with secrets masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.domain.secrets import MASK
from anitrakt.domain.values import LogLevel
from anitrakt.store import db as store_db
from anitrakt.store import migrate
from anitrakt.store.db import create_db_engine, create_session_factory
from anitrakt.store.logs import list_logs
from anitrakt.store.system_config import set_config
from anitrakt.usecases.events import EventLog

TOKEN = "trakt-access-token-0123456789"
PASSWORD = "db-password-42"


def stored(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(row.level, row.message) for row in reversed(list_logs(session))]


def anitrakt_records(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "anitrakt"]


@pytest.mark.parametrize(
    ("method", "level", "py_level"),
    [
        pytest.param("info", LogLevel.INFO, logging.INFO, id="info"),
        pytest.param("warn", LogLevel.WARN, logging.WARNING, id="warn"),
        pytest.param("error", LogLevel.ERROR, logging.ERROR, id="error"),
    ],
)
def test_event_is_stored_and_logged_at_its_level(
    sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    method: str,
    level: LogLevel,
    py_level: int,
) -> None:
    caplog.set_level(logging.DEBUG, logger="anitrakt")
    events = EventLog(sessions)

    getattr(events, method)("sync finished: 3 shows, 12 episodes")

    assert stored(sessions) == [(level.value, "sync finished: 3 shows, 12 episodes")]
    assert anitrakt_records(caplog) == [(py_level, "sync finished: 3 shows, 12 episodes")]


def test_events_keep_their_order(sessions: sessionmaker[Session]) -> None:
    events = EventLog(sessions)
    events.info("first")
    events.warn("second")
    events.error("third")
    assert stored(sessions) == [("info", "first"), ("warn", "second"), ("error", "third")]


def test_configured_secrets_are_masked_in_row_and_log_line(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="anitrakt")
    events = EventLog(sessions, [TOKEN, PASSWORD])

    events.error(f"Trakt said 401 for Bearer {TOKEN}; db auth with {PASSWORD} failed")

    expected = f"Trakt said 401 for Bearer {MASK}; db auth with {MASK} failed"
    assert stored(sessions) == [("error", expected)]
    assert anitrakt_records(caplog) == [(logging.ERROR, expected)]
    assert TOKEN not in caplog.text
    assert PASSWORD not in caplog.text


def test_secret_learned_later_is_masked_from_then_on(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="anitrakt")
    events = EventLog(sessions)
    events.add_secret("refreshed-token-abcdef")

    events.info("new token refreshed-token-abcdef stored")

    assert stored(sessions) == [("info", f"new token {MASK} stored")]
    assert "refreshed-token-abcdef" not in caplog.text


@pytest.mark.parametrize(
    ("secret", "message", "expected"),
    [
        pytest.param("abcdef", "key abcdef used", f"key {MASK} used", id="six-chars-masked"),
        pytest.param("abcde", "key abcde used", "key abcde used", id="five-chars-kept"),
        pytest.param("12", "12 episodes", "12 episodes", id="short-number-kept"),
        pytest.param("", "nothing to hide", "nothing to hide", id="empty-ignored"),
        pytest.param(None, "nothing to hide", "nothing to hide", id="none-ignored"),
        pytest.param("secret", "secretsecret", MASK + MASK, id="every-occurrence"),
    ],
)
def test_only_secrets_of_six_or_more_characters_are_masked(
    sessions: sessionmaker[Session], secret: str | None, message: str, expected: str
) -> None:
    events = EventLog(sessions)
    events.add_secret(secret)
    events.info(message)
    assert stored(sessions) == [("info", expected)]


def test_overlapping_secrets_leave_no_fragment(sessions: sessionmaker[Session]) -> None:
    events = EventLog(sessions, ["abcdef", "abcdefghij"])
    events.info("token abcdefghij")
    assert stored(sessions) == [("info", f"token {MASK}")]


def test_event_survives_the_callers_rollback(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    events = EventLog(sessions)
    with sessions() as caller:
        caller.execute(sa.select(1))
        events.error("sync failed")
        caller.rollback()
    assert stored(sessions) == [("error", "sync failed")]


@pytest.fixture
def missing_tables_sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    yield create_session_factory(engine)
    engine.dispose()


@pytest.fixture
def unreachable_sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    # A file inside a regular file can never be opened.
    (tmp_path / "not-a-dir").write_text("", encoding="utf-8")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'not-a-dir' / 'x.db'}")
    yield create_session_factory(engine)
    engine.dispose()


@pytest.mark.parametrize(
    "broken", [pytest.param("missing_tables_sessions"), pytest.param("unreachable_sessions")]
)
def test_failed_write_never_raises_and_warns(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture, broken: str
) -> None:
    caplog.set_level(logging.INFO, logger="anitrakt")
    sessions: sessionmaker[Session] = request.getfixturevalue(broken)
    events = EventLog(sessions, [TOKEN])

    events.error(f"could not refresh {TOKEN}")  # must not raise

    records = anitrakt_records(caplog)
    assert records[0] == (logging.ERROR, f"could not refresh {MASK}")
    warnings = [text for level, text in records if level == logging.WARNING]
    assert len(warnings) == 1
    assert "logs" in warnings[0]
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    "engine_kind",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_event_is_stored_while_the_caller_holds_an_open_write(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    engine_kind: str,
    new_database_url: str,
) -> None:
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_MS", 200)  # fail fast, not in 5 s
    engine = create_db_engine(new_database_url)
    try:
        migrate.upgrade(engine)
        sessions = create_session_factory(engine)
        events = EventLog(sessions)
        with sessions.begin() as caller:
            set_config(caller, "status:sync:last-run", "2024-01-01T00:00:00+00:00")
            # On SQLite the caller's write lock blocks the event's own transaction: the
            # event waits in memory instead of being lost, and is written once free.
            events.info("show 21 mapped")
        assert events.flush()
        assert stored(sessions) == [("info", "show 21 mapped")]
    finally:
        engine.dispose()


def test_event_joins_the_callers_transaction_when_given_its_session(
    sessions: sessionmaker[Session],
) -> None:
    events = EventLog(sessions, [TOKEN])

    with sessions.begin() as caller:
        set_config(caller, "status:sync:last-run", "2024-01-01T00:00:00+00:00")
        events.warn(f"retrying with {TOKEN}", session=caller)
    with sessions() as session:
        events.info("rolled back with its caller", session=session)
        session.rollback()

    assert stored(sessions) == [("warn", f"retrying with {MASK}")]
