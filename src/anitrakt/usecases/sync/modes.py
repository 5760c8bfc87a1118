"""The sync modes (docs/sync.md §1) over the one pipeline.

Every writing run holds the database sync lease (one at a time, HTTP 409 otherwise,
docs/sync.md §4); dry runs read only and need no lease.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any

from anitrakt.domain import keys
from anitrakt.domain.anilist import AniListUser, Media
from anitrakt.domain.extras import Extra
from anitrakt.domain.planning import handled_until
from anitrakt.domain.values import IdMapping, SyncMode, UnmappedEntry
from anitrakt.domain.watch_events import events_from_activities, events_from_entries
from anitrakt.errors import AnitraktError, InputError, NotFoundError, StoreUnavailable
from anitrakt.store.db import UNAVAILABLE_ERRORS, store_unavailable
from anitrakt.store.review import load_review, save_review
from anitrakt.store.system_config import get_config, set_config
from anitrakt.store.unmapped import load_unmapped, save_unmapped
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.stats import count_plays
from anitrakt.usecases.sync.engine import Pipeline
from anitrakt.usecases.sync.extras import run_extras
from anitrakt.usecases.sync.lock import RunningSync, sync_lock
from anitrakt.usecases.sync.report import READING_ANILIST, SyncDeps, SyncReport
from anitrakt.usecases.sync.shows import episode_list_of, store_episode_list
from anitrakt.usecases.sync.status import SyncFailure, clear_failure, record_failure


def _user(deps: SyncDeps) -> AniListUser:
    """The AniList account to read, cached so an idle incremental run costs one request."""
    client = deps.anilist
    fingerprint = client.account_fingerprint
    with deps.sessions() as session:
        cached = get_config(session, keys.ANILIST_USER)
    if isinstance(cached, dict) and cached.get("for") == fingerprint:
        try:
            return AniListUser(int(cached["id"]), str(cached["name"]))
        except (KeyError, TypeError, ValueError):
            pass
    user = client.resolve_user()
    with deps.sessions.begin() as session:
        set_config(
            session, keys.ANILIST_USER, {"id": user.id, "name": user.name, "for": fingerprint}
        )
    return user


def anilist_user(deps: SyncDeps) -> AniListUser:
    """The AniList account a sync reads (cached; see `_user`)."""
    return _user(deps)


def _since(value: Any) -> int:
    try:
        since = int(value)
    except (TypeError, ValueError):
        return 0
    return max(since, 0)


def _run(
    deps: SyncDeps,
    mode: SyncMode,
    *,
    dry_run: bool,
    body: Any,
    status_keys: list[str],
    automated: bool = False,
) -> SyncReport:
    """Run `body(pipeline)` under the lease (unless dry) with start/end log lines.

    A lease held by another run raises SyncAlreadyRunning before anything starts;
    failures during the run end up in `report.error` (and the log), with everything
    confirmed so far already recorded.
    """
    pipeline = Pipeline(deps, mode, dry_run=dry_run)
    label = mode.label + (" (dry run)" if dry_run else "")
    running = RunningSync(mode.value, deps.now(), deps.job_id)
    with nullcontext() if dry_run else sync_lock(deps.sessions, running=running):
        deps.events.info(f"{label} started")
        try:
            body(pipeline)
        except AnitraktError as exc:
            pipeline.report.failure = exc
        except UNAVAILABLE_ERRORS as exc:
            # Locked past the busy timeout or the connection dropped: every batch whose
            # progress was committed stays; the next run re-reads Trakt and goes on.
            pipeline.report.failure = store_unavailable(exc)
        report = pipeline.report
        if report.error:
            deps.events.error(f"{label} failed: {report.error}")
        else:
            deps.events.info(f"{label} finished: {report.message}")
        # After a database failure the bookkeeping writes would only fail the same way.
        if not dry_run and not isinstance(report.failure, StoreUnavailable):
            _remember_unmapped(deps, pipeline)
            _remember_review(deps, pipeline)
            finished = deps.now()
            with deps.sessions.begin() as session:
                count_plays(session, finished.date(), report.added)
                if report.error:
                    code = getattr(report.failure, "code", None)
                    failure = SyncFailure(finished, label, report.error, code, automated)
                    record_failure(session, failure)
                else:
                    clear_failure(session)
                    for key in status_keys:
                        set_config(session, key, finished.isoformat())
    if deps.on_finished is not None:  # notifications and metrics, after the lease is gone
        deps.on_finished(report)
    return report


def _remember_unmapped(deps: SyncDeps, pipeline: Pipeline) -> None:
    """Keep `sync:unmapped` current: add this run's misses, drop entries now resolved."""
    seen = deps.now()
    with deps.sessions.begin() as session:
        entries = load_unmapped(session)
        for anilist_id in pipeline.resolved_ids:
            entries.pop(anilist_id, None)
        for miss in pipeline.report.unmapped:
            entries[miss.anilist_id] = replace(miss, last_seen=seen)
        save_unmapped(session, entries.values())


def _remember_review(deps: SyncDeps, pipeline: Pipeline) -> None:
    """Keep `sync:review` current: entries this run placed are replaced by what it held."""
    seen = deps.now()
    with deps.sessions.begin() as session:
        entries = load_review(session)
        for anilist_id in pipeline.placed_ids:
            entries.pop(anilist_id, None)
        for held in pipeline.report.review:
            entries[held.anilist_id] = replace(held, last_seen=seen)
        save_review(session, entries.values())


def recent_unmapped(runtime: Runtime) -> list[UnmappedEntry]:
    """Entries that failed resolution in recent runs, newest first."""
    with runtime.sessions() as session:
        entries = load_unmapped(session).values()
    return sorted(entries, key=_last_seen, reverse=True)


