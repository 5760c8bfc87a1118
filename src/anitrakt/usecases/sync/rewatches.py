"""Rewatches (docs/beyond-history.md "Rewatches"): plays at their own times, never twice.

The rewatch activities of the run's window and the gaps of entries being rewatched
(`domain.rewatches`) are placed like first watches, then checked against each item's
Trakt history (`GET /sync/history/{shows|movies}/{id}`) at the minute: only plays it
lacks are posted, in batches, with the first watch's care after an unclear failure
(re-read, resend only what is missing). The rounds are written down before the posts,
so a crash, a re-run or a second instance plans the very same plays and adds none twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from anitrakt.clients.trakt_lists import TraktLists
from anitrakt.domain.anilist import ListActivity
from anitrakt.domain.extras import ExtraItem
from anitrakt.domain.instants import iso_instant
from anitrakt.domain.planning import PlannedPlay
from anitrakt.domain.rewatches import (
    PlayKey,
    Rewatch,
    advance_rounds,
    fill_rewatches,
    missing,
    place_rewatches,
    play_key,
    rewatches_from_activities,
    settled,
)
from anitrakt.domain.targets import history_items, not_found_matches
from anitrakt.domain.trakt import play_minute
from anitrakt.domain.trakt_lists import ItemRef
from anitrakt.domain.values import TraktType
from anitrakt.errors import UnclearWrite
from anitrakt.store.extras import load_rounds, save_rounds
from anitrakt.usecases.sync.extras_context import Extras, batches, stopping
from anitrakt.usecases.sync.report import FeatureReport

# Re-reads of the history after unclear failures of one batch before giving up (as the
# first watch's `engine.MAX_UNCLEAR_RETRIES`).
MAX_UNCLEAR_RETRIES = 2


def _item_of(play: PlannedPlay) -> ItemRef:
    return ItemRef(TraktType.MOVIE if play.is_movie else TraktType.SHOW, play.trakt_id)


def _history(lists: TraktLists, items: Iterable[ItemRef]) -> frozenset[PlayKey]:
    """Every play of `items` on Trakt, as (movie?, id, season, number, minute)."""
    keys = set()
    for item in sorted(set(items)):
        movie = item.kind is TraktType.MOVIE
        for play in lists.plays_of(item):
            minute = play_minute(play.watched_at)
            keys.add((movie, item.trakt_id, play.season, play.number, minute))
    return frozenset(keys)


def _title(extras: Extras, anilist_id: int) -> str:
    media = extras.media.get(anilist_id)
    return media.title if media is not None else f"AniList #{anilist_id}"


def _describe(play: PlannedPlay, note: str = "") -> ExtraItem:
    target = f"{_item_of(play).describe()} {play.label()}" if not play.is_movie else ""
    at = iso_instant(play_minute(play.watched_at))
    return ExtraItem(
        play.anilist_id,
        play.title,
        "play",
        target or _item_of(play).describe(),
        note or f"at {at} ({play.origin})",
    )


def sync_rewatches(
    extras: Extras, part: FeatureReport, activities: Sequence[ListActivity]
) -> set[int]:
    """Post every rewatch play Trakt lacks; the activities not fully handled come back."""
    deps = extras.deps
    rewatches = rewatches_from_activities(activities)
    with deps.sessions() as session:
        rounds = advance_rounds(load_rounds(session), extras.library.entries, rewatches)
    wants: list[Rewatch] = [*rewatches, *fill_rewatches(rounds)]
    waiting = [i for i, w in enumerate(wants) if w.anilist_id in extras.held]
    for anilist_id in sorted({wants[i].anilist_id for i in waiting}):
        note = "waits until its first watch in this window is on Trakt"
        part.left.append(ExtraItem(anilist_id, _title(extras, anilist_id), "leave", "—", note))
    ready = [w for w in wants if w.anilist_id not in extras.held]
    targets = extras.targets({w.anilist_id for w in ready}) if ready else {}
    plan = place_rewatches(ready, targets, extras.media)
    for note in plan.notes:
        deps.events.info(f"rewatches: {note}")
    lists = TraktLists(deps.trakt)
    history = _history(lists, (_item_of(p) for p in plan.plays))
    todo = missing(plan.plays, history)
    part.unchanged = len(plan.plays) - len(todo)
    wants = ready + [wants[i] for i in waiting]  # the waiting ones are unfinished
    for skipped in plan.pending:
        title = _title(extras, skipped.anilist_id)
        episode, note = f"episode {skipped.anilist_episode}", f"pending: {skipped.reason}"
        part.left.append(ExtraItem(skipped.anilist_id, title, "leave", episode, note))
    for anilist_id, reason in plan.unmapped.items():
        part.left.append(ExtraItem(anilist_id, _title(extras, anilist_id), "leave", "—", reason))
    if extras.dry_run:
        part.writes = [_describe(p) for p in todo]
        return set()
    with deps.sessions.begin() as session:
        save_rounds(session, rounds)  # the plays' times are fixed before any is sent
    confirmed = _post(extras, part, lists, todo)
    present = history | {play_key(p) for p in confirmed}
    unfinished = {s.event_index for s in plan.pending} | set(range(len(ready), len(wants)))
    unfinished |= {p.event_index for p in plan.plays if play_key(p) not in present}
    unfinished |= {i for i, w in enumerate(wants) if extras.retry(w.anilist_id)}
    with deps.sessions.begin() as session:
        save_rounds(session, settled(rounds, {wants[i].anilist_id for i in unfinished}))
    return {a for i in unfinished if (a := wants[i].activity_id) is not None}


def _post(
    extras: Extras, part: FeatureReport, lists: TraktLists, plays: list[PlannedPlay]
) -> list[PlannedPlay]:
    """Post `plays` in batches; the ones Trakt confirmed (a failure is raised)."""
    deps = extras.deps
    confirmed: list[PlannedPlay] = []
    for batch in batches(plays):
        if stopping(deps):
            part.left += [_describe(p, "not sent: anitrakt is shutting down") for p in batch]
            break
        remaining = list(batch)
        for attempt in range(MAX_UNCLEAR_RETRIES + 1):
            try:
                result = deps.trakt.add_to_history(history_items(remaining))
            except UnclearWrite:
                if attempt == MAX_UNCLEAR_RETRIES:
                    raise
                history = _history(lists, (_item_of(p) for p in remaining))
                applied = [p for p in remaining if play_key(p) in history]
                _confirm(part, confirmed, applied)
                remaining = [p for p in remaining if play_key(p) not in history]
                deps.events.warn(
                    f"rewatches: Trakt did not answer a history post clearly; {len(applied)} "
                    f"of the plays are on Trakt, resending {len(remaining)}"
                )
                if not remaining:
                    break
                continue
            lost = [p for p in remaining if any(not_found_matches(i, p) for i in result.not_found)]
            part.left += [_describe(p, "not found on Trakt") for p in lost]
            _confirm(part, confirmed, [p for p in remaining if p not in lost])
            break
    return confirmed


def _confirm(part: FeatureReport, confirmed: list[PlannedPlay], plays: list[PlannedPlay]) -> None:
    confirmed += plays
    part.writes += [_describe(p) for p in plays]
    part.written += len(plays)
