"""Air-date alignment: where an AniList entry sits on a Trakt show, by when it aired. Pure.

AniList gives an entry's `startDate`/`endDate` (Japanese calendar days) and, for most
recent shows, an `airingSchedule` (episode → `airingAt`, unix seconds); Trakt gives each
episode's `first_aired` (an instant). Two days match when they are at most
`TOLERANCE_DAYS` apart: AniList's day is taken in Japan (where its dates are), Trakt's
in UTC, and a late-night broadcast falls on different days in different zones.

Where episode 1 is (`align_first_episode`) is *clear* when exactly one place fits:
a Trakt episode aired on episode 1's day, and, where the schedule dates the next
episodes (up to `CORROBORATE` in all), the episodes after it aired on theirs too. Two
fitting places next to each other on one day (a double premiere) count as one, the
first; otherwise several are told apart only by `endDate` landing on the entry's last
episode, else the answer is *ambiguous*. Regular episodes are tried first, specials
(season 0) only when no regular episode fits. Missing dates on either side make the
answer *no dates*, which is never read as a disagreement.

`check_hint` weighs a season hint's first episode against that (agrees / corrected to
another place / matches nothing / cannot tell), and `episode_by_date` finds each later
episode from its own schedule date, so a recap Trakt lists in between shifts nothing.
docs/placement.md describes how placement uses these answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

from anitrakt.domain.episodes import EpisodeList, EpisodeRef, Miss

TOLERANCE_DAYS = 1
CORROBORATE = 3
JAPAN = timezone(timedelta(hours=9), "JST")


@dataclass(frozen=True, slots=True)
class Airing:
    """What AniList says about when an entry aired."""

    start_date: date | None = None
    end_date: date | None = None
    schedule: Mapping[int, int] = field(default_factory=dict)
    episode_count: int | None = None

    def scheduled_on(self, episode: int) -> date | None:
        """The day the airing schedule gives for `episode`, in Japan."""
        at = self.schedule.get(episode)
        return None if at is None else datetime.fromtimestamp(at, JAPAN).date()

    def first_aired_on(self) -> date | None:
        """Episode 1's day: its schedule entry, else `startDate`."""
        return self.scheduled_on(1) or self.start_date

    @property
    def has_dates(self) -> bool:
        return self.start_date is not None or bool(self.schedule)


def aired_on(episode: EpisodeRef) -> date | None:
    """The UTC day Trakt says an episode first aired."""
    return None if episode.first_aired is None else episode.first_aired.astimezone(UTC).date()


def same_day(day: date | None, episode: EpisodeRef) -> bool:
    """Whether `episode` aired within the tolerance of `day` (False when either is unknown)."""
    trakt_day = aired_on(episode)
    if day is None or trakt_day is None:
        return False
    return abs((trakt_day - day).days) <= TOLERANCE_DAYS


class Fit(StrEnum):
    CLEAR = "clear"
    AMBIGUOUS = "ambiguous"
    NO_MATCH = "no match"
    NO_DATES = "no dates"


@dataclass(frozen=True, slots=True)
class Alignment:
    """Where episode 1 is: `episode` (at `index` of the regular list, or of the specials)."""

    fit: Fit
    reason: str
    episode: EpisodeRef | None = None
    index: int | None = None
    in_specials: bool = False
    candidates: tuple[EpisodeRef, ...] = ()


def _fits_at(airing: Airing, sequence: Sequence[EpisodeRef], index: int) -> bool:
    """Whether the schedule's next episodes agree with episode 1 being at `index`."""
    for k in range(2, CORROBORATE + 1):
        day = airing.scheduled_on(k)
        position = index + k - 1
        if day is None or position >= len(sequence) or aired_on(sequence[position]) is None:
            continue
        if not same_day(day, sequence[position]):
            return False
    return True


def _ends_at(airing: Airing, sequence: Sequence[EpisodeRef], index: int) -> bool:
    if airing.end_date is None or not airing.episode_count:
        return False
    last = index + airing.episode_count - 1
    return last < len(sequence) and same_day(airing.end_date, sequence[last])


def _candidates(airing: Airing, day: date, sequence: Sequence[EpisodeRef]) -> list[int]:
    return [
        i
        for i, episode in enumerate(sequence)
        if same_day(day, episode) and _fits_at(airing, sequence, i)
    ]


def _one_premiere(found: list[int], sequence: Sequence[EpisodeRef]) -> bool:
    """Whether the places side by side aired the same day: one multi-episode premiere."""
    consecutive = found == list(range(found[0], found[0] + len(found)))
    return consecutive and aired_on(sequence[found[0]]) == aired_on(sequence[found[-1]])


