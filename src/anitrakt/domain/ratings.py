"""AniList scores → Trakt ratings (docs/beyond-history.md "Ratings"). Pure, no I/O.

`trakt_rating` is the one conversion rule, per score format; `rating_target` says
whether an entry's score goes to a show, a season or a movie; `plan_ratings` decides,
against what the account already holds, which ratings to write.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from anitrakt.domain.trakt_lists import RatingKind, RatingPost, RatingTarget

TRAKT_MIN, TRAKT_MAX = 1, 10
# POINT_3's smileys in Trakt's own words for its 1–10 scale: ":(" is 3 "Bad", ":|" is
# 5 "Meh", ":)" is 8 "Great".
SMILEYS = {1: 3, 2: 5, 3: 8}


class ScoreFormat(StrEnum):
    """AniList's `mediaListOptions.scoreFormat` (the schema's `ScoreFormat` enum)."""

    POINT_100 = "POINT_100"
    POINT_10_DECIMAL = "POINT_10_DECIMAL"
    POINT_10 = "POINT_10"
    POINT_5 = "POINT_5"
    POINT_3 = "POINT_3"


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def trakt_rating(score: float, score_format: ScoreFormat) -> int | None:
    """The Trakt rating (1–10) of an AniList score; None when unscored (0).

    POINT_100 and POINT_10_DECIMAL go to the nearest step, halves up (85 → 9, 8.5 → 9;
    unlike Python's `round`, which sends 85 to 8 but 75 to 8 too); POINT_10 is kept;
    POINT_5 stars count two each; POINT_3 smileys are `SMILEYS`. Any score above 0
    rates at least 1, and nothing rates above 10.
    """
    if not math.isfinite(score) or score <= 0:
        return None
    exact = Decimal(str(score))
    if score_format is ScoreFormat.POINT_100:
        value = _half_up(exact / 10)
    elif score_format in (ScoreFormat.POINT_10_DECIMAL, ScoreFormat.POINT_10):
        value = _half_up(exact)
    elif score_format is ScoreFormat.POINT_5:
        value = 2 * _half_up(exact)
    else:
        assert score_format is ScoreFormat.POINT_3
        value = SMILEYS[min(max(_half_up(exact), 1), 3)]
    return min(max(value, TRAKT_MIN), TRAKT_MAX)


def rating_target(
    trakt_id: int, *, movie: bool, season: int | None, offset: int, shared: bool
) -> RatingTarget | str:
    """Where an entry's score goes, or why it goes nowhere.

    A movie gets a movie rating. A show entry whose placement names a season gets that
    season's rating when it is a sequel or a later part (season ≥ 2, or an offset into
    season 1) or when another entry of the list maps to the same show (`shared`);
    otherwise — a one-season show, a long runner without a season — the show's rating.
    An entry placed in Specials is not rated: every special shares that one season.
    """
    if movie:
        return RatingTarget(RatingKind.MOVIE, trakt_id)
    if season == 0:
        return "a special: Trakt rates the Specials season as a whole, not one special"
    if season is not None and (season >= 2 or offset > 0 or shared):
        return RatingTarget(RatingKind.SEASON, trakt_id, season)
    return RatingTarget(RatingKind.SHOW, trakt_id)


@dataclass(frozen=True, slots=True)
class RatingCandidate:
    """An entry's score and where it goes (`target`), or why it goes nowhere (`reason`)."""

    anilist_id: int
    title: str
    score: float
    updated_at: datetime
    target: RatingTarget | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RatingWrite:
    candidate: RatingCandidate
    post: RatingPost
    previous: int | None


@dataclass(frozen=True, slots=True)
class RatingPlan:
    writes: tuple[RatingWrite, ...] = ()
    # (candidate, why it is not written): unmapped, superseded, over the cap
    left: tuple[tuple[RatingCandidate, str], ...] = ()
    unchanged: int = 0
    unscored: int = 0


def plan_ratings(
    candidates: Sequence[RatingCandidate],
    score_format: ScoreFormat,
    on_trakt: Mapping[RatingTarget, int],
    *,
    limit: int,
) -> RatingPlan:
    """The ratings to write, in the order given (AniList's), and what is left and why.

    Written: an entry's rating where Trakt has none or a different one; 0 writes
    nothing and never removes a rating. When entries share a target, the one whose
    score was updated last speaks for it. New ratings stop at the account's `limit`
    (changing a rating does not add one); the rest is reported, not sent.
    """
    left: list[tuple[RatingCandidate, str]] = []
    winners: dict[RatingTarget, RatingCandidate] = {}
    unscored = 0
    scored: list[RatingCandidate] = []
    for candidate in candidates:
        if trakt_rating(candidate.score, score_format) is None:
            unscored += 1
        elif candidate.target is None:
            left.append((candidate, candidate.reason or "not mapped to Trakt"))
        else:
            scored.append(candidate)
            best = winners.get(candidate.target)
            if best is None or (candidate.updated_at, candidate.anilist_id) > (
                best.updated_at,
                best.anilist_id,
            ):
                winners[candidate.target] = candidate
    writes: list[RatingWrite] = []
    unchanged = 0
    room = max(limit - len(on_trakt), 0)
    for candidate in scored:
        assert candidate.target is not None
        winner = winners[candidate.target]
        if winner is not candidate:
            left.append(
                (
                    candidate,
                    f"shares {candidate.target.describe()} with {winner.title}, "
                    "whose score was updated later",
                )
            )
            continue
        rating = trakt_rating(candidate.score, score_format)
        assert rating is not None
        previous = on_trakt.get(candidate.target)
        if previous == rating:
            unchanged += 1
            continue
        if previous is None:
            if room == 0:
                left.append((candidate, f"the account's {limit:,} ratings are used up"))
                continue
            room -= 1
        post = RatingPost(candidate.target, rating, candidate.updated_at)
        writes.append(RatingWrite(candidate, post, previous))
    return RatingPlan(tuple(writes), tuple(left), unchanged, unscored)
