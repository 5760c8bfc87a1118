"""AniList titles as last seen by a sync, so mappings can be shown and searched by name.

Revision ID: 0004_anilist_titles
Revises: 0003_progress_updated_at_index
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from anitrakt.store.types import UTCDateTime, utcnow

revision = "0004_anilist_titles"
down_revision = "0003_progress_updated_at_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anilist_titles",
        sa.Column("anilist_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.PrimaryKeyConstraint("anilist_id", name="anilist_titles_pkey"),
    )


def downgrade() -> None:
    op.drop_table("anilist_titles")