def align_first_episode(airing: Airing, episodes: EpisodeList) -> Alignment:
    """Where the entry's episode 1 is on Trakt, judged by air dates alone."""
    day = airing.first_aired_on()
    if day is None:
        return Alignment(Fit.NO_DATES, "AniList gives no start date")
    every = episodes.regular + episodes.specials
    if not any(e.first_aired is not None for e in every):
        return Alignment(Fit.NO_DATES, "Trakt gives no air dates for this show")
    for sequence, in_specials in ((episodes.regular, False), (episodes.specials, True)):
        found = _candidates(airing, day, sequence)
        if not found:
            continue
        if len(found) > 1 and not _one_premiere(found, sequence):
            ending = [i for i in found if _ends_at(airing, sequence, i)]
            if len(ending) != 1:
                places = tuple(sequence[i] for i in found)
                named = ", ".join(_label(e) for e in places)
                return Alignment(
                    Fit.AMBIGUOUS, f"episode 1 ({day}) fits {named}", candidates=places
                )
            found = ending
        index = found[0]
        episode = sequence[index]
        return Alignment(
            Fit.CLEAR,
            f"episode 1 aired {day}; Trakt's {_label(episode)} aired {aired_on(episode)}",
            episode,
            index,
            in_specials,
        )
    return Alignment(Fit.NO_MATCH, f"no Trakt episode aired within a day of {day}")


class Verdict(StrEnum):
    AGREES = "agrees"
    CORRECTED = "corrected"
    NO_MATCH = "no match"
    UNCHECKED = "unchecked"


@dataclass(frozen=True, slots=True)
class HintCheck:
    """A hint's first episode against the air dates; `alignment` says where dates put it."""

    verdict: Verdict
    note: str
    alignment: Alignment


def check_hint(airing: Airing, episodes: EpisodeList, hinted: EpisodeRef | None) -> HintCheck:
    """Whether a hint's episode 1 (`hinted`, None when its season is missing) fits the dates."""
    alignment = align_first_episode(airing, episodes)
    day = airing.first_aired_on()
    if hinted is not None and same_day(day, hinted):
        return HintCheck(Verdict.AGREES, f"{_label(hinted)} aired {aired_on(hinted)}", alignment)
    where = "the hinted season is not on Trakt" if hinted is None else _aired_text(hinted)
    if alignment.fit is Fit.CLEAR:
        assert alignment.episode is not None
        note = f"{where}; air dates put episode 1 at {_label(alignment.episode)} ({day})"
        return HintCheck(Verdict.CORRECTED, note, alignment)
    if alignment.fit is Fit.NO_DATES or (hinted is not None and aired_on(hinted) is None):
        return HintCheck(Verdict.UNCHECKED, f"{where}; {alignment.reason}", alignment)
    return HintCheck(Verdict.NO_MATCH, f"{where}; {alignment.reason}", alignment)


def episode_by_date(
    airing: Airing, episodes: EpisodeList, alignment: Alignment, anilist_episode: int
) -> EpisodeRef | Miss:
    """Episode `anilist_episode` of an entry whose episode 1 the dates placed clearly.

    The episode as many places on as episode 1, unless its own schedule date says
    otherwise: then the one Trakt episode aired that day (regular first, then
    specials), or a miss when the dates contradict and point nowhere.
    """
    if alignment.fit is not Fit.CLEAR or alignment.index is None:
        raise ValueError("episode_by_date needs an alignment that placed episode 1 clearly")
    sequence = episodes.specials if alignment.in_specials else episodes.regular
    position = alignment.index + anilist_episode - 1
    expected = sequence[position] if position < len(sequence) else None
    day = airing.scheduled_on(anilist_episode)
    if day is None or (expected is not None and same_day(day, expected)):
        if expected is None:
            return _past_end(anilist_episode)
        return expected
    for pool in (episodes.regular, episodes.specials):
        matching = [e for e in pool if same_day(day, e)]
        if len(matching) == 1:
            return matching[0]
        if matching:
            break
    if expected is None:
        return _past_end(anilist_episode)
    if aired_on(expected) is None:
        return expected
    return Miss(
        f"AniList says episode {anilist_episode} aired {day}, but {_aired_text(expected)} "
        "and no other Trakt episode aired then",
        pending=False,
    )


def _label(episode: EpisodeRef) -> str:
    return f"S{episode.season}E{episode.number}"


def _aired_text(episode: EpisodeRef) -> str:
    day = aired_on(episode)
    return f"{_label(episode)} aired {day}" if day else f"{_label(episode)} has no air date"


def _past_end(anilist_episode: int) -> Miss:
    return Miss(f"episode {anilist_episode} is past the last episode Trakt lists", past_end=True)
