"""`logs`: the operational event stream shown on /logs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.clock import utc_now
from anitrakt.domain.values import LogLevel
from anitrakt.store.models import LogRow


def add_logs(session: Session, events: Iterable[tuple[str, LogLevel, datetime]]) -> None:
    """Add event rows `(message, level, at)` (the caller commits)."""
    session.add_all(
        LogRow(message=message, level=LogLevel(level), created_at=at)
        for message, level, at in events
    )


def list_logs(
    session: Session, *, limit: int = 200, level: LogLevel | None = None
) -> list[sa.Row[int, str, LogLevel, datetime]]:
    """The newest `limit` rows (`id, message, level, created_at`), newest first,
    optionally of one level.

    A Core query on the table's columns, run on the session's connection: nothing here
    is changed and saved, and the ORM's loading step cost a third of the query (issue 18).
    """
    if level is None:
        return list(session.connection().execute(_newest_logs(False), {"limit": limit}).all())
    params = {"limit": limit, "level": LogLevel(level)}
    return list(session.connection().execute(_newest_logs(True), params).all())


@cache
def _newest_logs(of_one_level: bool) -> sa.Select[int, str, LogLevel, datetime]:
    """`list_logs`'s query, built once: building it and its cache key on every call cost
    a quarter of the read (issue 18)."""
    logs = LogRow.__table__.c
    query = (
        sa.select(logs.id, logs.message, logs.level, logs.created_at)
        .order_by(logs.created_at.desc(), logs.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )
    if of_one_level:
        query = query.where(logs.level == sa.bindparam("level"))
    return query


def prune_logs(session: Session, older_than_days: int, *, now: datetime | None = None) -> int:
    """Delete rows older than `older_than_days`; returns how many went."""
    cutoff = (now or utc_now()) - timedelta(days=older_than_days)
    result = session.execute(sa.delete(LogRow).where(LogRow.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
