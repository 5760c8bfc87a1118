"""What the dashboard shows, read in one call (and without asking any upstream)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from anitrakt.domain.values import SourceName
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.extras import FeatureState, read_feature_states
from anitrakt.usecases.progress import ProgressEntry, recent_progress
from anitrakt.usecases.scheduler import CronDecision, cron_state
from anitrakt.usecases.setup import Check, setup_checks
from anitrakt.usecases.sources.refresh import SourceStatus, source_status
from anitrakt.usecases.stats import StateShare, last_states, plays_per_day
from anitrakt.usecases.sync.status import SyncStatus, read_sync_status
from anitrakt.usecases.trakt_account import TraktConnection, stored_connection

RECENT_PROGRESS = 10


@dataclass(frozen=True, slots=True)
class Dashboard:
    sources: list[SourceStatus]
    status: SyncStatus
    cron: CronDecision
    scheduler_enabled: bool
    trakt: TraktConnection
    progress: tuple[ProgressEntry, ...]
    # The features beyond history: on or off, and their last result.
    extras: list[FeatureState]
    # The first-run checklist (`anitrakt doctor`).
    setup: list[Check]
    # The charts: plays posted per day (last 30 days), entries by state (last library read).
    plays: list[tuple[date, int]] = field(default_factory=list)
    states: StateShare | None = None


def dashboard(runtime: Runtime) -> Dashboard:
    """Mapping sources, sync status and the next run, the Trakt connection, recent progress,
    and the features beyond history."""
    settings = runtime.settings
    with runtime.sessions() as session:
        sources = [source_status(session, source) for source in SourceName]
        status = read_sync_status(session)
        cron = cron_state(session, settings.sync_interval_hours, runtime.now())
        extras = read_feature_states(session, settings.extras)
        plays = plays_per_day(session, runtime.now().date())
        states = last_states(session)
    return Dashboard(
        sources=sources,
        status=status,
        cron=cron,
        scheduler_enabled=settings.sync_interval_hours > 0,
        trakt=stored_connection(runtime),
        progress=recent_progress(runtime, limit=RECENT_PROGRESS).items,
        extras=extras,
        setup=setup_checks(runtime),
        plays=plays,
        states=states,
    )
