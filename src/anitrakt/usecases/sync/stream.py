"""Planning a run show by show, so posting can start before every season is read.

Entries on different Trakt shows never share a play (a play is one Trakt episode of one
show), so the events split into groups — one per Trakt show, plus one for movies and
entries without a show — that are planned apart: `plan_sync` with the group's event
indices, against that show's episode list alone. `merge_plans` puts the parts back into
the plan one call over everything would have given (the same plays, skips and holds in
event order), which is what the report and `lastSyncTimestamp` are computed from.

`ShowPlanner` hands the groups out in the order of their first events (so plays go out
in the order one plan over everything would post them, as far as reads allow), and
`next_read_at` says when the next group's read could go (at once without one: no show,
or a fresh cached list), so the pipeline can post while reads wait and read while
posts wait, deterministically on the injected clock (docs/sync.md, "Overlap").
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, TypeVar

from anitrakt.clients.anilist import DETAILS_PER_PAGE
from anitrakt.domain.anilist import Media
from anitrakt.domain.episodes import EpisodeList
from anitrakt.domain.planning import (
    Plan,
    ShowTarget,
    Target,
    WatchedState,
    WatchEvent,
    plan_sync,
)
from anitrakt.domain.targets import PlacementFacts, build_targets, is_movie
from anitrakt.domain.values import IdMapping, Resolution
from anitrakt.usecases.sync.facts import read_airing
from anitrakt.usecases.sync.report import SyncDeps
from anitrakt.usecases.sync.shows import (
    cached_episode_lists,
    episode_list_of,
    store_episode_list,
)


@dataclass(frozen=True, slots=True)
class ShowGroup:
    """The events of the entries on one Trakt show (`trakt_id` None: no show to read)."""

    trakt_id: int | None
    indices: tuple[int, ...]
    entries: tuple[int, ...]


class ShowPlanner:
    """Plans one `ShowGroup` at a time, reading (and caching) its episode list first."""

    def __init__(
        self,
        deps: SyncDeps,
        events: Sequence[WatchEvent],
        media: Mapping[int, Media],
        resolutions: Mapping[int, Resolution],
        *,
        overrides: Mapping[int, Mapping[int, tuple[int, int]]],
        facts: PlacementFacts,
        progress: Mapping[int, int],
        watched: WatchedState,
        now: datetime,
        save: bool,
        undated: Iterable[int] = (),
    ) -> None:
        """`facts` without air dates for `undated`: they are read with the group that
        first needs them (and the next ones, a page of them at a time), on AniList's
        budget while Trakt's are busy."""
        self._deps = deps
        self._events = tuple(events)
        self._media = media
        self._resolutions = resolutions
        self._overrides = overrides
        self._facts = facts
        self._progress = progress
        self._watched = watched
        self._save = save
        self._order = {a: n for n, a in enumerate(resolutions)}
        groups = _groups(self._events, media, resolutions)
        show_ids = {g.trakt_id for g in groups if g.trakt_id is not None}
        with deps.sessions() as session:
            self._cached = cached_episode_lists(session, show_ids, now=now)
        self._groups = deque(groups)  # in the order of their first events
        wanted = set(undated)
        # AniList air dates still to read, in the order the groups will need them.
        self._undated = {a: None for g in groups for a in g.entries if a in wanted}
        # Entries whose episodes this run placed (so what it held replaces older holds).
        self.placed_ids: set[int] = set()

    @property
    def remaining(self) -> bool:
        return bool(self._groups)

    def next_read_at(self) -> float:
        """When the next group could be planned: at once unless it needs a read (Trakt
        seasons, AniList air dates), then once its upstreams allow it."""
        if not self._groups:
            return float("-inf")
        group = self._groups[0]
        ready = float("-inf")
        if self._needs_read(group):
            ready = self._deps.trakt.next_catalog_read_at()
        if any(a in self._undated for a in group.entries):
            ready = max(ready, self._deps.anilist.window.ready_at())
        return ready

    def unplanned(self) -> set[int]:
        """The event indices of the groups not planned (yet)."""
        return {i for group in self._groups for i in group.indices}

    def play_bound(self) -> int:
        """At most how many plays the groups not planned yet can add.

        One per episode past the entry's progress (a movie: one), times the largest
        anibridge ratio of the entry's lines — the only rule that posts one AniList
        episode as several Trakt episodes.
        """
        total = 0
        for group in self._groups:
            for index in group.indices:
                event = self._events[index]
                if not event.episodes:
                    continue
                last_abs = self._progress.get(event.anilist_id, 0)
                left = sum(1 for e in set(event.episodes) if e > last_abs)
                total += min(left, 1) if event.is_movie else left * self._span(event.anilist_id)
        return total

    def plan_next(self) -> Plan:
        """Plan the next group: its show's list cached or read, refetched once if stale."""
        group = self._groups.popleft()
        self._read_dates(group)
        lists: dict[int, EpisodeList] = {}
        fetched: set[int] = set()
        if group.trakt_id is not None:
            cached = self._cached.pop(group.trakt_id, None)
            if cached is None:
                lists[group.trakt_id] = self._read(group.trakt_id)
                fetched.add(group.trakt_id)
            else:
                lists[group.trakt_id] = cached
        targets, plan = self._plan(group, lists)
        stale = stale_shows(plan, targets, fetched)
        if stale:
            for trakt_id in stale:
                lists[trakt_id] = self._read(trakt_id)
            targets, plan = self._plan(group, lists)
        self.placed_ids |= {a for a, t in targets.items() if isinstance(t, ShowTarget)}
        return plan

    def _plan(
        self, group: ShowGroup, lists: Mapping[int, EpisodeList]
    ) -> tuple[dict[int, Target], Plan]:
        # In the resolutions' own order, as one call over every entry would see them.
        mine = sorted(
            (a for a in group.entries if a in self._resolutions), key=self._order.__getitem__
        )
        resolutions = {a: self._resolutions[a] for a in mine}
        targets = build_targets(self._media, resolutions, lists, self._overrides, self._facts)
        plan = plan_sync(
            self._events, targets, self._progress, self._watched, indices=group.indices
        )
        return targets, plan

    def _read(self, trakt_id: int) -> EpisodeList:
        episodes = episode_list_of(self._deps.trakt.seasons_with_episodes(trakt_id))
        if self._save:
            with self._deps.sessions.begin() as session:
                store_episode_list(session, trakt_id, episodes)
        return episodes

    def _read_dates(self, group: ShowGroup) -> None:
        """The group's missing air dates, with those of the next groups up to a read's worth."""
        mine = [a for a in group.entries if a in self._undated]
        if not mine:
            return
        taken = set(mine)
        rest = (a for a in self._undated if a not in taken)
        asked = mine + list(itertools.islice(rest, max(0, DETAILS_PER_PAGE - len(mine))))
        for anilist_id in asked:
            del self._undated[anilist_id]
        dates = read_airing(self._deps, asked)
        if dates:
            self._facts = replace(self._facts, airing={**self._facts.airing, **dates})

    def _needs_read(self, group: ShowGroup) -> bool:
        return group.trakt_id is not None and group.trakt_id not in self._cached

    def _span(self, anilist_id: int) -> int:
        ranges = self._facts.ranges.get(anilist_id)
        if ranges is None:
            return 1
        ratios = (line.target.ratio for t in ranges.targets for line in t.lines)
        return max(1, max(ratios, default=1))


