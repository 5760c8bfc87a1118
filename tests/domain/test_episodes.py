"""Episode lists, breakpoints and the hint arithmetic (docs/placement.md), table-driven
with cases named after real shows; placed through the rule chain with a hint alone."""

from __future__ import annotations

import pytest

from anitrakt.domain.episodes import (
    Breakpoint,
    EpisodeList,
    EpisodeRef,
    breakpoints_cache_value,
    episodes_cache_value,
    episodes_from_cache,
)
from anitrakt.domain.placement import (
    EntryFacts,
    NeedsReview,
    Pending,
    Placed,
    Placement,
    Rule,
    ShowFacts,
    place_episode,
)
from anitrakt.domain.values import SeasonHint


def translate(
    anilist_episode: int,
    hint: SeasonHint | None,
    episodes: EpisodeList,
    overrides: dict[int, tuple[int, int]] | None = None,
) -> Placement:
    """Place with a Fribb-style hint (or none) and overrides alone: the arithmetic rules."""
    show = ShowFacts(episodes, overrides=overrides or {})
    return place_episode(show, EntryFacts(1, source_hint=hint), anilist_episode)


def show(
    seasons: dict[int, int],
    *,
    with_abs: bool = False,
    numbered_absolutely: bool = False,
) -> EpisodeList:
    """A Trakt show with `seasons` {number: episode count}, listed in season order.

    `with_abs` gives every regular episode a cumulative `number_abs`;
    `numbered_absolutely` numbers episodes absolutely inside each season (S2E4, S2E5…),
    as Trakt does for some long runners since it moved to TMDB data.
    """
    refs: list[EpisodeRef] = []
    running = 0
    trakt_id = 1000
    for season, count in seasons.items():
        for k in range(1, count + 1):
            trakt_id += 1
            if season == 0:
                refs.append(EpisodeRef(0, k, None, trakt_id))
                continue
            running += 1
            number = running if numbered_absolutely else k
            refs.append(EpisodeRef(season, number, running if with_abs else None, trakt_id))
    return EpisodeList.from_episodes(refs)


ONE_PIECE = show({0: 4, 1: 61, 2: 16, 3: 14, 4: 39}, with_abs=True)
NARUTO_SHIPPUDEN = show({1: 32, 2: 21, 3: 18, 4: 17})
ATTACK_ON_TITAN = show({0: 8, 1: 25, 2: 12, 3: 22, 4: 28})
SPY_X_FAMILY = show({1: 25, 2: 12})
SPLIT_COUR = show({1: 12, 2: 12})
LONG_RUNNER_ABSOLUTE_IN_SEASONS = show({1: 3, 2: 3, 3: 4}, numbered_absolutely=True)


def placed(season: int, number: int) -> tuple[int, int]:
    return (season, number)


@pytest.mark.parametrize(
    ("episodes", "anilist_episode", "hint", "overrides", "expected"),
    [
        pytest.param(ONE_PIECE, 1, None, None, placed(1, 1), id="one-piece-first"),
        pytest.param(ONE_PIECE, 62, None, None, placed(2, 1), id="one-piece-abs-62"),
        pytest.param(ONE_PIECE, 100, None, None, placed(4, 9), id="one-piece-abs-100"),
        pytest.param(NARUTO_SHIPPUDEN, 40, None, None, placed(2, 8), id="naruto-counts-only"),
        pytest.param(NARUTO_SHIPPUDEN, 88, None, None, placed(4, 17), id="naruto-last"),
        pytest.param(ATTACK_ON_TITAN, 1, SeasonHint(2), None, placed(2, 1), id="aot-s2-first"),
        pytest.param(ATTACK_ON_TITAN, 12, SeasonHint(2), None, placed(2, 12), id="aot-s2-last"),
        pytest.param(
            ATTACK_ON_TITAN, 1, SeasonHint(3, 12), None, placed(3, 13), id="aot-s3-part2-first"
        ),
        pytest.param(
            ATTACK_ON_TITAN, 10, SeasonHint(3, 12), None, placed(3, 22), id="aot-s3-part2-last"
        ),
        pytest.param(
            SPY_X_FAMILY, 1, SeasonHint(1, 12), None, placed(1, 13), id="spy-x-family-part2"
        ),
        pytest.param(
            SPY_X_FAMILY, 13, SeasonHint(1, 12), None, placed(1, 25), id="spy-x-family-part2-end"
        ),
        pytest.param(
            SPY_X_FAMILY, 14, SeasonHint(1, 12), None, placed(2, 1), id="spy-x-family-overflow"
        ),
        pytest.param(SPLIT_COUR, 13, SeasonHint(1), None, placed(2, 1), id="split-cour-overflow"),
        pytest.param(SPLIT_COUR, 24, SeasonHint(1), None, placed(2, 12), id="split-cour-end"),
        pytest.param(
            LONG_RUNNER_ABSOLUTE_IN_SEASONS,
            5,
            None,
            None,
            placed(2, 5),
            id="long-runner-numbered-absolutely-in-season",
        ),
        pytest.param(
            LONG_RUNNER_ABSOLUTE_IN_SEASONS,
            1,
            SeasonHint(3),
            None,
            placed(3, 7),
            id="long-runner-hint-keeps-real-number",
        ),
        pytest.param(
            ONE_PIECE, 62, None, {62: (0, 3)}, placed(0, 3), id="override-wins-over-breakpoints"
        ),
        pytest.param(
            ATTACK_ON_TITAN, 1, SeasonHint(3, 12), {50: (3, 99)}, placed(3, 99), id="override-abs"
        ),
        pytest.param(
            ATTACK_ON_TITAN, 2, SeasonHint(0, 1), None, placed(0, 3), id="season-0-special"
        ),
    ],
)
def test_translate_places_episode_where_trakt_lists_it(
    episodes: EpisodeList,
    anilist_episode: int,
    hint: SeasonHint | None,
    overrides: dict[int, tuple[int, int]] | None,
    expected: tuple[int, int],
) -> None:
    result = translate(anilist_episode, hint, episodes, overrides)

    assert isinstance(result, Placed), result
    assert (result.season, result.number) == expected
    assert result.anilist_episode == anilist_episode


