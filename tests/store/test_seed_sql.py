"""The seed's state model: its tables, columns and operational SQL (SPEC §3).

The seed (`../shared/seed/000_135dfe09c30fc5b3.txt`) is the contract. Its SQL snippets
are kept here verbatim, run on PostgreSQL exactly as an operator would paste them (only
the `<PLACEHOLDERS>` filled), and their effect is checked through the repositories.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.domain import keys
from anitrakt.domain.values import LogLevel
from anitrakt.store.logs import list_logs
from anitrakt.store.models import LogRow
from anitrakt.store.overrides import get_overrides_for_shows, upsert_override
from anitrakt.store.progress import get_progress, set_progress
from anitrakt.store.system_config import get_config, set_config
from paths import SHARED

SEED_PATH = SHARED / "seed" / "000_135dfe09c30fc5b3.txt"

# --- the seed's operational SQL, verbatim -------------------------------------------

STATUS_KEYS_SQL = """\
select key, value, updated_at
from public.system_config
where key like 'status:sync:%'
order by key;"""

CHECK_PROGRESS_SQL = """\
select *
from public.sync_progress
where anilist_id = <ANILIST_ID>;"""

RESET_PROGRESS_SQL = """\
delete from public.sync_progress
where anilist_id = <ANILIST_ID>;"""

UPSERT_OVERRIDE_SQL = """\
insert into public.episode_override (trakt_id, abs, season, episode)
values (<TRAKT_ID>, <ABS_EP>, <SEASON>, <EPISODE>)
on conflict (trakt_id, abs)
do update set season = excluded.season, episode = excluded.episode;"""

RECENT_LOGS_SQL = """\
select id, level, message, created_at
from public.logs
order by created_at desc
limit 100;"""

SEED_SNIPPETS = {
    "status-keys": STATUS_KEYS_SQL,
    "check-progress": CHECK_PROGRESS_SQL,
    "reset-progress": RESET_PROGRESS_SQL,
    "upsert-override": UPSERT_OVERRIDE_SQL,
    "recent-logs": RECENT_LOGS_SQL,
}

# Not a seed snippet: SPEC §3's "resetting lastSyncTimestamp to '0'", as an operator types it.
RESET_LAST_SYNC_SQL = "update system_config set value = '0' where key = 'lastSyncTimestamp'"

# --- the seed's tables ---------------------------------------------------------------

SEED_COLUMNS = {
    "mappings": {
        "anilist_id",
        "trakt_id",
        "tmdb_id",
        "imdb_id",
        "tvdb_id",
        "type",
        "is_manual",
        "updated_at",
    },
    "logs": {"id", "message", "level", "created_at"},
    "system_config": {"key", "value", "updated_at"},
    "sync_progress": {"anilist_id", "last_abs", "updated_at"},
    "episode_override": {"trakt_id", "abs", "season", "episode"},
    # Legacy tables: the seed lists no columns beyond show_map's timestamp.
    "episode_map": set(),
    "show_map": {"created_at"},
}
SEED_PRIMARY_KEYS = {
    "mappings": ["anilist_id"],
    "logs": ["id"],
    "system_config": ["key"],
    "sync_progress": ["anilist_id"],
    "episode_override": ["trakt_id", "abs"],
}
SEED_TIMESTAMPTZ = [
    ("logs", "created_at"),
    ("mappings", "updated_at"),
    ("show_map", "created_at"),
    ("sync_progress", "updated_at"),
    ("system_config", "updated_at"),
]

on_postgres = pytest.mark.parametrize(
    "_migrated_engine",
    [pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)


def fill(sql: str, **values: int) -> str:
    """`sql` with each `<NAME>` placeholder replaced; every placeholder must be given."""
    for name, value in values.items():
        sql = sql.replace(f"<{name}>", str(value))
    assert "<" not in sql, f"unfilled placeholder in {sql!r}"
    return sql


def run_verbatim(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    """Run `sql` as an operator would in psql: plain DBAPI, no parameters, then commit."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        rows = list(cursor.fetchall()) if cursor.description else []
        cursor.close()
        connection.commit()
    finally:
        connection.close()
    return rows


