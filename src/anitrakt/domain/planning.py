"""Sync planning (docs/sync.md): AniList facts → the exact plays to post. Pure, no I/O.

The pipeline is read → resolve → translate → drop what is done → post → record. This
module is the middle: given the `WatchEvent`s (domain/watch_events.py makes them from
AniList activities or list entries), each entry's Trakt target, its `last_abs` and
Trakt's watched state, it decides play by play what is already done, what is pending,
and what to post. The helpers at the bottom decide how far progress and
`lastSyncTimestamp` may advance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from anitrakt.domain.episodes import EpisodeList, OverrideTarget
from anitrakt.domain.placement import (
    EntryFacts,
    EntryPlacer,
    NeedsReview,
    Pending,
    Placed,
    ShowFacts,
)
from anitrakt.domain.values import SeasonHint


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """AniList says: entry `anilist_id`, episodes `episodes`, watched at `watched_at`."""

    anilist_id: int
    title: str
    episodes: tuple[int, ...]
    watched_at: datetime
    is_movie: bool = False
    origin: str = ""
    activity_id: int | None = None
    created_at: int | None = None
    # Where `watched_at` comes from: "activity", "completedAt", "updatedAt", "now", or
    # "released" (Trakt's air date of each episode; `watched_at` is the fallback).
    dated_by: str = ""


@dataclass(frozen=True, slots=True)
class ShowTarget:
    """An entry's Trakt show and what placement knows about the entry on it."""

    trakt_id: int
    show: ShowFacts
    entry: EntryFacts

    @classmethod
    def of(
        cls,
        trakt_id: int,
        episodes: EpisodeList,
        hint: SeasonHint | None = None,
        overrides: Mapping[int, OverrideTarget] | None = None,
        *,
        anilist_id: int = 0,
    ) -> ShowTarget:
        """A target placed by a source hint (or absolutely) alone: no ranges, dates, claims."""
        show = ShowFacts(episodes, overrides=overrides or {})
        return cls(trakt_id, show, EntryFacts(anilist_id, source_hint=hint))

    @property
    def episodes(self) -> EpisodeList:
        return self.show.episodes

    @property
    def hint(self) -> SeasonHint | None:
        """The season hint placement counts with (manual, else Fribb/Otaku)."""
        return self.entry.abs_hint()


@dataclass(frozen=True, slots=True)
class MovieTarget:
    trakt_id: int


@dataclass(frozen=True, slots=True)
class Unmapped:
    reason: str


Target = ShowTarget | MovieTarget | Unmapped


@dataclass(frozen=True, slots=True)
class WatchedState:
    """What Trakt already has: (show trakt id, season, number), movie trakt ids, and how
    many plays the history holds in all (for the account's history cap)."""

    episodes: frozenset[tuple[int, int, int]] = frozenset()
    movies: frozenset[int] = frozenset()
    plays: int = 0


@dataclass(frozen=True, slots=True)
class PlannedPlay:
    """One play to post. `season`/`number` are None for a movie.

    `rule` says which placement rule put it there (`anitrakt.domain.placement.Rule`
    values; "movie" for a movie) and `note` any disagreement the rule overcame.
    """

    anilist_id: int
    anilist_episode: int
    title: str
    trakt_id: int
    season: int | None
    number: int | None
    watched_at: datetime
    origin: str
    event_index: int
    rule: str = ""
    note: str | None = None
    # Where `watched_at` comes from (`WatchEvent.dated_by`, "released" resolved).
    dated_by: str = ""

    @property
    def is_movie(self) -> bool:
        return self.season is None

    def label(self) -> str:
        return "movie" if self.season is None else f"S{self.season}E{self.number}"


@dataclass(frozen=True, slots=True)
class Skipped:
    """An episode not posted, and why (`already` synced, or `pending` on Trakt).

    `waits_for` is the play of this run that covers it (a repeat of an episode already
    planned): it counts as done only once that play is confirmed. `past_end`: pending
    because it falls after the last episode Trakt lists.
    """

    anilist_id: int
    anilist_episode: int
    event_index: int
    reason: str
    waits_for: PlannedPlay | None = None
    past_end: bool = False


@dataclass(frozen=True, slots=True)
class Held:
    """An episode held for review: the sources disagree or cannot settle where it goes.

    Not posted and not done: its event stays unhandled, so a later run (after a source
    refresh, a mapping or an override) places it again.
    """

    anilist_id: int
    anilist_episode: int
    event_index: int
    reason: str
    trakt_id: int
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    plays: tuple[PlannedPlay, ...]
    already: tuple[Skipped, ...]
    pending: tuple[Skipped, ...]
    unmapped: Mapping[int, str]
    notes: tuple[str, ...]
    events: tuple[WatchEvent, ...]
    review: tuple[Held, ...] = ()

    @property
    def found(self) -> int:
        return len({event.anilist_id for event in self.events})


# --- AniList facts → events --------------------------------------------------------


# --- events → plan -----------------------------------------------------------------