def test_translate_reports_the_show_absolute_number_overrides_are_keyed_by() -> None:
    # AoT S3 starts at abs 38 (25 + 12 + 1); part 2 episode 1 is abs 38 + 12 = 50.
    result = translate(1, SeasonHint(3, 12), ATTACK_ON_TITAN)

    assert isinstance(result, Placed)
    assert result.abs == 50
    assert result.trakt_id is not None
    assert result.rule is Rule.FRIBB


def test_override_is_marked_and_used_as_is() -> None:
    result = translate(62, None, ONE_PIECE, {62: (5, 1)})

    assert isinstance(result, Placed)
    assert result.rule is Rule.OVERRIDE
    assert (result.season, result.number, result.trakt_id) == (5, 1, None)


def test_hint_to_missing_season_is_held_never_counted_absolutely() -> None:
    result = translate(3, SeasonHint(7), SPLIT_COUR)

    assert isinstance(result, NeedsReview)
    assert result.abs == 3  # the seed's abs for such an entry: `e` itself
    assert "season 7" in result.reason


@pytest.mark.parametrize(
    ("episodes", "anilist_episode", "hint", "reason"),
    [
        pytest.param(SPLIT_COUR, 25, None, "past the last episode", id="past-the-end"),
        pytest.param(SPY_X_FAMILY, 26, SeasonHint(1, 12), "past the last", id="past-end-hinted"),
        pytest.param(SPLIT_COUR, 1, SeasonHint(0), "no specials", id="special-without-season-0"),
        pytest.param(ATTACK_ON_TITAN, 9, SeasonHint(0), "past the last special", id="special-end"),
        pytest.param(EpisodeList(()), 1, None, "no episodes", id="empty-show"),
    ],
)
def test_untranslatable_episodes_stay_pending(
    episodes: EpisodeList, anilist_episode: int, hint: SeasonHint | None, reason: str
) -> None:
    result = translate(anilist_episode, hint, episodes)

    assert isinstance(result, Pending)
    assert reason in result.reason


@pytest.mark.parametrize(
    ("episodes", "expected"),
    [
        pytest.param(
            ONE_PIECE,
            [(1, 1), (2, 62), (3, 78), (4, 92)],
            id="number-abs",
        ),
        pytest.param(NARUTO_SHIPPUDEN, [(1, 1), (2, 33), (3, 54), (4, 72)], id="counts-only"),
        pytest.param(
            EpisodeList.from_episodes(
                [EpisodeRef(1, 1, 1), EpisodeRef(1, 2, 2), EpisodeRef(2, 1), EpisodeRef(2, 2)]
            ),
            [(1, 1), (2, 3)],
            id="mixed-abs-then-counts",
        ),
        pytest.param(
            EpisodeList.from_episodes([EpisodeRef(1, 1, 5), EpisodeRef(2, 1, 3)]),
            [(1, 5), (2, 6)],
            id="backwards-abs-kept-increasing",
        ),
    ],
)
def test_breakpoints(episodes: EpisodeList, expected: list[tuple[int, int]]) -> None:
    assert [(p.season, p.starts_at) for p in episodes.breakpoints] == expected


def test_number_abs_gap_overflows_into_next_season() -> None:
    # Season 2 starts at abs 10 per Trakt, but season 1 lists only 3 episodes: abs 5
    # is past season 1's list and lands on the next season in Trakt's order.
    episodes = EpisodeList.from_episodes(
        [EpisodeRef(1, n, n) for n in (1, 2, 3)] + [EpisodeRef(2, n, 9 + n) for n in (1, 2)]
    )

    result = translate(4, None, episodes)

    assert isinstance(result, Placed)
    assert (result.season, result.number) == (2, 1)


def test_cache_values_have_the_seed_shape_and_round_trip() -> None:
    rows = episodes_cache_value(ATTACK_ON_TITAN)

    regular = [r for r in rows if r["global"] is not None]
    assert regular[0] == {
        "global": 1,
        "season": 1,
        "episode": 1,
        "traktEpId": regular[0]["traktEpId"],
        "abs": None,
    }
    assert [r["global"] for r in regular] == list(range(1, 88))
    assert len([r for r in rows if r["season"] == 0]) == 8
    assert episodes_from_cache(rows) == ATTACK_ON_TITAN
    assert breakpoints_cache_value(ATTACK_ON_TITAN) == [
        {"season": 1, "starts_at": 1},
        {"season": 2, "starts_at": 26},
        {"season": 3, "starts_at": 38},
        {"season": 4, "starts_at": 60},
    ]
    assert ATTACK_ON_TITAN.breakpoints[1] == Breakpoint(2, 26)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("nope", id="text"),
        pytest.param([{"season": "1", "episode": 1}], id="season-as-text"),
        pytest.param([1, 2], id="not-objects"),
        pytest.param({"season": 1}, id="object"),
    ],
)
def test_foreign_cache_values_are_ignored(value: object) -> None:
    assert episodes_from_cache(value) is None
