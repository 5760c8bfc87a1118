"""Which Trakt episodes each AniList entry of a show claims, so no entry takes another's. Pure.

An entry claims the episodes its best source places it on — the same order as the
rule chain: a manual hint, else its anibridge lines for this show, else its Fribb or
Otaku hint. A hint claims from its first episode for the entry's episode count, and
only inside the hinted season: it is the flowing on past a season that the claims
guard against, so a hint's own overflow claims nothing. Lines claim every target
episode they name (an open one, to the end of its season as Trakt lists it). An entry
with no hint and no lines claims nothing: counting absolutely is the weakest guess and
must not block an entry that has a real source.

The caller builds claims from every entry it knows on the show — the whole mapping
index, not only the person's list — with the episode count AniList gives (for an
entry still airing, the latest aired episode). docs/placement.md has the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from anitrakt.domain.anibridge import TargetLines
from anitrakt.domain.episodes import (
    EpisodeRef,
    Miss,
    as_trakt_lists,
    episode_at_abs,
    hinted_abs,
    special_at,
)
from anitrakt.domain.placement import Claims, EntryFacts, ShowFacts, lines_for_show
from anitrakt.domain.values import SeasonHint

# No season is longer than this (One Piece's longest TMDB season has ~200 episodes).
MAX_OPEN_SPAN = 5000


def entry_claims(
    show: ShowFacts, entry: EntryFacts, episode_count: int | None
) -> frozenset[tuple[int, int]]:
    """The (season, number) Trakt episodes `entry`'s best source places it on."""
    if entry.manual_hint is not None:
        return _hint_claims(show, entry.manual_hint, episode_count)
    lines = lines_for_show(entry.ranges, show)
    if lines is not None:
        return _line_claims(show, lines)
    if entry.source_hint is not None:
        hint = SeasonHint(entry.source_hint.season, entry.source_hint.offset)
        return _hint_claims(show, hint, episode_count)
    return frozenset()


def build_claims(show: ShowFacts, entries: Iterable[tuple[EntryFacts, int | None]]) -> Claims:
    """(season, number) → the ids claiming it, over `(entry, episode count)` pairs."""
    owners: dict[tuple[int, int], set[int]] = {}
    for entry, count in entries:
        for target in entry_claims(show, entry, count):
            owners.setdefault(target, set()).add(entry.anilist_id)
    return {target: frozenset(ids) for target, ids in owners.items()}


def with_claims(show: ShowFacts, entries: Iterable[tuple[EntryFacts, int | None]]) -> ShowFacts:
    """`show` with the claims of `entries` filled in."""
    return replace(show, claims=build_claims(show, entries))


def _hint_claims(
    show: ShowFacts, hint: SeasonHint, episode_count: int | None
) -> frozenset[tuple[int, int]]:
    count = max(episode_count or 1, 1)
    claimed: set[tuple[int, int]] = set()
    for e in range(1, count + 1):
        found: EpisodeRef | Miss
        if hint.season == 0:
            found = special_at(show.episodes, e + hint.offset)
        else:
            abs_number = hinted_abs(e, hint, show.episodes)
            if abs_number is None:
                break
            found = episode_at_abs(show.episodes, abs_number)
        if isinstance(found, Miss) or found.season != hint.season:
            break
        claimed.add((found.season, found.number))
    return frozenset(claimed)


def _line_claims(show: ShowFacts, lines: Iterable[TargetLines]) -> frozenset[tuple[int, int]]:
    claimed: set[tuple[int, int]] = set()
    for target in lines:
        season = target.key.season
        if season is None:
            continue
        for line in target.lines:
            for span in line.target.spans:
                # An open span runs on to the first number Trakt does not list.
                last = span.end if span.end is not None else span.start + MAX_OPEN_SPAN
                for number in range(span.start, last + 1):
                    found = as_trakt_lists(show.episodes, season, number)
                    if isinstance(found, Miss):
                        if span.end is None:
                            break
                        continue
                    claimed.add((found[0].season, found[0].number))
    return frozenset(claimed)
