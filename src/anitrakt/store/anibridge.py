"""`anibridge_ranges`: each AniList entry's anibridge-mappings placement lines.

A refresh replaces the whole table inside its one transaction (`clear_ranges`, then
`add_ranges` batch by batch while the release streams in); placement reads only the
rows it needs: the entries of a run (`ranges_for`) and every entry naming the same
shows, for the claims (`ranges_on_shows`). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.store._bulk import bulk_insert
from anitrakt.store.models import AnibridgeRangesRow

_TABLE = cast(sa.Table, AnibridgeRangesRow.__table__)
# SQLite allows 32,766 bound parameters; PostgreSQL many more. Stay far below both.
_IN_CHUNK = 5000
_COLUMNS = ("anilist_id", "ranges", "tmdb_show_id", "tvdb_id")


def clear_ranges(session: Session) -> None:
    """Drop every stored line (the first step of a refresh)."""
    session.execute(sa.delete(AnibridgeRangesRow))


def add_ranges(session: Session, rows: Sequence[tuple[int, str, int | None, int | None]]) -> int:
    """Insert `(anilist_id, ranges_json, tmdb_show_id, tvdb_id)` rows; returns how many.

    Through each driver's bulk path (`store._bulk`): a refresh inserts ~10^5 rows.
    """
    if rows:
        bulk_insert(session, _TABLE, _COLUMNS, rows)
    return len(rows)


def count_ranges(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(_TABLE)) or 0)


def ranges_for(session: Session, anilist_ids: Iterable[int]) -> dict[int, str]:
    """The stored lines (JSON text) of each of `anilist_ids` that has any."""
    ids = sorted(set(anilist_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        query = sa.select(AnibridgeRangesRow.anilist_id, AnibridgeRangesRow.ranges).where(
            AnibridgeRangesRow.anilist_id.in_(chunk)
        )
        found.update((row[0], row[1]) for row in session.execute(query))
    return found


def ranges_on_shows(
    session: Session, tmdb_show_ids: Iterable[int], tvdb_ids: Iterable[int]
) -> dict[int, str]:
    """The lines of every entry naming one of these TMDB shows or TVDB series."""
    tmdb, tvdb = sorted(set(tmdb_show_ids)), sorted(set(tvdb_ids))
    if not tmdb and not tvdb:
        return {}
    conditions = []
    if tmdb:
        conditions.append(AnibridgeRangesRow.tmdb_show_id.in_(tmdb))
    if tvdb:
        conditions.append(AnibridgeRangesRow.tvdb_id.in_(tvdb))
    query = sa.select(AnibridgeRangesRow.anilist_id, AnibridgeRangesRow.ranges).where(
        sa.or_(*conditions)
    )
    return {row[0]: row[1] for row in session.execute(query)}
