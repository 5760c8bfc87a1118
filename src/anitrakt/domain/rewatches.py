"""Rewatches (docs/beyond-history.md "Rewatches"): AniList's facts → plays. Pure, no I/O.

Two facts say episodes were watched again:
- a `rewatched episode` activity ("4", "4 - 6"), at the activity's own time; when a
  rewatch is finished AniList writes `rewatched` instead of its last one (as it writes
  `completed` for a first watch), which counts the media's last episode, or the movie;
- an entry being rewatched (status REPEATING) whose progress is past every episode an
  activity told of: those are watched at the entry's `updatedAt` — the gap a window of
  activities cannot show (SYNC_REWATCHES turned on mid-rewatch, a progress typed in).

`RewatchRound` remembers, per entry and rewatch (AniList's `repeat`), how far the
rewatch has been told of (`through`) and the gap plays chosen for it (`fills`), their
time fixed when chosen. Every run plans the same plays again and keeps only those the
item's Trakt history lacks at that minute (`missing`), so a re-run, a crash mid-run or a
second instance never adds a play twice. Placement is the first watch's (`plan_sync`),
once per minute, so two rewatches of one episode at different times stay two plays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from anitrakt.domain.anilist import ListActivity, Media, MediaListEntry
from anitrakt.domain.instants import parse_instant
from anitrakt.domain.planning import (
    PlannedPlay,
    Skipped,
    Target,
    WatchedState,
    WatchEvent,
    plan_sync,
)
from anitrakt.domain.trakt import play_minute

REWATCHED_EPISODE = "rewatched episode"
REWATCHED = "rewatched"
REPEATING = "REPEATING"

# (movie?, Trakt id, season, number, minute): one play as Trakt's history keeps it.
PlayKey = tuple[bool, int, int | None, int | None, datetime]
# (AniList id, repeat): one rewatch of one entry.
RoundKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Rewatch:
    """Episodes of one entry watched again at `at`, and what says so (`origin`)."""

    anilist_id: int
    episodes: tuple[int, ...]
    at: datetime
    origin: str
    activity_id: int | None = None


def rewatches_from_activities(activities: Iterable[ListActivity]) -> list[Rewatch]:
    """The rewatch activities among `activities`, oldest first."""
    found = []
    for activity in sorted(activities, key=lambda a: (a.created_at, a.id)):
        media = activity.media
        if activity.status == REWATCHED_EPISODE:
            episodes = activity.episodes
        elif activity.status == REWATCHED and (media.episodes or media.is_movie):
            episodes = (media.episodes or 1,)
        else:
            continue
        if episodes:
            at = datetime.fromtimestamp(activity.created_at, UTC)
            origin = f"activity {activity.id} ({activity.status})"
            found.append(Rewatch(media.id, episodes, at, origin, activity.id))
    return found


@dataclass(frozen=True, slots=True)
class Fill:
    """Episodes `first`–`last` of a rewatch no activity told of, watched at `at`."""

    first: int
    last: int
    at: datetime


@dataclass(frozen=True, slots=True)
class RewatchRound:
    """One rewatch of one entry: told of up to `through`, and its gap plays.

    `active` while the entry is still REPEATING with this `repeat`; a finished round is
    kept until every one of its gap plays is on Trakt.
    """

    through: int = 0
    fills: tuple[Fill, ...] = ()
    active: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "through": self.through,
            "active": self.active,
            "fills": [[f.first, f.last, f.at.isoformat()] for f in self.fills],
        }

    @classmethod
    def from_json(cls, value: Any) -> RewatchRound | None:
        if not isinstance(value, dict) or not isinstance(value.get("through"), int):
            return None
        fills = []
        for raw in value.get("fills") or []:
            if isinstance(raw, list) and len(raw) == 3:
                first, last, at = raw[0], raw[1], parse_instant(raw[2])
                if isinstance(first, int) and isinstance(last, int) and at is not None:
                    fills.append(Fill(first, last, at))
        return cls(value["through"], tuple(fills), value.get("active") is not False)


def round_key_text(key: RoundKey) -> str:
    return f"{key[0]}:{key[1]}"


def round_key_of(text: str) -> RoundKey | None:
    first, _, second = text.partition(":")
    if not (first.isdigit() and second.isdigit()):
        return None
    return int(first), int(second)


def advance_rounds(
    rounds: Mapping[RoundKey, RewatchRound],
    entries: Iterable[MediaListEntry],
    rewatches: Sequence[Rewatch],
) -> dict[RoundKey, RewatchRound]:
    """Every round moved on by this run's facts (see the module docstring).

    A REPEATING entry's round is told of up to the furthest episode any of its rewatch
    activities names; past that, up to its progress, is a new fill at its `updatedAt`.
    Rounds of entries no longer REPEATING with that `repeat` are kept, inactive.
    """
    told: dict[int, int] = defaultdict(int)
    for rewatch in rewatches:
        told[rewatch.anilist_id] = max(told[rewatch.anilist_id], max(rewatch.episodes))
    repeating = {e.media.id: e for e in entries if e.status == REPEATING}
    result = {
        key: replace(found, active=False)
        for key, found in rounds.items()
        if key[0] not in repeating or repeating[key[0]].repeat != key[1]
    }
    for anilist_id, entry in repeating.items():
        key = (anilist_id, entry.repeat)
        current = rounds.get(key) or RewatchRound()
        through = max(current.through, told[anilist_id])
        fills = current.fills
        if entry.progress > through:
            at = play_minute(datetime.fromtimestamp(entry.updated_at, UTC))
            fills = (*fills, Fill(through + 1, entry.progress, at))
            through = entry.progress
        result[key] = RewatchRound(through, fills, active=True)
    return result


def fill_rewatches(rounds: Mapping[RoundKey, RewatchRound]) -> list[Rewatch]:
    """The gap plays of every round, to plan again this run."""
    return [
        Rewatch(
            anilist_id,
            tuple(range(fill.first, fill.last + 1)),
            fill.at,
            f"rewatch {repeat + 1} on the list (REPEATING)",
        )
        for (anilist_id, repeat), found in sorted(rounds.items())
        for fill in found.fills
    ]


@dataclass(frozen=True, slots=True)
class RewatchPlan:
    """Placed plays (`event_index`: the rewatch in the list given), and the rest."""

    plays: tuple[PlannedPlay, ...] = ()
    pending: tuple[Skipped, ...] = ()
    unmapped: Mapping[int, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def place_rewatches(
    rewatches: Sequence[Rewatch], targets: Mapping[int, Target], media: Mapping[int, Media]
) -> RewatchPlan:
    """Place every rewatched episode as a first watch is placed, one minute at a time."""
    by_minute: dict[datetime, list[int]] = defaultdict(list)
    for index, rewatch in enumerate(rewatches):
        by_minute[play_minute(rewatch.at)].append(index)
    plays: list[PlannedPlay] = []
    pending: list[Skipped] = []
    unmapped: dict[int, str] = {}
    notes: list[str] = []
    for minute, indices in sorted(by_minute.items()):
        events = []
        for index in indices:
            rewatch = rewatches[index]
            found = media.get(rewatch.anilist_id) or Media(rewatch.anilist_id)
            events.append(
                WatchEvent(
                    rewatch.anilist_id,
                    found.title,
                    rewatch.episodes,
                    minute,
                    is_movie=found.is_movie,
                    origin=rewatch.origin,
                )
            )
        plan = plan_sync(events, targets, {}, WatchedState())
        plays.extend(replace(p, event_index=indices[p.event_index]) for p in plan.plays)
        pending.extend(replace(s, event_index=indices[s.event_index]) for s in plan.pending)
        unmapped.update(plan.unmapped)
        notes.extend(n for n in plan.notes if n not in notes)
    return RewatchPlan(tuple(plays), tuple(pending), unmapped, tuple(notes))


def play_key(play: PlannedPlay) -> PlayKey:
    return (play.is_movie, play.trakt_id, play.season, play.number, play_minute(play.watched_at))


def missing(plays: Iterable[PlannedPlay], history: frozenset[PlayKey]) -> list[PlannedPlay]:
    """The plays Trakt's history lacks at their minute, each once."""
    seen: set[PlayKey] = set(history)
    result = []
    for play in plays:
        key = play_key(play)
        if key not in seen:
            seen.add(key)
            result.append(play)
    return result


def settled(
    rounds: Mapping[RoundKey, RewatchRound], unfinished: Iterable[int]
) -> dict[RoundKey, RewatchRound]:
    """`rounds` without the finished ones whose entry has nothing left to post."""
    waiting = set(unfinished)
    return {key: found for key, found in rounds.items() if found.active or key[0] in waiting}
