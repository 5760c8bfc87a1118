"""What a run is given (`SyncDeps`) and what it tells back (`SyncReport`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.anilist import AniListClient
from anitrakt.clients.trakt import TraktClient
from anitrakt.domain.anilist import Media
from anitrakt.domain.extras import Extra, ExtraItem
from anitrakt.domain.planning import PlannedPlay
from anitrakt.domain.review import ReviewEntry
from anitrakt.domain.values import SyncMode, UnmappedEntry
from anitrakt.errors import AnitraktError
from anitrakt.usecases.covers import CoverKeeper
from anitrakt.usecases.events import EventLog
from anitrakt.usecases.resolver import Resolver
from anitrakt.usecases.sources.index import SharedSourceIndex

# The phases a run reports (`RunProgress.phase`), in the order it meets them.
READING_ANILIST = "reading AniList"
RESOLVING = "resolving"
READING_TRAKT = "reading Trakt"
POSTING = "posting"
EXTRAS = "beyond history"
# Waits shorter than this are ordinary pacing (one Trakt write a second) and are not told.
NOTABLE_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class RunProgress:
    """Where a run is: its phase, `done` of `total` (when counted), and a note such as
    a rate-limit wait ("waiting 30 s: Trakt asked us to slow down")."""

    phase: str
    done: int | None = None
    total: int | None = None
    note: str = ""

    @property
    def text(self) -> str:
        counted = f" {self.done}/{self.total}" if self.done is not None and self.total else ""
        return f"{self.phase}{counted}" + (f" ({self.note})" if self.note else "")


@dataclass
class SyncDeps:
    """Everything a run needs, built by the CLI or the web app and passed in."""

    sessions: sessionmaker[Session]
    events: EventLog
    anilist: AniListClient
    trakt: TraktClient
    resolver: Resolver
    now: Callable[[], datetime]
    # Told each phase of the run and, while posting, after each confirmed batch
    # (`RunProgress`: "posting" with plays confirmed so far of plays planned).
    progress: Callable[[RunProgress], None] | None = None
    # The background job this run belongs to (`usecases.jobs`), named in a 409.
    job_id: str | None = None
    # Set when the process is stopping: the run ends before its next batch.
    stop: threading.Event | None = None
    # Told every run's report once it has ended and its bookkeeping is written
    # (notifications, metrics); see `Runtime.sync_deps`.
    on_finished: Callable[[SyncReport], None] | None = None
    # The loaded mapping sources, for the hints and neighbours placement weighs.
    sources: SharedSourceIndex | None = None
    # The features beyond history that are on (`Settings.extras`).
    extras: frozenset[Extra] = frozenset()
    # How a completed entry without completedAt is dated (`Settings.completed_watched_at`).
    completed_watched_at: str = "now"
    # Keeps the cover thumbnails of the entries a run read (None: COVER_CACHE_MB=0).
    covers: CoverKeeper | None = None
    _last: RunProgress | None = field(default=None, repr=False)

    def tell(self, phase: str, done: int | None = None, total: int | None = None) -> None:
        """Report the run's phase to whoever watches it (a job, a progress bar)."""
        self._last = RunProgress(phase, done, total)
        if self.progress is not None:
            self.progress(self._last)

    def waited(self, upstream: str, seconds: float, reason: str) -> None:
        """An upstream client is about to wait `seconds` (pacing or a 429): tell and log
        it when it is long enough for a person to notice."""
        if seconds < NOTABLE_WAIT_SECONDS:
            return
        note = f"waiting {seconds:.0f} s for {upstream}: {reason}"
        self.events.info(note)
        if self.progress is not None:
            last = self._last or RunProgress(READING_TRAKT)
            self.progress(RunProgress(last.phase, last.done, last.total, note))