def plan_sync(
    events: Sequence[WatchEvent],
    targets: Mapping[int, Target],
    progress: Mapping[int, int],
    watched: WatchedState,
    *,
    indices: Iterable[int] | None = None,
) -> Plan:
    """Decide, episode by episode, what to post; nothing is posted twice.

    Dropped: episodes at or below the entry's `last_abs`, episodes Trakt already
    reports watched, and a second play of an episode this plan already posts.
    `indices` (ascending): plan only those events (entries on different Trakt shows
    share no play, so they can be planned apart), keeping their places in `events`.
    """
    planner = _Planner(watched)
    for index in range(len(events)) if indices is None else indices:
        event = events[index]
        if not event.episodes:
            continue
        target = targets.get(event.anilist_id) or Unmapped("not resolved")
        if isinstance(target, Unmapped):
            planner.unmapped.setdefault(event.anilist_id, target.reason)
            continue
        last_abs = progress.get(event.anilist_id, 0)
        for episode in sorted(set(event.episodes)):
            if episode <= last_abs:
                planner.skip(event, episode, index, "already posted (sync progress)")
            elif isinstance(target, MovieTarget):
                planner.movie(event, episode, index, target)
                break  # a movie is one play whatever AniList's episode count says
            else:
                planner.episode(event, episode, index, target)
    return Plan(
        tuple(planner.plays),
        tuple(planner.already),
        tuple(planner.pending),
        planner.unmapped,
        tuple(planner.notes),
        tuple(events),
        tuple(planner.review),
    )


class _Planner:
    """The running state of one `plan_sync` call."""

    def __init__(self, watched: WatchedState) -> None:
        self.watched = watched
        self.plays: list[PlannedPlay] = []
        self.already: list[Skipped] = []
        self.pending: list[Skipped] = []
        self.unmapped: dict[int, str] = {}
        self.notes: list[str] = []
        self.review: list[Held] = []
        self._entry_episodes: dict[tuple[int, int], PlannedPlay] = {}
        self._targets: dict[tuple[int, int | None, int | None], PlannedPlay] = {}
        self._placers: dict[int, EntryPlacer] = {}

    def skip(
        self,
        event: WatchEvent,
        episode: int,
        index: int,
        reason: str,
        *,
        pending: bool = False,
        waits_for: PlannedPlay | None = None,
        past_end: bool = False,
    ) -> None:
        into = self.pending if pending else self.already
        into.append(Skipped(event.anilist_id, episode, index, reason, waits_for, past_end))

    def movie(self, event: WatchEvent, episode: int, index: int, target: MovieTarget) -> None:
        if target.trakt_id in self.watched.movies:
            self.skip(event, episode, index, "already watched on Trakt")
        else:
            self._add(event, episode, index, target.trakt_id, None, None, "movie")

    def episode(self, event: WatchEvent, episode: int, index: int, target: ShowTarget) -> None:
        placer = self._placers.get(event.anilist_id)
        if placer is None:
            placer = self._placers[event.anilist_id] = EntryPlacer(target.show, target.entry)
        placement = placer.place(episode)
        if isinstance(placement, NeedsReview):
            rule = None if placement.rule is None else placement.rule.value
            held = Held(event.anilist_id, episode, index, placement.reason, target.trakt_id, rule)
            self.review.append(held)
            return
        if isinstance(placement, Pending):
            self.skip(
                event, episode, index, placement.reason, pending=True, past_end=placement.past_end
            )
            return
        assert isinstance(placement, Placed)
        if placement.note:
            message = f"{event.title}: episode {episode}: {placement.note}"
            if message not in self.notes:
                self.notes.append(message)
        unwatched = [
            (season, number)
            for season, number in placement.targets
            if (target.trakt_id, season, number) not in self.watched.episodes
        ]
        if not unwatched:
            self.skip(event, episode, index, "already watched on Trakt")
            return
        for season, number in unwatched:
            aired = None
            if event.dated_by == "released":
                found = target.show.episodes.find(season, number)
                aired = found.first_aired if found is not None else None
            self._add(
                event,
                episode,
                index,
                target.trakt_id,
                season,
                number,
                placement.rule.value,
                placement.note,
                aired=aired,
            )

    def _add(
        self,
        event: WatchEvent,
        episode: int,
        index: int,
        trakt_id: int,
        season: int | None,
        number: int | None,
        rule: str,
        note: str | None = None,
        *,
        aired: datetime | None = None,
    ) -> None:
        target_key = (trakt_id, season, number)
        earlier_episode = self._entry_episodes.get((event.anilist_id, episode))
        # A second Trakt episode of the same AniList episode (an anibridge ratio) is
        # planned beside the first; a repeat of the AniList episode waits for it.
        same_event = earlier_episode is not None and earlier_episode.event_index == index
        earlier = None if same_event else earlier_episode
        earlier = earlier or self._targets.get(target_key)
        if earlier is not None:
            self.skip(event, episode, index, "already in this run", waits_for=earlier)
            return
        play = PlannedPlay(
            event.anilist_id,
            episode,
            event.title,
            trakt_id,
            season,
            number,
            aired or event.watched_at,
            event.origin,
            index,
            rule,
            note,
            # "released" without an air date on Trakt falls back to now, and says so.
            "now" if event.dated_by == "released" and aired is None else event.dated_by,
        )
        self._entry_episodes.setdefault((event.anilist_id, episode), play)
        self._targets[target_key] = play
        self.plays.append(play)


# --- recording ---------------------------------------------------------------------


def advance_progress(last_abs: int, done: Iterable[int]) -> int:
    """The new `last_abs`: the highest episode such that every one up to it is done.

    An episode posted past a gap (a not_found, a pending one) does not move progress
    beyond the gap; Trakt's watched state keeps it from being posted twice.
    """
    finished = set(done)
    value = last_abs
    while value + 1 in finished:
        value += 1
    return value


def handled_until(events: Sequence[WatchEvent], unhandled: set[int]) -> int | None:
    """`createdAt` of the last activity before the first one not fully handled."""
    last: int | None = None
    for index, event in enumerate(events):
        if index in unhandled:
            break
        if event.created_at is not None:
            last = event.created_at
    return last
