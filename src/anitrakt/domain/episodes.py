"""AniList episode number → Trakt season/episode (docs/placement.md). Pure: values in, values out.

Vocabulary
- *episode list*: a show's regular seasons (number ≥ 1) in Trakt's order, each season's
  episodes in Trakt's order, flattened; `global` is the 1-based position in that list.
  Specials (season 0) are kept beside it for season-0 hints.
- *breakpoints*: where each regular season starts in show-absolute numbering — the
  smallest `number_abs` of its episodes when Trakt has them, else where the previous
  season ended (cumulative counts).
- *abs*: the show-absolute number of an AniList episode: `starts_at(s) + o + e − 1` with
  a season hint `s ≥ 1` and offset `o`, else `e` itself (long runners count absolutely).

An abs lands on the k-th episode *as Trakt lists it* of the season it falls in, and we
post that episode's real season and number — never a number computed by arithmetic,
because some long runners number episodes absolutely inside each season (S15E326).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from anitrakt.domain.instants import parse_instant
from anitrakt.domain.values import SeasonHint

# (season, number) that an override sends one show-absolute episode to.
OverrideTarget = tuple[int, int]


@dataclass(frozen=True, slots=True)
class EpisodeRef:
    """One Trakt episode: its real season and number, `number_abs` and `first_aired` when known."""

    season: int
    number: int
    number_abs: int | None = None
    trakt_id: int | None = None
    first_aired: datetime | None = None


@dataclass(frozen=True, slots=True)
class Breakpoint:
    season: int
    starts_at: int


@dataclass(frozen=True, slots=True)
class EpisodeList:
    """A show's episodes as Trakt lists them: regular seasons in order, and specials."""

    regular: tuple[EpisodeRef, ...]
    specials: tuple[EpisodeRef, ...] = ()
    breakpoints: tuple[Breakpoint, ...] = field(init=False)
    _by_season: Mapping[int, tuple[EpisodeRef, ...]] = field(init=False, repr=False)
    _index: Mapping[tuple[int, int], int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_season: dict[int, list[EpisodeRef]] = {}
        for episode in self.regular:
            by_season.setdefault(episode.season, []).append(episode)
        object.__setattr__(self, "_by_season", {s: tuple(e) for s, e in by_season.items()})
        object.__setattr__(self, "breakpoints", compute_breakpoints(self.regular))
        index = {(e.season, e.number): i for i, e in enumerate(self.regular)}
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_episodes(cls, episodes: Iterable[EpisodeRef]) -> EpisodeList:
        """Split any episodes into regular seasons (keeping Trakt's order) and specials."""
        regular: list[EpisodeRef] = []
        specials: list[EpisodeRef] = []
        for episode in episodes:
            (specials if episode.season == 0 else regular).append(episode)
        return cls(tuple(regular), tuple(specials))

    def season(self, number: int) -> tuple[EpisodeRef, ...]:
        """Episodes of one regular season in Trakt's order (empty when it has none)."""
        return self._by_season.get(number, ())

    def has_season(self, number: int) -> bool:
        return bool(self.specials) if number == 0 else number in self._by_season

    def starts_at(self, season: int) -> int | None:
        """The show-absolute number a regular season starts at; None when Trakt lacks it."""
        return next((p.starts_at for p in self.breakpoints if p.season == season), None)

    def find(self, season: int, number: int) -> EpisodeRef | None:
        """The episode Trakt lists as S`season`E`number` (season 0 = specials)."""
        if season == 0:
            return next((e for e in self.specials if e.number == number), None)
        index = self._index.get((season, number))
        return None if index is None else self.regular[index]

    def position(self, season: int, number: int) -> int | None:
        """0-based place of a regular episode in the flattened list (None for specials)."""
        return self._index.get((season, number))

    @property
    def last_abs(self) -> int | None:
        """The show-absolute number of the last known regular episode."""
        if not self.breakpoints:
            return None
        last = self.breakpoints[-1]
        return last.starts_at + len(self.season(last.season)) - 1


def compute_breakpoints(regular: Sequence[EpisodeRef]) -> tuple[Breakpoint, ...]:
    """Where each regular season starts in show-absolute numbering, in Trakt's order."""
    seasons: dict[int, list[EpisodeRef]] = {}
    for episode in regular:
        seasons.setdefault(episode.season, []).append(episode)
    points: list[Breakpoint] = []
    next_start = 1
    for season, episodes in seasons.items():
        absolute = [e.number_abs for e in episodes if e.number_abs is not None and e.number_abs > 0]
        starts_at = min(absolute) if absolute else next_start
        # Keep the map increasing even if Trakt's number_abs runs backwards somewhere.
        if points and starts_at <= points[-1].starts_at:
            starts_at = next_start
        points.append(Breakpoint(season, starts_at))
        next_start = starts_at + len(episodes)
    return tuple(points)


@dataclass(frozen=True, slots=True)
class Miss:
    """Why no episode Trakt lists is the one asked for.

    `pending` when Trakt may just not list it yet (nothing is posted, it waits); False
    when the sources contradict each other, which placement holds for review.
    `past_end`: it falls after the last episode Trakt lists, so a fresher episode list
    may have it (the sync refetches once).
    """

    reason: str
    pending: bool = True
    past_end: bool = False


def hinted_abs(anilist_episode: int, hint: SeasonHint | None, episodes: EpisodeList) -> int | None:
    """`starts_at(s) + o + e − 1` for a regular-season hint, `e` without one.

    None when the hinted season is not on Trakt (or is season 0, which has no abs).
    """
    if hint is None:
        return anilist_episode
    starts_at = episodes.starts_at(hint.season) if hint.season != 0 else None
    return None if starts_at is None else starts_at + hint.offset + anilist_episode - 1


def episode_at_abs(episodes: EpisodeList, abs_number: int) -> EpisodeRef | Miss:
    """The k-th episode *as Trakt lists it* of the season `abs_number` falls in.

    k = abs − starts_at + 1; a season shorter than the map implies (gaps in
    `number_abs`) overflows into the next season in Trakt's order.
    """
    points = episodes.breakpoints
    if not points:
        return Miss("Trakt lists no episodes for this show")
    index = bisect.bisect_right([p.starts_at for p in points], abs_number) - 1
    if index < 0:
        return Miss(f"before the first Trakt episode ({abs_number})")
    k = abs_number - points[index].starts_at + 1
    while True:
        season_episodes = episodes.season(points[index].season)
        if k <= len(season_episodes):
            return season_episodes[k - 1]
        if index + 1 >= len(points):
            return Miss(f"episode {abs_number} is past the last episode Trakt lists", past_end=True)
        k -= len(season_episodes)
        index += 1


def special_at(episodes: EpisodeList, position: int) -> EpisodeRef | Miss:
    """The `position`-th special (season 0) as Trakt lists them."""
    if not episodes.specials:
        return Miss("Trakt lists no specials (season 0) for this show")
    if not 1 <= position <= len(episodes.specials):
        return Miss(f"special {position} is past the last special Trakt lists", past_end=True)
    return episodes.specials[position - 1]


def as_trakt_lists(
    episodes: EpisodeList, season: int, number: int
) -> tuple[EpisodeRef, str | None] | Miss:
    """The episode a source calls S`season`E`number`, as Trakt lists it, and how it was read.

    By its number first. A source may number a season from 1 where Trakt numbers it
    absolutely (S15E326…), or the other way round: the first is read as the n-th
    episode of Trakt's season, the second through Trakt's own `number_abs`; neither is
    ever guessed from arithmetic alone. Past the end of the last season it is pending;
    any other gap is a contradiction (`Miss.pending` False).
    """
    label = f"S{season}E{number}"
    listed = episodes.specials if season == 0 else episodes.season(season)
    if not listed:
        regular = [p.season for p in episodes.breakpoints]
        if season == 0 or not regular or season > max(regular):
            return Miss(f"Trakt lists no season {season} (yet) for {label}")
        return Miss(f"{label}: Trakt has no season {season}", pending=False)
    for episode in listed:
        if episode.number == number:
            return episode, None
    numbers = [e.number for e in listed]
    first = numbers[0]
    if first > 1 and numbers == list(range(first, first + len(numbers))) and number <= len(listed):
        episode = listed[number - 1]
        return (
            episode,
            f"{label} is S{season}E{episode.number}: Trakt numbers season {season} from {first}",
        )
    for episode in listed:
        if episode.number_abs == number:
            return episode, f"{label} is S{season}E{episode.number} by Trakt's absolute number"
    last_season = season == 0 or season == episodes.breakpoints[-1].season
    if number > max(numbers) and last_season:
        return Miss(f"{label} is past the last episode Trakt lists", past_end=True)
    return Miss(f"Trakt's season {season} has no episode {number} ({label})", pending=False)


# --- the seed's cache shapes -------------------------------------------------------


def episodes_cache_value(episodes: EpisodeList) -> list[dict[str, Any]]:
    """`trakt:show:<id>:episodes`: `[{global, season, episode, traktEpId}]` (+ `abs`).

    Regular episodes carry their 1-based `global` position; specials follow with
    `global: null` so season-0 hints work from the cache too. `firstAired` (ISO-8601)
    is written only for episodes whose air date Trakt gave, for the air-date check.
    """
    rows = [_cache_row(i, e) for i, e in enumerate(episodes.regular, start=1)]
    rows.extend(_cache_row(None, e) for e in episodes.specials)
    return rows


def _cache_row(position: int | None, episode: EpisodeRef) -> dict[str, Any]:
    row: dict[str, Any] = {
        "global": position,
        "season": episode.season,
        "episode": episode.number,
        "traktEpId": episode.trakt_id,
        "abs": episode.number_abs,
    }
    if episode.first_aired is not None:
        row["firstAired"] = episode.first_aired.isoformat()
    return row


def episodes_from_cache(rows: Any) -> EpisodeList | None:
    """The EpisodeList a cache value describes, or None when it is not one we wrote."""
    if not isinstance(rows, list):
        return None
    refs = []
    for row in rows:
        if not isinstance(row, dict):
            return None
        season, number = row.get("season"), row.get("episode")
        if not isinstance(season, int) or not isinstance(number, int):
            return None
        abs_value, trakt_id = row.get("abs"), row.get("traktEpId")
        aired = row.get("firstAired")
        refs.append(
            EpisodeRef(
                season,
                number,
                abs_value if isinstance(abs_value, int) else None,
                trakt_id if isinstance(trakt_id, int) else None,
                parse_instant(aired) if isinstance(aired, str) else None,
            )
        )
    return EpisodeList.from_episodes(refs)


def breakpoints_cache_value(episodes: EpisodeList) -> list[dict[str, int]]:
    """`map:<traktId>`: `[{season, starts_at}]`."""
    return [{"season": p.season, "starts_at": p.starts_at} for p in episodes.breakpoints]