def _groups(
    events: Sequence[WatchEvent], media: Mapping[int, Media], resolutions: Mapping[int, Resolution]
) -> list[ShowGroup]:
    """One group per Trakt show the events' entries are on, and one for all the rest."""
    indices: dict[int | None, list[int]] = {}
    entries: dict[int | None, dict[int, None]] = {}
    for index, event in enumerate(events):
        if not event.episodes:
            continue
        resolution = resolutions.get(event.anilist_id)
        key = None
        if (
            isinstance(resolution, IdMapping)
            and resolution.trakt_id is not None
            and not is_movie(resolution, media.get(event.anilist_id))
        ):
            key = resolution.trakt_id
        indices.setdefault(key, []).append(index)
        entries.setdefault(key, {})[event.anilist_id] = None
    return [ShowGroup(key, tuple(indices[key]), tuple(entries[key])) for key in indices]


def stale_shows(plan: Plan, targets: Mapping[int, Target], fetched: set[int]) -> set[int]:
    """Cached shows that look out of date: an episode fell past their end, or one was
    held because its hint names a season they lack (the season may be new on Trakt).
    A hint the air dates settled costs no refetch; lists fetched in this run are not
    retried.
    """
    stale = set()
    for skipped in plan.pending:
        target = targets.get(skipped.anilist_id)
        if isinstance(target, ShowTarget) and skipped.past_end:
            stale.add(target.trakt_id)
    for held in plan.review:
        target = targets.get(held.anilist_id)
        if (
            isinstance(target, ShowTarget)
            and target.hint is not None
            and not target.episodes.has_season(target.hint.season)
        ):
            stale.add(target.trakt_id)
    return stale - fetched


class _Indexed(Protocol):
    @property
    def event_index(self) -> int: ...


_I = TypeVar("_I", bound=_Indexed)


def _by_event(items: Iterable[_I]) -> tuple[_I, ...]:
    return tuple(sorted(items, key=lambda item: item.event_index))


def merge_plans(parts: Iterable[Plan], events: Sequence[WatchEvent]) -> Plan:
    """One plan from the plans of disjoint groups, in the order one call would give."""
    chunks = list(parts)
    first_index: dict[int, int] = {}
    for index, event in enumerate(events):
        first_index.setdefault(event.anilist_id, index)
    unmapped = {a: r for part in chunks for a, r in part.unmapped.items()}
    return Plan(
        _by_event(p for part in chunks for p in part.plays),
        _by_event(s for part in chunks for s in part.already),
        _by_event(s for part in chunks for s in part.pending),
        {a: unmapped[a] for a in sorted(unmapped, key=lambda a: first_index.get(a, 0))},
        tuple(dict.fromkeys(n for part in chunks for n in part.notes)),
        tuple(events),
        _by_event(h for part in chunks for h in part.review),
    )
