"""The one sync pipeline: read → resolve → translate → drop what is done → post → record.

Modes (`anitrakt.usecases.sync.modes`) only differ in how they read AniList; everything after
that happens here. Guarantees, in the order a run meets them:
- nothing already on Trakt (per `sync_progress` or Trakt's own watched state) is posted;
- plays go out in batches, each confirmed batch is recorded at once in its own
  transaction, so a crash loses nothing and a re-run posts nothing twice;
- after an unclear failure (a timeout once Trakt may have applied the write) the
  watched state is re-read and only what is missing is sent again;
- a stop request (`SyncDeps.stop`, set on SIGTERM) ends the run before the next batch,
  so a shutdown never cuts a batch in half;
- a dry run computes the same plan and stops at the write edge.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

from anitrakt.clients.trakt import TraktClient
from anitrakt.domain.anilist import Media
from anitrakt.domain.planning import (
    Plan,
    PlannedPlay,
    ShowTarget,
    Skipped,
    Target,
    WatchedState,
    WatchEvent,
    advance_progress,
    plan_sync,
)
from anitrakt.domain.review import review_entries
from anitrakt.domain.targets import (
    build_targets,
    history_items,
    is_movie,
    not_found_matches,
    on_trakt,
)
from anitrakt.domain.values import (
    IdMapping,
    SyncMode,
    UnmappedEntry,
    Unresolved,
)
from anitrakt.errors import AccountLimit, AnitraktError, Interrupted, UnclearWrite
from anitrakt.store.overrides import get_overrides_for_shows
from anitrakt.store.progress import get_progress_many, set_progress
from anitrakt.store.titles import save_titles
from anitrakt.usecases.sync.facts import load_placement_facts
from anitrakt.usecases.sync.report import RunOutcome, SyncDeps, SyncReport
from anitrakt.usecases.sync.shows import load_episode_lists

# Plays per POST /sync/history. Trakt processes a history post synchronously and
# answers with per-item results; 100 episodes keep the body around 10 kB and the request
# well inside our 30 s timeout, while a 1,000-episode backlog still needs only 10 posts
# (10 s at the 1 write/s limit).
BATCH_SIZE = 100
# Re-reads of the watched state after unclear failures of one batch before giving up.
MAX_UNCLEAR_RETRIES = 2


def read_watched_state(trakt: TraktClient) -> WatchedState:
    """Trakt's watched episodes and movies: one (complete) read of each per call."""
    shows = trakt.watched_shows()
    watched_movies = trakt.watched_movies()
    episodes = {
        (show.show.ids.trakt, season, number)
        for show in shows
        if show.show.ids.trakt is not None
        for (season, number), plays in show.plays.items()
        if plays > 0
    }
    movies = {m.movie.ids.trakt for m in watched_movies if m.movie.ids.trakt is not None}
    total = sum(sum(show.plays.values()) for show in shows) + sum(m.plays for m in watched_movies)
    return WatchedState(frozenset(episodes), frozenset(movies), total)


