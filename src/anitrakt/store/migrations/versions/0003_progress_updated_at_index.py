"""Index sync_progress.updated_at: progress is listed most recently updated first.

Revision ID: 0003_progress_updated_at_index
Revises: 0002_mapping_source_entries
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0003_progress_updated_at_index"
down_revision = "0002_mapping_source_entries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sync_progress_updated_at", "sync_progress", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_sync_progress_updated_at", table_name="sync_progress")
