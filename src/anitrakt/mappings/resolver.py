"""AniList id → Trakt id (SPEC §4).

`Resolver.resolve_many` is what the sync calls: it reads the `mappings` table once for
the whole batch and answers every id either with an `IdMapping` or `Unresolved(reason)`.
This first step of the chain answers from stored mappings only (manual rows always win
because nothing automatic ever overwrites them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.domain.anilist import Media
from anitrakt.domain.values import IdMapping, Resolution, TraktType, Unresolved
from anitrakt.store.mappings import get_mappings
from anitrakt.store.models import Mapping


class Resolver(Protocol):
    def resolve_many(self, media: Sequence[Media], *, save: bool = True) -> dict[int, Resolution]:
        """A resolution for every media id; `save=False` (dry run) stores nothing."""
        ...


def mapping_from_row(row: Mapping) -> IdMapping:
    """The value a stored `mappings` row stands for."""
    kind = TraktType(row.trakt_type) if row.trakt_type in ("show", "movie") else None
    return IdMapping(
        anilist_id=row.anilist_id,
        trakt_id=row.trakt_id,
        tmdb_id=row.tmdb_id,
        imdb_id=row.imdb_id,
        tvdb_id=row.tvdb_id,
        manual=row.is_manual,
        trakt_type=kind,
        trakt_season=row.trakt_season,
        episode_offset=row.episode_offset,
    )


class StoredMappingResolver:
    """Answers from the `mappings` table only."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def resolve_many(self, media: Sequence[Media], *, save: bool = True) -> dict[int, Resolution]:
        with self._sessions() as session:
            rows = get_mappings(session, [m.id for m in media])
        resolved: dict[int, Resolution] = {}
        for item in media:
            row = rows.get(item.id)
            if row is not None and row.trakt_id is not None:
                resolved[item.id] = mapping_from_row(row)
            else:
                resolved[item.id] = Unresolved(item.id, "no mapping to Trakt")
        return resolved
