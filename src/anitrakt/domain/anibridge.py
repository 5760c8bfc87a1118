"""anibridge-mappings v3 entries: which target episode an AniList episode is. Pure.

The release file maps source descriptors to target descriptors to range lines:

    "anilist:145064": {"tmdb_show:95479:s1": {"1-23": "25-47"}, "mal:51009": {"1": "1"}}

A target descriptor is `provider:id[:scope]`: shows (`tmdb_show`, `tvdb_show`,
`imdb_show`) need a season scope `sN` (`s0` = specials), `anidb` an episode-type scope
(`R`, `S`, …), the others none. Every provider the format names parses into a
`TargetKey`; placement reads only `tmdb_show`, `tvdb_show` and `tmdb_movie` lines (the
others carry ids for resolution). Keys starting with `$` are metadata and skipped at
every level; malformed keys and lines are skipped and counted (`ParseCounts`).

`locate` answers "AniList episode e of this entry is which target episode?": of the
lines covering e, the most specific wins — a closed range before an open one, a
narrower before a wider, of two open ones the later start. Two equally specific lines
that name different target episodes are a `RangeConflict`, never a guess. The range
grammar itself lives in `anitrakt.domain.ranges`; docs/placement.md has the whole story.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from anitrakt.domain.ranges import LineStatus, RangeLine, Span, parse_line


class Provider(StrEnum):
    """A database anibridge-mappings names; the value is the descriptor's prefix."""

    TMDB_SHOW = "tmdb_show"
    TVDB_SHOW = "tvdb_show"
    IMDB_SHOW = "imdb_show"
    TMDB_MOVIE = "tmdb_movie"
    TVDB_MOVIE = "tvdb_movie"
    IMDB_MOVIE = "imdb_movie"
    ANIDB = "anidb"
    ANILIST = "anilist"
    MAL = "mal"

    # Hash as the text does (equality already is the text's): members and their text
    # are then interchangeable as set and dict keys, and hashing stays in C.
    __hash__ = str.__hash__


SHOW_PROVIDERS = frozenset({Provider.TMDB_SHOW, Provider.TVDB_SHOW, Provider.IMDB_SHOW})
MOVIE_PROVIDERS = frozenset({Provider.TMDB_MOVIE, Provider.TVDB_MOVIE, Provider.IMDB_MOVIE})
# Lines placement reads; the rest of an entry only names ids.
PLACEMENT_PROVIDERS = frozenset({Provider.TMDB_SHOW, Provider.TVDB_SHOW, Provider.TMDB_MOVIE})
# Per provider prefix: the member, whether ids are IMDb `tt…` ids, and the scope it needs
# (a season `sN`, an AniDB episode type, or none).
_KEY_RULES: dict[str, tuple[Provider, bool, str | None]] = {
    p.value: (
        p,
        p in (Provider.IMDB_SHOW, Provider.IMDB_MOVIE),
        "season" if p in SHOW_PROVIDERS else "type" if p is Provider.ANIDB else None,
    )
    for p in Provider
}
_ALL_PROVIDERS = frozenset(Provider)
_REINTERPRETED, _DROPPED = LineStatus.REINTERPRETED, LineStatus.DROPPED
_ANILIST_KEY = re.compile(r"anilist:([1-9]\d{0,17})", re.ASCII)
# provider : id (digits, or tt+digits for IMDb) [: season sN | AniDB episode type]
_KEY = re.compile(r"([a-z_]{2,16}):(tt\d{1,12}|[1-9]\d{0,17})(?::(s\d{1,4}|[A-Z]))?", re.ASCII)


@dataclass(frozen=True, slots=True)
class TargetKey:
    """`tmdb_show:95479:s1` → provider, id (text: IMDb ids are `tt…`), season or scope."""

    provider: Provider
    id: str
    season: int | None = None
    scope: str | None = None

    @property
    def numeric_id(self) -> int | None:
        return int(self.id) if self.id.isdigit() else None

    @property
    def text(self) -> str:
        if self.season is not None:
            return f"{self.provider.value}:{self.id}:s{self.season}"
        if self.scope is not None:
            return f"{self.provider.value}:{self.id}:{self.scope}"
        return f"{self.provider.value}:{self.id}"


