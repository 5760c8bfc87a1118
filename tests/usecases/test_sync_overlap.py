"""A first import posts while later shows are still read, within every Trakt budget.

Time here is the ManualClock's: the pacers wait on it, so "when" a request went is what
Trakt's budgets would have cost, measured without waiting (docs/sync.md §3a).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients import trakt_budgets as trakt_client
from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.store.system_config import get_config
from anitrakt.usecases.sync.modes import run_full
from sync_world import API_HOST, World


def _order(world: World) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in world.trakt.requests if r.host == API_HOST]


def _first_post(order: list[tuple[str, str]]) -> int:
    return order.index(("POST", "/sync/history"))


def test_posting_starts_before_the_last_show_is_read(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = World(sessions, settings)
    world.trakt.enforce_rate_limits = True
    expected = world.generated_library()

    report = run_full(world.deps())

    assert report.error is None
    assert world.history() == expected
    assert world.trakt.rate_limited == 0
    order = _order(world)
    first_post = _first_post(order)
    seasons = [i for i, (_, path) in enumerate(order) if path.endswith("/seasons")]
    watched = [i for i, (_, path) in enumerate(order) if path.startswith("/sync/watched/")]
    assert max(watched) < first_post, "the dedupe read is complete before the first post"
    assert seasons[0] < first_post < seasons[-1]


def test_batches_go_out_while_reads_wait_for_their_window(
    sessions: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small windows, so this library needs many of them (the real ones hold 950 reads).
    monkeypatch.setattr(trakt_client, "PUBLIC_GET_LIMIT", 20)
    monkeypatch.setattr(trakt_client, "GET_LIMIT", 20)
    monkeypatch.setattr(trakt_client, "USER_GET_RESERVE", 5)
    world = World(sessions, settings)
    world.trakt.enforce_rate_limits = True
    world.trakt.get_limit = 20
    expected = world.generated_library()
    start = world.clock.time()

    report = run_full(world.deps())

    assert report.error is None
    assert world.history() == expected
    assert world.trakt.rate_limited == 0, "never faster than the fake's windows allow"
    posted = sorted({datetime.fromisoformat(p.added_at).timestamp() for p in world.trakt.plays})
    # 167 shows at about 35 reads a window: the last read waits four windows (1,200 s);
    # the first batch went out at once, not after every read.
    assert world.clock.time() - start >= 4 * trakt_client.GET_PERIOD_SECONDS
    assert posted[0] - start < 1
    assert len(posted) == world.posts() == 3
    with world.sessions() as session:
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is not None


def test_near_the_history_cap_everything_is_planned_before_the_first_post(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = World(sessions, settings)
    expected = world.generated_library()
    # Ten plays the run will not need to post, on the last shows it reads: until those
    # are read, only the 298 episodes asked for bound what it may post.
    late = sorted(k for k in expected if k[0] != "movie")[-10:]
    for trakt_id, season, number in late:
        world.trakt.add_watched(trakt_id, season, number)
        del expected[(trakt_id, season, number)]
    world.trakt.add_movie(7_000, "Watched a lot")
    # 290 plays of room: the 288 the run posts fit, the 298 episodes it was asked for not.
    world.trakt.add_watched_movie(7_000, plays=100_000 - 10 - 290)

    report = run_full(world.deps())

    assert report.error is None
    assert report.added == 288
    assert world.trakt.over_limit_posts == 0
    order = _order(world)
    seasons = [i for i, (_, path) in enumerate(order) if path.endswith("/seasons")]
    assert max(seasons) < _first_post(order), "no post before the exact count was known"
    history = world.history()
    assert all(history[key] == 1 for key in expected)
    assert all(history[key] == 1 for key in late), "none posted twice"


def test_a_read_failing_after_posts_began_keeps_them_and_the_rerun_finishes(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = World(sessions, settings)
    expected = world.generated_library()
    last_show = max(k[0] for k in expected if k[0] != "movie")
    # Trakt down for that show's seasons read, every attempt of it (5).
    world.trakt.fail_next(5, status=500, path=f"/shows/{last_show}/seasons", method="GET")

    report = run_full(world.deps())

    assert report.error is not None
    posted = world.history()
    assert 0 < sum(posted.values()) < sum(expected.values()), "batches went out before it"
    assert max(posted.values()) == 1
    assert report.added == sum(posted.values())
    with world.sessions() as session:
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is None

    rerun = run_full(world.deps())

    assert rerun.error is None
    assert world.history() == expected
