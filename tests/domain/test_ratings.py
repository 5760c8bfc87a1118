"""AniList scores → Trakt ratings: the conversion table, the targets, the plan."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from anitrakt.domain.ratings import (
    RatingCandidate,
    ScoreFormat,
    plan_ratings,
    rating_target,
    trakt_rating,
)
from anitrakt.domain.trakt_lists import RatingKind, RatingTarget

P100, P10D, P10, P5, P3 = (
    ScoreFormat.POINT_100,
    ScoreFormat.POINT_10_DECIMAL,
    ScoreFormat.POINT_10,
    ScoreFormat.POINT_5,
    ScoreFormat.POINT_3,
)


@pytest.mark.parametrize(
    ("score", "score_format", "rating"),
    [
        # POINT_100: the nearest step, halves up; at least 1.
        pytest.param(1, P100, 1, id="100:1-is-at-least-1"),
        pytest.param(4, P100, 1, id="100:4"),
        pytest.param(5, P100, 1, id="100:5-half-up-to-1"),
        pytest.param(14, P100, 1, id="100:14"),
        pytest.param(15, P100, 2, id="100:15-half-up"),
        pytest.param(50, P100, 5, id="100:50"),
        pytest.param(54, P100, 5, id="100:54"),
        pytest.param(55, P100, 6, id="100:55-half-up"),
        pytest.param(75, P100, 8, id="100:75-half-up"),
        pytest.param(85, P100, 9, id="100:85-half-up-not-bankers"),
        pytest.param(94, P100, 9, id="100:94"),
        pytest.param(95, P100, 10, id="100:95"),
        pytest.param(100, P100, 10, id="100:100"),
        pytest.param(120, P100, 10, id="100:over-the-top-is-10"),
        # POINT_10_DECIMAL: the nearest whole number, halves up; at least 1.
        pytest.param(0.1, P10D, 1, id="10d:0.1"),
        pytest.param(0.5, P10D, 1, id="10d:0.5"),
        pytest.param(1.4, P10D, 1, id="10d:1.4"),
        pytest.param(1.5, P10D, 2, id="10d:1.5"),
        pytest.param(8.5, P10D, 9, id="10d:8.5"),
        pytest.param(8.4, P10D, 8, id="10d:8.4"),
        pytest.param(9.5, P10D, 10, id="10d:9.5"),
        pytest.param(10.0, P10D, 10, id="10d:10"),
        # POINT_10: kept.
        *[pytest.param(n, P10, n, id=f"10:{n}") for n in range(1, 11)],
        # POINT_5 stars: two each.
        *[pytest.param(n, P5, 2 * n, id=f"5:{n}-stars") for n in range(1, 6)],
        # POINT_3 smileys in Trakt's words: Bad, Meh, Great.
        pytest.param(1, P3, 3, id="3:sad-is-bad"),
        pytest.param(2, P3, 5, id="3:neutral-is-meh"),
        pytest.param(3, P3, 8, id="3:happy-is-great"),
    ],
)
def test_scores_convert_to_trakt_ratings(
    score: float, score_format: ScoreFormat, rating: int
) -> None:
    assert trakt_rating(score, score_format) == rating


@pytest.mark.parametrize("score_format", list(ScoreFormat))
@pytest.mark.parametrize("score", [0, 0.0, -3, float("nan")])
def test_unscored_rates_nothing(score: float, score_format: ScoreFormat) -> None:
    assert trakt_rating(score, score_format) is None


@pytest.mark.parametrize(
    ("movie", "season", "offset", "shared", "expected"),
    [
        pytest.param(True, None, 0, False, RatingTarget(RatingKind.MOVIE, 7), id="movie"),
        pytest.param(False, None, 0, False, RatingTarget(RatingKind.SHOW, 7), id="no-season"),
        pytest.param(False, 1, 0, False, RatingTarget(RatingKind.SHOW, 7), id="one-season"),
        pytest.param(
            False, 1, 0, True, RatingTarget(RatingKind.SEASON, 7, 1), id="first-of-several"
        ),
        pytest.param(False, 2, 0, False, RatingTarget(RatingKind.SEASON, 7, 2), id="sequel"),
        pytest.param(False, 1, 12, False, RatingTarget(RatingKind.SEASON, 7, 1), id="part-2"),
    ],
)
def test_where_a_score_goes(
    movie: bool, season: int | None, offset: int, shared: bool, expected: RatingTarget
) -> None:
    assert rating_target(7, movie=movie, season=season, offset=offset, shared=shared) == expected


def test_a_special_is_not_rated() -> None:
    reason = rating_target(7, movie=False, season=0, offset=0, shared=True)
    assert isinstance(reason, str)
    assert "Specials" in reason


SHOW = RatingTarget(RatingKind.SHOW, 1)
S2 = RatingTarget(RatingKind.SEASON, 1, 2)
MOVIE = RatingTarget(RatingKind.MOVIE, 9)


def candidate(
    anilist_id: int, score: float, target: RatingTarget | None, *, updated: int = 0
) -> RatingCandidate:
    at = datetime.fromtimestamp(1_700_000_000 + updated, UTC)
    return RatingCandidate(anilist_id, f"Entry {anilist_id}", score, at, target, "no mapping")


def test_only_differences_are_written_and_unscored_removes_nothing() -> None:
    plan = plan_ratings(
        [candidate(1, 8, SHOW), candidate(2, 7, S2), candidate(3, 0, MOVIE)],
        P10,
        {SHOW: 8, S2: 5, MOVIE: 4},
        limit=10_000,
    )

    assert [(w.post.target, w.post.rating, w.previous) for w in plan.writes] == [(S2, 7, 5)]
    assert plan.unchanged == 1
    assert plan.unscored == 1  # the movie keeps its Trakt rating
    assert plan.left == ()


def test_rated_at_is_the_entry_update_time() -> None:
    (write,) = plan_ratings([candidate(1, 8, SHOW, updated=42)], P10, {}, limit=10).writes
    assert write.post.rated_at == datetime.fromtimestamp(1_700_000_042, UTC)


def test_entries_sharing_a_target_the_latest_score_wins() -> None:
    older, newer = candidate(1, 6, SHOW, updated=1), candidate(2, 9, SHOW, updated=2)

    plan = plan_ratings([older, newer], P10, {}, limit=10)

    assert [(w.candidate.anilist_id, w.post.rating) for w in plan.writes] == [(2, 9)]
    ((left, why),) = plan.left
    assert left is older
    assert "Entry 2" in why


def test_unmapped_entries_are_left_with_the_reason() -> None:
    plan = plan_ratings([candidate(1, 8, None)], P10, {}, limit=10)
    assert plan.writes == ()
    assert [why for _, why in plan.left] == ["no mapping"]


def test_new_ratings_stop_at_the_cap_changes_do_not_count() -> None:
    existing = {RatingTarget(RatingKind.MOVIE, n): 5 for n in range(100, 108)}
    change = RatingTarget(RatingKind.MOVIE, 100)
    entries = [
        candidate(1, 9, change),
        candidate(2, 7, SHOW),
        candidate(3, 7, S2),
        candidate(4, 7, MOVIE),
    ]

    plan = plan_ratings(entries, P10, existing, limit=10)

    assert [w.post.target for w in plan.writes] == [change, SHOW, S2]
    ((left, why),) = plan.left
    assert left.anilist_id == 4
    assert "10 ratings" in why
