"""Beyond history end to end (docs/beyond-history.md): ratings, planning → watchlist,
rewatches and dropped, through the production runtime against the fakes, on SQLite and
PostgreSQL.

Each test asserts what the person would see on Trakt — its ratings, watchlist, dropped
shows and play history — exactly, then that a second run writes nothing; the crash
tests fail a write part-way (the fake's `fail_next`) and check the re-run is exact.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.domain.extras import Extra
from anitrakt.errors import AccountLimit
from anitrakt.store.system_config import get_config, set_config
from anitrakt.usecases.sync.modes import run_extras_only, run_full, run_list
from anitrakt.usecases.sync.report import SyncReport
from extras_world import (
    ALL,
    B_SHOW,
    DROPPED,
    DROPPED_MOVIE,
    DROPPED_SHOW,
    FORMATS,
    M_MOVIE,
    OWN_DROPPED,
    OWN_LISTED,
    REWATCHED,
    REWATCHED_SHOW,
    S1,
    S2,
    SEQUEL_SHOW,
    UNSCORED_SHOW,
    B,
    T,
    library,
    library_watchlist,
    make_world,
    trakt_state,
)
from sync_world import World


def writes(w: World) -> list[str]:
    return [f"{r.method} {r.path}" for r in w.trakt.requests if r.method == "POST"]


def by_feature(report: SyncReport) -> dict[Extra, Any]:
    return {part.feature: part for part in report.extras}


@pytest.mark.parametrize("score_format", FORMATS)
def test_a_full_sync_syncs_everything_beyond_history_once(
    sessions: sessionmaker[Session], settings: Settings, score_format: str
) -> None:
    world = make_world(sessions, settings)
    expected = library(world, score_format)

    report = run_full(world.deps())

    assert report.error is None
    assert trakt_state(world) == expected
    parts = by_feature(report)
    assert [p.feature for p in report.extras] == [
        Extra.RATINGS,
        Extra.WATCHLIST,
        Extra.DROPPED,
        Extra.REWATCHES,
    ]
    assert all(p.error is None for p in report.extras)
    assert parts[Extra.RATINGS].written == 3  # S1, S2, B; M was already right
    assert parts[Extra.RATINGS].unchanged == 1
    assert parts[Extra.WATCHLIST].written == 4
    assert [i.anilist_id for i in parts[Extra.WATCHLIST].left] == [64, 65, 66]
    assert all("did not fit" in i.note for i in parts[Extra.WATCHLIST].left)
    assert [(i.anilist_id, i.note) for i in parts[Extra.DROPPED].left] == [
        (DROPPED_MOVIE, "Trakt drops shows, not movies")
    ]
    assert parts[Extra.REWATCHES].written == 3 + 4
    assert world.trakt.over_limit_posts == 0  # the cap was read, never met as a 420

    before = len(writes(world))
    again = run_full(world.deps())

    assert again.error is None
    assert trakt_state(world) == expected
    assert len(writes(world)) == before  # a second run writes nothing
    assert sum(p.written for p in again.extras) == 0


def test_a_dry_run_plans_exactly_what_the_run_then_writes(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = make_world(sessions, settings)
    library(world, "POINT_100")
    untouched = trakt_state(world)

    preview = run_full(world.deps(), dry_run=True)

    assert trakt_state(world) == untouched
    assert writes(world) == []
    report = run_full(world.deps())
    planned = {p.feature: p.writes for p in preview.extras}
    done = {p.feature: p.writes for p in report.extras}
    assert planned == done
    ratings = planned[Extra.RATINGS]
    assert [(i.anilist_id, i.action, i.target) for i in ratings] == [
        (S1, "rate 6", f"season 1 of show {SEQUEL_SHOW}"),
        (S2, "rate 9", f"season 2 of show {SEQUEL_SHOW}"),
        (B, "rate 10", f"show {B_SHOW}"),
    ]


def test_every_feature_is_off_by_default(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = World(sessions, settings)
    library(world)
    before = trakt_state(world)

    report = run_full(world.deps())

    assert report.extras == []
    after = trakt_state(world)
    assert {k: after[k] for k in ("ratings", "watchlist", "dropped")} == {
        k: before[k] for k in ("ratings", "watchlist", "dropped")
    }
    first_watch = Counter((REWATCHED_SHOW, 1, n) for n in range(1, 13))
    assert after["history"] == before["history"] + first_watch  # no rewatch play
    assert not any("MediaListCollection" in r.query for r in world.anilist.requests)


def test_leaving_planning_or_dropped_takes_off_only_what_anitrakt_put_there(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = make_world(sessions, settings, rewatches=False, ratings=False)
    library(world)
    world.trakt.add_to_watchlist("show", 6004)  # the person lists a planned show themself
    run_full(world.deps())
    assert set(world.trakt.watchlist) == {
        ("show", OWN_LISTED),
        ("show", 6004),
        ("show", 6001),
        ("movie", 6007),
        ("show", 6002),
    }

    for entry in world.anilist.entries:
        if entry.media_id in (61, 64, 67):  # started watching; 64 was the person's own
            entry.status = "CURRENT"
        if entry.media_id in (DROPPED, DROPPED_MOVIE):
            entry.status = "COMPLETED"
    world.trakt.drop_show(DROPPED_SHOW)  # still dropped; anitrakt dropped it
    report = run_full(world.deps())

    assert report.error is None
    # 6001 and the film were anitrakt's: gone; 6004 is the person's own: kept. The
    # room freed goes to the next plans in AniList order.
    assert set(world.trakt.watchlist) == {
        ("show", OWN_LISTED),
        ("show", 6004),
        ("show", 6002),
        ("show", 6003),
        ("show", 6005),
    }
    assert world.trakt.dropped_shows == {OWN_DROPPED}


def test_an_item_the_person_took_off_is_not_put_back(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = make_world(sessions, settings, rewatches=False, ratings=False, dropped=False)
    library(world)
    run_full(world.deps())
    with world.trakt._lock:  # the person removes one on trakt.tv
        world.trakt._watchlist = [i for i in world.trakt._watchlist if i.trakt_id != 6002]

    report = run_full(world.deps())

    assert ("show", 6002) not in world.trakt.watchlist
    (watchlist,) = report.extras
    assert any(i.anilist_id == 62 and "taken off" in i.note for i in watchlist.left)


def test_a_watchlist_cap_learned_from_a_420_is_never_met_again(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = make_world(sessions, settings, rewatches=False, ratings=False, dropped=False)
    library(world)
    world.trakt.watchlist_limit, world.trakt.watchlist_limit_reported = 3, 250

    first = run_full(world.deps())

    (part,) = first.extras
    assert isinstance(part.failure, AccountLimit)
    assert first.error is None  # the history is fine; the feature says what went wrong
    assert world.trakt.over_limit_posts == 1
    assert world.trakt.watchlist == [("show", OWN_LISTED)]

    second = run_full(world.deps())
    third = run_full(world.deps())

    assert world.trakt.over_limit_posts == 1
    assert set(world.trakt.watchlist) == {("show", OWN_LISTED), ("show", 6001), ("movie", 6007)}
    assert second.extras[0].error is None
    assert third.extras[0].written == 0


def test_a_crash_after_the_watchlist_post_still_knows_its_own(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = make_world(sessions, settings, rewatches=False, ratings=False, dropped=False)
    library(world)
    # Trakt applies the add but every answer is lost: the run ends with items pending.
    world.trakt.fail_next(50, status=500, after_apply=True, path="/sync/watchlist", method="POST")
    crashed = run_full(world.deps())
    world.trakt.clear_faults()
    assert crashed.extras[0].error is not None

    rerun = run_full(world.deps())

    assert rerun.extras[0].written == 0
    assert set(world.trakt.watchlist) == set(library_watchlist())
    for entry in world.anilist.entries:  # every plan started: all anitrakt's go again
        if entry.status == "PLANNING":
            entry.status = "CURRENT"
    run_full(world.deps())
    assert world.trakt.watchlist == [("show", OWN_LISTED)]


@pytest.mark.parametrize("fault", ["timeout-after-apply", "refused-after-apply"])
def test_a_crash_mid_rewatch_then_a_rerun_adds_each_play_once(
    sessions: sessionmaker[Session], settings: Settings, fault: str
) -> None:
    world = make_world(sessions, settings, ratings=False, watchlist=False, dropped=False)
    expected = library(world)
    with world.sessions.begin() as session:  # the first watch was synced long ago
        set_config(session, keys.LAST_SYNC_TIMESTAMP, T + 150)
    for number in range(1, 13):
        world.trakt.add_watched(REWATCHED_SHOW, 1, number, watched_at="2023-11-14T22:15:00.000Z")
    history = "/sync/history"
    if fault == "timeout-after-apply":
        world.trakt.fail_next(1, timeout=True, after_apply=True, path=history, method="POST")
    else:  # applied, then an answer that is no failure to retry: the run stops there
        world.trakt.fail_next(1, status=422, after_apply=True, path=history, method="POST")

    first = run_full(world.deps())
    world.trakt.clear_faults()
    run_full(world.deps())

    assert world.history() == expected["history"]
    rewatches = first.extras[0]
    with world.sessions() as session:
        since = get_config(session, keys.LAST_SYNC_TIMESTAMP)
    if fault == "timeout-after-apply":
        assert rewatches.error is None  # re-read, nothing resent
        assert rewatches.written == 7
    else:
        assert rewatches.error is not None
    assert since == T + 300  # moved on once every rewatch was on Trakt


def test_a_failed_rewatch_holds_last_sync_timestamp_before_it(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = make_world(sessions, settings, ratings=False, watchlist=False, dropped=False)
    library(world)
    world.trakt.fail_next(50, status=500, path="/sync/history/shows/*", method="GET")

    report = run_full(world.deps())

    assert report.error is None  # the first watch was posted
    with world.sessions() as session:
        since = get_config(session, keys.LAST_SYNC_TIMESTAMP)
    assert since == T + 100  # the watched episode, not the rewatches after it


def test_the_features_run_alone_and_after_list_syncs(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = make_world(sessions, settings)
    expected = library(world)
    completed: Counter[Any] = Counter(("movie", M_MOVIE) for _ in range(1))
    completed.update((SEQUEL_SHOW, season, n) for season in (1, 2) for n in range(1, 13))
    completed.update((UNSCORED_SHOW, 1, n) for n in range(1, 13))

    run_list(world.deps(), completed=True)  # no activity window: no rewatch here
    alone = run_extras_only(world.deps())

    assert alone.error is None
    state = trakt_state(world)
    assert {k: v for k, v in state.items() if k != "history"} == {
        k: v for k, v in expected.items() if k != "history"
    }
    # The watched show's first watch is in the window, not on Trakt: its rewatch waits.
    (rewatches,) = (p for p in alone.extras if p.feature is Extra.REWATCHES)
    assert [i.anilist_id for i in rewatches.left] == [REWATCHED]
    with world.sessions() as session:
        assert get_config(session, keys.STATUS_SYNC_EXTRAS_LAST_RUN) is not None
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is None  # the full sync's
    # The full sync then posts that first watch before the rewatch, nothing twice.
    run_full(world.deps())
    assert world.history() == expected["history"] + completed
    assert run_extras_only(world.deps()).message.startswith("extras sync: ratings: wrote 0")


def test_a_preview_shows_every_feature_whether_on_or_not(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = make_world(sessions, settings, ratings=True, watchlist=False, rewatches=False,
                       dropped=False)  # fmt: skip
    library(world)

    report = run_extras_only(world.deps(), dry_run=True, features=ALL)

    assert writes(world) == []
    parts = by_feature(report)
    assert {f: p.enabled for f, p in parts.items()} == {
        Extra.RATINGS: True,
        Extra.WATCHLIST: False,
        Extra.DROPPED: False,
        Extra.REWATCHES: False,
    }
    assert len(parts[Extra.WATCHLIST].writes) == 4
    assert [i.target for i in parts[Extra.DROPPED].writes] == [f"show {DROPPED_SHOW}"]
    # The watched show's first watch is not synced yet: only the other rewatch is planned.
    assert len(parts[Extra.REWATCHES].writes) == 4


def test_a_sequel_without_a_score_still_makes_its_first_season_a_season_rating(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = make_world(sessions, settings, watchlist=False, dropped=False, rewatches=False)
    library(world)
    for entry in world.anilist.entries:
        if entry.media_id == S2:
            entry.score = 0

    (ratings,) = run_full(world.deps()).extras

    assert ratings.error is None
    assert ("season", SEQUEL_SHOW, 1) in world.trakt.ratings  # its sibling is on the list
    assert ("season", SEQUEL_SHOW, 2) not in world.trakt.ratings
    assert ("show", SEQUEL_SHOW, None) not in world.trakt.ratings


@pytest.mark.parametrize(
    "path",
    ["/sync/history", "/sync/ratings", "/sync/watchlist", "/users/hidden/dropped"],
    ids=["first-watch-post", "ratings-post", "watchlist-post", "drop-post"],
)
def test_a_write_that_fails_after_applying_then_a_rerun_is_exact(
    sessions: sessionmaker[Session], settings: Settings, path: str
) -> None:
    world = make_world(sessions, settings)
    expected = library(world)
    # Trakt applies the write, then the answer is a refusal nothing retries: the run
    # stops that step there, as a crash right after the write would.
    world.trakt.fail_next(1, status=422, after_apply=True, path=path, method="POST")

    first = run_full(world.deps())
    again = run_full(world.deps())
    last = run_full(world.deps())

    assert first.error is not None or any(p.error for p in first.extras)
    assert again.error is None
    assert all(p.error is None for p in again.extras)
    assert trakt_state(world) == expected
    assert sum(p.written for p in last.extras) == 0
