"""The mappings a person looks at and fixes: list them, save a manual one, delete it.

A manual mapping always wins over an automatic one (docs/state-model.md). Saving or
deleting one is logged, and drops the entry from the unmapped and review lists at once
instead of at the next sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from anitrakt.domain.trakt import SearchResult
from anitrakt.domain.values import IdMapping, MappingType
from anitrakt.errors import NotFoundError
from anitrakt.store.mappings import delete_mapping, get_mapping, list_mappings, mapping_value
from anitrakt.store.models import Mapping
from anitrakt.store.review import forget_review
from anitrakt.store.titles import get_titles
from anitrakt.store.unmapped import load_unmapped, save_unmapped
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.manual import ManualMappingInput, save_manual_mapping, trakt_lookup


@dataclass(frozen=True, slots=True)
class MappingEntry:
    """A stored mapping, with what AniList calls the entry (when a sync has seen it)."""

    mapping: IdMapping
    title: str | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class MappingLists:
    manual: list[MappingEntry]
    auto: list[MappingEntry]


def _entries(rows: list[Mapping], titles: dict[int, str]) -> list[MappingEntry]:
    return [MappingEntry(mapping_value(r), titles.get(r.anilist_id), r.updated_at) for r in rows]


def mapping_lists(runtime: Runtime, search: str | None = None) -> MappingLists:
    """Both kinds, newest first, with titles; `search` is an id or part of a title."""
    with runtime.sessions() as session:
        manual = list_mappings(session, kind=MappingType.MANUAL, search=search)
        auto = list_mappings(session, kind=MappingType.AUTO, search=search)
        titles = get_titles(session, [row.anilist_id for row in manual + auto])
        return MappingLists(_entries(manual, titles), _entries(auto, titles))


def map_manually(runtime: Runtime, given: ManualMappingInput) -> MappingEntry:
    """Validate and store a manual mapping; a Trakt URL or slug is looked up on Trakt."""
    with trakt_lookup(runtime.trakt) as lookup, runtime.sessions.begin() as session:
        row = save_manual_mapping(session, given, lookup)
        mapping = mapping_value(row)
        title = get_titles(session, [mapping.anilist_id]).get(mapping.anilist_id)
        _forget_unmapped(session, mapping.anilist_id)
        forget_review(session, mapping.anilist_id)
        where = "" if mapping.trakt_season is None else f", season {mapping.trakt_season}"
        kind = mapping.trakt_type.value if mapping.trakt_type else "show"
        runtime.events.info(
            f"manual mapping: AniList {mapping.anilist_id} → Trakt {kind} "
            f"{mapping.trakt_id}{where}",
            session=session,
        )
        return MappingEntry(mapping, title, row.updated_at)


def unmap(runtime: Runtime, anilist_id: int) -> None:
    """Delete a manual mapping; the next sync resolves the entry automatically again."""
    with runtime.sessions.begin() as session:
        row = get_mapping(session, anilist_id)
        if row is None or not row.is_manual:
            raise NotFoundError(f"AniList {anilist_id} has no manual mapping", field="anilistId")
        delete_mapping(session, anilist_id)
        forget_review(session, anilist_id)
        runtime.events.info(
            f"manual mapping of AniList {anilist_id} deleted; the next sync resolves it again",
            session=session,
        )


def find_shows_on_trakt(runtime: Runtime, title: str) -> list[SearchResult]:
    """Shows on Trakt matching a title: the "Find on Trakt" action of the unmapped list."""
    with runtime.trakt() as client:
        return [r for r in client.search_shows(title.strip()) if r.show is not None]


def _forget_unmapped(session: Session, anilist_id: int) -> None:
    """A mapping just fixed the entry: it leaves the unmapped list now, not next sync."""
    entries = load_unmapped(session)
    if entries.pop(anilist_id, None) is not None:
        save_unmapped(session, entries.values())
