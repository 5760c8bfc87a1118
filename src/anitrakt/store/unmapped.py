"""`sync:unmapped`: the entries recent runs could not map to Trakt, with the reason.

One JSON object `{anilistId: {title, reason, lastSeen}}` (docs/state-model.md); the
sync keeps it current, the API, the CLI, notifications and metrics read it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from anitrakt.domain import keys
from anitrakt.domain.instants import parse_instant
from anitrakt.domain.values import UnmappedEntry
from anitrakt.store.system_config import get_config, set_config

# The newest this many are kept; older misses drop off.
MAX_REMEMBERED_UNMAPPED = 1000


def load_unmapped(session: Session) -> dict[int, UnmappedEntry]:
    """Every remembered miss, by AniList id."""
    value = get_config(session, keys.SYNC_UNMAPPED)
    if not isinstance(value, dict):
        return {}
    found = {}
    for key, item in value.items():
        if isinstance(key, str) and key.isdigit() and isinstance(item, dict):
            anilist_id = int(key)
            found[anilist_id] = UnmappedEntry(
                anilist_id,
                str(item.get("title") or f"AniList #{anilist_id}"),
                str(item.get("reason") or ""),
                parse_instant(item.get("lastSeen")),
            )
    return found


def save_unmapped(session: Session, entries: Iterable[UnmappedEntry]) -> None:
    """Replace the remembered misses with `entries` (the newest MAX_REMEMBERED_UNMAPPED)."""
    newest = sorted(entries, key=lambda e: e.last_seen.isoformat() if e.last_seen else "")
    value = {
        str(entry.anilist_id): {
            "title": entry.title,
            "reason": entry.reason,
            "lastSeen": entry.last_seen.isoformat() if entry.last_seen else None,
        }
        for entry in newest[-MAX_REMEMBERED_UNMAPPED:]
    }
    set_config(session, keys.SYNC_UNMAPPED, value)
