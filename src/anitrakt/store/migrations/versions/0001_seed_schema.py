"""The seed's state model: seven tables plus the docs/state-model.md mapping extensions.

Revision ID: 0001_seed_schema
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from anitrakt.store.types import UTCDateTime, utcnow

revision = "0001_seed_schema"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mappings",
        sa.Column("anilist_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("trakt_id", sa.BigInteger(), nullable=True),
        sa.Column("tmdb_id", sa.BigInteger(), nullable=True),
        sa.Column("imdb_id", sa.Text(), nullable=True),
        sa.Column("tvdb_id", sa.BigInteger(), nullable=True),
        sa.Column("type", sa.Text(), server_default="auto", nullable=False),
        sa.Column("is_manual", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("trakt_type", sa.Text(), nullable=True),
        sa.Column("trakt_season", sa.Integer(), nullable=True),
        sa.Column("episode_offset", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("anilist_id", name="mappings_pkey"),
    )
    op.create_table(
        "logs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), server_default="info", nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="logs_pkey"),
    )
    op.create_index("ix_logs_created_at", "logs", ["created_at"])
    op.create_table(
        "system_config",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="system_config_pkey"),
    )
    op.create_table(
        "sync_progress",
        sa.Column("anilist_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_abs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.PrimaryKeyConstraint("anilist_id", name="sync_progress_pkey"),
    )
    op.create_table(
        "episode_override",
        sa.Column("trakt_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("abs", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("trakt_id", "abs", name="episode_override_pkey"),
    )
    op.create_table(
        "episode_map",
        sa.Column("trakt_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("abs", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("season", sa.Integer(), nullable=True),
        sa.Column("episode", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("trakt_id", "abs", name="episode_map_pkey"),
    )
    op.create_table(
        "show_map",
        sa.Column("anilist_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("trakt_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.PrimaryKeyConstraint("anilist_id", "source", name="show_map_pkey"),
    )


def downgrade() -> None:
    for table in ("show_map", "episode_map", "episode_override", "sync_progress"):
        op.drop_table(table)
    op.drop_table("system_config")
    op.drop_index("ix_logs_created_at", table_name="logs")
    op.drop_table("logs")
    op.drop_table("mappings")