class Pipeline:
    """One run of the shared pipeline over a list of watch events."""

    def __init__(self, deps: SyncDeps, mode: SyncMode, *, dry_run: bool) -> None:
        self.deps = deps
        self.report = SyncReport(mode=mode, dry_run=dry_run)
        self.dry_run = dry_run
        self.resolved_ids: set[int] = set()
        # Entries whose episodes this run placed (so what it held replaces older holds).
        self.placed_ids: set[int] = set()

    def run(self, events: Sequence[WatchEvent], media: Mapping[int, Media]) -> RunOutcome:
        deps = self.deps
        report = self.report
        report.found = len({e.anilist_id for e in events})
        active = [e for e in events if e.episodes]
        if not active:
            return RunOutcome(report, set())
        wanted = {e.anilist_id: media.get(e.anilist_id) or Media(e.anilist_id) for e in active}
        report.media = dict(wanted)
        if not self.dry_run:
            self._remember_titles(wanted.values())
        resolutions = deps.resolver.resolve_many(list(wanted.values()), save=not self.dry_run)
        self.resolved_ids = {a for a, r in resolutions.items() if isinstance(r, IdMapping)}
        retry = {a for a, r in resolutions.items() if isinstance(r, Unresolved) and r.retry}
        show_ids = {
            r.trakt_id
            for a, r in resolutions.items()
            if isinstance(r, IdMapping) and r.trakt_id is not None and not is_movie(r, wanted[a])
        }
        watched = read_watched_state(deps.trakt)
        with deps.sessions() as session:
            progress = get_progress_many(session, wanted)
            overrides = get_overrides_for_shows(session, show_ids)
        now = deps.now()
        save = not self.dry_run
        lists, fetched = load_episode_lists(deps.sessions, deps.trakt, show_ids, now=now, save=save)
        # Air dates only for entries with episodes past their recorded progress.
        unfinished = {
            e.anilist_id for e in active if max(e.episodes) > progress.get(e.anilist_id, 0)
        }
        facts = load_placement_facts(deps, wanted, resolutions, dates_for=unfinished)
        targets = build_targets(wanted, resolutions, lists, overrides, facts)
        plan = plan_sync(events, targets, progress, watched)
        stale = self._stale_shows(plan, targets, fetched)
        if stale:
            refreshed, _ = load_episode_lists(
                deps.sessions, deps.trakt, stale, now=now, refetch=stale, save=save
            )
            lists.update(refreshed)
            targets = build_targets(wanted, resolutions, lists, overrides, facts)
            plan = plan_sync(events, targets, progress, watched)
        self.placed_ids = {a for a, t in targets.items() if isinstance(t, ShowTarget)}
        self._describe(plan, wanted)
        if self.dry_run:
            report.added = len(plan.plays)
            report.synced = len({p.anilist_id for p in plan.plays})
            return RunOutcome(report, self._unhandled(plan, set(plan.plays), retry))
        if plan.plays and not self._fits_history_cap(len(plan.plays), watched):
            return RunOutcome(report, self._unhandled(plan, set(), retry))
        confirmed = self._post(plan, progress)
        report.added = len(confirmed)
        report.synced = len({p.anilist_id for p in confirmed})
        return RunOutcome(report, self._unhandled(plan, confirmed, retry))

    def _fits_history_cap(self, planned: int, watched: WatchedState) -> bool:
        """Check the account's history cap before the first post, not with a 420 mid-batch."""
        user = self.deps.trakt.user_settings()
        limit = user.history_limit
        if watched.plays + planned <= limit:
            return True
        self.report.failure = AccountLimit(
            f"this run would post {planned:,} plays, but the Trakt account already holds "
            f"{watched.plays:,} and its history is limited to {limit:,} plays; nothing was "
            "posted. Remove old plays on Trakt (or sync less) and run again",
            limit=str(limit),
            vip=user.vip,
        )
        return False

    @staticmethod
    def _stale_shows(plan: Plan, targets: Mapping[int, Target], fetched: set[int]) -> set[int]:
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

    def _describe(self, plan: Plan, media: Mapping[int, Media]) -> None:
        report, log = self.report, self.deps.events
        report.plays = list(plan.plays)
        report.already_synced = len(plan.already)
        report.pending = len(plan.pending)
        report.skipped_unmapped = len(plan.unmapped)
        planned = {p.anilist_id for p in plan.plays} | {p.anilist_id for p in plan.pending}
        report.already_synced_shows = len(
            {s.anilist_id for s in plan.already} - planned - set(plan.unmapped)
        )
        for note in plan.notes:
            log.info(note)
        for anilist_id, reason in plan.unmapped.items():
            title = media[anilist_id].title if anilist_id in media else f"AniList #{anilist_id}"
            report.unmapped.append(UnmappedEntry(anilist_id, title, reason))
            if anilist_id in self.resolved_ids:
                # The resolver logs its own misses; this one was resolved but has no
                # usable Trakt target (e.g. its episode list could not be read).
                log.warn(f"unmapped: {title} (AniList {anilist_id}): {reason}")
        pending_by_entry: dict[int, list[int]] = defaultdict(list)
        why: dict[int, str] = {}
        for skipped in plan.pending:
            pending_by_entry[skipped.anilist_id].append(skipped.anilist_episode)
            why.setdefault(skipped.anilist_id, skipped.reason)
        for anilist_id, episodes in pending_by_entry.items():
            report.pending_entries[anilist_id] = (tuple(sorted(episodes)), why[anilist_id])
            title = media[anilist_id].title if anilist_id in media else f"AniList #{anilist_id}"
            log.info(
                f"pending: {title} episodes {min(episodes)}–{max(episodes)} "
                "are not on Trakt yet; they will be posted once Trakt lists them"
            )
        report.review = review_entries(plan.review, media)
        for entry in report.review:
            log.warn(
                f"needs review: {entry.title} (AniList {entry.anilist_id}) episodes "
                f"{entry.episodes_text}: {entry.reason}; nothing was posted for them"
            )

    def _post(self, plan: Plan, progress: Mapping[int, int]) -> set[PlannedPlay]:
        """Post every batch, recording progress after each confirmed one."""
        done: dict[int, set[int]] = defaultdict(set)
        covered_by: dict[PlannedPlay, list[Skipped]] = defaultdict(list)
        for skipped in plan.already:
            if skipped.waits_for is None:
                done[skipped.anilist_id].add(skipped.anilist_episode)
            else:
                covered_by[skipped.waits_for].append(skipped)
        last_abs = dict(progress)
        confirmed: set[PlannedPlay] = set()
        plays = list(plan.plays)
        # An AniList episode spanning several Trakt episodes is done once all are posted.
        outstanding = Counter((p.anilist_id, p.anilist_episode) for p in plays)

        def record(batch: Sequence[PlannedPlay]) -> None:
            confirmed.update(batch)
            touched = set()
            for play in batch:
                key = (play.anilist_id, play.anilist_episode)
                outstanding[key] -= 1
                if outstanding[key] <= 0:
                    done[play.anilist_id].add(play.anilist_episode)
                touched.add(play.anilist_id)
                for repeat in covered_by.get(play, ()):
                    done[repeat.anilist_id].add(repeat.anilist_episode)
                    touched.add(repeat.anilist_id)
            self._record_progress(touched, done, last_abs)

        # Entries with nothing to post may still move forward (e.g. all on Trakt already).
        self._record_progress(set(done), done, last_abs)
        for start in range(0, len(plays), BATCH_SIZE):
            if self.deps.stop is not None and self.deps.stop.is_set():
                self._interrupted(len(confirmed), len(plays))
                break
            batch = plays[start : start + BATCH_SIZE]
            try:
                self._post_batch(batch, record)
                if self.deps.progress is not None:
                    self.deps.progress(len(confirmed), len(plays))
            except AnitraktError as exc:
                self.report.failure = exc
                self.deps.events.error(
                    f"{self.report.mode.label}: posting batch {self.report.batches + 1} failed: "
                    f"{exc.message}; {len(confirmed)} plays were recorded, the rest will be "
                    "posted by the next run"
                )
                break
        return confirmed

    def _interrupted(self, confirmed: int, planned: int) -> None:
        self.report.failure = Interrupted(
            f"stopped because anitrakt is shutting down; {confirmed} of {planned} plays "
            "were recorded, the rest will be posted by the next run"
        )
        self.deps.events.warn(f"{self.report.mode.label}: {self.report.failure.message}")

    def _post_batch(
        self, batch: Sequence[PlannedPlay], record: Callable[[Sequence[PlannedPlay]], None]
    ) -> None:
        remaining = list(batch)
        for attempt in range(MAX_UNCLEAR_RETRIES + 1):
            try:
                result = self.deps.trakt.add_to_history(history_items(remaining))
            except UnclearWrite:
                if attempt == MAX_UNCLEAR_RETRIES:
                    raise
                watched = read_watched_state(self.deps.trakt)
                applied = [p for p in remaining if on_trakt(p, watched)]
                record(applied)
                remaining = [p for p in remaining if not on_trakt(p, watched)]
                self.deps.events.warn(
                    f"Trakt did not answer a history post clearly; {len(applied)} of the "
                    f"plays are on Trakt, resending {len(remaining)}"
                )
                if not remaining:
                    self.report.batches += 1
                    return
                continue
            self.report.batches += 1
            missing = [
                p for p in remaining if any(not_found_matches(i, p) for i in result.not_found)
            ]
            for play in missing:
                text = (
                    f"{play.title} {play.label()} "
                    f"(AniList {play.anilist_id} ep {play.anilist_episode})"
                )
                self.report.not_found.append(text)
                self.deps.events.warn(f"not found on Trakt: {text}; progress not advanced")
            record([p for p in remaining if p not in missing])
            return

    def _record_progress(
        self, entries: set[int], done: Mapping[int, set[int]], last_abs: dict[int, int]
    ) -> None:
        updates = {}
        for anilist_id in entries:
            before = last_abs.get(anilist_id, 0)
            after = advance_progress(before, done.get(anilist_id, set()))
            if after > before:
                updates[anilist_id] = after
        if not updates:
            return
        with self.deps.sessions.begin() as session:
            for anilist_id, value in updates.items():
                set_progress(session, anilist_id, value)
        last_abs.update(updates)

    def _remember_titles(self, media: Iterable[Media]) -> None:
        """Keep what AniList calls each entry, so mappings can be shown by name."""
        titles = {m.id: m.title for m in media if m.title_english or m.title_romaji}
        if titles:
            with self.deps.sessions.begin() as session:
                save_titles(session, titles)

    @staticmethod
    def _unhandled(plan: Plan, confirmed: set[PlannedPlay], retry: set[int]) -> set[int]:
        """Events not fully handled: `lastSyncTimestamp` stops before the first of them.

        `retry` holds entries whose miss may clear by itself (see `Unresolved.retry`).
        """
        unhandled = {s.event_index for s in plan.pending}
        unhandled |= {h.event_index for h in plan.review}
        unhandled |= {p.event_index for p in plan.plays if p not in confirmed}
        unhandled |= {
            s.event_index
            for s in plan.already
            if s.waits_for is not None and s.waits_for not in confirmed
        }
        unhandled |= {i for i, event in enumerate(plan.events) if event.anilist_id in retry}
        return unhandled
