"""The built-in scheduler: `serve` runs the cron gate on a timer (SPEC §6).

The gate itself decides (an automated full sync when `status:sync:last-run-auto` is
older than `SYNC_INTERVAL_HOURS`); the timer only asks often enough. Anything that
goes wrong is logged and retried at the next tick; the web app never notices.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import Enum

from anitrakt.errors import AnitraktError
from anitrakt.runtime import Runtime
from anitrakt.services import run_automated_sync
from anitrakt.store.types import utc_now
from anitrakt.sync.engine import SyncReport
from anitrakt.sync.lock import SyncAlreadyRunning
from anitrakt.sync.modes import cron_state
from anitrakt.sync.status import SyncFailure, record_failure

logger = logging.getLogger("anitrakt.scheduler")

# How often the gate is asked; a run starts at most this long after it falls due.
CHECK_EVERY_SECONDS = 300.0
# The first look comes soon after start-up, not a whole period later.
FIRST_CHECK_SECONDS = 15.0
# After a run that failed (Trakt down, a setting missing), wait longer before the next
# try: the same error every 5 minutes only fills the log and knocks on a closed door.
RETRY_AFTER_FAILURE_SECONDS = 1800.0


class Tick(Enum):
    """What one look at the gate did."""

    NOT_DUE = "not due"
    BUSY = "another sync is running"
    RAN = "ran"
    FAILED = "failed"


def cron_tick(runtime: Runtime, run: Callable[[Runtime], SyncReport] | None = None) -> Tick:
    """Ask the gate once; run the automated sync when due."""
    with runtime.sessions() as session:
        decision = cron_state(session, runtime.settings.sync_interval_hours)
    if not decision.due:
        return Tick.NOT_DUE
    try:
        report = (run or run_automated_sync)(runtime)
    except SyncAlreadyRunning:
        logger.info("scheduled sync skipped: another sync is running")
        return Tick.BUSY
    except AnitraktError as exc:
        runtime.events.error(f"scheduled sync could not start: {exc.message}")
        with runtime.sessions.begin() as session:
            record_failure(session, SyncFailure(utc_now(), "scheduled sync", exc.message))
        return Tick.FAILED
    return Tick.FAILED if report.error else Tick.RAN


class Scheduler:
    """A daemon thread that calls `cron_tick` every `check_every` seconds.

    After a failed run it waits `retry_after_failure` instead.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        check_every: float = CHECK_EVERY_SECONDS,
        first_check: float = FIRST_CHECK_SECONDS,
        retry_after_failure: float = RETRY_AFTER_FAILURE_SECONDS,
        tick: Callable[[Runtime], Tick] = cron_tick,
    ) -> None:
        self._runtime = runtime
        self._check_every = check_every
        self._first_check = first_check
        self._retry_after_failure = retry_after_failure
        self._tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="anitrakt-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        """Whether the timer thread is running (readiness checks ask)."""
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        wait = self._first_check
        while not self._stop.wait(wait):
            try:
                outcome = self._tick(self._runtime)
            except Exception:  # the timer must survive anything a tick does
                logger.exception("scheduler tick failed")
                outcome = Tick.FAILED
            failed = outcome is Tick.FAILED
            wait = self._retry_after_failure if failed else self._check_every
