"""When each kind of sync last ran (the `status:sync:*` keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from anitrakt.domain import keys
from anitrakt.domain.instants import parse_instant
from anitrakt.store.system_config import get_config_many


@dataclass(frozen=True, slots=True)
class SyncStatus:
    last_manual: datetime | None
    last_automated: datetime | None
    last_completed: datetime | None
    last_watching: datetime | None


def read_sync_status(session: Session) -> SyncStatus:
    """The four last-run instants, read in one query; None where a run never happened."""
    values = get_config_many(
        session,
        [
            keys.STATUS_SYNC_LAST_RUN,
            keys.STATUS_SYNC_LAST_RUN_AUTO,
            keys.STATUS_SYNC_COMPLETED_LAST_RUN,
            keys.STATUS_SYNC_WATCHING_LAST_RUN,
        ],
    )
    return SyncStatus(
        last_manual=parse_instant(values.get(keys.STATUS_SYNC_LAST_RUN)),
        last_automated=parse_instant(values.get(keys.STATUS_SYNC_LAST_RUN_AUTO)),
        last_completed=parse_instant(values.get(keys.STATUS_SYNC_COMPLETED_LAST_RUN)),
        last_watching=parse_instant(values.get(keys.STATUS_SYNC_WATCHING_LAST_RUN)),
    )
