"""Rewatches: activities and REPEATING entries → plays, each once per (episode, minute)."""

from __future__ import annotations

from datetime import UTC, datetime

from anitrakt.domain.anilist import ListActivity, Media, MediaListEntry
from anitrakt.domain.episodes import EpisodeList, EpisodeRef
from anitrakt.domain.planning import MovieTarget, ShowTarget, Unmapped
from anitrakt.domain.rewatches import (
    Fill,
    Rewatch,
    RewatchRound,
    advance_rounds,
    fill_rewatches,
    missing,
    place_rewatches,
    play_key,
    rewatches_from_activities,
    settled,
)
from anitrakt.domain.values import SeasonHint

T0 = 1_699_999_980  # on a minute
SHOW = Media(1, title_romaji="Show", episodes=12)
FILM = Media(2, title_romaji="Film", episodes=1, format="MOVIE")


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


def activity(
    activity_id: int, status: str, episodes: tuple[int, ...], when: int, media: Media = SHOW
) -> ListActivity:
    return ListActivity(activity_id, status, None, episodes, T0 + when, media)


def repeating(progress: int, *, repeat: int = 0, updated: int = 0) -> MediaListEntry:
    return MediaListEntry(SHOW, "REPEATING", progress, 0.0, repeat, None, T0 + updated)


def test_rewatch_activities_count_their_episodes_and_a_finished_rewatch_the_last() -> None:
    found = rewatches_from_activities(
        [
            activity(3, "rewatched", (), 300),
            activity(1, "rewatched episode", (4, 5, 6), 100),
            activity(2, "watched episode", (7,), 200),
            activity(4, "rewatched", (), 400, FILM),
        ]
    )

    assert [(r.anilist_id, r.episodes, r.at, r.activity_id) for r in found] == [
        (1, (4, 5, 6), at(100), 1),
        (1, (12,), at(300), 3),
        (2, (1,), at(400), 4),
    ]


def test_a_repeating_entry_fills_what_no_activity_told_of_at_its_update_time() -> None:
    rounds = advance_rounds({}, [repeating(5, updated=90)], [])
    assert rounds == {(1, 0): RewatchRound(5, (Fill(1, 5, at(60)),))}  # to the minute

    # Activities told of 6 and 7; progress 8: only 8 is a gap.
    told = [Rewatch(1, (6, 7), at(200), "activity")]
    later = advance_rounds(rounds, [repeating(8, updated=300)], told)

    assert later == {(1, 0): RewatchRound(8, (Fill(1, 5, at(60)), Fill(8, 8, at(300))))}


def test_the_same_facts_plan_the_same_fills_again() -> None:
    first = advance_rounds({}, [repeating(5, updated=90)], [])
    assert advance_rounds(first, [repeating(5, updated=90)], []) == first
    assert fill_rewatches(first) == fill_rewatches(advance_rounds(first, [repeating(5)], []))


def test_a_finished_round_is_kept_until_nothing_is_left_to_post() -> None:
    rounds = advance_rounds({}, [repeating(3)], [])
    done = MediaListEntry(SHOW, "COMPLETED", 12, 0.0, 1, None, T0)

    kept = advance_rounds(rounds, [done], [])

    assert kept == {(1, 0): RewatchRound(3, rounds[(1, 0)].fills, active=False)}
    assert settled(kept, unfinished={1}) == kept
    assert settled(kept, unfinished=set()) == {}


def test_a_new_rewatch_starts_a_new_round() -> None:
    rounds = advance_rounds({}, [repeating(3, repeat=0)], [])
    again = advance_rounds(rounds, [repeating(2, repeat=1, updated=600)], [])
    assert again[(1, 1)] == RewatchRound(2, (Fill(1, 2, at(600)),))
    assert again[(1, 0)].active is False


def test_rounds_round_trip() -> None:
    found = RewatchRound(4, (Fill(1, 4, at(60)),), active=False)
    assert RewatchRound.from_json(found.to_json()) == found
    assert RewatchRound.from_json({"through": "x"}) is None


def episodes(*counts: int) -> EpisodeList:
    refs = [
        EpisodeRef(s, n) for s, count in enumerate(counts, start=1) for n in range(1, count + 1)
    ]
    return EpisodeList.from_episodes(refs)


def test_rewatches_are_placed_like_first_watches_and_kept_apart_by_minute() -> None:
    targets = {
        1: ShowTarget.of(100, episodes(12, 12), SeasonHint(2)),
        2: MovieTarget(200),
        3: Unmapped("no mapping source entry"),
    }
    wants = [
        Rewatch(1, (1,), at(0), "a"),
        Rewatch(1, (1,), at(30), "b"),  # the same minute: one play
        Rewatch(1, (1,), at(120), "c"),  # another minute: another play
        Rewatch(2, (1,), at(0), "d"),
        Rewatch(3, (1,), at(0), "e"),
        Rewatch(1, (13,), at(0), "f"),  # past what Trakt lists: pending
    ]

    plan = place_rewatches(wants, targets, {1: SHOW, 2: FILM})

    assert sorted((p.trakt_id, p.season, p.number, p.watched_at) for p in plan.plays) == [
        (100, 2, 1, at(0)),
        (100, 2, 1, at(120)),
        (200, None, None, at(0)),
    ]
    assert {wants[p.event_index].origin for p in plan.plays} == {"a", "c", "d"}
    assert [wants[s.event_index].origin for s in plan.pending] == ["f"]
    assert plan.unmapped == {3: "no mapping source entry"}


def test_only_plays_the_history_lacks_at_that_minute() -> None:
    targets = {1: ShowTarget.of(100, episodes(12))}
    plan = place_rewatches(
        [Rewatch(1, (1, 2), at(59), "a"), Rewatch(1, (2,), at(3600), "b")], targets, {1: SHOW}
    )
    history = frozenset({(False, 100, 1, 1, at(0)), (False, 100, 1, 2, at(0))})

    todo = missing(plan.plays, history)

    assert [(p.number, p.watched_at) for p in todo] == [(2, at(3600))]
    assert missing(todo, history | {play_key(p) for p in todo}) == []
