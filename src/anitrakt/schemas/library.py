"""The shapes of the library (`GET /api/library`, `GET /api/library/{anilistId}`)."""

from __future__ import annotations

from collections.abc import Container

from pydantic import BaseModel

from anitrakt.schemas.common import cover_path
from anitrakt.schemas.review import ExplainBody
from anitrakt.usecases.library import LibraryDetail, LibraryEntry


class LibraryItem(BaseModel):
    anilistId: int
    title: str
    titleRomaji: str | None
    status: str
    progress: int
    episodes: int | None
    lastSyncedEpisode: int
    state: str
    why: str
    mappingSource: str | None
    traktId: int | None
    tmdbId: int | None
    tvdbId: int | None
    imdbId: str | None
    season: int | None
    offset: int | None
    anilistUrl: str
    traktUrl: str | None
    # The cover thumbnail, served by the app itself; null until a sync has cached it.
    cover: str | None = None

    @classmethod
    def of(cls, entry: LibraryEntry, covers: Container[int] = frozenset()) -> LibraryItem:
        return cls(
            anilistId=entry.anilist_id,
            title=entry.title,
            titleRomaji=entry.title_romaji,
            status=entry.status,
            progress=entry.progress,
            episodes=entry.episodes,
            lastSyncedEpisode=entry.last_abs,
            state=entry.state,
            why=entry.why,
            mappingSource=entry.mapping_source,
            traktId=entry.trakt_id,
            tmdbId=entry.tmdb_id,
            tvdbId=entry.tvdb_id,
            imdbId=entry.imdb_id,
            season=entry.season,
            offset=entry.offset,
            anilistUrl=entry.anilist_url,
            traktUrl=entry.trakt_url,
            cover=cover_path(entry.anilist_id, covers),
        )


class LibraryList(BaseModel):
    count: int
    # How many entries are in each state, over the whole list (before filtering).
    states: dict[str, int]
    items: list[LibraryItem]


class LibraryOverride(BaseModel):
    abs: int
    season: int
    episode: int


class LibraryDetailBody(BaseModel):
    """One entry: its library row, and every AniList episode → Trakt S/E with the rule
    that placed it (`synced`: at or below the last synced episode, so on Trakt)."""

    entry: LibraryItem
    explanation: ExplainBody
    synced: list[int]
    overrides: list[LibraryOverride]

    @classmethod
    def of(cls, detail: LibraryDetail) -> LibraryDetailBody:
        last = detail.entry.last_abs
        return cls(
            entry=LibraryItem.of(detail.entry),
            explanation=ExplainBody.of(detail.explanation),
            synced=[
                line.anilist_episode
                for line in detail.explanation.episodes
                if line.anilist_episode <= last
            ],
            overrides=[LibraryOverride(abs=a, season=s, episode=e) for a, s, e in detail.overrides],
        )


class ResetBody(BaseModel):
    anilistId: int
    reset: bool
    message: str
