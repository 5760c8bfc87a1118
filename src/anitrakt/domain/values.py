"""Small value types shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class LogLevel(StrEnum):
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class MappingType(StrEnum):
    MANUAL = "manual"
    AUTO = "auto"


class TraktType(StrEnum):
    SHOW = "show"
    MOVIE = "movie"


class SyncMode(StrEnum):
    """The kinds of sync a person (or the scheduler) runs; docs/sync.md §1."""

    FULL = "full"
    COMPLETED = "completed"
    WATCHING = "watching"

    @property
    def label(self) -> str:
        """How logs and messages name a run of this mode: "full sync"."""
        return f"{self.value} sync"


@dataclass(frozen=True, slots=True)
class IdMapping:
    """What anitrakt knows about where an AniList entry lives elsewhere."""

    anilist_id: int
    trakt_id: int | None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None
    manual: bool = False
    trakt_type: TraktType | None = None
    trakt_season: int | None = None
    episode_offset: int | None = None

    @property
    def type(self) -> MappingType:
        return MappingType.MANUAL if self.manual else MappingType.AUTO


@dataclass(frozen=True, slots=True)
class Unresolved:
    """An AniList entry that could not be matched to Trakt, and why.

    `retry`: the miss may clear without anyone acting (no mapping source loaded yet, an
    upstream outage), so the sync must not count its activities as handled.
    """

    anilist_id: int
    reason: str
    retry: bool = False


Resolution = IdMapping | Unresolved


@dataclass(frozen=True, slots=True)
class UnmappedEntry:
    """An AniList entry a run could not match to Trakt, why, and when it was last seen."""

    anilist_id: int
    title: str
    reason: str
    last_seen: datetime | None = None