@dataclass
class FeatureReport:
    """What one feature beyond history did in a run (docs/beyond-history.md).

    `writes`: what it wrote, or (dry) would write; `left`: what it did not, and why;
    `unchanged`: already as AniList has it; `ignored`: nothing to do (e.g. unscored).
    """

    feature: Extra
    enabled: bool
    dry_run: bool
    writes: list[ExtraItem] = field(default_factory=list)
    left: list[ExtraItem] = field(default_factory=list)
    unchanged: int = 0
    ignored: int = 0
    written: int = 0
    failure: AnitraktError | None = None
    # The account's cap as its settings name it, and a lower one Trakt enforced with a
    # 420 (`usecases.sync.extras.effective_limit`).
    settings_limit: int | None = None
    learned_limit: int | None = None

    @property
    def error(self) -> str | None:
        return self.failure.message if self.failure is not None else None

    @property
    def summary(self) -> str:
        label = self.feature.value
        if self.error:
            return f"{label} stopped: {self.error}"
        count = len(self.writes) if self.dry_run else self.written
        verb = "would write" if self.dry_run else "wrote"
        return f"{label}: {verb} {count}, {self.unchanged} unchanged, {len(self.left)} left"


@dataclass
class SyncReport:
    """What a run did (or, dry, would do); the API and CLI render it."""

    mode: SyncMode
    dry_run: bool
    found: int = 0
    synced: int = 0
    already_synced: int = 0
    already_synced_shows: int = 0
    skipped_unmapped: int = 0
    added: int = 0
    batches: int = 0
    pending: int = 0
    not_found: list[str] = field(default_factory=list)
    unmapped: list[UnmappedEntry] = field(default_factory=list)
    # Entries with episodes held because the sources disagree (docs/placement.md).
    review: list[ReviewEntry] = field(default_factory=list)
    # Entries with episodes not on Trakt yet: AniList id → (episodes, why).
    pending_entries: dict[int, tuple[tuple[int, ...], str]] = field(default_factory=dict)
    plays: list[PlannedPlay] = field(default_factory=list)
    media: dict[int, Media] = field(default_factory=dict)
    # The features beyond history this run ran, in the order they ran.
    extras: list[FeatureReport] = field(default_factory=list)
    # Why the run stopped early, when it did; its kind tells the API which status to use.
    failure: AnitraktError | None = None

    @property
    def error(self) -> str | None:
        return self.failure.message if self.failure is not None else None

    @property
    def message(self) -> str:
        if self.error:
            return f"{self.mode.label} stopped: {self.error}"
        verb = "would post" if self.dry_run else "posted"
        extras = "".join(f"; {feature.summary}" for feature in self.extras)
        if self.mode is SyncMode.EXTRAS:
            summaries = "; ".join(feature.summary for feature in self.extras)
            return f"{self.mode.label}: {summaries or 'nothing to do'}"
        # Each number once, and only those that are not zero: "0 unmapped" hides the
        # one that matters.
        counts = [
            (self.already_synced, "already synced"),
            (self.skipped_unmapped, "unmapped"),
            (len(self.not_found), "not found on Trakt"),
            (self.pending, "pending (not on Trakt yet)"),
            (self.held, "held for review"),
        ]
        rest = ", ".join(f"{count:,} {what}" for count, what in counts if count)
        return (
            f"{self.mode.label}: {verb} {_count(self.added, 'play')} for "
            f"{_count(self.synced, 'entry', 'entries')}" + (f"; {rest}" if rest else "") + extras
        )

    @property
    def held(self) -> int:
        """Episodes held for review in this run."""
        return sum(len(entry.episodes) for entry in self.review)


def _count(number: int, one: str, many: str | None = None) -> str:
    """`1 play`, `1,234 plays`: for people (JSON keeps the bare numbers)."""
    return f"{number:,} {one if number == 1 else many or one + 's'}"


@dataclass
class RunOutcome:
    """The report plus which events were not fully handled (for lastSyncTimestamp)."""

    report: SyncReport
    unhandled: set[int]