def _last_seen(entry: UnmappedEntry) -> str:
    return entry.last_seen.isoformat() if entry.last_seen else ""


def run_full(deps: SyncDeps, *, dry_run: bool = False, automated: bool = False) -> SyncReport:
    """Incremental sync of AniList list activities since `lastSyncTimestamp`."""

    def body(pipeline: Pipeline) -> None:
        deps.tell(READING_ANILIST)
        user = _user(deps)
        with deps.sessions() as session:
            since = _since(get_config(session, keys.LAST_SYNC_TIMESTAMP, 0))
        activities = deps.anilist.list_activities(user.id, since)
        events, notes = events_from_activities(activities)
        for note in notes:
            deps.events.info(note)
        media = {a.media.id: a.media for a in activities}
        outcome = pipeline.run(events, media)
        # The features beyond history (docs/beyond-history.md), under the same lease;
        # rewatches of an entry whose first watch did not get posted wait for it.
        waiting = {events[i].anilist_id for i in outcome.unhandled}
        held = run_extras(
            deps,
            pipeline.report,
            user=user,
            dry_run=dry_run,
            activities=activities,
            held=waiting,
        )
        if dry_run:
            return
        unhandled = outcome.unhandled | {i for i, e in enumerate(events) if e.activity_id in held}
        until = handled_until(events, unhandled)
        if until is not None and until > since:
            with deps.sessions.begin() as session:
                set_config(session, keys.LAST_SYNC_TIMESTAMP, until)

    status = keys.STATUS_SYNC_LAST_RUN_AUTO if automated else keys.STATUS_SYNC_LAST_RUN
    return _run(
        deps, SyncMode.FULL, dry_run=dry_run, body=body, status_keys=[status], automated=automated
    )


def run_list(deps: SyncDeps, *, completed: bool, dry_run: bool = False) -> SyncReport:
    """Completed or watching sync over the AniList list entries of that status."""
    mode = SyncMode.COMPLETED if completed else SyncMode.WATCHING

    def body(pipeline: Pipeline) -> None:
        deps.tell(READING_ANILIST)
        user = _user(deps)
        entries = deps.anilist.media_list(user.id, "COMPLETED" if completed else "CURRENT")
        events = events_from_entries(
            entries, completed=completed, now=deps.now(), undated=deps.completed_watched_at
        )
        pipeline.run(events, {e.media.id: e.media for e in entries})
        # Rewatches need the activity window: only the full sync and `run_extras_only`.
        run_extras(deps, pipeline.report, user=user, dry_run=dry_run)

    status = (
        keys.STATUS_SYNC_COMPLETED_LAST_RUN if completed else keys.STATUS_SYNC_WATCHING_LAST_RUN
    )
    return _run(
        deps, mode, dry_run=dry_run, body=body, status_keys=[keys.STATUS_SYNC_LAST_RUN, status]
    )


def run_extras_only(
    deps: SyncDeps, *, dry_run: bool = False, features: Iterable[Extra] | None = None
) -> SyncReport:
    """The features beyond history alone (default: those on), posting no first watch.

    Rewatches read the activities since `lastSyncTimestamp` (the full sync's window,
    which only the full sync moves); an entry with a first watch in it waits for the
    full sync to post that first. A feature that fails makes the run fail; with none on,
    InputError, before anything is asked or written.
    """
    chosen = frozenset(deps.extras if features is None else features)
    if not chosen:
        names = ", ".join(e.setting for e in Extra)
        raise InputError(f"no feature beyond history is on: set one of {names} to true")

    def body(pipeline: Pipeline) -> None:
        deps.tell(READING_ANILIST)
        user = _user(deps)
        activities = None
        if Extra.REWATCHES in chosen:
            with deps.sessions() as session:
                since = _since(get_config(session, keys.LAST_SYNC_TIMESTAMP, 0))
            activities = deps.anilist.list_activities(user.id, since)
        events, _ = events_from_activities(activities or ())
        report = pipeline.report
        run_extras(
            deps,
            report,
            user=user,
            dry_run=dry_run,
            activities=activities,
            features=chosen,
            held={e.anilist_id for e in events if e.episodes},
        )
        report.failure = next((f.failure for f in report.extras if f.failure), None)

    status = [keys.STATUS_SYNC_EXTRAS_LAST_RUN]
    return _run(deps, SyncMode.EXTRAS, dry_run=dry_run, body=body, status_keys=status)


@dataclass(frozen=True)
class ShowSyncResult:
    anilist_id: int
    trakt_id: int
    count: int


def sync_show(deps: SyncDeps, anilist_id: int) -> ShowSyncResult:
    """Resolve one entry, fetch its Trakt seasons and cache the flattened list; posts nothing."""
    resolution = deps.resolver.resolve_many([Media(anilist_id)])[anilist_id]
    if not isinstance(resolution, IdMapping) or resolution.trakt_id is None:
        reason = getattr(resolution, "reason", "no Trakt id")
        raise NotFoundError(f"AniList {anilist_id} is not mapped to Trakt: {reason}")
    episodes = episode_list_of(deps.trakt.seasons_with_episodes(resolution.trakt_id))
    with deps.sessions.begin() as session:
        store_episode_list(session, resolution.trakt_id, episodes)
    count = len(episodes.regular) + len(episodes.specials)
    deps.events.info(
        f"single-show sync: AniList {anilist_id} → Trakt {resolution.trakt_id}, "
        f"{count} episodes cached"
    )
    return ShowSyncResult(anilist_id, resolution.trakt_id, count)
