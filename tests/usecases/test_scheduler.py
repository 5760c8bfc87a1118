"""The built-in scheduler: the cron gate asked on a timer, surviving whatever a tick does."""

from __future__ import annotations

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
from anitrakt.usecases.sync.lock import SyncAlreadyRunning
from anitrakt.usecases.sync.report import SyncReport
from anitrakt.usecases.sync.status import SyncFailure, read_sync_status, record_failure


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

    assert cron_tick(runtime, run).tick is (Tick.RAN if due else Tick.NOT_DUE)
    assert runs == ([runtime] if due else [])


def test_a_run_that_stops_on_an_error_is_a_failed_tick(runtime: Runtime) -> None:
    assert cron_tick(runtime, lambda _r: _report("Trakt is unreachable")).tick is Tick.FAILED


def test_a_tick_while_another_sync_runs_skips_quietly(runtime: Runtime) -> None:
    def busy(_runtime: Runtime) -> SyncReport:
        raise SyncAlreadyRunning("sync already running")

    assert cron_tick(runtime, busy).tick is Tick.BUSY
    assert _messages(runtime) == []


def test_a_tick_that_cannot_start_logs_why(runtime: Runtime) -> None:
    def unconfigured(_runtime: Runtime) -> SyncReport:
        raise ConfigError("set ANILIST_ACCESS_TOKEN or ANILIST_USERNAME")

    assert cron_tick(runtime, unconfigured).tick is Tick.FAILED
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


class ScriptedWaits:
    """The timer's waits, scripted: records each wait asked for and stops after `looks`."""

    def __init__(self, looks: int) -> None:
        self.looks = looks
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> bool:
        self.asked.append(seconds)
        return len(self.asked) > self.looks


def test_the_timer_asks_the_gate_every_period_and_survives_a_crashing_look(
    runtime: Runtime,
) -> None:
    looks: list[int] = []

    def tick(_runtime: Runtime) -> object:
        looks.append(1)
        if len(looks) == 2:
            raise RuntimeError("a bug in one look")
        return Tick.RAN

    waits = ScriptedWaits(looks=4)
    Scheduler(runtime, check_every=300.0, first_check=15.0, tick=tick, wait=waits).run()

    assert len(looks) == 4  # the crash in the second look did not stop the timer
    assert waits.asked == [15.0, 300.0, 300.0, 300.0, 300.0]


def test_a_stopped_timer_thread_is_not_alive(runtime: Runtime) -> None:
    timer = Scheduler(runtime, first_check=3600.0, tick=lambda _r: Tick.RAN)
    timer.start()
    assert timer.alive
    timer.stop()
    assert not timer.alive


def _failed_automated_run(runtime: Runtime, minutes_ago: float) -> None:
    at = utc_now() - timedelta(minutes=minutes_ago)
    with runtime.sessions.begin() as session:
        record_failure(session, SyncFailure(at, "full sync", "Trakt is down", automated=True))


@pytest.mark.parametrize(
    ("minutes_ago", "due"),
    [pytest.param(10, False, id="within-the-back-off"), pytest.param(31, True, id="after-it")],
)
def test_after_a_failed_automated_run_the_gate_waits_30_minutes(
    runtime: Runtime, minutes_ago: float, due: bool
) -> None:
    _last_automated_run(runtime, 7)  # due by the interval alone
    _failed_automated_run(runtime, minutes_ago)
    runs: list[Runtime] = []

    outcome = cron_tick(runtime, lambda given: runs.append(given) or _report())

    assert outcome.tick is (Tick.RAN if due else Tick.NOT_DUE)
    assert outcome.decision.backing_off is not due
    assert len(runs) == int(due)
    if not due:
        assert outcome.decision.next_run is not None
        wait = outcome.decision.next_run - utc_now()
        assert timedelta(minutes=19) < wait <= timedelta(minutes=20)


def test_a_failed_manual_run_does_not_hold_the_schedule_back(runtime: Runtime) -> None:
    at = utc_now() - timedelta(minutes=1)
    with runtime.sessions.begin() as session:
        record_failure(session, SyncFailure(at, "full sync", "Trakt is down"))

    assert cron_tick(runtime, lambda _r: _report()).tick is Tick.RAN
