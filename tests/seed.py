"""Seeding rows the way production writes them, for tests that need some already there."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.clock import utc_now
from anitrakt.domain.values import LogLevel
from anitrakt.store.logs import add_logs
from anitrakt.store.models import LogRow


def add_log(session: Session, message: str, level: LogLevel = LogLevel.INFO) -> LogRow:
    """One `logs` row through the repository (as the event log writes it), returned."""
    add_logs(session, [(message, level, utc_now())])
    session.flush()
    return session.scalars(sa.select(LogRow).order_by(LogRow.id.desc()).limit(1)).one()
