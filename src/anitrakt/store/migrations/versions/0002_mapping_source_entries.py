"""Mapping source cache: the normalised Fribb and Otaku entries, one row per AniList id.

`system_config` keys `cache:fribbs` / `cache:otaku` hold the metadata of the download
these rows came from; downgrading removes them with the rows they describe.

Revision ID: 0002_mapping_source_entries
Revises: 0001_seed_schema
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_mapping_source_entries"
down_revision = "0001_seed_schema"
branch_labels = None
depends_on = None

CACHE_KEYS = ("cache:fribbs", "cache:otaku")


def upgrade() -> None:
    op.create_table(
        "mapping_source_entries",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("anilist_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tvdb_id", sa.BigInteger(), nullable=True),
        sa.Column("tmdb_id", sa.BigInteger(), nullable=True),
        sa.Column("tmdb_kind", sa.Text(), nullable=True),
        sa.Column("imdb_id", sa.Text(), nullable=True),
        sa.Column("mal_id", sa.BigInteger(), nullable=True),
        sa.Column("anidb_id", sa.BigInteger(), nullable=True),
        sa.Column("media_type", sa.Text(), nullable=True),
        sa.Column("season", sa.Integer(), nullable=True),
        sa.Column("episode_offset", sa.Integer(), nullable=True),
        sa.Column("trakt_id", sa.BigInteger(), nullable=True),
        sa.Column("tvdb_part", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("source", "anilist_id", name="mapping_source_entries_pkey"),
    )


def downgrade() -> None:
    op.drop_table("mapping_source_entries")
    system_config = sa.table("system_config", sa.column("key", sa.Text()))
    op.execute(sa.delete(system_config).where(system_config.c.key.in_(CACHE_KEYS)))
