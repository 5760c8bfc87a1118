"""`sync:review`: the entries recent runs held for review, with the held episodes and why.

One JSON object `{anilistId: {title, traktId, episodes, reason, rule, reasons, lastSeen}}`
(docs/state-model.md); the sync keeps it current, the API, the CLI and the mappings
page read it, and a fix (a manual mapping) drops the entry at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from anitrakt.domain import keys
from anitrakt.domain.instants import parse_instant
from anitrakt.domain.review import ReviewEntry
from anitrakt.store.system_config import get_config, set_config

# The newest this many are kept; older ones drop off.
MAX_REMEMBERED_REVIEW = 1000


def load_review(session: Session) -> dict[int, ReviewEntry]:
    """Every remembered entry held for review, by AniList id."""
    value = get_config(session, keys.SYNC_REVIEW)
    if not isinstance(value, dict):
        return {}
    found = {}
    for key, item in value.items():
        if isinstance(key, str) and key.isdigit() and isinstance(item, dict):
            entry = _entry(int(key), item)
            if entry is not None:
                found[entry.anilist_id] = entry
    return found


def _entry(anilist_id: int, item: dict[str, Any]) -> ReviewEntry | None:
    trakt_id = item.get("traktId")
    episodes = item.get("episodes")
    if not isinstance(trakt_id, int) or not isinstance(episodes, list):
        return None
    reasons = item.get("reasons")
    return ReviewEntry(
        anilist_id,
        str(item.get("title") or f"AniList #{anilist_id}"),
        trakt_id,
        tuple(e for e in episodes if isinstance(e, int)),
        str(item.get("reason") or ""),
        item.get("rule") if isinstance(item.get("rule"), str) else None,
        tuple(str(r) for r in reasons) if isinstance(reasons, list) else (),
        parse_instant(item.get("lastSeen")),
    )


def save_review(session: Session, entries: Iterable[ReviewEntry]) -> None:
    """Replace the remembered entries with `entries` (the newest MAX_REMEMBERED_REVIEW)."""
    newest = sorted(entries, key=lambda e: e.last_seen.isoformat() if e.last_seen else "")
    value = {
        str(entry.anilist_id): {
            "title": entry.title,
            "traktId": entry.trakt_id,
            "episodes": list(entry.episodes),
            "reason": entry.reason,
            "rule": entry.rule,
            "reasons": list(entry.reasons),
            "lastSeen": entry.last_seen.isoformat() if entry.last_seen else None,
        }
        for entry in newest[-MAX_REMEMBERED_REVIEW:]
    }
    set_config(session, keys.SYNC_REVIEW, value)


def forget_review(session: Session, anilist_id: int) -> bool:
    """Drop one entry (it was just fixed); whether it was there."""
    entries = load_review(session)
    if entries.pop(anilist_id, None) is None:
        return False
    save_review(session, entries.values())
    return True
