"""Timestamps are instants: the writer's time zone never shifts them (SPEC §3, seed policy)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clock import utc_now
from anitrakt.store.db import create_db_engine, create_session_factory
from anitrakt.store.logs import list_logs
from anitrakt.store.models import LogRow, SyncProgress, SystemConfig
from anitrakt.store.progress import set_progress
from anitrakt.store.system_config import set_config

TOKYO = timezone(timedelta(hours=9))
INSTANT = datetime(2024, 1, 15, 23, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def tokyo_process_tz() -> Iterator[None]:
    """The process runs in Asia/Tokyo (what SQLite's writer sees) for the test's duration."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Asia/Tokyo")
        time.tzset()
        assert time.localtime(0).tm_hour == 9  # the zone really took effect
        yield
    time.tzset()


@pytest.fixture
def tokyo_engine(engine: Engine, tokyo_process_tz: None) -> Iterator[Engine]:
    """An engine on the same database whose writer is in Asia/Tokyo.

    PostgreSQL: a second engine whose session time zone is Asia/Tokyo. SQLite has no
    session time zone, so the process zone (`TZ`) is what can leak in.
    """
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        tokyo = create_db_engine(url, connect_args={"options": "-c TimeZone=Asia/Tokyo"})
        with tokyo.connect() as conn:
            assert conn.exec_driver_sql("show timezone").scalar_one() == "Asia/Tokyo"
    else:
        tokyo = create_db_engine(url)
    yield tokyo
    tokyo.dispose()


@pytest.fixture
def tokyo_sessions(tokyo_engine: Engine) -> sessionmaker[Session]:
    return create_session_factory(tokyo_engine)


@pytest.mark.parametrize(
    "written",
    [
        pytest.param(INSTANT, id="utc"),
        pytest.param(INSTANT.astimezone(TOKYO), id="tokyo-offset"),
        pytest.param(INSTANT.replace(tzinfo=None), id="naive-means-utc"),
    ],
)
def test_row_written_from_tokyo_reads_back_as_the_same_utc_instant(
    sessions: sessionmaker[Session],
    tokyo_sessions: sessionmaker[Session],
    written: datetime,
) -> None:
    with tokyo_sessions.begin() as session:
        session.add(LogRow(message="from tokyo", level="info", created_at=written))

    with sessions() as session:
        [row] = list_logs(session)
    assert row.created_at == INSTANT
    assert row.created_at.tzinfo is not None
    assert row.created_at.utcoffset() == timedelta(0)
    assert (row.created_at.hour, row.created_at.minute) == (23, 30)


def test_tokyo_writer_reads_its_own_rows_as_utc(tokyo_sessions: sessionmaker[Session]) -> None:
    with tokyo_sessions.begin() as session:
        session.add(LogRow(message="x", level="info", created_at=INSTANT))
    with tokyo_sessions() as session:
        [row] = list_logs(session)
    assert row.created_at == INSTANT
    assert row.created_at.utcoffset() == timedelta(0)


def test_repository_timestamps_from_tokyo_are_now_in_utc(
    sessions: sessionmaker[Session], tokyo_sessions: sessionmaker[Session]
) -> None:
    before = utc_now()
    with tokyo_sessions.begin() as session:
        set_config(session, "k", 1)
        set_progress(session, 1, 3)
    after = utc_now()

    with sessions() as session:
        config = session.get(SystemConfig, "k")
        progress = session.get(SyncProgress, 1)
    assert config is not None
    assert progress is not None
    for stamp in (config.updated_at, progress.updated_at):
        assert stamp.utcoffset() == timedelta(0)
        assert before <= stamp <= after


@pytest.mark.parametrize("_migrated_engine", ["sqlite"], indirect=True)
def test_sqlite_stores_utc_text_with_explicit_offset(
    engine: Engine, tokyo_sessions: sessionmaker[Session]
) -> None:
    with tokyo_sessions.begin() as session:
        session.add(LogRow(message="x", level="info", created_at=INSTANT.astimezone(TOKYO)))
        set_config(session, "k", "v")
    with engine.connect() as conn:
        created = conn.exec_driver_sql("select created_at from logs").scalar_one()
        updated = conn.exec_driver_sql("select updated_at from system_config").scalar_one()
    assert created == "2024-01-15T23:30:15.123456+00:00"
    assert updated.endswith("+00:00")
    stored = datetime.fromisoformat(updated)
    assert abs(utc_now() - stored) < timedelta(minutes=1)


def insert_log_by_hand(engine: Engine, message: str) -> None:
    """What an operator or another tool does: no created_at, the server default fills it."""
    with engine.begin() as conn:
        conn.execute(
            sa.text("insert into logs (message, level) values (:message, 'info')"),
            {"message": message},
        )


def test_hand_inserted_row_gets_now_as_its_timestamp(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    before = utc_now() - timedelta(seconds=1)  # SQLite's default keeps milliseconds only
    insert_log_by_hand(engine, "by hand")
    after = utc_now() + timedelta(seconds=1)

    with sessions() as session:
        [row] = list_logs(session)
    assert row.created_at.utcoffset() == timedelta(0)
    assert before <= row.created_at <= after


def test_hand_inserted_row_from_tokyo_gets_now_in_utc(
    sessions: sessionmaker[Session], tokyo_engine: Engine
) -> None:
    before = utc_now() - timedelta(seconds=1)
    insert_log_by_hand(tokyo_engine, "by hand in tokyo")
    after = utc_now() + timedelta(seconds=1)

    with sessions() as session:
        [row] = list_logs(session)
    assert before <= row.created_at <= after


def test_hand_inserted_rows_sort_among_orm_rows(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    now = utc_now()
    with sessions.begin() as session:
        session.add(
            LogRow(message="orm earlier", level="info", created_at=now - timedelta(minutes=1))
        )
        session.add(
            LogRow(message="orm later", level="info", created_at=now + timedelta(minutes=1))
        )
        session.add(
            LogRow(message="orm same second", level="info", created_at=now - timedelta(seconds=30))
        )
    insert_log_by_hand(engine, "by hand")

    with sessions() as session:
        messages = [row.message for row in list_logs(session)]
    assert messages == ["orm later", "by hand", "orm same second", "orm earlier"]


def test_hand_inserted_rows_in_the_same_second_sort_by_fraction(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """ORM rows carry microseconds, hand rows milliseconds; both must compare as instants."""
    insert_log_by_hand(engine, "hand first")
    time.sleep(0.005)
    with sessions.begin() as session:
        session.add(LogRow(message="orm between", level="info", created_at=utc_now()))
    time.sleep(0.005)
    insert_log_by_hand(engine, "hand last")

    with sessions() as session:
        messages = [row.message for row in list_logs(session)]
    assert messages == ["hand last", "orm between", "hand first"]
