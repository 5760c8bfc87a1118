"""Server-side browser sessions, so logout and a token change end them.

Revision ID: 0005_web_sessions
Revises: 0004_anilist_titles
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from anitrakt.store.types import UTCDateTime, utcnow

revision = "0005_web_sessions"
down_revision = "0004_anilist_titles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.Text(), nullable=False),
        sa.Column("token_fingerprint", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="web_sessions_pkey"),
    )
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_expires_at", table_name="web_sessions")
    op.drop_table("web_sessions")
