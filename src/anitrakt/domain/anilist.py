"""What anitrakt reads from AniList, as plain values, and how activity progress reads.

The AniList client turns wire JSON into these types; everything past `clients/` works
with them only. `parse_progress` is the one rule for reading a list activity's progress
text, e.g. `"4 - 6"` (docs/sync.md: every episode in a range counts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from anitrakt.domain.airdates import Airing
from anitrakt.errors import InputError

# AniList's `format` of a film; every other format (TV, ONA, OVA, SPECIAL…) is a show.
MOVIE_FORMAT = "MOVIE"
# No anime has come close to this many episodes (long runners are in the low thousands);
# the cap keeps a corrupt or hostile range such as "10 - 100000" from expanding into
# unbounded work.
MAX_PROGRESS_RANGE = 5000

# AniList writes a range as "4 - 6"; accept "4-6" and stray spaces too. ASCII digits only,
# at most 9 of them, so int() never sees a pathological string.
_PROGRESS_RE = re.compile(r"\s*(\d{1,9})\s*(?:-\s*(\d{1,9})\s*)?", re.ASCII)


@dataclass(frozen=True, slots=True)
class Media:
    """An anime as AniList describes it (only what the sync needs)."""

    id: int
    title_romaji: str | None = None
    title_english: str | None = None
    episodes: int | None = None
    format: str | None = None
    # `coverImage.medium`: the thumbnail's URL on AniList's CDN (docs/covers.md).
    cover_url: str | None = None

    @property
    def is_movie(self) -> bool:
        """Whether AniList files it as a film (one play on Trakt, not episodes)."""
        return self.format == MOVIE_FORMAT

    @property
    def title(self) -> str:
        """The best title to show a person, falling back to the id."""
        return self.title_english or self.title_romaji or f"AniList #{self.id}"


@dataclass(frozen=True, slots=True)
class MediaDetails:
    """An anime and when it aired: what placement by air dates needs from AniList."""

    media: Media
    airing: Airing


@dataclass(frozen=True, slots=True)
class ListActivity:
    """One `ANIME_LIST` activity: e.g. "watched episode" with progress "4 - 6"."""

    id: int
    status: str
    progress_text: str | None
    episodes: tuple[int, ...]
    created_at: int
    media: Media


@dataclass(frozen=True, slots=True)
class MediaListEntry:
    """One entry of a person's anime list; `score` is in the list's score format.

    `created_at` (unix seconds) is when the entry was added to the list: 0 when it was
    not asked for.
    """

    media: Media
    status: str
    progress: int
    score: float
    repeat: int
    completed_at: date | None
    updated_at: int
    created_at: int = 0


@dataclass(frozen=True, slots=True)
class AniListLibrary:
    """A person's whole anime list, every status, and the score format it is kept in.

    `score_format` is AniList's `mediaListOptions.scoreFormat` (None when AniList did not
    say); `entries` hold each media once.
    """

    score_format: str | None
    entries: tuple[MediaListEntry, ...]


@dataclass(frozen=True, slots=True)
class AniListUser:
    id: int
    name: str


def parse_progress(text: str | None) -> tuple[int, ...]:
    """Every episode a progress text names: "5" → (5,), "4 - 6" → (4, 5, 6), None → ()."""
    if text is None or not text.strip():
        return ()
    match = _PROGRESS_RE.fullmatch(text)
    if match is None:
        raise InputError(
            f"progress {text!r} is not an episode number or a range like '4 - 6'",
            field="progress",
        )
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) is not None else first
    if first < 1:
        raise InputError(f"progress {text!r}: episodes start at 1", field="progress")
    if last < first:
        raise InputError(f"progress {text!r}: the range ends before it starts", field="progress")
    if last - first + 1 > MAX_PROGRESS_RANGE:
        raise InputError(
            f"progress {text!r} spans more than {MAX_PROGRESS_RANGE} episodes",
            field="progress",
        )
    return tuple(range(first, last + 1))
