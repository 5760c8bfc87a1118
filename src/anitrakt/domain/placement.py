"""Where each AniList episode of an entry lands on its Trakt show: the rule chain. Pure.

The first rule that answers wins (docs/placement.md tells the whole story):

1. override — an `episode_override` row for the episode's show-absolute number, as is;
2. manual — a manual mapping's season hint and offset;
3. anibridge — the entry's anibridge-mappings lines for this show (`tmdb_show` with the
   Trakt show's TMDB id, else `tvdb_show` with its TVDB id), the target looked up as
   Trakt lists it (`episodes.as_trakt_lists`);
4./5. a Fribb or Otaku season hint, else absolute numbering (`abs = e`), each checked
   against the air dates first: a hint whose episode 1 aired elsewhere is corrected
   when the dates place the entry clearly (rule `airdate`) and held when they place it
   nowhere; a hint naming a season Trakt lacks is never counted absolutely.

Every result says which rule placed it. `Placed` is posted; `Pending` waits for Trakt to
list the episode; `NeedsReview` is held because the sources disagree or cannot settle
it, with the reason a person needs to fix it. Arithmetic placements (rules 2 and 4/5)
never land on an episode another entry claims (`ShowFacts.claims`, built by
`anitrakt.domain.claims.build_claims`): rule 2 may flow past its season only into unclaimed
episodes, rules 4/5 not even inside it.

`abs`, the key of `episode_override` rows, is `starts_at(s) + o + e − 1` with the manual
hint, else the Fribb/Otaku hint, and `e` without one (or when the hinted season is
missing, as before); season-0 hints have none. Movies are not placed here: a movie is
one play of the Trakt movie.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from anitrakt.domain.airdates import (
    Airing,
    HintCheck,
    Verdict,
    aired_on,
    check_hint,
    episode_by_date,
    same_day,
)
from anitrakt.domain.anibridge import EntryRanges, Provider, RangeConflict, TargetLines, locate
from anitrakt.domain.episodes import (
    EpisodeList,
    EpisodeRef,
    Miss,
    OverrideTarget,
    as_trakt_lists,
    episode_at_abs,
    hinted_abs,
    special_at,
)
from anitrakt.domain.values import SeasonHint, SourceName
from anitrakt.domain.values import SeasonHint as SourceHint


class Rule(StrEnum):
    """Why an episode landed where it did."""

    OVERRIDE = "override"
    MANUAL = "manual"
    ANIBRIDGE = "anibridge"
    AIRDATE = "airdate"
    FRIBB = "fribb"
    OTAKU = "otaku"
    ABSOLUTE = "absolute"


@dataclass(frozen=True, slots=True)
class Placed:
    """Post AniList episode `anilist_episode` as Trakt S`season`E`number` (and `also`).

    `also` holds further episodes when one AniList episode spans several on Trakt
    (an anibridge ratio n > 1); `note` records a disagreement the rule overcame.
    """

    anilist_episode: int
    rule: Rule
    season: int
    number: int
    trakt_id: int | None = None
    abs: int | None = None
    also: tuple[EpisodeRef, ...] = ()
    note: str | None = None

    @property
    def targets(self) -> tuple[tuple[int, int], ...]:
        """Every (season, number) to post for this AniList episode."""
        return ((self.season, self.number), *((e.season, e.number) for e in self.also))


@dataclass(frozen=True, slots=True)
class Pending:
    """Not on Trakt (yet): nothing is posted, the episode waits.

    `past_end`: after the last episode Trakt lists (a fresher episode list may have it).
    """

    anilist_episode: int
    reason: str
    rule: Rule | None = None
    abs: int | None = None
    past_end: bool = False


@dataclass(frozen=True, slots=True)
class NeedsReview:
    """Held, not posted: the sources disagree or cannot settle where it goes."""

    anilist_episode: int
    reason: str
    rule: Rule | None = None
    abs: int | None = None


Placement = Placed | Pending | NeedsReview
# (season, number) → the AniList ids whose placement claims that Trakt episode.
Claims = Mapping[tuple[int, int], frozenset[int]]


@dataclass(frozen=True, slots=True)
class ShowFacts:
    """One Trakt show: its episodes, its TMDB/TVDB ids, its overrides, who claims what.

    `overrides` are the show's `episode_override` rows (abs → (season, number));
    `claims` come from `anitrakt.domain.claims.build_claims`.
    """

    episodes: EpisodeList
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    overrides: Mapping[int, OverrideTarget] = field(default_factory=dict)
    claims: Claims = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """What the sources say about one AniList entry on that show."""

    anilist_id: int
    manual_hint: SeasonHint | None = None
    source_hint: SourceHint | None = None
    ranges: EntryRanges | None = None
    airing: Airing | None = None

    def abs_hint(self) -> SeasonHint | None:
        """The hint `episode_override.abs` is counted with: manual, else Fribb/Otaku."""
        if self.manual_hint is not None:
            return self.manual_hint
        if self.source_hint is None:
            return None
        return SeasonHint(self.source_hint.season, self.source_hint.offset)


def lines_for_show(ranges: EntryRanges | None, show: ShowFacts) -> tuple[TargetLines, ...] | None:
    """The anibridge lines for this Trakt show; None when the entry has none for it.

    `tmdb_show` lines with the show's TMDB id; `tvdb_show` lines with its TVDB id only
    when the entry has no `tmdb_show` lines at all (TVDB numbers seasons its own way,
    Trakt like TMDB). Descriptors without lines (`{}`, an id link) do not count.
    """
    if ranges is None:
        return None
    if show.tmdb_id is not None:
        lines = _with_lines(ranges.keys_for(Provider.TMDB_SHOW, show.tmdb_id))
        if lines:
            return lines
    has_tmdb = _with_lines(t for t in ranges.targets if t.key.provider is Provider.TMDB_SHOW)
    if show.tvdb_id is not None and not has_tmdb:
        lines = _with_lines(ranges.keys_for(Provider.TVDB_SHOW, show.tvdb_id))
        if lines:
            return lines
    return None


def _with_lines(targets: Iterable[TargetLines]) -> tuple[TargetLines, ...]:
    return tuple(t for t in targets if t.lines)


def _names_another_show(ranges: EntryRanges | None, show: ShowFacts) -> str | None:
    """The show descriptor an entry's lines name when none of them is for this show."""
    if ranges is None or (show.tmdb_id is None and show.tvdb_id is None):
        return None
    shows = [t.key for t in ranges.targets if t.key.provider in _SHOW_KEYS and t.lines]
    return shows[0].text if shows else None


