"""anibridge-mappings episode ranges, one row per AniList id, indexed by show.

Revision ID: 0006_anibridge_ranges
Revises: 0005_web_sessions
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_anibridge_ranges"
down_revision = "0005_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anibridge_ranges",
        sa.Column("anilist_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ranges", sa.Text(), nullable=False),
        sa.Column("tmdb_show_id", sa.BigInteger(), nullable=True),
        sa.Column("tvdb_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("anilist_id", name="anibridge_ranges_pkey"),
    )
    op.create_index("ix_anibridge_ranges_tmdb_show_id", "anibridge_ranges", ["tmdb_show_id"])
    op.create_index("ix_anibridge_ranges_tvdb_id", "anibridge_ranges", ["tvdb_id"])


def downgrade() -> None:
    op.drop_index("ix_anibridge_ranges_tvdb_id", table_name="anibridge_ranges")
    op.drop_index("ix_anibridge_ranges_tmdb_show_id", table_name="anibridge_ranges")
    op.drop_table("anibridge_ranges")