KeyFields = tuple[Provider, str, int | None, str | None]


def key_fields(text: object) -> KeyFields | None:
    """`parse_key` as a plain tuple (provider, id, season, scope): the release parser's
    hot path reads ~10^5 descriptors and needs no `TargetKey` for most of them."""
    if not isinstance(text, str):
        return None
    # One regex for every shape, then the provider's own rule: a release has ~10^5 keys.
    match = _KEY.fullmatch(text)
    if match is None:
        return None
    provider_text, item, scope = match.groups()
    rule = _KEY_RULES.get(provider_text)
    if rule is None:
        return None
    provider, imdb, scoped = rule
    if item.startswith("tt") != imdb:
        return None
    if scoped == "season":
        if scope is None or scope[0] != "s":
            return None
        return provider, item, int(scope[1:]), None
    if scoped == "type":
        return None if scope is None or scope[0] == "s" else (provider, item, None, scope)
    return None if scope is not None else (provider, item, None, None)


def parse_key(text: object) -> TargetKey | None:
    """A descriptor such as `tmdb_show:95479:s1`; None when it is not a well-formed one."""
    fields = key_fields(text)
    return None if fields is None else TargetKey(*fields)


def parse_anilist_key(text: str) -> int | None:
    """The AniList id of a top-level `anilist:ID` key; None for any other key."""
    match = _ANILIST_KEY.fullmatch(text)
    return None if match is None else int(match.group(1))


@dataclass(slots=True)
class ParseCounts:
    """What reading entries skipped; summed over a whole file by the release parser."""

    keys_skipped: int = 0
    lines_skipped: int = 0
    lines_dropped: int = 0
    lines_reinterpreted: int = 0

    def add(self, other: ParseCounts) -> None:
        self.keys_skipped += other.keys_skipped
        self.lines_skipped += other.lines_skipped
        self.lines_dropped += other.lines_dropped
        self.lines_reinterpreted += other.lines_reinterpreted


@dataclass(frozen=True, slots=True)
class TargetLines:
    """Every usable line of one target descriptor, in the file's order."""

    key: TargetKey
    lines: tuple[RangeLine, ...]


@dataclass(frozen=True, slots=True)
class EntryRanges:
    """One AniList entry's usable target descriptors and lines."""

    anilist_id: int
    targets: tuple[TargetLines, ...]
    counts: ParseCounts = field(default_factory=ParseCounts, compare=False)

    def keys_for(self, provider: Provider, item_id: int | str) -> tuple[TargetLines, ...]:
        """The descriptors naming one show or movie, e.g. every season of TMDB show 95479."""
        wanted = str(item_id)
        return tuple(t for t in self.targets if t.key.provider is provider and t.key.id == wanted)

    def locate(
        self, anilist_episode: int, provider: Provider, item_id: int | str | None = None
    ) -> RangeHit | RangeConflict | None:
        """Which `provider` episode AniList episode `anilist_episode` is (one id, or any)."""
        if item_id is not None:
            return locate(self.keys_for(provider, item_id), anilist_episode)
        return locate((t for t in self.targets if t.key.provider is provider), anilist_episode)

    def ids(self, provider: Provider) -> tuple[str, ...]:
        """The distinct ids this entry names for `provider`, in the file's order."""
        return tuple(dict.fromkeys(t.key.id for t in self.targets if t.key.provider is provider))

    def serialisable(self) -> dict[str, dict[str, str]]:
        """The normalised `{descriptor: {source: target}}` form (what a store keeps)."""
        return {t.key.text: dict(line.texts for line in t.lines) for t in self.targets}


