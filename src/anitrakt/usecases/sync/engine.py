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

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence

from anitrakt.clients.trakt import TraktClient
from anitrakt.domain.anilist import Media
from anitrakt.domain.planning import (
    Plan,
    PlannedPlay,
    Skipped,
    WatchedState,
    WatchEvent,
    advance_progress,
)
from anitrakt.domain.review import review_entries
from anitrakt.domain.targets import history_items, is_movie, not_found_matches, on_trakt
from anitrakt.domain.trakt import TraktUser
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
from anitrakt.usecases.sync.facts import dates_wanted, load_placement_facts
from anitrakt.usecases.sync.report import (
    POSTING,
    READING_TRAKT,
    RESOLVING,
    RunOutcome,
    SyncDeps,
    SyncReport,
)
from anitrakt.usecases.sync.stream import ShowPlanner, merge_plans

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
        """Place and post `events`; then keep the covers of every entry read."""
        outcome = self._place_and_post(events, media)
        if self.deps.covers is not None:
            self.deps.covers.keep(media.values(), stop=self.deps.stop)
        return outcome

    def _place_and_post(
        self, events: Sequence[WatchEvent], media: Mapping[int, Media]
    ) -> RunOutcome:
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
        deps.tell(RESOLVING, None, len(wanted))
        resolutions = deps.resolver.resolve_many(list(wanted.values()), save=not self.dry_run)
        self.resolved_ids = {a for a, r in resolutions.items() if isinstance(r, IdMapping)}
        retry = {a for a, r in resolutions.items() if isinstance(r, Unresolved) and r.retry}
        show_ids = {
            r.trakt_id
            for a, r in resolutions.items()
            if isinstance(r, IdMapping) and r.trakt_id is not None and not is_movie(r, wanted[a])
        }
        # The dedupe read, complete before anything is planned (so before the first post).
        deps.tell(READING_TRAKT)
        watched = read_watched_state(deps.trakt)
        with deps.sessions() as session:
            progress = get_progress_many(session, wanted)
            overrides = get_overrides_for_shows(session, show_ids)
        # Air dates only for entries with episodes past their recorded progress, read
        # show by show with the groups (AniList's budget, while Trakt's are busy).
        unfinished = {
            e.anilist_id for e in active if max(e.episodes) > progress.get(e.anilist_id, 0)
        }
        facts = load_placement_facts(deps, wanted, resolutions, airing={})
        shows = ShowPlanner(
            deps,
            events,
            wanted,
            resolutions,
            overrides=overrides,
            facts=facts,
            progress=progress,
            watched=watched,
            now=deps.now(),
            save=not self.dry_run,
            undated=dates_wanted(wanted, resolutions, facts, unfinished),
        )
        if self.dry_run:
            parts = []
            while shows.remaining:
                parts.append(shows.plan_next())
            plan = merge_plans(parts, events)
            self.placed_ids = shows.placed_ids
            self._describe(plan, wanted)
            report.added = len(plan.plays)
            report.synced = len({p.anilist_id for p in plan.plays})
            return RunOutcome(report, self._unhandled(plan, set(plan.plays), retry))
        book = _Book(self, progress)
        try:
            capped = self._overlap(shows, book, watched)
        except AnitraktError:
            # A read failed: what was posted is recorded; the run fails as before.
            report.added = len(book.confirmed)
            report.synced = len({p.anilist_id for p in book.confirmed})
            raise
        plan = merge_plans(book.parts, events)
        self.placed_ids = shows.placed_ids
        self._describe(plan, wanted)
        if capped:
            return RunOutcome(report, self._unhandled(plan, set(), retry))
        report.added = len(book.confirmed)
        report.synced = len({p.anilist_id for p in book.confirmed})
        unhandled = self._unhandled(plan, book.confirmed, retry) | shows.unplanned()
        return RunOutcome(report, unhandled)

    def _overlap(self, shows: ShowPlanner, book: _Book, watched: WatchedState) -> bool:
        """Read and post at once: each step is whichever Trakt allows first.

        A batch goes out once BATCH_SIZE plays are planned (or everything is), when the
        write budget frees no later than the next seasons read; otherwise the next show
        is read and planned. Posting may start early only if the account's history cap
        holds even for the most the rest could add (`play_bound`); if not, everything is
        planned first and checked exactly, as a run without overlap. True: the cap
        refused the run (nothing posted).
        """
        trakt = self.deps.trakt
        queue: deque[PlannedPlay] = deque()
        early: bool | None = None  # may post before everything is planned
        user: TraktUser | None = None
        while True:
            more = shows.remaining
            full = len(queue) >= BATCH_SIZE or (bool(queue) and not more)
            if full and early is None:
                user = trakt.user_settings()
                bound = book.planned + shows.play_bound()
                early = watched.plays + bound <= user.history_limit
            if full and (early or not more):
                if not more and not early:
                    early = True  # everything is planned: the exact check, once
                    if user is not None and not self._fits_history_cap(book.planned, watched, user):
                        return True
                if not more or trakt.next_write_at() <= shows.next_read_at():
                    book.flush()
                    if self.deps.stop is not None and self.deps.stop.is_set():
                        self._interrupted(len(book.confirmed), book.planned, all_planned=not more)
                        return False
                    batch = [queue.popleft() for _ in range(min(BATCH_SIZE, len(queue)))]
                    # Posting k/n, n the plays planned so far (it grows while shows are read).
                    self.deps.tell(POSTING, len(book.confirmed), book.planned)
                    try:
                        self._post_batch(batch, book.record)
                    except AnitraktError as exc:
                        self._batch_failed(exc, len(book.confirmed))
                        return False
                    self.deps.tell(POSTING, len(book.confirmed), book.planned)
                    continue
            if not more:
                book.flush()  # entries with nothing to post may still move forward
                return False
            part = shows.plan_next()
            book.add(part)
            queue.extend(part.plays)

    def _fits_history_cap(self, planned: int, watched: WatchedState, user: TraktUser) -> bool:
        """Check the account's history cap before the first post, not with a 420 mid-batch."""
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

    def _batch_failed(self, exc: AnitraktError, confirmed: int) -> None:
        self.report.failure = exc
        self.deps.events.error(
            f"{self.report.mode.label}: posting batch {self.report.batches + 1} failed: "
            f"{exc.message}; {confirmed} plays were recorded, the rest will be "
            "posted by the next run"
        )

    def _interrupted(self, confirmed: int, planned: int, *, all_planned: bool) -> None:
        of = f"{planned} plays" if all_planned else f"the {planned} plays planned so far"
        self.report.failure = Interrupted(
            f"stopped because anitrakt is shutting down; {confirmed} of {of} were "
            "recorded, the rest will be posted by the next run"
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


class _Book:
    """What the posting side of one run knows: the plans so far and what is confirmed.

    Progress moves only over episodes done (confirmed, or covered by a confirmed play),
    each confirmed batch at once in its own transaction.
    """

    def __init__(self, pipeline: Pipeline, progress: Mapping[int, int]) -> None:
        self._pipeline = pipeline
        self.parts: list[Plan] = []
        self._unbooked: list[Plan] = []
        self.planned = 0
        self.confirmed: set[PlannedPlay] = set()
        self._done: dict[int, set[int]] = defaultdict(set)
        self._covered_by: dict[PlannedPlay, list[Skipped]] = defaultdict(list)
        self._last_abs = dict(progress)
        # An AniList episode spanning several Trakt episodes is done once all are posted.
        self._outstanding: Counter[tuple[int, int]] = Counter()

    def add(self, part: Plan) -> None:
        self.parts.append(part)
        self._unbooked.append(part)
        self.planned += len(part.plays)
        self._outstanding.update((p.anilist_id, p.anilist_episode) for p in part.plays)

    def flush(self) -> None:
        """Book the parts added since the last flush (before posting any of their plays)."""
        touched = set()
        for part in self._unbooked:
            for skipped in part.already:
                if skipped.waits_for is None:
                    self._done[skipped.anilist_id].add(skipped.anilist_episode)
                    touched.add(skipped.anilist_id)
                else:
                    self._covered_by[skipped.waits_for].append(skipped)
        self._unbooked.clear()
        # Entries with nothing to post may still move forward (e.g. all on Trakt already).
        self._pipeline._record_progress(touched, self._done, self._last_abs)

    def record(self, batch: Sequence[PlannedPlay]) -> None:
        self.confirmed.update(batch)
        touched = set()
        for play in batch:
            key = (play.anilist_id, play.anilist_episode)
            self._outstanding[key] -= 1
            if self._outstanding[key] <= 0:
                self._done[play.anilist_id].add(play.anilist_episode)
            touched.add(play.anilist_id)
            for repeat in self._covered_by.get(play, ()):
                self._done[repeat.anilist_id].add(repeat.anilist_episode)
                touched.add(repeat.anilist_id)
        self._pipeline._record_progress(touched, self._done, self._last_abs)
