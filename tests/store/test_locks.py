"""The database-held sync lease: one holder at a time, across threads and processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clock import utc_now
from anitrakt.store.locks import Holder, release, renew, try_acquire
from anitrakt.store.models import SystemConfig
from anitrakt.usecases.sync.lock import SyncAlreadyRunning, sync_lock
from waiting import HANG_GUARD, wait_until

Sessions = sessionmaker[Session]
TTL = timedelta(seconds=90)


def acquire(sessions: Sessions, holder: Holder, *, at_offset: float = 0) -> bool:
    with sessions.begin() as session:
        return try_acquire(
            session, "sync", holder, ttl=TTL, now=utc_now() + timedelta(seconds=at_offset)
        )


def test_second_holder_waits_until_the_first_releases(sessions: Sessions) -> None:
    first, second = Holder.this_process(), Holder.this_process()

    assert acquire(sessions, first)
    assert not acquire(sessions, second)
    with sessions.begin() as session:
        release(session, "sync", first)
    assert acquire(sessions, second)
    with sessions() as session:
        assert Holder.decode(session.get(SystemConfig, "lock:sync").value) == second


def test_a_holder_that_stopped_heartbeating_loses_the_lease(sessions: Sessions) -> None:
    first = Holder("gone", "other-host", 1)
    second = Holder.this_process()

    assert acquire(sessions, first)
    assert not acquire(sessions, second, at_offset=60)
    assert acquire(sessions, second, at_offset=91)
    with sessions.begin() as session:
        assert not renew(session, "sync", first, now=utc_now())
        assert renew(session, "sync", second, now=utc_now())


def test_a_dead_process_on_this_host_is_not_waited_for(sessions: Sessions) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = Holder("dead", Holder.this_process().host, int(finished.stdout))

    assert acquire(sessions, dead)
    assert acquire(sessions, Holder.this_process())


def test_only_one_of_many_concurrent_callers_gets_the_lock(sessions: Sessions) -> None:
    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    entered = threading.Event()
    release_all = threading.Event()

    def run() -> None:
        barrier.wait()
        try:
            with sync_lock(sessions):
                outcomes.append("ran")
                entered.set()
                release_all.wait(HANG_GUARD)
        except SyncAlreadyRunning:
            outcomes.append("409")
        except Exception as exc:  # SQLite may report busy for a racer; count it as refused
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=run) for _ in range(10)]
    for thread in threads:
        thread.start()
    assert entered.wait(HANG_GUARD)
    # Every other caller has been answered while the one lease is still held.
    wait_until(lambda: len(outcomes) == 10, what="all ten callers answered")
    release_all.set()
    for thread in threads:
        thread.join(HANG_GUARD)

    assert outcomes.count("ran") == 1
    assert outcomes.count("409") == 9
    with sync_lock(sessions):  # released afterwards
        pass


def test_a_killed_holder_process_does_not_block_the_next_sync(
    sessions: Sessions, tmp_path: Path
) -> None:
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    ready = tmp_path / "ready"
    script = textwrap.dedent(
        f"""
        import time, pathlib
        from anitrakt.store.db import create_db_engine, create_session_factory
        from anitrakt.usecases.sync.lock import sync_lock
        sessions = create_session_factory(create_db_engine({url!r}))
        with sync_lock(sessions):
            pathlib.Path({str(ready)!r}).write_text("held")
            time.sleep(3600)  # killed by the test
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", script])
    try:
        wait_until(ready.exists, what="the holder process taking the lock", process=holder)
        with pytest.raises(SyncAlreadyRunning), sync_lock(sessions):
            pass
        os.kill(holder.pid, 9)
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()

    with sync_lock(sessions) as lease:
        assert lease.pid == os.getpid()
