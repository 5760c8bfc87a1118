"""Sync planning (SPEC §6): what gets posted, what is skipped, and how progress moves."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from anitrakt.domain.anibridge import parse_entry
from anitrakt.domain.anilist import ListActivity, Media, MediaListEntry
from anitrakt.domain.episodes import EpisodeList, EpisodeRef
from anitrakt.domain.placement import EntryFacts, ShowFacts
from anitrakt.domain.planning import (
    MovieTarget,
    ShowTarget,
    Unmapped,
    WatchedState,
    WatchEvent,
    advance_progress,
    handled_until,
    plan_sync,
)
from anitrakt.domain.values import SeasonHint
from anitrakt.domain.watch_events import events_from_activities, events_from_entries

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T0 = 1_760_000_000


def media(media_id: int = 1, *, episodes: int | None = 12, fmt: str = "TV") -> Media:
    return Media(media_id, f"romaji {media_id}", f"Show {media_id}", episodes, fmt)


def activity(
    activity_id: int,
    status: str,
    progress: tuple[int, ...] = (),
    *,
    media_id: int = 1,
    created_at: int = T0,
    episodes: int | None = 12,
    fmt: str = "TV",
) -> ListActivity:
    text = None if not progress else f"{progress[0]} - {progress[-1]}"
    return ListActivity(
        activity_id, status, text, progress, created_at, media(media_id, episodes=episodes, fmt=fmt)
    )


def event(
    anilist_id: int, episodes: tuple[int, ...], *, is_movie: bool = False, at: int = T0
) -> WatchEvent:
    return WatchEvent(
        anilist_id,
        f"Show {anilist_id}",
        episodes,
        datetime.fromtimestamp(at, UTC),
        is_movie=is_movie,
        origin="test",
        created_at=at,
    )


def two_seasons(trakt_id: int = 500) -> ShowTarget:
    refs = [
        EpisodeRef(s, n, None, trakt_id * 100 + s * 10 + n) for s in (1, 2) for n in range(1, 7)
    ]
    return ShowTarget.of(trakt_id, EpisodeList.from_episodes(refs))


def test_activities_become_events_oldest_first_with_ranges_and_completed() -> None:
    events, notes = events_from_activities(
        [
            activity(3, "completed", media_id=1, created_at=T0 + 30, episodes=6),
            activity(2, "rewatched episode", (1,), media_id=2, created_at=T0 + 20),
            activity(1, "watched episode", (4, 5, 6), media_id=1, created_at=T0 + 10),
            activity(4, "plans to watch", media_id=3, created_at=T0 + 40),
            activity(5, "completed", media_id=4, created_at=T0 + 50, episodes=None, fmt="MOVIE"),
        ]
    )

    assert [(e.activity_id, e.episodes) for e in events] == [
        (1, (4, 5, 6)),
        (2, ()),
        (3, (1, 2, 3, 4, 5, 6)),
        (4, ()),
        (5, (1,)),
    ]
    assert events[0].watched_at == datetime.fromtimestamp(T0 + 10, UTC)
    assert events[4].is_movie
    assert any("rewatch" in note for note in notes)


def test_completed_without_episode_count_is_noted_not_guessed() -> None:
    events, notes = events_from_activities([activity(1, "completed", episodes=None)])

    assert events[0].episodes == ()
    assert any("no episode count" in note for note in notes)


@pytest.mark.parametrize(
    ("completed", "progress", "completed_at", "expected_episodes", "expected_at"),
    [
        pytest.param(
            True, 3, date(2024, 5, 1), (1, 2, 3), datetime(2024, 5, 1, tzinfo=UTC), id="completed"
        ),
        pytest.param(True, 0, None, tuple(range(1, 13)), NOW, id="completed-progress-0-all-now"),
        pytest.param(
            False, 4, None, (1, 2, 3, 4), datetime.fromtimestamp(T0, UTC), id="watching-updated"
        ),
    ],
)
def test_entries_become_events(
    completed: bool,
    progress: int,
    completed_at: date | None,
    expected_episodes: tuple[int, ...],
    expected_at: datetime,
) -> None:
    entry = MediaListEntry(media(7), "COMPLETED", progress, 8.0, 0, completed_at, T0)

    [built] = events_from_entries([entry], completed=completed, now=NOW)

    assert built.episodes == expected_episodes
    assert built.watched_at == expected_at


def labels(plan_plays: tuple[object, ...]) -> list[tuple[int, int, str]]:
    return [(p.anilist_id, p.anilist_episode, p.label()) for p in plan_plays]  # type: ignore[attr-defined]


def test_plan_posts_only_what_is_not_done() -> None:
    target = two_seasons()
    plan = plan_sync(
        [event(1, (1, 2, 3, 4, 5, 6, 7, 8))],
        {1: target},
        progress={1: 2},
        watched=WatchedState(episodes=frozenset({(500, 1, 4)})),
    )

    assert labels(plan.plays) == [
        (1, 3, "S1E3"),
        (1, 5, "S1E5"),
        (1, 6, "S1E6"),
        (1, 7, "S2E1"),
        (1, 8, "S2E2"),
    ]
    assert sorted((s.anilist_episode, s.reason) for s in plan.already) == [
        (1, "already posted (sync progress)"),
        (2, "already posted (sync progress)"),
        (4, "already watched on Trakt"),
    ]


def test_the_same_episode_in_two_activities_is_posted_once_at_the_first_date() -> None:
    plan = plan_sync(
        [event(1, (1, 2), at=T0), event(1, (2, 3), at=T0 + 60)],
        {1: two_seasons()},
        progress={},
        watched=WatchedState(),
    )

    assert labels(plan.plays) == [(1, 1, "S1E1"), (1, 2, "S1E2"), (1, 3, "S1E3")]
    assert plan.plays[1].watched_at == datetime.fromtimestamp(T0, UTC)
    assert [(s.anilist_episode, s.event_index) for s in plan.already] == [(2, 1)]
    # The repeat is done only when the play that covers it is confirmed.
    assert plan.already[0].waits_for == plan.plays[1]


def test_two_entries_landing_on_one_trakt_episode_post_it_once() -> None:
    shared = two_seasons()
    sequel = ShowTarget.of(500, shared.episodes, SeasonHint(2))
    plan = plan_sync(
        [event(1, (7,)), event(2, (1,))],
        {1: shared, 2: sequel},
        progress={},
        watched=WatchedState(),
    )

    assert labels(plan.plays) == [(1, 7, "S2E1")]
    assert [(s.anilist_id, s.reason) for s in plan.already] == [(2, "already in this run")]


def test_unmapped_pending_and_movies() -> None:
    plan = plan_sync(
        [
            event(1, (1,)),
            event(2, tuple(range(1, 16))),
            event(3, (1, 2, 3), is_movie=True),
            event(4, (1,), is_movie=True),
        ],
        {
            1: Unmapped("no ids in Fribb or Otaku"),
            2: two_seasons(),
            3: MovieTarget(900),
            4: MovieTarget(901),
        },
        progress={},
        watched=WatchedState(movies=frozenset({901})),
    )

    assert plan.unmapped == {1: "no ids in Fribb or Otaku"}
    assert [(s.anilist_episode, "past the last" in s.reason) for s in plan.pending] == [
        (13, True),
        (14, True),
        (15, True),
    ]
    assert [p.label() for p in plan.plays if p.anilist_id == 3] == ["movie"]
    assert [(s.anilist_id, s.reason) for s in plan.already] == [(4, "already watched on Trakt")]
    assert plan.found == 4


def test_a_movie_posted_before_is_not_posted_again() -> None:
    plan = plan_sync(
        [event(3, (1,), is_movie=True)],
        {3: MovieTarget(900)},
        progress={3: 1},
        watched=WatchedState(),
    )

    assert plan.plays == ()


def test_a_hint_naming_a_missing_season_is_held_for_review_not_counted_absolutely() -> None:
    # Counting absolutely would post a sequel onto season 1's episodes (docs/placement.md).
    target = ShowTarget.of(500, two_seasons().episodes, SeasonHint(9))
    plan = plan_sync([event(1, (1, 2, 3))], {1: target}, progress={}, watched=WatchedState())

    assert plan.plays == ()
    assert [(h.anilist_episode, h.rule) for h in plan.review] == [
        (1, "fribb"),
        (2, "fribb"),
        (3, "fribb"),
    ]
    assert plan.review[0].reason == "fribb names season 9, which Trakt does not list"


def test_a_note_the_placement_overcame_is_reported_once_per_episode() -> None:
    # Season 2 numbered from 13 on Trakt: anibridge's S2E1 is Trakt's S2E13.
    refs = [EpisodeRef(1, n, n) for n in range(1, 13)] + [
        EpisodeRef(2, n, n) for n in range(13, 25)
    ]
    ranges = parse_entry(1, {"tmdb_show:77:s2": {"1-12": "1-12"}})
    show = ShowFacts(EpisodeList.from_episodes(refs), tmdb_id=77)
    target = ShowTarget(500, show, EntryFacts(1, ranges=ranges))

    plan = plan_sync([event(1, (1, 2))], {1: target}, progress={}, watched=WatchedState())

    assert [(p.season, p.number, p.rule) for p in plan.plays] == [
        (2, 13, "anibridge"),
        (2, 14, "anibridge"),
    ]
    assert plan.notes[0] == "Show 1: episode 1: S2E1 is S2E13: Trakt numbers season 2 from 13"
    assert len(plan.notes) == 2


def test_a_ratio_posts_every_trakt_episode_of_one_anilist_episode() -> None:
    # One AniList double-length episode is two Trakt episodes (`|2`).
    target = ShowTarget(
        500,
        ShowFacts(two_seasons().episodes, tmdb_id=77),
        EntryFacts(1, ranges=parse_entry(1, {"tmdb_show:77:s1": {"1-3": "1-6|2"}})),
    )

    plan = plan_sync([event(1, (1, 2))], {1: target}, progress={}, watched=WatchedState())

    assert [(p.anilist_episode, p.season, p.number) for p in plan.plays] == [
        (1, 1, 1),
        (1, 1, 2),
        (2, 1, 3),
        (2, 1, 4),
    ]


@pytest.mark.parametrize(
    ("last_abs", "done", "expected"),
    [
        pytest.param(0, {1, 2, 3}, 3, id="contiguous"),
        pytest.param(0, {1, 2, 4, 5}, 2, id="gap-stops-progress"),
        pytest.param(5, {7, 8}, 5, id="gap-after-last"),
        pytest.param(5, {6}, 6, id="one-more"),
        pytest.param(3, set(), 3, id="nothing-done"),
    ],
)
def test_advance_progress(last_abs: int, done: set[int], expected: int) -> None:
    assert advance_progress(last_abs, done) == expected


def test_last_sync_timestamp_stops_before_the_first_unhandled_activity() -> None:
    events = [event(1, (1,), at=T0 + i) for i in range(5)]

    assert handled_until(events, unhandled=set()) == T0 + 4
    assert handled_until(events, unhandled={2, 4}) == T0 + 1
    assert handled_until(events, unhandled={0}) is None


@pytest.mark.parametrize(
    ("undated", "expected_at", "dated_by"),
    [
        pytest.param("now", NOW, "now", id="now-the-default"),
        pytest.param("updatedAt", datetime.fromtimestamp(T0, UTC), "updatedAt", id="updatedAt"),
        pytest.param("released", NOW, "released", id="released-placed-later"),
    ],
)
def test_a_completed_entry_without_completed_at_is_dated_as_chosen(
    undated: str, expected_at: datetime, dated_by: str
) -> None:
    entry = MediaListEntry(media(7), "COMPLETED", 2, 8.0, 0, None, T0)
    dated = MediaListEntry(media(8), "COMPLETED", 2, 8.0, 0, date(2024, 3, 1), T0)

    built, kept = events_from_entries([entry, dated], completed=True, now=NOW, undated=undated)

    assert (built.watched_at, built.dated_by) == (expected_at, dated_by)
    assert kept.dated_by == "completedAt"  # a real completedAt always wins


def test_released_dates_each_play_by_its_trakt_air_date_else_now() -> None:
    aired = datetime(2023, 4, 2, 15, 0, tzinfo=UTC)
    refs = [EpisodeRef(1, 1, 1, 501, aired), EpisodeRef(1, 2, 2, 502)]
    target = ShowTarget.of(500, EpisodeList.from_episodes(refs))
    [event_] = events_from_entries(
        [MediaListEntry(media(1), "COMPLETED", 2, 8.0, 0, None, T0)],
        completed=True,
        now=NOW,
        undated="released",
    )

    plan = plan_sync([event_], {1: target}, progress={}, watched=WatchedState())

    assert [(p.label(), p.watched_at, p.dated_by) for p in plan.plays] == [
        ("S1E1", aired, "released"),
        ("S1E2", NOW, "now"),
    ]
