"""Air-date alignment, table-driven with realistic broadcast calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from anitrakt.domain.airdates import (
    Airing,
    Fit,
    Verdict,
    align_first_episode,
    check_hint,
    episode_by_date,
)
from anitrakt.domain.episodes import EpisodeList, EpisodeRef, Miss

WEEK = timedelta(days=7)


def weekly(first: datetime, count: int, *, breaks: dict[int, int] | None = None) -> list[datetime]:
    """`count` weekly broadcasts from `first`; `breaks` adds weeks off before episode k."""
    moments, at = [], first
    for k in range(1, count + 1):
        at += WEEK * (breaks or {}).get(k, 0)
        moments.append(at)
        at += WEEK
    return moments


def season(number: int, moments: list[datetime | None], *, start: int = 1) -> list[EpisodeRef]:
    return [
        EpisodeRef(number, start + i, None, 1000 * number + start + i, moment)
        for i, moment in enumerate(moments)
    ]


def schedule(moments: list[datetime]) -> dict[int, int]:
    return {k: int(moment.timestamp()) for k, moment in enumerate(moments, start=1)}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# Jujutsu Kaisen on TMDB (so Trakt): one season 1 of 47 — the first cour from
# 2020-10-03 (01:25 JST, the day before in UTC), the 2nd Season from 2023-07-06 23:56
# JST after a three-year break, with a three-week pause after its fifth episode.
JJK_S1_DATES = weekly(utc(2020, 10, 2, 16, 25), 24)
JJK_S2_DATES = weekly(utc(2023, 7, 6, 14, 56), 23, breaks={6: 3})
JJK = EpisodeList.from_episodes(season(1, [*JJK_S1_DATES, *JJK_S2_DATES]))
JJK_S2 = Airing(date(2023, 7, 6), date(2023, 12, 28), schedule(JJK_S2_DATES), 23)

# Spy x Family: TMDB season 1 has both cours (12 + 13); AniList's Part 2 is its own
# entry, starting 2022-10-01, known here only by start and end dates.
SPY_DATES = weekly(utc(2022, 4, 9, 14, 30), 12) + weekly(utc(2022, 10, 1, 14, 30), 13)
SPY = EpisodeList.from_episodes(
    season(1, list(SPY_DATES)) + season(2, weekly(utc(2023, 10, 7, 14, 0), 12))
)
SPY_PART_2 = Airing(date(2022, 10, 1), date(2022, 12, 24), {}, 13)

# A 12-episode entry whose broadcast had a recap in week 7, which Trakt lists as S1E7
# (13 regular episodes) while AniList leaves it out.
RECAP_DATES = weekly(utc(2024, 1, 6, 15, 30), 13)
RECAP_SHOW = EpisodeList.from_episodes(season(1, list(RECAP_DATES)))
RECAP_ENTRY = Airing(
    date(2024, 1, 7), date(2024, 3, 31), schedule(RECAP_DATES[:6] + RECAP_DATES[7:]), 12
)

# The same broadcast, but Trakt files the recap as a special (S0E1) and AniList counts
# it as its episode 7 (13 episodes).
RECAP_AS_SPECIAL = EpisodeList.from_episodes(
    season(1, RECAP_DATES[:6] + RECAP_DATES[7:]) + season(0, [RECAP_DATES[6]])
)
RECAP_COUNTED = Airing(date(2024, 1, 7), date(2024, 3, 31), schedule(RECAP_DATES), 13)

# Re:Zero on TMDB: season 1 holds the first season (25) then Season 2 from 2020-07-08.
RE_ZERO_DATES = weekly(utc(2016, 4, 3, 16, 5), 25) + weekly(
    utc(2020, 7, 8, 13, 30), 25, breaks={14: 24}
)
RE_ZERO = EpisodeList.from_episodes(season(1, list(RE_ZERO_DATES)))
RE_ZERO_S2 = Airing(date(2020, 7, 8), date(2020, 9, 30), schedule(RE_ZERO_DATES[25:38]), 13)


def where(result: EpisodeRef | Miss | None) -> tuple[int, int] | str | None:
    if isinstance(result, EpisodeRef):
        return (result.season, result.number)
    return None if result is None else result.reason


@pytest.mark.parametrize(
    ("airing", "episodes", "fit", "expected"),
    [
        pytest.param(JJK_S2, JJK, Fit.CLEAR, (1, 25), id="jjk-s2-inside-season-1"),
        pytest.param(SPY_PART_2, SPY, Fit.CLEAR, (1, 13), id="spy-part-2-split-cour"),
        pytest.param(RE_ZERO_S2, RE_ZERO, Fit.CLEAR, (1, 26), id="re-zero-s2"),
        pytest.param(RECAP_ENTRY, RECAP_SHOW, Fit.CLEAR, (1, 1), id="entry-with-recap"),
        pytest.param(
            Airing(date(2023, 7, 7)), JJK, Fit.CLEAR, (1, 25), id="time-zone-one-day-later"
        ),
        pytest.param(Airing(date(2023, 7, 8)), JJK, Fit.NO_MATCH, None, id="two-days-is-too-far"),
        pytest.param(Airing(), JJK, Fit.NO_DATES, None, id="anilist-has-no-dates"),
        pytest.param(
            JJK_S2,
            EpisodeList.from_episodes(season(1, [None] * 47)),
            Fit.NO_DATES,
            None,
            id="trakt-has-no-dates",
        ),
    ],
)
def test_align_first_episode(
    airing: Airing, episodes: EpisodeList, fit: Fit, expected: tuple[int, int] | None
) -> None:
    alignment = align_first_episode(airing, episodes)

    assert alignment.fit is fit, alignment.reason
    assert where(alignment.episode) == expected


def test_airing_at_midnight_in_japan_is_the_day_before_in_utc() -> None:
    # Episode 1 at 00:30 JST on 7 January is 15:30 UTC on the 6th, as Trakt has it.
    airing = Airing(None, None, {1: int(utc(2024, 1, 6, 15, 30).timestamp())})

    assert airing.first_aired_on() == date(2024, 1, 7)
    assert where(align_first_episode(airing, RECAP_SHOW).episode) == (1, 1)


def test_double_premiere_is_one_place_the_first() -> None:
    day = utc(2023, 4, 1, 15, 0)
    show = EpisodeList.from_episodes(season(1, [day, day, *weekly(day + WEEK, 10)]))

    alignment = align_first_episode(Airing(date(2023, 4, 2)), show)

    assert alignment.fit is Fit.CLEAR
    assert where(alignment.episode) == (1, 1)


def test_two_places_apart_are_ambiguous_unless_the_end_date_tells() -> None:
    # Trakt dates S2E1 the same day as S1E1 (a dub season listed beside the original,
    # its first episode simulcast), so a start date alone fits twice.
    first = weekly(utc(2023, 1, 7, 15, 0), 4)
    show = EpisodeList.from_episodes(
        season(1, first) + season(2, [first[0], *weekly(first[3] + WEEK, 3)])
    )

    vague = align_first_episode(Airing(date(2023, 1, 7)), show)
    settled = align_first_episode(Airing(date(2023, 1, 7), date(2023, 1, 28), {}, 4), show)

    assert vague.fit is Fit.AMBIGUOUS
    assert [where(e) for e in vague.candidates] == [(1, 1), (2, 1)]
    assert settled.fit is Fit.CLEAR
    assert where(settled.episode) == (1, 1)


def test_schedule_rules_out_a_place_whose_next_episodes_aired_elsewhen() -> None:
    # Episode 1's day fits S1E1 and S2E1, but episode 2 aired a week later only after S1E1.
    first = weekly(utc(2023, 1, 7, 15, 0), 4)
    show = EpisodeList.from_episodes(season(1, first) + season(2, [first[0], first[0] + 3 * WEEK]))

    alignment = align_first_episode(Airing(None, None, schedule(first), 4), show)

    assert where(alignment.episode) == (1, 1)


@pytest.mark.parametrize(
    ("airing", "episodes", "hinted", "verdict", "dates_say"),
    [
        pytest.param(
            SPY_PART_2, SPY, (1, 13), Verdict.AGREES, (1, 13), id="spy-part-2-hint-agrees"
        ),
        pytest.param(
            SPY_PART_2, SPY, (1, 1), Verdict.CORRECTED, (1, 13), id="spy-part-2-hint-s1-plus-0"
        ),
        pytest.param(
            RE_ZERO_S2, RE_ZERO, (1, 27), Verdict.CORRECTED, (1, 26), id="re-zero-s2-off-by-one"
        ),
        pytest.param(JJK_S2, JJK, None, Verdict.CORRECTED, (1, 25), id="jjk-s2-hint-s2-missing"),
        pytest.param(JJK_S2, JJK, (1, 1), Verdict.CORRECTED, (1, 25), id="jjk-s2-absolute"),
        pytest.param(
            Airing(date(2019, 1, 1)), JJK, (1, 1), Verdict.NO_MATCH, None, id="matches-nothing"
        ),
        pytest.param(Airing(), JJK, (1, 1), Verdict.UNCHECKED, None, id="no-anilist-dates"),
        pytest.param(
            JJK_S2,
            EpisodeList.from_episodes(season(1, [None] * 47)),
            (1, 25),
            Verdict.UNCHECKED,
            None,
            id="no-trakt-dates",
        ),
    ],
)
def test_check_hint(
    airing: Airing,
    episodes: EpisodeList,
    hinted: tuple[int, int] | None,
    verdict: Verdict,
    dates_say: tuple[int, int] | None,
) -> None:
    hinted_episode = None if hinted is None else episodes.find(*hinted)

    check = check_hint(airing, episodes, hinted_episode)

    assert check.verdict is verdict, check.note
    if verdict is Verdict.CORRECTED:
        assert where(check.alignment.episode) == dates_say


@pytest.mark.parametrize(
    ("airing", "episodes", "anilist_episode", "expected"),
    [
        pytest.param(JJK_S2, JJK, 6, (1, 30), id="jjk-s2-after-the-pause"),
        pytest.param(JJK_S2, JJK, 23, (1, 47), id="jjk-s2-last"),
        pytest.param(RECAP_ENTRY, RECAP_SHOW, 6, (1, 6), id="before-the-recap"),
        pytest.param(RECAP_ENTRY, RECAP_SHOW, 7, (1, 8), id="recap-skipped-by-date"),
        pytest.param(RECAP_ENTRY, RECAP_SHOW, 12, (1, 13), id="recap-last"),
        pytest.param(RECAP_COUNTED, RECAP_AS_SPECIAL, 7, (0, 1), id="recap-is-a-special"),
        pytest.param(RECAP_COUNTED, RECAP_AS_SPECIAL, 8, (1, 7), id="after-the-special"),
        pytest.param(SPY_PART_2, SPY, 13, (1, 25), id="spy-part-2-last-by-position"),
        pytest.param(
            SPY_PART_2, SPY, 40, "past the last episode", id="past-the-last-trakt-episode"
        ),
    ],
)
def test_episode_by_date(
    airing: Airing,
    episodes: EpisodeList,
    anilist_episode: int,
    expected: tuple[int, int] | str,
) -> None:
    alignment = align_first_episode(airing, episodes)

    result = where(episode_by_date(airing, episodes, alignment, anilist_episode))

    if isinstance(expected, str):
        assert isinstance(result, str)
        assert expected in result
    else:
        assert result == expected


def test_episode_whose_date_points_nowhere_is_a_miss() -> None:
    moved = dict(RECAP_ENTRY.schedule)
    moved[9] = int(utc(2025, 1, 1).timestamp())
    airing = Airing(RECAP_ENTRY.start_date, RECAP_ENTRY.end_date, moved, 12)

    result = episode_by_date(airing, RECAP_SHOW, align_first_episode(airing, RECAP_SHOW), 9)

    assert isinstance(result, Miss)
    assert "aired 2025-01-01" in result.reason


def test_episode_by_date_needs_a_clear_alignment() -> None:
    with pytest.raises(ValueError, match="clearly"):
        episode_by_date(Airing(), JJK, align_first_episode(Airing(), JJK), 1)
