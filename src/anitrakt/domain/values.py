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


class SourceName(StrEnum):
    """A mapping source; the value is the name used in keys (`cache:<value>`) and rows."""

    FRIBB = "fribbs"
    OTAKU = "otaku"
    ANIBRIDGE = "anibridge"

    @property
    def label(self) -> str:
        """How messages, logs and the CLI name the source."""
        return _LABELS[self]


_LABELS = {
    SourceName.FRIBB: "Fribb mapping list",
    SourceName.OTAKU: "Otaku mappings",
    SourceName.ANIBRIDGE: "anibridge-mappings",
}


@dataclass(frozen=True, slots=True)
class SeasonHint:
    """Where an AniList entry starts on Trakt: season `season`, after `offset` episodes.

    `source` is the mapping source that gave it (None: a manual mapping or a test).
    """

    season: int
    offset: int = 0
    source: SourceName | None = None


class SyncMode(StrEnum):
    """The kinds of sync a person (or the scheduler) runs; docs/sync.md §1."""

    FULL = "full"
    COMPLETED = "completed"
    WATCHING = "watching"
    # The features beyond history alone (docs/beyond-history.md), no history posted.
    EXTRAS = "extras"

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
