"""Migrations: a fresh database goes up to head and back, and head matches the models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from anitrakt.store import migrate
from anitrakt.store.db import create_db_engine
from anitrakt.store.models import Base

SEED_TABLES = {
    "mappings",
    "logs",
    "system_config",
    "sync_progress",
    "episode_override",
    "episode_map",
    "show_map",
}
# Tables anitrakt adds beside the seed's (documented in the README's state model).
EXTENSION_TABLES = {
    "mapping_source_entries",
    "anilist_titles",
    "web_sessions",
    "anibridge_ranges",
    "jobs",
}
ALL_TABLES = SEED_TABLES | EXTENSION_TABLES


@pytest.fixture
def fresh_engine(engine_kind: str, new_database_url: str) -> Iterator[Engine]:
    """An empty database of each kind (`engine_kind` is what parametrises `new_database_url`)."""
    engine = create_db_engine(new_database_url)
    yield engine
    engine.dispose()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()


def table_names(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_there_is_a_single_head() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config(sa.create_engine("sqlite://")))
    assert len(scripts.get_heads()) == 1


def test_fresh_database_has_no_revision(fresh_engine: Engine) -> None:
    assert migrate.current_revision(fresh_engine) is None


def test_upgrade_downgrade_upgrade_round_trip(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    assert table_names(fresh_engine) == ALL_TABLES | {"alembic_version"}
    assert migrate.current_revision(fresh_engine) == head_revision(fresh_engine)

    migrate.downgrade(fresh_engine, "base")
    assert table_names(fresh_engine) <= {"alembic_version"}
    assert migrate.current_revision(fresh_engine) is None

    migrate.upgrade(fresh_engine)
    assert table_names(fresh_engine) == ALL_TABLES | {"alembic_version"}
    assert migrate.current_revision(fresh_engine) == head_revision(fresh_engine)


def test_upgrade_twice_is_harmless(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("insert into system_config (key, value) values ('k', 'v')"))
    migrate.upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        assert conn.execute(sa.text("select value from system_config")).scalar_one() == "v"


def test_head_schema_matches_the_models(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    assert schema_differences(fresh_engine) == []


def test_models_differ_from_an_empty_database(fresh_engine: Engine) -> None:
    """The comparison above can see differences at all."""
    differences = schema_differences(fresh_engine)
    added = {
        diff[1].name for diff in differences if isinstance(diff, tuple) and diff[0] == "add_table"
    }
    assert added == ALL_TABLES


def test_downgrading_the_source_cache_removes_its_metadata_too(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    with fresh_engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into system_config (key, value) values "
                "('cache:fribbs', '{\"count\": 1}'), ('status:fribbs:last-sync', 'x')"
            )
        )
        conn.execute(
            sa.text("insert into mapping_source_entries (source, anilist_id) values ('fribbs', 1)")
        )

    migrate.downgrade(fresh_engine, "0001_seed_schema")

    assert "mapping_source_entries" not in table_names(fresh_engine)
    with fresh_engine.connect() as conn:
        kept = conn.execute(sa.text("select key from system_config")).scalars().all()
    assert kept == ["status:fribbs:last-sync"]
    migrate.upgrade(fresh_engine)
    assert "mapping_source_entries" in table_names(fresh_engine)


def test_the_titles_table_comes_and_goes_with_its_migration(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("insert into anilist_titles (anilist_id, title) values (1, 'Cowboy')"))
        conn.execute(sa.text("insert into mappings (anilist_id, trakt_id) values (1, 2)"))

    migrate.downgrade(fresh_engine, "0003_progress_updated_at_index")

    assert "anilist_titles" not in table_names(fresh_engine)
    with fresh_engine.connect() as conn:  # the seed's tables keep their rows
        assert conn.execute(sa.text("select trakt_id from mappings")).scalar_one() == 2
    migrate.upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from anilist_titles")).scalar_one() == 0
