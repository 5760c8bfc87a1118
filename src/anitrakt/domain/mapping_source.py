"""Value types of the mapping sources (Fribb's anime list, Otaku's mapping database,
the ids anibridge-mappings names).

Every source is normalised into the same record, one per AniList id and source, so
the resolver reads every id the same way whatever shape the source file had. The
sources are kept apart (a `SourceHit` carries each) because they disagree in useful
ways: Otaku has Trakt ids, Fribb has TMDB-numbered seasons and episode offsets, and
anibridge's episode ranges (its own table) place where a season hint cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from anitrakt.domain.values import SeasonHint, SourceName


class TmdbKind(StrEnum):
    """Whether a TMDB id names a TV show or a movie (TMDB numbers them separately)."""

    TV = "tv"
    MOVIE = "movie"


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """What one source says about one AniList id.

    `season` is the season the entry starts in — Fribb's `season` (its `tmdb` value,
    else `tvdb`: Trakt follows TMDB numbering) or Otaku's `thetvdb_season` — and
    `episode_offset` the episodes of that season that belong to earlier entries (Fribb
    only; real data has a few negative ones, kept as given). `trakt_id` and `tvdb_part`
    only ever come from Otaku.
    """

    anilist_id: int
    tvdb_id: int | None = None
    tmdb_id: int | None = None
    tmdb_kind: TmdbKind | None = None
    imdb_id: str | None = None
    mal_id: int | None = None
    anidb_id: int | None = None
    media_type: str | None = None
    season: int | None = None
    episode_offset: int | None = None
    trakt_id: int | None = None
    tvdb_part: int | None = None

    @property
    def is_movie(self) -> bool:
        """A movie by its TMDB id kind, else by the source's media type."""
        if self.tmdb_kind is not None:
            return self.tmdb_kind is TmdbKind.MOVIE
        return self.media_type == "MOVIE"


@dataclass(frozen=True, slots=True)
class SourceHit:
    """Every source's record for one AniList id (any may be missing).

    anibridge gives ids only (no season hint: its ranges place on their own).
    """

    anilist_id: int
    fribb: SourceEntry | None = None
    otaku: SourceEntry | None = None
    anibridge: SourceEntry | None = None

    @property
    def found(self) -> bool:
        return self.fribb is not None or self.otaku is not None or self.anibridge is not None

    def season_hint(self) -> SeasonHint | None:
        """Fribb's season and offset; Otaku's only when Fribb has none (docs/placement.md)."""
        if self.fribb is not None and self.fribb.season is not None:
            offset = self.fribb.episode_offset or 0
            return SeasonHint(self.fribb.season, offset, SourceName.FRIBB)
        if self.otaku is not None and self.otaku.season is not None:
            return SeasonHint(self.otaku.season, 0, SourceName.OTAKU)
        return None


@dataclass(frozen=True, slots=True)
class ParsedSource:
    """A validated source file: its records (unique AniList ids) and what was learned on the way.

    `shape` is 'current', 'flat' or 'mixed' for Fribb (which file shape the entries had)
    and 'sqlite' for Otaku; `skipped` counts entries dropped for having no usable AniList
    id; `missing_columns` lists optional Otaku columns the file lacked; `last_activity` is
    Otaku's newest `activities.last_updated` (unix seconds).
    """

    entries: tuple[SourceEntry, ...]
    shape: str
    skipped: int = 0
    missing_columns: tuple[str, ...] = ()
    last_activity: int | None = None
