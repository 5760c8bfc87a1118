"""The sync pipeline end to end against the fakes (in-process), on SQLite and PostgreSQL.

Every test asserts the fake Trakt's resulting play history exactly: every play, no
extra, no duplicates.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.domain.resolution import SOURCES_NOT_LOADED
from anitrakt.domain.values import SourceName
from anitrakt.store.models import SystemConfig
from anitrakt.store.overrides import upsert_override
from anitrakt.store.progress import delete_progress, get_progress
from anitrakt.store.system_config import get_config, set_config
from anitrakt.store.titles import get_titles
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.refresh import refresh_source
from anitrakt.usecases.sync.engine import BATCH_SIZE, MAX_UNCLEAR_RETRIES
from anitrakt.usecases.sync.lock import SyncAlreadyRunning, sync_lock
from anitrakt.usecases.sync.modes import recent_unmapped, run_full, run_list, sync_show
from fakes.files import fribb_json
from fakes.trakt import FakeEpisode
from sync_world import World

ONE_PIECE, AOT_S3P2, SPLIT, MOVIE, PLANNED, UNMAPPABLE = 21, 104578, 300, 21519, 500, 600
OP_TRAKT, AOT_TRAKT, SPLIT_TRAKT, MOVIE_TRAKT = 1001, 2001, 3001, 4001


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    w = World(sessions, settings)
    # A long runner numbered absolutely inside its seasons, as Trakt does since TMDB data.
    w.trakt.add_show(
        OP_TRAKT,
        "One Piece",
        seasons={
            1: [FakeEpisode(n, number_abs=n) for n in range(1, 151)],
            2: [FakeEpisode(n, number_abs=n) for n in range(151, 261)],
        },
    )
    w.trakt.add_show(AOT_TRAKT, "Attack on Titan", seasons={0: 2, 1: 25, 2: 12, 3: 22})
    w.trakt.add_show(SPLIT_TRAKT, "Split Cour", seasons={1: 12, 2: 12})
    w.trakt.add_movie(MOVIE_TRAKT, "Your Name.")
    w.media(ONE_PIECE, "One Piece", episodes=None)
    w.media(AOT_S3P2, "Attack on Titan Season 3 Part 2", episodes=10)
    w.media(SPLIT, "Split Cour", episodes=24)
    w.media(MOVIE, "Your Name.", episodes=1, fmt="MOVIE")
    w.media(PLANNED, "Someday", episodes=12)
    w.media(UNMAPPABLE, "Nobody Knows", episodes=3)
    w.map(ONE_PIECE, OP_TRAKT)
    w.map(AOT_S3P2, AOT_TRAKT, season=3, offset=12)
    w.map(SPLIT, SPLIT_TRAKT, season=1)
    w.map(MOVIE, MOVIE_TRAKT, movie=True)
    return w


def library_activities(w: World) -> None:
    w.watched(ONE_PIECE, "1 - 230")
    w.watched(AOT_S3P2, "1 - 9")
    w.watched(AOT_S3P2, "10", status="completed")
    w.watched(SPLIT, None, status="completed")  # type: ignore[arg-type]
    w.watched(MOVIE, None, status="completed")  # type: ignore[arg-type]
    w.watched(PLANNED, None, status="plans to watch")  # type: ignore[arg-type]
    w.watched(UNMAPPABLE, "1 - 3")


def expected_library(aot_override: bool = False) -> Counter[Any]:
    expected: Counter[Any] = Counter()
    for n in range(1, 231):
        expected[(OP_TRAKT, 1 if n <= 150 else 2, n)] += 1
    for n in range(13, 23):
        expected[(AOT_TRAKT, 3, n)] += 1
    if aot_override:
        del expected[(AOT_TRAKT, 3, 22)]
        expected[(AOT_TRAKT, 0, 1)] += 1
    for season in (1, 2):
        for n in range(1, 13):
            expected[(SPLIT_TRAKT, season, n)] += 1
    expected[("movie", MOVIE_TRAKT)] += 1
    return expected


def test_full_sync_posts_the_exact_history_and_rerunning_adds_nothing(world: World) -> None:
    world.trakt.add_watched(AOT_TRAKT, 3, 13)  # the account already has one of them
    library_activities(world)

    report = run_full(world.deps())

    assert report.error is None
    assert world.history() == expected_library()
    assert world.trakt.bare_show_posts == 0
    assert report.added == 230 + 9 + 24 + 1
    assert report.skipped_unmapped == 1
    assert report.unmapped[0].anilist_id == UNMAPPABLE
    # 264 plays in batches of BATCH_SIZE: no per-episode requests.
    assert world.posts() == -(-264 // BATCH_SIZE)
    with world.sessions() as session:
        assert get_progress(session, ONE_PIECE) == 230
        assert get_progress(session, AOT_S3P2) == 10
        assert get_progress(session, MOVIE) == 1
        assert get_progress(session, UNMAPPABLE) == 0
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) == max(
            a.created_at for a in world.anilist.activities
        )
        assert get_config(session, keys.STATUS_SYNC_LAST_RUN) is not None

    for again in (
        run_full,
        lambda d: run_list(d, completed=True),
        lambda d: run_list(d, completed=False),
    ):
        again(world.deps())
    assert world.history() == expected_library()


def test_an_idle_incremental_run_costs_one_anilist_request_and_no_trakt_request(
    world: World,
) -> None:
    library_activities(world)
    run_full(world.deps())
    anilist_before, trakt_before = len(world.anilist.requests), world.trakt_requests()

    report = run_full(world.deps())

    assert report.error is None
    assert report.added == 0
    assert len(world.anilist.requests) - anilist_before == 1
    assert world.trakt_requests() - trakt_before == 0


def test_dry_run_returns_the_plan_and_changes_nothing(world: World) -> None:
    library_activities(world)

    report = run_full(world.deps(), dry_run=True)

    assert report.added == 230 + 10 + 24 + 1
    assert {(p.trakt_id, p.season, p.number) for p in report.plays if p.season} >= {
        (AOT_TRAKT, 3, 13),
        (SPLIT_TRAKT, 2, 12),
    }
    assert world.history() == Counter()
    with world.sessions() as session:
        assert get_progress(session, ONE_PIECE) == 0
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is None
        assert get_config(session, keys.STATUS_SYNC_LAST_RUN) is None
        assert get_config(session, keys.show_episodes_key(OP_TRAKT)) is None


def test_a_timeout_after_trakt_applied_the_batch_posts_nothing_twice(world: World) -> None:
    library_activities(world)
    world.trakt.fail_next(1, timeout=True, after_apply=True, path="/sync/history", method="POST")

    report = run_full(world.deps())

    assert report.error is None
    assert world.history() == expected_library()


def test_a_failure_mid_run_records_what_was_confirmed_and_the_rerun_finishes(
    world: World,
) -> None:
    library_activities(world)
    deps = world.deps()
    # First post succeeds, then Trakt answers 500 to posts until the run gives up.
    real_add = deps.trakt.add_to_history
    calls = {"n": 0}

    def add_then_break(items: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            world.trakt.fail_next(
                MAX_UNCLEAR_RETRIES + 1, status=500, path="/sync/history", method="POST"
            )
        return real_add(items)

    deps.trakt.add_to_history = add_then_break  # type: ignore[method-assign]
    report = run_full(deps)

    assert report.error is not None
    first_batch = Counter(world.history())
    assert sum(first_batch.values()) == BATCH_SIZE
    assert max(first_batch.values()) == 1
    with world.sessions() as session:
        assert get_progress(session, ONE_PIECE) == BATCH_SIZE
        # Nothing of AoT was posted: its repeated episodes must not count as done.
        assert get_progress(session, AOT_S3P2) == 0
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is None

    rerun = run_full(world.deps())

    assert rerun.error is None
    assert world.history() == expected_library()


def test_an_expired_token_mid_run_is_refreshed_and_the_run_completes(world: World) -> None:
    library_activities(world)
    world.trakt.expire_access_token(world.tokens.access_token)

    report = run_full(world.deps())

    assert report.error is None
    assert world.trakt.refresh_calls == 1
    assert world.history() == expected_library()


def test_a_second_run_while_one_holds_the_lock_is_refused(world: World) -> None:
    library_activities(world)

    with sync_lock(world.sessions), pytest.raises(SyncAlreadyRunning, match="already running"):
        run_full(world.deps())

    assert world.history() == Counter()
    dry = run_full(world.deps(), dry_run=True)  # reading needs no lease
    assert dry.error is None


def test_a_run_remembers_the_titles_of_the_entries_it_read(world: World) -> None:
    library_activities(world)

    run_full(world.deps(), dry_run=True)
    with world.sessions() as session:
        assert get_titles(session, [AOT_S3P2]) == {}  # a dry run changes nothing

    run_full(world.deps())

    with world.sessions() as session:
        titles = get_titles(session, [ONE_PIECE, AOT_S3P2, UNMAPPABLE, PLANNED])
    assert titles == {
        ONE_PIECE: "One Piece",
        AOT_S3P2: "Attack on Titan Season 3 Part 2",
        UNMAPPABLE: "Nobody Knows",  # unmapped entries too: that is where a name helps most
    }  # PLANNED had no episodes to sync


@pytest.mark.parametrize("cause", ["no-source-loaded", "trakt-search-down"])
def test_activities_missed_for_a_passing_reason_are_seen_again(
    world: World, engine: Engine, cause: str
) -> None:
    """A miss that can clear by itself (see Unresolved.retry) holds the timestamp back."""
    world.watched(SPLIT, "1 - 2")
    world.watched(UNMAPPABLE, "1 - 3")  # nothing stored for it
    world.watched(SPLIT, "3")
    runtime = Runtime(world.settings, engine, world.sessions, world.events)
    if cause == "no-source-loaded":
        world.unload_sources()
    if cause == "trakt-search-down":  # a source knows its TMDB id, but Trakt is down
        source = world.settings.anitrakt_data_dir / "anime-list-full.json"
        source.write_bytes(fribb_json([{"anilist_id": UNMAPPABLE, "themoviedb_id": {"tv": 999}}]))
        refresh_source(runtime, SourceName.FRIBB)
        world.trakt.fail_next(50, status=503, path="/search/*")

    def chain() -> Any:
        return world.deps()

    first = run_full(chain())

    reason = first.unmapped[0].reason
    assert reason == SOURCES_NOT_LOADED if cause == "no-source-loaded" else "503" in reason
    assert sum(world.history().values()) == 3  # the rest went ahead
    with world.sessions() as session:  # but the timestamp stops before the miss
        held = get_config(session, keys.LAST_SYNC_TIMESTAMP)
    assert held == world.anilist.activities[0].created_at

    world.trakt.clear_faults()
    world.trakt.add_show(6001, "Nobody Knows", tmdb=999, seasons={1: 3})
    if cause == "no-source-loaded":
        world.map(UNMAPPABLE, 6001)  # or the sources got loaded
    second = run_full(chain())

    assert second.added == 3
    assert world.history()[(6001, 1, 3)] == 1
    assert sum(world.history().values()) == 6  # SPLIT's plays were not posted again
    with world.sessions() as session:
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) == max(
            a.created_at for a in world.anilist.activities
        )


def test_unmapped_entries_are_remembered_until_resolved(world: World) -> None:
    library_activities(world)
    run_full(world.deps())
    with world.sessions() as session:
        assert [e.anilist_id for e in recent_unmapped(world.runtime)] == [UNMAPPABLE]

    world.trakt.add_show(9001, "Nobody Knows", seasons={1: 3})
    world.map(UNMAPPABLE, 9001)
    with world.sessions.begin() as session:
        set_config(session, keys.LAST_SYNC_TIMESTAMP, 0)
    run_full(world.deps())

    with world.sessions() as session:
        assert recent_unmapped(world.runtime) == []
    assert world.history()[(9001, 1, 3)] == 1


def test_seed_sql_effects_reset_override_and_timestamp_then_no_duplicates(world: World) -> None:
    library_activities(world)
    run_full(world.deps())
    with world.sessions.begin() as session:
        delete_progress(session, SPLIT)  # the seed's "reset progress for one show"
        upsert_override(session, AOT_TRAKT, 59, 0, 1)  # AoT S3P2 ep 10 is abs 38+12+10-1
        set_config(session, keys.LAST_SYNC_TIMESTAMP, "0")

    report = run_full(world.deps())

    # Everything re-read, nothing re-posted: Trakt's watched state still has it all.
    assert report.error is None
    assert world.history() == expected_library()
    with world.sessions() as session:
        assert get_progress(session, SPLIT) == 24


def test_an_override_changes_where_an_episode_lands(world: World) -> None:
    with world.sessions.begin() as session:
        upsert_override(session, AOT_TRAKT, 59, 0, 1)
    library_activities(world)

    run_full(world.deps())

    assert world.history() == expected_library(aot_override=True)


def test_completed_and_watching_modes(world: World) -> None:
    world.anilist.add_entry(world.user.id, SPLIT, progress=0, status="COMPLETED")
    world.anilist.add_entry(world.user.id, AOT_S3P2, progress=4, status="CURRENT")
    world.anilist.add_entry(world.user.id, UNMAPPABLE, progress=2, status="CURRENT")

    completed = run_list(world.deps(), completed=True)
    watching = run_list(world.deps(), completed=False)

    assert completed.error is None
    assert completed.added == 24
    assert watching.error is None
    assert watching.added == 4
    expected: Counter[Any] = Counter()
    for season in (1, 2):
        for n in range(1, 13):
            expected[(SPLIT_TRAKT, season, n)] += 1
    for n in range(13, 17):
        expected[(AOT_TRAKT, 3, n)] += 1
    assert world.history() == expected
    with world.sessions() as session:
        assert get_config(session, keys.STATUS_SYNC_COMPLETED_LAST_RUN) is not None
        assert get_config(session, keys.STATUS_SYNC_WATCHING_LAST_RUN) is not None


def test_single_show_sync_caches_the_flattened_episode_list(world: World) -> None:
    result = sync_show(world.deps(), AOT_S3P2)

    assert result.trakt_id == AOT_TRAKT
    assert result.count == 2 + 25 + 12 + 22
    with world.sessions() as session:
        cached = get_config(session, keys.show_episodes_key(AOT_TRAKT))
        breakpoints = get_config(session, keys.breakpoint_map_key(AOT_TRAKT))
    assert cached[0]["global"] == 1
    assert cached[0]["season"] == 1
    assert breakpoints == [
        {"season": 1, "starts_at": 1},
        {"season": 2, "starts_at": 26},
        {"season": 3, "starts_at": 38},
    ]
    assert world.history() == Counter()


def seasons_reads(world: World) -> int:
    return sum(1 for r in world.trakt.requests if "/seasons" in r.path)


def test_an_episode_past_the_known_list_refetches_once_and_stays_pending(world: World) -> None:
    world.watched(SPLIT, "1 - 24")
    run_full(world.deps())  # caches Split Cour: 24 episodes
    world.media(SPLIT + 1, "Split Cour (continued)", episodes=26)
    world.map(SPLIT + 1, SPLIT_TRAKT)
    world.watched(SPLIT + 1, "25 - 26")
    before = seasons_reads(world)

    report = run_full(world.deps())

    # Past the end of the cached list: one refetch, still not on Trakt → pending,
    # nothing posted, and lastSyncTimestamp stops before that activity.
    assert report.pending == 2
    assert seasons_reads(world) == before + 1
    assert sum(world.history().values()) == 24
    with world.sessions() as session:
        held = get_config(session, keys.LAST_SYNC_TIMESTAMP)
    assert held == world.anilist.activities[0].created_at


def test_a_hint_to_a_season_trakt_lacks_refetches_once_then_is_held_for_review(
    world: World,
) -> None:
    world.watched(SPLIT, "1 - 24")
    run_full(world.deps())
    world.media(SPLIT + 1, "Split Cour Season 3", episodes=3)
    world.map(SPLIT + 1, SPLIT_TRAKT, season=3)
    world.watched(SPLIT + 1, "1 - 2")
    before = seasons_reads(world)

    report = run_full(world.deps())

    # Never counted absolutely (that lands a sequel on season 1's episodes): held.
    assert seasons_reads(world) == before + 1
    assert report.added == 0
    assert [(h.anilist_id, h.episodes) for h in report.review] == [(SPLIT + 1, (1, 2))]
    assert max(world.history().values()) == 1


def test_season_added_on_trakt_is_found_by_the_refetch(world: World) -> None:
    world.watched(SPLIT, "1 - 24")
    run_full(world.deps())
    world.trakt.add_season(SPLIT_TRAKT, 3, 12)  # the cached list does not know it yet
    world.media(SPLIT + 1, "Split Cour Season 3", episodes=12)
    world.map(SPLIT + 1, SPLIT_TRAKT, season=3)
    world.watched(SPLIT + 1, "1 - 2")

    report = run_full(world.deps())

    assert report.error is None
    assert report.pending == 0
    expected = Counter({(SPLIT_TRAKT, s, n): 1 for s in (1, 2) for n in range(1, 13)})
    expected.update({(SPLIT_TRAKT, 3, 1): 1, (SPLIT_TRAKT, 3, 2): 1})
    assert world.history() == expected


def test_episode_lists_older_than_a_week_are_refetched(world: World) -> None:
    world.watched(SPLIT, "1")
    run_full(world.deps())
    before = seasons_reads(world)

    world.watched(SPLIT, "2")
    run_full(world.deps())
    assert seasons_reads(world) == before  # fresh cache: no read

    with world.sessions.begin() as session:
        session.execute(
            sa.update(SystemConfig)
            .where(SystemConfig.key == keys.show_episodes_key(SPLIT_TRAKT))
            .values(updated_at=datetime.fromtimestamp(world.clock.time(), UTC) - timedelta(days=8))
        )
    world.watched(SPLIT, "3")
    run_full(world.deps())
    assert seasons_reads(world) == before + 1


def test_a_token_that_expires_mid_run_is_refreshed_and_nothing_is_lost(world: World) -> None:
    library_activities(world)
    deps = world.deps()
    real_add = deps.trakt.add_to_history
    calls = {"n": 0}

    def expire_after_first(items: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            for token in list(world.trakt.valid_access_tokens):
                world.trakt.expire_access_token(token)
        return real_add(items)

    deps.trakt.add_to_history = expire_after_first  # type: ignore[method-assign]
    report = run_full(deps)

    assert report.error is None
    assert world.trakt.refresh_calls == 1
    assert world.history() == expected_library()


def test_sixty_new_activities_with_a_range_and_a_completed_are_exact(world: World) -> None:
    library_activities(world)
    run_full(world.deps())
    world.trakt.add_show(7001, "Weekly", seasons={1: 70})
    world.media(700, "Weekly", episodes=70)
    world.map(700, 7001)
    for n in range(1, 61):
        world.watched(700, str(n))
    world.watched(700, "61 - 64")
    world.watched(700, None, status="completed")  # type: ignore[arg-type]

    report = run_full(world.deps())

    assert report.error is None
    expected = expected_library()
    expected.update({(7001, 1, n): 1 for n in range(1, 71)})
    assert world.history() == expected
    with world.sessions() as session:
        assert get_progress(session, 700) == 70


def test_full_sync_against_real_local_servers(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = World(sessions, settings, real_servers=True)
    world.trakt.add_show(SPLIT_TRAKT, "Split Cour", seasons={1: 12, 2: 12})
    world.media(SPLIT, "Split Cour", episodes=24)
    world.map(SPLIT, SPLIT_TRAKT, season=1)
    world.watched(SPLIT, "1 - 24")

    with world.serve() as env:
        real = world.settings.model_copy(
            update={
                "anilist_api_url": env["ANILIST_API_URL"],
                "trakt_api_url": env["TRAKT_API_URL"],
                "trakt_auth_url": env["TRAKT_AUTH_URL"],
            }
        )
        runtime = Runtime(real, sessions.kw["bind"], sessions, world.events)
        with runtime.sync_deps() as deps:
            first = run_full(deps)
        with runtime.sync_deps() as deps:
            second = run_full(deps)

    assert first.error is None
    assert second.added == 0
    assert world.history() == Counter(
        {(SPLIT_TRAKT, s, n): 1 for s in (1, 2) for n in range(1, 13)}
    )
