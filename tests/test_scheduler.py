"""The built-in scheduler: the cron gate asked on a timer, surviving whatever a tick does."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clock import utc_now
from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.errors import ConfigError, UpstreamError
from anitrakt.store.logs import list_logs
from anitrakt.store.system_config import set_config
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.events import EventLog
from anitrakt.usecases.scheduler import Scheduler, Tick, cron_tick
from anitrakt.usecases.sync.engine import SyncReport
from anitrakt.usecases.sync.lock import SyncAlreadyRunning
from anitrakt.usecases.sync.status import read_sync_status


@pytest.fixture
def runtime(settings: Settings, engine: Engine, sessions: sessionmaker[Session]) -> Runtime:
    return Runtime(settings, engine, sessions, EventLog(sessions))


def _last_automated_run(runtime: Runtime, hours_ago: float) -> None:
    with runtime.sessions.begin() as session:
        stamp = utc_now() - timedelta(hours=hours_ago)
        set_config(session, keys.STATUS_SYNC_LAST_RUN_AUTO, stamp.isoformat())


def _messages(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return [row.message for row in list_logs(session)]


def _report(error: str | None = None) -> SyncReport:
    return SyncReport(
        "full", dry_run=False, failure=None if error is None else UpstreamError(error)
    )


@pytest.mark.parametrize(
    ("hours_ago", "due"),
    [
        pytest.param(None, True, id="never-ran"),
        pytest.param(7, True, id="older-than-the-interval"),
        pytest.param(5, False, id="within-the-interval"),
    ],
)
def test_a_tick_runs_the_sync_only_when_the_gate_says_due(
    runtime: Runtime, hours_ago: float | None, due: bool
) -> None:
    if hours_ago is not None:
        _last_automated_run(runtime, hours_ago)  # SYNC_INTERVAL_HOURS is 6
    runs: list[Runtime] = []

    def run(given: Runtime) -> SyncReport:
        runs.append(given)
        return _report()

    assert cron_tick(runtime, run) is (Tick.RAN if due else Tick.NOT_DUE)
    assert runs == ([runtime] if due else [])


def test_a_run_that_stops_on_an_error_is_a_failed_tick(runtime: Runtime) -> None:
    assert cron_tick(runtime, lambda _r: _report("Trakt is unreachable")) is Tick.FAILED


def test_a_tick_while_another_sync_runs_skips_quietly(runtime: Runtime) -> None:
    def busy(_runtime: Runtime) -> SyncReport:
        raise SyncAlreadyRunning("sync already running")

    assert cron_tick(runtime, busy) is Tick.BUSY
    assert _messages(runtime) == []


def test_a_tick_that_cannot_start_logs_why(runtime: Runtime) -> None:
    def unconfigured(_runtime: Runtime) -> SyncReport:
        raise ConfigError("set ANILIST_ACCESS_TOKEN or ANILIST_USERNAME")

    assert cron_tick(runtime, unconfigured) is Tick.FAILED
    assert _messages(runtime) == [
        "scheduled sync could not start: set ANILIST_ACCESS_TOKEN or ANILIST_USERNAME"
    ]
    with runtime.sessions() as session:
        failure = read_sync_status(session).last_failure
    assert failure is not None
    assert (failure.mode, failure.error) == (
        "scheduled sync",
        "set ANILIST_ACCESS_TOKEN or ANILIST_USERNAME",
    )


def _ticks_seen(
    runtime: Runtime, outcomes: list[Tick | Exception], *, seconds: float, retry: float = 5.0
) -> int:
    """Run a timer (checks every 0.01 s, `retry` s after a failure) and count its ticks."""
    ticks: list[int] = []

    def tick(_runtime: Runtime) -> Tick:
        ticks.append(1)
        outcome = outcomes[min(len(ticks), len(outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    timer = Scheduler(
        runtime, check_every=0.01, first_check=0.01, retry_after_failure=retry, tick=tick
    )
    timer.start()
    try:
        threading.Event().wait(seconds)
    finally:
        timer.stop()
    count = len(ticks)
    threading.Event().wait(0.05)
    assert len(ticks) == count  # stopped means stopped
    return count


def test_the_timer_keeps_asking_while_runs_succeed(runtime: Runtime) -> None:
    assert _ticks_seen(runtime, [Tick.RAN], seconds=0.3) >= 5


@pytest.mark.parametrize(
    "failure",
    [pytest.param(Tick.FAILED, id="failed-run"), pytest.param(RuntimeError("bug"), id="crash")],
)
def test_after_a_failure_the_timer_waits_longer_and_keeps_going(
    runtime: Runtime, failure: Tick | Exception
) -> None:
    assert _ticks_seen(runtime, [failure, Tick.RAN], seconds=0.3) == 1  # waiting 5 s
    # With a short retry: fails, retries, succeeds and goes back to the short period.
    assert _ticks_seen(runtime, [failure, Tick.RAN], seconds=1.0, retry=0.05) >= 5