_SHOW_KEYS = frozenset({Provider.TMDB_SHOW, Provider.TVDB_SHOW})


def place_episodes(
    show: ShowFacts, entry: EntryFacts, anilist_episodes: Iterable[int]
) -> tuple[Placement, ...]:
    """Where each of `anilist_episodes` of `entry` lands on `show`."""
    placer = EntryPlacer(show, entry)
    return tuple(placer.place(e) for e in anilist_episodes)


def place_episode(show: ShowFacts, entry: EntryFacts, anilist_episode: int) -> Placement:
    """Where one AniList episode lands (see `place_episodes` for many)."""
    return place_episodes(show, entry, (anilist_episode,))[0]


class EntryPlacer:
    """The rule chain for one entry on one show; `place(e)` answers for episode `e`.

    The air-date check is made once, on first use, so placing a whole entry costs one.
    """

    def __init__(self, show: ShowFacts, entry: EntryFacts) -> None:
        self.show = show
        self.entry = entry
        self.episodes = show.episodes
        self.lines = lines_for_show(entry.ranges, show)
        self.other_show = None if self.lines else _names_another_show(entry.ranges, show)
        self._check: HintCheck | None = None
        self._checked = False

    def place(self, e: int) -> Placement:
        abs_number = self._abs(e)
        override = None if abs_number is None else self.show.overrides.get(abs_number)
        if override is not None:
            found = self.episodes.find(*override)
            trakt_id = None if found is None else found.trakt_id
            return Placed(e, Rule.OVERRIDE, override[0], override[1], trakt_id, abs_number)
        if self.entry.manual_hint is not None:
            return self._manual(e, self.entry.manual_hint, abs_number)
        if self.lines is not None:
            return self._anibridge(e, self.lines, abs_number)
        if self.other_show is not None:
            reason = f"anibridge maps this entry to {self.other_show}, not to this Trakt show"
            return NeedsReview(e, reason, Rule.ANIBRIDGE, abs_number)
        return self._hinted(e, abs_number)

    def _abs(self, e: int) -> int | None:
        hint = self.entry.abs_hint()
        if hint is not None and hint.season == 0:
            return None
        number = hinted_abs(e, hint, self.episodes)
        return e if number is None else number

    # -- rule 2 ---------------------------------------------------------------------

    def _manual(self, e: int, hint: SeasonHint, abs_number: int | None) -> Placement:
        if hint.season == 0:
            return self._found(e, special_at(self.episodes, e + hint.offset), Rule.MANUAL, None)
        if not self.episodes.has_season(hint.season):
            reason = f"the manual mapping names season {hint.season}, which Trakt does not list"
            return NeedsReview(e, reason, Rule.MANUAL, abs_number)
        assert abs_number is not None
        found = episode_at_abs(self.episodes, abs_number)
        if isinstance(found, EpisodeRef) and found.season != hint.season:
            return self._unclaimed(e, found, Rule.MANUAL, abs_number)
        return self._found(e, found, Rule.MANUAL, abs_number)

    # -- rule 3 ---------------------------------------------------------------------

    def _anibridge(
        self, e: int, lines: tuple[TargetLines, ...], abs_number: int | None
    ) -> Placement:
        hit = locate(lines, e)
        if isinstance(hit, RangeConflict):
            return NeedsReview(e, hit.reason, Rule.ANIBRIDGE, abs_number)
        if hit is None:
            return self._uncovered(e, lines, abs_number)
        season = hit.season
        assert season is not None  # show descriptors always carry a season
        found: list[EpisodeRef] = []
        notes: list[str] = []
        for number in hit.episodes:
            result = as_trakt_lists(self.episodes, season, number)
            if isinstance(result, Miss):
                if not found:
                    return self._missed(e, result, Rule.ANIBRIDGE, abs_number)
                notes.append(result.reason)
                continue
            episode, note = result
            found.append(episode)
            if note:
                notes.append(note)
        first = found[0]
        return Placed(
            e,
            Rule.ANIBRIDGE,
            first.season,
            first.number,
            first.trakt_id,
            abs_number,
            tuple(found[1:]),
            "; ".join(notes) or None,
        )

    def _uncovered(
        self, e: int, lines: tuple[TargetLines, ...], abs_number: int | None
    ) -> Placement:
        """An episode the entry's lines for this show leave out: only its air date may place it."""
        covered = ", ".join(f"{t.key.text} {line.source.text}" for t in lines for line in t.lines)
        airing = self.entry.airing
        day = None if airing is None else airing.scheduled_on(e)
        if day is not None:
            for pool in (self.episodes.regular, self.episodes.specials):
                matching = [ep for ep in pool if same_day(day, ep)]
                if len(matching) == 1:
                    note = f"anibridge has no line for episode {e}; it aired {day}"
                    return self._unclaimed(e, matching[0], Rule.AIRDATE, abs_number, note)
                if matching:
                    break
        reason = f"anibridge maps only {covered} of this entry to this show, not episode {e}"
        return NeedsReview(e, reason, Rule.ANIBRIDGE, abs_number)

    # -- rules 4 and 5 --------------------------------------------------------------

    def _hinted(self, e: int, abs_number: int | None) -> Placement:
        source = self.entry.source_hint
        if source is None:
            rule = Rule.ABSOLUTE
        else:
            rule = Rule.OTAKU if source.source is SourceName.OTAKU else Rule.FRIBB
        hint = None if source is None else SeasonHint(source.season, source.offset)
        if hint is not None and hint.season == 0:
            return self._unclaimed_or_miss(
                e, special_at(self.episodes, e + hint.offset), rule, None
            )
        check = self._hint_check(hint)
        if check is not None and check.verdict is Verdict.CORRECTED:
            assert self.entry.airing is not None
            found = episode_by_date(self.entry.airing, self.episodes, check.alignment, e)
            return self._unclaimed_or_miss(e, found, Rule.AIRDATE, abs_number, check.note)
        if check is not None and check.verdict is Verdict.NO_MATCH:
            return NeedsReview(
                e, f"{rule.value} hint disagrees with the air dates: {check.note}", rule, abs_number
            )
        if hint is not None and not self.episodes.has_season(hint.season):
            reason = f"{rule.value} names season {hint.season}, which Trakt does not list"
            if check is not None:
                reason += f"; air dates cannot settle it ({check.note})"
            return NeedsReview(e, reason, rule, abs_number)
        assert abs_number is not None
        found = episode_at_abs(self.episodes, abs_number)
        note = None if check is None or check.verdict is Verdict.AGREES else check.note
        if check is not None and isinstance(found, EpisodeRef):
            dated = self._own_date(e, found)
            if dated is not None:
                return self._unclaimed_or_miss(e, dated[0], Rule.AIRDATE, abs_number, dated[1])
        return self._unclaimed_or_miss(e, found, rule, abs_number, note)

    def _own_date(self, e: int, found: EpisodeRef) -> tuple[EpisodeRef | Miss, str] | None:
        """Episode `e`'s own schedule date against where the hint puts it.

        None when they agree (or either date is unknown). Otherwise the one Trakt
        episode aired that day — K-On!'s 13th aired in 2009, a special, not K-On!!'s
        first in 2010 — or a miss when no episode or several aired then.
        """
        airing = self.entry.airing
        day = None if airing is None else airing.scheduled_on(e)
        if day is None or found.first_aired is None or same_day(day, found):
            return None
        where = f"S{found.season}E{found.number} aired {aired_on(found)}"
        for pool in (self.episodes.regular, self.episodes.specials):
            matching = [ep for ep in pool if same_day(day, ep)]
            if len(matching) == 1:
                moved = matching[0]
                note = (
                    f"the hint puts episode {e} on {where}, but it aired {day}: "
                    f"placed on S{moved.season}E{moved.number}"
                )
                return moved, note
            if matching:
                break
        reason = f"episode {e} aired {day}, but the hint puts it on {where}"
        return Miss(reason, pending=False), reason

    def _hint_check(self, hint: SeasonHint | None) -> HintCheck | None:
        """The air-date check of the hint's episode 1, made once per entry (None: no dates)."""
        airing = self.entry.airing
        if airing is None or not airing.has_dates:
            return None
        if not self._checked:
            self._checked = True
            first_abs = hinted_abs(1, hint, self.episodes)
            first = None if first_abs is None else episode_at_abs(self.episodes, first_abs)
            # A first episode past Trakt's list has not aired there yet: nothing to weigh.
            if not isinstance(first, Miss):
                self._check = check_hint(airing, self.episodes, first)
        return self._check

    # -- shared ---------------------------------------------------------------------

    def _found(
        self,
        e: int,
        found: EpisodeRef | Miss,
        rule: Rule,
        abs_number: int | None,
        note: str | None = None,
    ) -> Placement:
        if isinstance(found, Miss):
            return self._missed(e, found, rule, abs_number)
        return Placed(e, rule, found.season, found.number, found.trakt_id, abs_number, note=note)

    def _missed(self, e: int, miss: Miss, rule: Rule, abs_number: int | None) -> Placement:
        if miss.pending:
            return Pending(e, miss.reason, rule, abs_number, miss.past_end)
        return NeedsReview(e, miss.reason, rule, abs_number)

    def _unclaimed_or_miss(
        self,
        e: int,
        found: EpisodeRef | Miss,
        rule: Rule,
        abs_number: int | None,
        note: str | None = None,
    ) -> Placement:
        if isinstance(found, Miss):
            return self._missed(e, found, rule, abs_number)
        return self._unclaimed(e, found, rule, abs_number, note)

    def _unclaimed(
        self, e: int, found: EpisodeRef, rule: Rule, abs_number: int | None, note: str | None = None
    ) -> Placement:
        """Place on `found` unless another entry claims it."""
        others = self.show.claims.get((found.season, found.number), frozenset()) - {
            self.entry.anilist_id
        }
        if others:
            owners = ", ".join(f"AniList {i}" for i in sorted(others))
            reason = f"S{found.season}E{found.number} belongs to {owners}"
            if note:
                reason += f" ({note})"
            return NeedsReview(e, reason, rule, abs_number)
        placed = Placed(e, rule, found.season, found.number, found.trakt_id, abs_number)
        return replace(placed, note=note) if note else placed


_SOURCE_RULES = {SourceName.FRIBB: Rule.FRIBB, SourceName.OTAKU: Rule.OTAKU}
