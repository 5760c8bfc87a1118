"""The operational log (`logs`) as the /logs page, the API and `anitrakt logs` read it."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from anitrakt.domain.values import LogLevel
from anitrakt.store.logs import list_logs
from anitrakt.store.loop_reads import cacheable
from anitrakt.usecases.container import Runtime


class LogEntry(NamedTuple):
    """One row (a tuple: a page of 200 is built many times a second under load)."""

    id: int
    message: str
    level: LogLevel
    created_at: datetime


@cacheable
def logs_page(
    session: Session, *, limit: int, level: LogLevel | None = None
) -> tuple[LogEntry, ...]:
    """The newest `limit` rows, newest first, optionally of one level (a read-only unit
    of work: the API runs it with `Runtime.read_from_loop`)."""
    return tuple(map(LogEntry._make, list_logs(session, limit=limit, level=level)))


def recent_logs(
    runtime: Runtime, *, limit: int, level: LogLevel | None = None
) -> tuple[LogEntry, ...]:
    """`logs_page` in a session of its own."""
    return runtime.read(logs_page, limit=limit, level=level)
