"""Unattended syncs: the cron gate, the automated run, and the timer `serve` runs.

The gate decides: an automated full sync is due when `status:sync:last-run-auto` is older
than `SYNC_INTERVAL_HOURS`, and not before `RETRY_AFTER_FAILURE` has passed since an
automated run that failed (the same error every 5 minutes only fills the log and knocks
on a closed door, e.g. a refusal). The built-in timer and `GET /api/cron` both ask it
through `cron_tick`, so they behave the same and say the same (README, "How a sync
works").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.orm import Session

from anitrakt.domain import keys
from anitrakt.domain.instants import parse_instant
from anitrakt.errors import AnitraktError
from anitrakt.store.system_config import get_config
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.refresh import refresh_stale_sources
from anitrakt.usecases.sync.lock import SyncAlreadyRunning, sync_lock
from anitrakt.usecases.sync.modes import run_full
from anitrakt.usecases.sync.report import SyncReport
from anitrakt.usecases.sync.status import SyncFailure, read_sync_status, record_failure

logger = logging.getLogger("anitrakt.usecases.scheduler")

# How often the built-in timer asks the gate; a run starts at most this long after it
# falls due.
CHECK_EVERY_SECONDS = 300.0
# The first look comes soon after start-up, not a whole period later.
FIRST_CHECK_SECONDS = 15.0
# The lease a tick holds while it looks at the gate and runs (besides the sync's own).
CRON_LOCK = "cron"
# After an automated run that failed, the gate waits this long before the next one.
RETRY_AFTER_FAILURE = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class CronDecision:
    """Whether the automated sync is due now, when it last ran and when it runs next."""

    due: bool
    last_run: datetime | None
    next_run: datetime | None
    backing_off: bool = False


def cron_state(session: Session, interval_hours: float, now: datetime) -> CronDecision:
    """The gate: due after the interval, and not within the back-off after a failure."""
    last = parse_instant(get_config(session, keys.STATUS_SYNC_LAST_RUN_AUTO))
    if interval_hours <= 0:
        return CronDecision(False, last, None)
    next_run = now if last is None else last + timedelta(hours=interval_hours)
    failure = read_sync_status(session).last_failure
    if failure is not None and failure.automated:
        retry_at = failure.at + RETRY_AFTER_FAILURE
        if retry_at > next_run:
            return CronDecision(now >= retry_at, last, retry_at, backing_off=now < retry_at)
    return CronDecision(now >= next_run, last, next_run)


def run_automated_sync(runtime: Runtime) -> SyncReport:
    """The unattended run: stale mapping sources first, then the incremental full sync.

    Without the refresh a fresh install would resolve nothing, and shows added to Fribb
    or Otaku after the last manual refresh would stay unmapped.
    """
    notifier = runtime.notifier  # healthcheck pings: /start, then success or /fail
    notifier.automated_run_started()
    try:
        refresh_stale_sources(runtime)
        with runtime.sync_deps() as deps:
            report = run_full(deps, automated=True)
    except Exception as exc:
        notifier.automated_run_failed(exc)
        raise
    notifier.automated_run_finished(report)
    return report


class Tick(Enum):
    """What one look at the gate did."""

    NOT_DUE = "not due"
    BUSY = "another sync is running"
    RAN = "ran"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CronOutcome:
    """One look at the gate: what it decided, and the run's report or why it could not start."""

    tick: Tick
    decision: CronDecision
    report: SyncReport | None = None
    error: AnitraktError | None = None


def cron_tick(
    runtime: Runtime, run: Callable[[Runtime], SyncReport] = run_automated_sync
) -> CronOutcome:
    """Ask the gate once; run the automated sync when it is due.

    The look and the run happen under the `cron` lease, so several processes sharing one
    database (several `serve`s on one PostgreSQL) run each due sync exactly once: one
    that decided "due" cannot start its run after another's run has already cleared
    the gate. A tick that finds the lease taken is a busy tick.
    """
    try:
        with sync_lock(runtime.sessions, name=CRON_LOCK):
            return _tick_holding_the_lease(runtime, run)
    except SyncAlreadyRunning as exc:
        logger.info("scheduled sync skipped: another sync is running")
        with runtime.sessions() as session:
            decision = cron_state(session, runtime.settings.sync_interval_hours, runtime.now())
        return CronOutcome(Tick.BUSY, decision, error=exc)


def _tick_holding_the_lease(runtime: Runtime, run: Callable[[Runtime], SyncReport]) -> CronOutcome:
    with runtime.sessions() as session:
        decision = cron_state(session, runtime.settings.sync_interval_hours, runtime.now())
    if not decision.due:
        return CronOutcome(Tick.NOT_DUE, decision)
    try:
        report = run(runtime)
    except SyncAlreadyRunning as exc:
        logger.info("scheduled sync skipped: another sync is running")
        return CronOutcome(Tick.BUSY, decision, error=exc)
    except AnitraktError as exc:
        runtime.events.error(f"scheduled sync could not start: {exc.message}")
        failure = SyncFailure(runtime.now(), "scheduled sync", exc.message, automated=True)
        with runtime.sessions.begin() as session:
            record_failure(session, failure)
        return CronOutcome(Tick.FAILED, decision, error=exc)
    return CronOutcome(Tick.FAILED if report.error else Tick.RAN, decision, report)


class Scheduler:
    """A daemon thread that asks the gate every `check_every` seconds until stopped.

    `wait(seconds)` sleeps until the next look and says whether to stop; it is the
    thread's stop event, or a test's script.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        check_every: float = CHECK_EVERY_SECONDS,
        first_check: float = FIRST_CHECK_SECONDS,
        tick: Callable[[Runtime], object] = cron_tick,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self._runtime = runtime
        self._check_every = check_every
        self._first_check = first_check
        self._tick = tick
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._thread = threading.Thread(target=self.run, name="anitrakt-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the timer thread is running (a health check reads this)."""
        return self._thread.is_alive()

    def run(self) -> None:
        """Look at the gate, then wait; survive anything a look does."""
        wait = self._first_check
        while not self._wait(wait):
            try:
                self._tick(self._runtime)
            except Exception:  # the timer must survive anything a tick does
                logger.exception("scheduler tick failed")
            wait = self._check_every
