"""Turning stored timestamps into instants that always carry an offset."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Values above this are epoch milliseconds, not seconds (it is 2001-09-09 in ms).
_EPOCH_MS_THRESHOLD = 1_000_000_000_000


def parse_instant(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO string, epoch seconds/ms, or a datetime; else None.

    Naive values are taken to be UTC, the only zone anitrakt ever writes.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float):
        seconds = value / 1000 if value >= _EPOCH_MS_THRESHOLD else value
        if not seconds > 0:  # also rejects NaN
            return None
        try:
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, OSError, ValueError):  # e.g. year 9999 with a negative offset
        return None


def iso_instant(value: Any) -> str | None:
    """ISO-8601 text with an explicit offset, or None when `value` is no instant."""
    moment = parse_instant(value)
    return None if moment is None else moment.isoformat()
