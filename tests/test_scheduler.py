"""The built-in scheduler: the cron gate asked on a timer, surviving whatever a tick does."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.errors import ConfigError
from anitrakt.oplog import EventLog
from anitrakt.runtime import Runtime
from anitrakt.scheduler import Scheduler, cron_tick
from anitrakt.store.logs import list_logs
from anitrakt.store.system_config import set_config
from anitrakt.store.types import utc_now
from anitrakt.sync.lock import SyncAlreadyRunning


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

    assert cron_tick(runtime, runs.append) is due

    assert runs == ([runtime] if due else [])


def test_a_tick_while_another_sync_runs_skips_quietly(runtime: Runtime) -> None:
    def busy(_runtime: Runtime) -> None:
        raise SyncAlreadyRunning("sync already running")

    assert cron_tick(runtime, busy) is False
    assert _messages(runtime) == []


def test_a_tick_that_cannot_start_logs_why(runtime: Runtime) -> None:
    def unconfigured(_runtime: Runtime) -> None:
        raise ConfigError("set ANILIST_ACCESS_TOKEN or ANILIST_USERNAME")

    assert cron_tick(runtime, unconfigured) is True
    assert _messages(runtime) == [
        "scheduled sync could not start: set ANILIST_ACCESS_TOKEN or ANILIST_USERNAME"
    ]


def test_the_timer_keeps_ticking_after_a_tick_fails(runtime: Runtime) -> None:
    ticks: list[int] = []
    enough = threading.Event()

    def tick(_runtime: Runtime) -> Any:
        ticks.append(len(ticks))
        if len(ticks) >= 3:
            enough.set()
        raise RuntimeError("a bug in one tick")

    timer = Scheduler(runtime, check_every=0.01, first_check=0.01, tick=tick)
    timer.start()
    try:
        assert enough.wait(10), "the timer stopped after a failing tick"
    finally:
        timer.stop()
    count = len(ticks)
    threading.Event().wait(0.05)
    assert len(ticks) == count  # stopped means stopped