def parse_entry(
    anilist_id: int,
    raw: Mapping[str, Any],
    providers: Iterable[Provider] | None = None,
) -> EntryRanges:
    """Read one entry's `{descriptor: {source: target}}`, keeping `providers` (default all).

    A descriptor whose value is `{}` is kept without lines: it still links the ids.
    """
    wanted = _ALL_PROVIDERS if providers is None else frozenset(providers)
    counts = ParseCounts()
    targets: list[TargetLines] = []
    for key_text, lines_raw in raw.items():
        if isinstance(key_text, str) and key_text.startswith("$"):
            continue
        key = parse_key(key_text)
        if key is None or not isinstance(lines_raw, dict):
            counts.keys_skipped += 1
            continue
        if key.provider in wanted:
            targets.append(TargetLines(key, read_lines(lines_raw, counts)))
    return EntryRanges(anilist_id, tuple(targets), counts)


def stored_entry(anilist_id: int, text: str) -> EntryRanges | None:
    """An entry's placement lines from the JSON text a store keeps; None when unreadable."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(raw, dict):
        return None
    return parse_entry(anilist_id, raw, PLACEMENT_PROVIDERS)


def read_lines(raw: Mapping[Any, Any], counts: ParseCounts) -> tuple[RangeLine, ...]:
    """The usable lines of one descriptor's `{source: target}`, counting the rest."""
    # A release has ~10^5 of these: plain checks and locals, no ABC isinstance.
    lines: list[RangeLine] = []
    for source_text, target_text in raw.items():
        if isinstance(source_text, str) and source_text.startswith("$"):
            continue
        line, status = parse_line(source_text, target_text)
        if line is not None:
            lines.append(line)
            if status is _REINTERPRETED:
                counts.lines_reinterpreted += 1
        elif status is _DROPPED:
            counts.lines_dropped += 1
        else:
            counts.lines_skipped += 1
    return tuple(lines)


@dataclass(frozen=True, slots=True)
class RangeHit:
    """AniList episode `anilist_episode` is target episode(s) `episodes` of `key`.

    More than one episode when one AniList episode spans several (a ratio n > 1).
    """

    anilist_episode: int
    key: TargetKey
    episodes: tuple[int, ...]
    line: RangeLine

    @property
    def season(self) -> int | None:
        return self.key.season


@dataclass(frozen=True, slots=True)
class RangeConflict:
    """Equally specific lines cover the episode and name different targets."""

    anilist_episode: int
    hits: tuple[RangeHit, ...]

    @property
    def reason(self) -> str:
        named = ", ".join(
            f"{hit.key.text} {hit.line.source.text}→{hit.line.target.text}" for hit in self.hits
        )
        return f"anibridge lines disagree on episode {self.anilist_episode}: {named}"


def locate(targets: Iterable[TargetLines], anilist_episode: int) -> RangeHit | RangeConflict | None:
    """Which target episode AniList episode `anilist_episode` is; None when no line covers it."""
    best: list[RangeHit] = []
    best_rank: tuple[int, int] | None = None
    for target in targets:
        for line in target.lines:
            episodes = line.target_episodes(anilist_episode)
            if not episodes:
                continue
            rank = line.specificity
            hit = RangeHit(anilist_episode, target.key, episodes, line)
            if best_rank is None or rank < best_rank:
                best, best_rank = [hit], rank
            elif rank == best_rank:
                best.append(hit)
    if not best:
        return None
    distinct = {(hit.key, hit.episodes) for hit in best}
    if len(distinct) > 1:
        return RangeConflict(anilist_episode, tuple(best))
    return best[0]


def claimed_spans(targets: Iterable[TargetLines]) -> tuple[tuple[TargetKey, Span], ...]:
    """Every target span an entry's lines name: what it claims of a show.

    Used for the rule that no entry overflows into another entry's episodes; an open
    span claims through the end of its season.
    """
    return tuple(
        (target.key, span)
        for target in targets
        for line in target.lines
        for span in line.target.spans
    )
