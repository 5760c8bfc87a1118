"""The features beyond history, inside a sync run (docs/beyond-history.md).

After a run's history posts, under the same lease, `run_extras` runs each feature that
is on — ratings, planning → watchlist, dropped, rewatches — over one read of the whole
AniList list and one resolution of the entries they need. Each writes only what differs
from Trakt, remembers what it must to stay exact across crashes and re-runs, and tells
its part of the run's `SyncReport`. A feature that fails is reported and logged, and the
others still run: the history the run posted stays posted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from anitrakt.domain.anilist import AniListUser, ListActivity
from anitrakt.domain.extras import FEATURE_ORDER, Extra
from anitrakt.errors import AnitraktError, Interrupted
from anitrakt.store.extras import save_feature_status
from anitrakt.usecases.sync.extras_context import Extras, needed, stopping
from anitrakt.usecases.sync.lists import sync_dropped, sync_watchlist
from anitrakt.usecases.sync.ratings import sync_ratings
from anitrakt.usecases.sync.report import EXTRAS, FeatureReport, SyncDeps, SyncReport
from anitrakt.usecases.sync.rewatches import sync_rewatches

# The order features run in: the ones that only read and write lists first, rewatches
# (plays: the slowest, and the one that holds `lastSyncTimestamp` back) last.
ORDER = FEATURE_ORDER


Step = Callable[[Extras, FeatureReport], set[int]]


def run_extras(
    deps: SyncDeps,
    report: SyncReport,
    *,
    user: AniListUser,
    dry_run: bool,
    activities: Sequence[ListActivity] | None = None,
    features: Iterable[Extra] | None = None,
    held: Iterable[int] = (),
) -> set[int]:
    """Run `features` (default: those on) after the history; report each into `report`.

    `activities` are the run's AniList list activities (rewatches need them; without,
    the rewatch step is skipped); `held`, the entries whose first watch in them is not
    on Trakt yet (their rewatches wait). Returns the ids of rewatch activities not fully
    handled: `lastSyncTimestamp` must stay before them.
    """
    chosen = set(deps.extras if features is None else features)
    if activities is None:
        chosen.discard(Extra.REWATCHES)
    parts = [
        FeatureReport(f, enabled=f in deps.extras, dry_run=dry_run) for f in ORDER if f in chosen
    ]
    report.extras.extend(parts)
    if not parts:
        return set()
    deps.tell(EXTRAS)
    steps: dict[Extra, Step] = {
        Extra.RATINGS: sync_ratings,
        Extra.WATCHLIST: sync_watchlist,
        Extra.DROPPED: sync_dropped,
        Extra.REWATCHES: lambda x, part: sync_rewatches(x, part, activities or ()),
    }
    extras: Extras | None = None
    try:
        library = deps.anilist.library(user.id)
        media = {e.media.id: e.media for e in library.entries}
        for activity in activities or ():
            media.setdefault(activity.media.id, activity.media)
        extras = Extras(deps, dry_run, library, media, held=frozenset(held))
        extras.resolve(needed(library, chosen))
    except AnitraktError as exc:
        for part in parts:
            part.failure = exc
    unhandled: set[int] = set()
    label = report.mode.label + (" (dry run)" if dry_run else "")
    for part in parts:
        if part.failure is None and extras is not None:
            if stopping(deps):
                part.failure = Interrupted("not run: anitrakt is shutting down")
            else:
                try:
                    unhandled |= steps[part.feature](extras, part)
                except AnitraktError as exc:
                    part.failure = exc
        if part.failure is not None:
            deps.events.error(f"{label}: {part.summary}")
            unhandled |= _activity_ids(activities, part.feature)
        elif part.writes or part.left:
            deps.events.info(f"{label}: {part.summary}")
        if not dry_run:
            _remember(deps, part)
    return unhandled


def _activity_ids(activities: Sequence[ListActivity] | None, feature: Extra) -> set[int]:
    """A failed rewatch step handled none of the rewatch activities."""
    if feature is not Extra.REWATCHES:
        return set()
    return {a.id for a in activities or () if a.status.startswith("rewatched")}


def _remember(deps: SyncDeps, part: FeatureReport) -> None:
    """The feature's last result, for the dashboard (docs/state-model.md)."""
    status = {
        "at": deps.now().isoformat(),
        "written": part.written,
        "left": len(part.left),
        "unchanged": part.unchanged,
        "error": part.error,
        "summary": part.summary,
    }
    if part.learned_limit is not None:
        status["learnedLimit"] = part.learned_limit
        status["settingsLimit"] = part.settings_limit
    with deps.sessions.begin() as session:
        save_feature_status(session, part.feature, status)
