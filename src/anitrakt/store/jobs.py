"""Background sync jobs (`jobs`): create, move through their states, read back.

A job is `queued` → `running` → `succeeded` | `failed`; progress (phase, done, total,
note) is written while it runs. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.store.models import JobRow

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
ACTIVE = (QUEUED, RUNNING)


def add_job(
    session: Session, job_id: str, mode: str, *, dry_run: bool, runner: str, now: datetime
) -> JobRow:
    """Record a new queued job."""
    row = JobRow(id=job_id, mode=mode, dry_run=dry_run, state=QUEUED, runner=runner, created_at=now)
    session.add(row)
    session.flush()
    return row


def get_job(session: Session, job_id: str) -> JobRow | None:
    return session.get(JobRow, job_id)


def list_jobs(session: Session, *, state: str | None = None, limit: int = 50) -> list[JobRow]:
    """Newest first, optionally only those in `state`."""
    query = sa.select(JobRow).order_by(JobRow.created_at.desc(), JobRow.id.desc()).limit(limit)
    if state is not None:
        query = query.where(JobRow.state == state)
    return list(session.scalars(query))


def active_jobs(session: Session) -> list[JobRow]:
    """Jobs queued or running, oldest first."""
    query = sa.select(JobRow).where(JobRow.state.in_(ACTIVE)).order_by(JobRow.created_at)
    return list(session.scalars(query))


def start_job(session: Session, job_id: str, now: datetime) -> None:
    session.execute(
        sa.update(JobRow).where(JobRow.id == job_id).values(state=RUNNING, started_at=now)
    )


def set_job_progress(
    session: Session, job_id: str, phase: str, done: int | None, total: int | None, note: str
) -> None:
    session.execute(
        sa.update(JobRow)
        .where(JobRow.id == job_id)
        .values(phase=phase, done=done, total=total, note=note)
    )


def finish_job(
    session: Session,
    job_id: str,
    *,
    succeeded: bool,
    now: datetime,
    report: str | None,
    error: str | None,
) -> None:
    session.execute(
        sa.update(JobRow)
        .where(JobRow.id == job_id)
        .values(
            state=SUCCEEDED if succeeded else FAILED,
            finished_at=now,
            report=report,
            error=error,
        )
    )


def fail_jobs(session: Session, job_ids: Sequence[str], *, now: datetime, error: str) -> int:
    """Mark jobs that can no longer finish (their process is gone) failed; how many."""
    if not job_ids:
        return 0
    result = session.execute(
        sa.update(JobRow)
        .where(JobRow.id.in_(list(job_ids)), JobRow.state.in_(ACTIVE))
        .values(state=FAILED, finished_at=now, error=error)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def prune_jobs(session: Session, *, keep: int) -> int:
    """Delete ended jobs beyond the newest `keep`; how many went."""
    newest = (
        sa.select(JobRow.id)
        .where(JobRow.state.in_((SUCCEEDED, FAILED)))
        .order_by(JobRow.created_at.desc(), JobRow.id.desc())
        .limit(keep)
    )
    result = session.execute(
        sa.delete(JobRow).where(JobRow.state.in_((SUCCEEDED, FAILED)), JobRow.id.not_in(newest))
    )
    return int(getattr(result, "rowcount", 0) or 0)
