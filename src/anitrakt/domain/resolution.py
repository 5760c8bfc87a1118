"""The pure rules of AniList → Trakt id resolution (docs/resolution.md).

The I/O is in `usecases.resolver`.

For an AniList entry that has no stored mapping, everything the mapping sources (and a
stored row without a Trakt id) know is gathered into one `Candidate`: its external ids
(Fribb first, then anibridge-mappings, Otaku filling the gaps left, a stored row last —
Fribb's ids are the ones Trakt's TMDB-based numbering agrees with, and anibridge's are
curated against TMDB too), whether it is a movie, its season hint, and Otaku's
Trakt id when there is one. The resolver then asks upstream only what the candidate
cannot answer itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from anitrakt.domain.anilist import Media
from anitrakt.domain.mapping_source import SourceEntry, SourceHit, TmdbKind
from anitrakt.domain.values import IdMapping, SeasonHint, TraktType

# The reasons an entry stays unmapped; each says what was tried and what to do.
MAP_BY_HAND = (
    "map it by hand: Find on Trakt on the Mappings page, or `anitrakt map ANILIST_ID TRAKT_ID`"
)
NO_SOURCE_ENTRY = (
    "no source entry: neither Fribb's anime-lists nor the Otaku mappings list this "
    f"AniList id; {MAP_BY_HAND}"
)
# The same miss when neither mapping source has been loaded: the fix is a refresh.
SOURCES_NOT_LOADED = (
    "no source entry: no mapping source is loaded yet; refresh Fribb and Otaku "
    "(Update on the dashboard, or `anitrakt refresh fribbs` and `anitrakt refresh otaku`)"
)
NO_IDS = (
    "no ids: the mapping sources list this AniList id without a TMDB, IMDb or TVDB id "
    f"to search Trakt by; {MAP_BY_HAND}"
)
# Followed by the searches that were made, then "; " and MAP_BY_HAND.
NO_TRAKT_MATCH = "no Trakt match"

SearchIdType = Literal["tmdb", "imdb", "tvdb"]
# The TMDB id namespace each Trakt type lives in.
TMDB_KIND_OF = {TraktType.SHOW: TmdbKind.TV, TraktType.MOVIE: TmdbKind.MOVIE}


@dataclass(frozen=True, slots=True)
class KnownIds:
    """The external ids known for one entry; `tmdb_kind` None when the source did not say."""

    tmdb_id: int | None = None
    tmdb_kind: TmdbKind | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None

    @property
    def empty(self) -> bool:
        return self.tmdb_id is None and self.imdb_id is None and self.tvdb_id is None

    def filled(self, other: KnownIds) -> KnownIds:
        """These ids with the gaps filled from `other`; an id already known is never replaced."""
        tmdb_id, tmdb_kind = self.tmdb_id, self.tmdb_kind
        if tmdb_id is None:
            tmdb_id, tmdb_kind = other.tmdb_id, other.tmdb_kind
        return KnownIds(
            tmdb_id=tmdb_id,
            tmdb_kind=tmdb_kind,
            imdb_id=self.imdb_id if self.imdb_id is not None else other.imdb_id,
            tvdb_id=self.tvdb_id if self.tvdb_id is not None else other.tvdb_id,
        )

    def searches(self, kind: TraktType) -> list[tuple[SearchIdType, int | str]]:
        """The Trakt id searches to try, in docs/resolution.md order: tmdb, then imdb, then tvdb.

        TMDB numbers TV shows and movies separately, so a TMDB id is only searched as
        the kind it belongs to (a TV id searched as a movie would find an unrelated film).
        Trakt movies carry no TVDB id, so movies are never searched by one.
        """
        found: list[tuple[SearchIdType, int | str]] = []
        if self.tmdb_id is not None and self.tmdb_kind in (None, TMDB_KIND_OF[kind]):
            found.append(("tmdb", self.tmdb_id))
        if self.imdb_id is not None:
            found.append(("imdb", self.imdb_id))
        if self.tvdb_id is not None and kind is TraktType.SHOW:
            found.append(("tvdb", self.tvdb_id))
        return found


def ids_of(entry: SourceEntry | None) -> KnownIds:
    """The external ids one source entry carries."""
    if entry is None:
        return KnownIds()
    return KnownIds(entry.tmdb_id, entry.tmdb_kind, entry.imdb_id, entry.tvdb_id)


@dataclass(frozen=True, slots=True)
class Candidate:
    """Everything known about an unmapped AniList entry before asking any upstream."""

    anilist_id: int
    kind: TraktType
    ids: KnownIds
    hint: SeasonHint | None = None
    otaku_trakt_id: int | None = None
    in_sources: bool = False

    def mapping(self, trakt_id: int, ids: KnownIds | None = None) -> IdMapping:
        """The auto mapping for a hit: every id learned, the type, the season hint."""
        known = self.ids if ids is None else ids
        hint = self.hint if self.kind is TraktType.SHOW else None
        return IdMapping(
            anilist_id=self.anilist_id,
            trakt_id=trakt_id,
            tmdb_id=known.tmdb_id,
            imdb_id=known.imdb_id,
            tvdb_id=known.tvdb_id,
            manual=False,
            trakt_type=self.kind,
            trakt_season=None if hint is None else hint.season,
            episode_offset=None if hint is None else hint.offset,
        )

    def with_ids(self, ids: KnownIds) -> Candidate:
        return replace(self, ids=ids)


def trakt_kind(media: Media, ids: KnownIds, hit: SourceHit | None) -> TraktType:
    """Movie when AniList says MOVIE or the TMDB id is a movie id, else a show.

    Only when AniList's format is unknown (e.g. a single-show sync by id) do the
    sources' own media types decide.
    """
    if media.is_movie or ids.tmdb_kind is TmdbKind.MOVIE:
        return TraktType.MOVIE
    if media.format is None and hit is not None:
        entries = (hit.fribb, hit.anibridge, hit.otaku)
        if any(entry is not None and entry.is_movie for entry in entries):
            return TraktType.MOVIE
    return TraktType.SHOW


def candidate(media: Media, hit: SourceHit | None, stored: KnownIds | None = None) -> Candidate:
    """Merge what the sources (Fribb, anibridge, then Otaku) and a stored row know about `media`."""
    ids = KnownIds()
    if hit is not None:
        ids = ids_of(hit.fribb).filled(ids_of(hit.anibridge)).filled(ids_of(hit.otaku))
    if stored is not None:
        ids = ids.filled(stored)
    otaku_trakt = hit.otaku.trakt_id if hit is not None and hit.otaku is not None else None
    return Candidate(
        anilist_id=media.id,
        kind=trakt_kind(media, ids, hit),
        ids=ids,
        hint=hit.season_hint() if hit is not None else None,
        otaku_trakt_id=otaku_trakt,
        in_sources=hit is not None and hit.found,
    )
