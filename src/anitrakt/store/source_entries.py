"""`mapping_source_entries`: the normalised Fribb and Otaku index, one row per AniList id.

Replacing a source is a delete plus one bulk insert; the caller runs both (and the
`cache:*` metadata write) in one transaction, so readers see the old index or the new
one, never a mix, and a failed refresh leaves the old one in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.domain.mapping_source import SourceEntry, TmdbKind
from anitrakt.domain.values import SourceName
from anitrakt.store._bulk import bulk_insert
from anitrakt.store.models import SourceEntryRow, SystemConfig

_TABLE = cast(sa.Table, SourceEntryRow.__table__)
# Column order of the bulk paths: `source`, then SourceEntry's own field order.
_COLUMNS = (
    "source",
    "anilist_id",
    "tvdb_id",
    "tmdb_id",
    "tmdb_kind",
    "imdb_id",
    "mal_id",
    "anidb_id",
    "media_type",
    "season",
    "episode_offset",
    "trakt_id",
    "tvdb_part",
)


def _row(source: str, e: SourceEntry) -> tuple[Any, ...]:
    kind = e.tmdb_kind.value if e.tmdb_kind is not None else None
    return (
        source, e.anilist_id, e.tvdb_id, e.tmdb_id, kind, e.imdb_id, e.mal_id, e.anidb_id,
        e.media_type, e.season, e.episode_offset, e.trakt_id, e.tvdb_part,
    )  # fmt: skip


def replace_source_entries(
    session: Session, source: SourceName, entries: Sequence[SourceEntry]
) -> int:
    """Make `entries` the whole index of `source`; returns how many rows were written.

    Tens of thousands of rows go in through each driver's bulk path (`store._bulk`).
    """
    session.execute(sa.delete(SourceEntryRow).where(SourceEntryRow.source == source.value))
    if entries:
        bulk_insert(session, _TABLE, _COLUMNS, (_row(source.value, e) for e in entries))
    return len(entries)


def count_source_entries(session: Session, source: SourceName) -> int:
    """How many AniList ids `source` has in the cache."""
    query = sa.select(sa.func.count()).where(SourceEntryRow.source == source.value)
    return int(session.scalar(query) or 0)


def load_source_entries(session: Session) -> dict[SourceName, dict[int, SourceEntry]]:
    """Every cached entry of every source, keyed by source then AniList id, in one query."""
    columns = [_TABLE.c[name] for name in _COLUMNS]
    index: dict[SourceName, dict[int, SourceEntry]] = {name: {} for name in SourceName}
    known = {name.value: index[name] for name in SourceName}
    kinds = {kind.value: kind for kind in TmdbKind}
    for row in session.execute(sa.select(*columns)):
        (
            source,
            anilist,
            tvdb,
            tmdb,
            kind,
            imdb,
            mal,
            anidb,
            media,
            season,
            offset,
            trakt,
            part,
        ) = row
        bucket = known.get(source)
        if bucket is None:  # a source this version does not know
            continue
        # Positional for speed (tens of thousands of rows), in SourceEntry's field order.
        bucket[anilist] = SourceEntry(
            anilist, tvdb, tmdb, kinds.get(kind), imdb, mal, anidb, media, season, offset,
            trakt, part,
        )  # fmt: skip
    return index


def cache_stamps(session: Session, keys: Iterable[str]) -> dict[str, datetime]:
    """When each `cache:*` key was last written: a cheap version of the cached index."""
    rows = session.execute(
        sa.select(SystemConfig.key, SystemConfig.updated_at).where(SystemConfig.key.in_(keys))
    )
    return {key: stamp for key, stamp in rows}  # noqa: C416 - Result has keys()