def seed_sql_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```sql\n(.*?)```", text, flags=re.S)]


# --- the snippets against the seed document ------------------------------------------


def test_snippets_are_verbatim_copies_of_the_seed() -> None:
    if not SEED_PATH.is_file():
        pytest.skip(f"seed document not found at {SEED_PATH.resolve()} (../shared is absent)")
    blocks = seed_sql_blocks(SEED_PATH.read_text(encoding="utf-8"))
    assert len(blocks) == len(SEED_SNIPPETS), "the seed gained or lost an SQL snippet"
    for name, snippet in SEED_SNIPPETS.items():
        assert snippet in blocks, f"{name} differs from the seed"


def test_seed_table_list_matches_what_the_tests_check() -> None:
    if not SEED_PATH.is_file():
        pytest.skip(f"seed document not found at {SEED_PATH.resolve()} (../shared is absent)")
    text = SEED_PATH.read_text(encoding="utf-8")
    tables = re.findall(r"^## `(\w+)`", text, flags=re.M)
    assert sorted(tables) == sorted(SEED_COLUMNS)
    policy = text.split("## Timestamp policy", 1)[1].split("Reason:", 1)[0]
    listed = re.findall(r"`(\w+)\.(\w+)`", policy)
    assert sorted(listed) == sorted(SEED_TIMESTAMPTZ)


# --- the schema ----------------------------------------------------------------------


def test_every_seed_table_exists_with_the_seed_columns(engine: Engine) -> None:
    inspector = sa.inspect(engine)
    tables = set(inspector.get_table_names())
    assert set(SEED_COLUMNS) <= tables
    for table, columns in SEED_COLUMNS.items():
        present = {column["name"] for column in inspector.get_columns(table)}
        assert columns <= present, f"{table} lacks {columns - present}"
    for table, primary_key in SEED_PRIMARY_KEYS.items():
        assert inspector.get_pk_constraint(table)["constrained_columns"] == primary_key


@on_postgres
def test_tables_live_in_the_public_schema(engine: Engine) -> None:
    public = set(sa.inspect(engine).get_table_names(schema="public"))
    assert set(SEED_COLUMNS) <= public


@on_postgres
def test_log_ids_are_bigint_with_a_sequence_default(engine: Engine) -> None:
    with engine.connect() as conn:
        data_type, default = conn.execute(
            sa.text(
                "select data_type, column_default from information_schema.columns "
                "where table_schema = 'public' and table_name = 'logs' and column_name = 'id'"
            )
        ).one()
    assert data_type == "bigint"
    assert default is not None
    assert default.startswith("nextval(")


@on_postgres
@pytest.mark.parametrize(
    ("table", "column"), [pytest.param(t, c, id=f"{t}.{c}") for t, c in SEED_TIMESTAMPTZ]
)
def test_seed_timestamp_columns_are_timestamptz(engine: Engine, table: str, column: str) -> None:
    with engine.connect() as conn:
        data_type = conn.execute(
            sa.text(
                "select data_type from information_schema.columns where table_schema = 'public' "
                "and table_name = :table and column_name = :column"
            ),
            {"table": table, "column": column},
        ).scalar_one()
    assert data_type == "timestamp with time zone"


# --- the snippets, run verbatim on PostgreSQL -----------------------------------------


