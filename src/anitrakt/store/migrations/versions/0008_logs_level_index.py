"""Index logs by (level, created_at, id): the /logs level filter reads the newest rows of
one level, which the created_at index alone finds only by walking past every other level
(issue 18: `/api/logs?level=error` was the slowest read route).

Revision ID: 0008_logs_level_index
Revises: 0007_jobs
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0008_logs_level_index"
down_revision = "0007_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_logs_level_created_at", "logs", ["level", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_logs_level_created_at", table_name="logs")
