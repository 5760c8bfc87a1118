"""A stop request (SIGTERM in `serve`) ends a sync at a batch boundary, losing nothing."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.errors import Interrupted
from anitrakt.store.logs import list_logs
from anitrakt.store.progress import list_progress
from anitrakt.store.system_config import get_config
from anitrakt.usecases.sync.engine import BATCH_SIZE
from anitrakt.usecases.sync.modes import run_full
from sync_world import World


def _world(sessions: sessionmaker[Session], settings: Settings) -> World:
    world = World(sessions, settings)
    world.generated_library()  # 298 plays: three batches
    return world


def test_a_stop_request_mid_run_ends_after_the_current_batch(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(sessions, settings)
    stop = threading.Event()
    deps = world.deps()
    deps.stop = stop
    # The request arrives while the first batch is being confirmed.
    deps.progress = lambda p: stop.set() if p.done else None

    report = run_full(deps)

    assert isinstance(report.failure, Interrupted)
    assert "shutting down" in report.message
    assert world.posts() == 1
    posted = world.history()
    assert sum(posted.values()) == BATCH_SIZE == report.added
    assert max(posted.values()) == 1
    with world.sessions() as session:
        progress = {row.anilist_id: row.last_abs for row in list_progress(session, limit=500)}
        # Not past the first unposted event: the next run reads the rest again.
        handled_until = get_config(session, keys.LAST_SYNC_TIMESTAMP) or 0
    assert handled_until < max(a.created_at for a in world.anilist.activities)
    with world.sessions() as session:
        messages = [row.message for row in list_logs(session)]
    # Each confirmed play moved its entry's progress on; nothing beyond them.
    assert sum(progress.values()) == BATCH_SIZE
    assert any("shutting down" in m and "100 of 298 plays were recorded" in m for m in messages)


def test_the_run_after_a_stop_posts_the_rest_and_nothing_twice(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = World(sessions, settings)
    expected = world.generated_library()
    stop = threading.Event()
    deps = world.deps()
    deps.stop = stop
    deps.progress = lambda p: stop.set() if p.done else None
    run_full(deps)

    rerun = run_full(world.deps())

    assert rerun.error is None
    assert rerun.added == sum(expected.values()) - BATCH_SIZE
    assert world.history() == expected


def test_a_stop_requested_before_posting_posts_nothing(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(sessions, settings)
    stop = threading.Event()
    stop.set()
    deps = world.deps()
    deps.stop = stop

    report = run_full(deps)

    assert isinstance(report.failure, Interrupted)
    assert world.posts() == 0
    # Reading stops too (the first batch was planned, the rest not read): nothing lost.
    assert "0 of the 100 plays planned so far were recorded" in report.message
    with world.sessions() as session:
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is None
        assert list_progress(session, limit=500) == []