@on_postgres
def test_status_keys_query_lists_the_sync_status_keys_in_key_order(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        set_config(session, keys.STATUS_SYNC_WATCHING_LAST_RUN, "2024-01-03T00:00:00+00:00")
        set_config(session, keys.STATUS_SYNC_LAST_RUN, "2024-01-01T00:00:00+00:00")
        set_config(session, keys.STATUS_SYNC_COMPLETED_LAST_RUN, "2024-01-02T00:00:00+00:00")
        set_config(session, keys.STATUS_SYNC_LAST_RUN_AUTO, 1_704_067_200_000)
        set_config(session, keys.STATUS_FRIBBS_LAST_SYNC, "not a sync:% key")
        set_config(session, keys.LAST_SYNC_TIMESTAMP, 5)

    rows = run_verbatim(engine, STATUS_KEYS_SQL)

    assert [(key, value) for key, value, _ in rows] == [
        (keys.STATUS_SYNC_COMPLETED_LAST_RUN, "2024-01-02T00:00:00+00:00"),
        (keys.STATUS_SYNC_LAST_RUN, "2024-01-01T00:00:00+00:00"),
        (keys.STATUS_SYNC_LAST_RUN_AUTO, "1704067200000"),
        (keys.STATUS_SYNC_WATCHING_LAST_RUN, "2024-01-03T00:00:00+00:00"),
    ]
    for _, _, updated_at in rows:
        assert updated_at.utcoffset() is not None
        assert abs(datetime.now(UTC) - updated_at) < timedelta(minutes=1)


@on_postgres
def test_check_progress_query_shows_the_stored_progress(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        set_progress(session, 21, 1071)
        set_progress(session, 22, 3)

    rows = run_verbatim(engine, fill(CHECK_PROGRESS_SQL, ANILIST_ID=21))

    assert len(rows) == 1
    assert rows[0][:2] == (21, 1071)


@on_postgres
def test_reset_progress_makes_the_show_start_from_episode_one(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        set_progress(session, 21, 1071)
        set_progress(session, 22, 3)

    run_verbatim(engine, fill(RESET_PROGRESS_SQL, ANILIST_ID=21))

    with sessions() as session:
        assert get_progress(session, 21) == 0
        assert get_progress(session, 22) == 3


@on_postgres
def test_override_upsert_run_twice_leaves_one_row_with_the_second_values(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        upsert_override(session, trakt_id=37696, abs=5, season=9, episode=9)

    run_verbatim(engine, fill(UPSERT_OVERRIDE_SQL, TRAKT_ID=37696, ABS_EP=13, SEASON=1, EPISODE=13))
    run_verbatim(engine, fill(UPSERT_OVERRIDE_SQL, TRAKT_ID=37696, ABS_EP=13, SEASON=2, EPISODE=1))

    with sessions() as session:
        assert get_overrides_for_shows(session, [37696]) == {37696: {5: (9, 9), 13: (2, 1)}}


@on_postgres
def test_recent_logs_query_returns_newest_first(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    with sessions.begin() as session:
        for minutes, message in [(5, "middle"), (0, "oldest"), (9, "newest")]:
            session.add(
                LogRow(
                    message=message,
                    level=LogLevel.INFO.value,
                    created_at=start + timedelta(minutes=minutes),
                )
            )

    rows = run_verbatim(engine, RECENT_LOGS_SQL)

    assert [message for _, _, message, _ in rows] == ["newest", "middle", "oldest"]
    with sessions() as session:
        assert [r.message for r in list_logs(session)] == ["newest", "middle", "oldest"]


@on_postgres
def test_recent_logs_query_stops_at_one_hundred_rows(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    with sessions.begin() as session:
        session.add_all(
            LogRow(message=f"event {n}", level="info", created_at=start + timedelta(seconds=n))
            for n in range(105)
        )

    rows = run_verbatim(engine, RECENT_LOGS_SQL)

    assert len(rows) == 100
    assert rows[0][2] == "event 104"
    assert rows[-1][2] == "event 5"


@on_postgres
def test_resetting_last_sync_timestamp_in_sql_reads_back_as_number_zero(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        set_config(session, keys.LAST_SYNC_TIMESTAMP, 1_717_000_000_000)

    run_verbatim(engine, RESET_LAST_SYNC_SQL)

    with sessions() as session:
        value = get_config(session, keys.LAST_SYNC_TIMESTAMP)
    assert value == 0
    assert type(value) is int
