"""What the dashboard charts: plays posted per day, and the share of entries by state.

Both are small `system_config` values written by the runs and reads that learn them:
`stats:plays:daily` ({YYYY-MM-DD: plays}, the newest 60 days) by every run that posted
(`usecases.sync.modes`), `library:states` ({counts, at}) by every library read. The
dashboard reads them without asking any upstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from anitrakt.domain import keys
from anitrakt.domain.instants import parse_instant
from anitrakt.store.system_config import get_config, set_config

KEEP_DAYS = 60
CHART_DAYS = 30


def count_plays(session: Session, day: date, added: int) -> None:
    """Add `added` confirmed plays to `day`'s count (the caller's transaction)."""
    if added <= 0:
        return
    stored = get_config(session, keys.STATS_PLAYS_DAILY)
    counts = {str(k): int(v) for k, v in stored.items()} if isinstance(stored, dict) else {}
    label = day.isoformat()
    counts[label] = counts.get(label, 0) + added
    newest = sorted(counts)[-KEEP_DAYS:]
    set_config(session, keys.STATS_PLAYS_DAILY, {k: counts[k] for k in newest})


def plays_per_day(session: Session, today: date, days: int = CHART_DAYS) -> list[tuple[date, int]]:
    """The last `days` days up to `today`, oldest first, with the plays posted on each."""
    stored = get_config(session, keys.STATS_PLAYS_DAILY)
    counts = stored if isinstance(stored, dict) else {}
    out = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        try:
            value = int(counts.get(day.isoformat(), 0))
        except (TypeError, ValueError):
            value = 0
        out.append((day, max(value, 0)))
    return out


@dataclass(frozen=True, slots=True)
class StateShare:
    counts: dict[str, int]
    at: datetime


def remember_states(session: Session, counts: dict[str, int], at: datetime) -> None:
    set_config(session, keys.LIBRARY_STATES, {"counts": counts, "at": at.isoformat()})


def last_states(session: Session) -> StateShare | None:
    """The share of entries by state as the last library read found it (None: never read)."""
    stored = get_config(session, keys.LIBRARY_STATES)
    if not isinstance(stored, dict) or not isinstance(stored.get("counts"), dict):
        return None
    at = parse_instant(stored.get("at"))
    if at is None:
        return None
    try:
        counts = {str(k): int(v) for k, v in stored["counts"].items()}
    except (TypeError, ValueError):
        return None
    return StateShare(counts, at)
