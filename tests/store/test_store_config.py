"""`system_config`: the key/value store and its value rule (SPEC §3).

Strings are stored as they are, everything else as JSON; reading tries JSON first and
falls back to the raw text, so values typed by hand in SQL read back sensibly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.domain import keys
from anitrakt.store import system_config
from anitrakt.store.models import SystemConfig
from anitrakt.store.system_config import (
    delete_config,
    get_config,
    get_config_many,
    set_config,
)
from sql_log import recorded_statements


def raw_value(session: Session, key: str) -> str | None:
    return session.scalar(sa.select(SystemConfig.value).where(SystemConfig.key == key))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("hello world", id="str"),
        pytest.param("", id="empty-str"),
        pytest.param("2024-05-01T10:00:00+00:00", id="iso-str"),
        pytest.param(0, id="int-zero"),
        pytest.param(1_717_000_000_000, id="int-epoch-ms"),
        pytest.param(-3, id="int-negative"),
        pytest.param(1.5, id="float"),
        pytest.param(True, id="bool-true"),
        pytest.param(False, id="bool-false"),
        pytest.param({"a": 1, "nested": {"b": [1, 2]}}, id="dict"),
        pytest.param([1, "two", None], id="list"),
        pytest.param(None, id="none"),
    ],
)
def test_set_then_get_returns_the_same_value_and_type(session: Session, value: Any) -> None:
    set_config(session, "k", value)
    got = get_config(session, "k", default="<missing>")
    assert got == value
    assert type(got) is type(value)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        pytest.param("hello world", "hello world", id="str-raw"),
        pytest.param("trakt-token-abc", "trakt-token-abc", id="token-raw-not-quoted"),
        pytest.param("", "", id="empty-str-raw"),
        pytest.param(42, "42", id="int-json"),
        pytest.param(1.5, "1.5", id="float-json"),
        pytest.param(True, "true", id="bool-json"),
        pytest.param(None, "null", id="none-json"),
    ],
)
def test_stored_text_is_raw_for_strings_and_json_otherwise(
    session: Session, value: Any, stored: str
) -> None:
    set_config(session, "k", value)
    assert raw_value(session, "k") == stored


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"show": 1, "seasons": [1, 2]}, id="dict"),
        pytest.param([{"abs": 1}, {"abs": 2}], id="list"),
    ],
)
def test_objects_and_lists_are_stored_as_json_text(session: Session, value: Any) -> None:
    set_config(session, "k", value)
    text = raw_value(session, "k")
    assert text is not None
    assert json.loads(text) == value


def test_missing_key_gives_the_default(session: Session) -> None:
    assert get_config(session, "nope") is None
    assert get_config(session, "nope", default=7) == 7


def test_overwrite_replaces_the_value(session: Session) -> None:
    set_config(session, "k", "first")
    set_config(session, "k", {"second": True})
    assert get_config(session, "k") == {"second": True}
    count = session.scalar(sa.select(sa.func.count()).select_from(SystemConfig))
    assert count == 1


def test_overwrite_moves_updated_at_forward(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    moments = iter(
        [datetime(2024, 1, 1, 12, 0, tzinfo=UTC), datetime(2024, 1, 1, 12, 5, tzinfo=UTC)]
    )
    monkeypatch.setattr(system_config, "utc_now", lambda: next(moments))

    set_config(session, "k", 1)
    session.flush()
    first = session.scalar(sa.select(SystemConfig.updated_at).where(SystemConfig.key == "k"))
    set_config(session, "k", 2)
    second = session.scalar(sa.select(SystemConfig.updated_at).where(SystemConfig.key == "k"))

    assert first == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert second == first + timedelta(minutes=5)


def test_real_clock_updated_at_advances_on_overwrite(session: Session) -> None:
    set_config(session, "k", 1)
    first = session.scalar(sa.select(SystemConfig.updated_at).where(SystemConfig.key == "k"))
    set_config(session, "k", 2)
    second = session.scalar(sa.select(SystemConfig.updated_at).where(SystemConfig.key == "k"))
    assert first is not None
    assert second is not None
    assert second > first
    assert second.utcoffset() == timedelta(0)


def test_get_config_many_reads_many_keys_in_one_query_and_omits_missing(
    engine: Engine, session: Session
) -> None:
    set_config(session, keys.STATUS_SYNC_LAST_RUN, "2024-01-01T00:00:00+00:00")
    set_config(session, keys.LAST_SYNC_TIMESTAMP, 123)
    set_config(session, keys.CACHE_FRIBBS, {"ids": [1]})
    session.execute(sa.select(1))  # the connection is checked out before counting

    wanted = [
        keys.STATUS_SYNC_LAST_RUN,
        keys.LAST_SYNC_TIMESTAMP,
        keys.CACHE_FRIBBS,
        keys.STATUS_SYNC_LAST_RUN,  # asked twice
        "status:never-written",
    ]
    with recorded_statements(engine) as statements:
        values = get_config_many(session, wanted)

    assert len(statements) == 1
    assert values == {
        keys.STATUS_SYNC_LAST_RUN: "2024-01-01T00:00:00+00:00",
        keys.LAST_SYNC_TIMESTAMP: 123,
        keys.CACHE_FRIBBS: {"ids": [1]},
    }


def test_get_config_many_with_no_keys_asks_nothing(engine: Engine, session: Session) -> None:
    session.execute(sa.select(1))
    with recorded_statements(engine) as statements:
        assert get_config_many(session, []) == {}
    assert statements == []


def test_delete_reports_whether_the_key_existed(session: Session) -> None:
    set_config(session, "k", "v")
    assert delete_config(session, "k") is True
    assert get_config(session, "k") is None
    assert delete_config(session, "k") is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("0", 0, id="zero-is-number"),
        pytest.param("1717000000000", 1_717_000_000_000, id="epoch-ms"),
        pytest.param("2.5", 2.5, id="float"),
        pytest.param("true", True, id="json-true"),
        pytest.param("null", None, id="json-null"),
        pytest.param('{"a": 1}', {"a": 1}, id="object"),
        pytest.param("[1, 2]", [1, 2], id="list"),
        pytest.param('"quoted"', "quoted", id="json-string"),
        pytest.param("not json at all", "not json at all", id="plain-text"),
        pytest.param("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z", id="iso-text"),
        pytest.param("{broken", "{broken", id="broken-json-is-text"),
        pytest.param("", "", id="empty-text"),
    ],
)
def test_text_written_by_hand_in_sql_reads_back_by_the_value_rule(
    engine: Engine, sessions: sessionmaker[Session], raw: str, expected: Any
) -> None:
    with sessions.begin() as session:
        set_config(session, keys.LAST_SYNC_TIMESTAMP, 1_717_000_000_000)
    with engine.begin() as conn:
        conn.execute(
            sa.text("update system_config set value = :raw where key = 'lastSyncTimestamp'"),
            {"raw": raw},
        )
    with sessions() as session:
        got = get_config(session, keys.LAST_SYNC_TIMESTAMP)
    assert got == expected
    assert type(got) is type(expected)


def test_reset_of_last_sync_timestamp_in_sql_reads_as_number_zero(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        set_config(session, keys.LAST_SYNC_TIMESTAMP, 1_717_000_000_000)
    with engine.begin() as conn:
        conn.execute(
            sa.text("update system_config set value = '0' where key = 'lastSyncTimestamp'")
        )
    with sessions() as session:
        value = get_config(session, keys.LAST_SYNC_TIMESTAMP)
    assert value == 0
    assert type(value) is int


def test_sql_null_value_reads_as_the_default(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        set_config(session, "k", "v")
    with engine.begin() as conn:
        conn.execute(sa.text("update system_config set value = null where key = 'k'"))
    with sessions() as session:
        assert get_config(session, "k", default="fallback") == "fallback"
