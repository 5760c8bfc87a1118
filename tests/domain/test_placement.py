"""The placement rule chain, table-driven with cases named after real shows.

Each case says what would be posted: Trakt S/E and the rule, or that nothing is posted
(pending, or held for review). The anibridge lines are the real sample's where it has
the show (copied here so the suite never needs ../shared/data) and, for the sequels
the sample leaves out, what issue 14 reports the release says.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from anitrakt.domain.airdates import Airing
from anitrakt.domain.anibridge import parse_entry
from anitrakt.domain.claims import build_claims, entry_claims, with_claims
from anitrakt.domain.episodes import EpisodeList, EpisodeRef, episode_at_abs, hinted_abs
from anitrakt.domain.placement import (
    EntryFacts,
    NeedsReview,
    Pending,
    Placed,
    Placement,
    Rule,
    ShowFacts,
    place_episode,
    place_episodes,
)
from anitrakt.domain.values import SeasonHint, SourceName
from anitrakt.domain.values import SeasonHint as SourceHint
from paths import SHARED_DATA

WEEK = timedelta(days=7)
SAMPLE = SHARED_DATA / "mappings" / "anibridge-mappings-edits-v3.min.json"


def show(
    seasons: dict[int, int],
    *,
    tmdb: int | None = None,
    numbered_absolutely: bool = False,
    with_abs: bool = False,
    aired: dict[int, datetime] | None = None,
) -> ShowFacts:
    """A Trakt show {season: episode count}; `aired` dates seasons weekly from a start."""
    refs: list[EpisodeRef] = []
    running = 0
    for season_number, count in seasons.items():
        start = (aired or {}).get(season_number)
        for k in range(1, count + 1):
            moment = None if start is None else start + WEEK * (k - 1)
            if season_number == 0:
                refs.append(EpisodeRef(0, k, None, 900_000 + k, moment))
                continue
            running += 1
            number = running if numbered_absolutely else k
            number_abs = running if with_abs else None
            refs.append(EpisodeRef(season_number, number, number_abs, 1000 + running, moment))
    return ShowFacts(EpisodeList.from_episodes(refs), tmdb_id=tmdb)


def fribb(season: int, offset: int = 0) -> SourceHint:
    return SourceHint(season, offset, SourceName.FRIBB)


def entry(
    anilist_id: int,
    *,
    lines: dict[str, Any] | None = None,
    hint: SourceHint | None = None,
    manual: SeasonHint | None = None,
    airing: Airing | None = None,
) -> EntryFacts:
    ranges = None if lines is None else parse_entry(anilist_id, lines)
    return EntryFacts(anilist_id, manual, hint, ranges, airing)


def outcome(result: Placement) -> tuple[Any, ...]:
    """What a person would see: the S/E and rule posted, or that nothing is."""
    if isinstance(result, Placed):
        return (result.season, result.number, result.rule)
    if isinstance(result, Pending):
        return ("pending",)
    return ("review",)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- shows (episode counts and air dates as TMDB, so Trakt, lists them) -------------

# Jujutsu Kaisen: one TMDB season of 47 — the first cour from 2020-10-03 JST, the 2nd
# Season (AniList 145064) from 2023-07-06. Fribb says `s2 +0`, and Trakt has no season 2.
JJK = show({1: 47}, tmdb=95479)


def dated_season_1(*cours: tuple[datetime, int], tmdb: int) -> ShowFacts:
    """One Trakt season 1 of weekly cours, each (first broadcast, episode count)."""
    refs: list[EpisodeRef] = []
    for start, count in cours:
        refs.extend(
            EpisodeRef(1, len(refs) + 1, None, len(refs) + 1, start + WEEK * k)
            for k in range(count)
        )
    return ShowFacts(EpisodeList.from_episodes(refs), tmdb_id=tmdb)


JJK_DATED = dated_season_1(
    (utc(2020, 10, 2, 16, 25), 24), (utc(2023, 7, 6, 14, 56), 23), tmdb=95479
)
JJK_S2_AIRING = Airing(
    date(2023, 7, 6),
    date(2023, 12, 14),
    {k: int((utc(2023, 7, 6, 14, 56) + WEEK * (k - 1)).timestamp()) for k in range(1, 24)},
    23,
)
JJK_S2_LINES = {"tmdb_show:95479:s1": {"1-23": "25-47"}}
APOTHECARY = show({1: 48}, tmdb=220542)
APOTHECARY_S2_LINES = {"tmdb_show:220542:s1": {"1-24": "25-48"}}
BLUE_LOCK = show({1: 38}, tmdb=131041)
BLUE_LOCK_S2_LINES = {"tmdb_show:131041:s1": {"1-14": "25-38"}}  # the sample's
SOLO_LEVELING = show({1: 25}, tmdb=127532)
SOLO_LEVELING_S2_LINES = {"tmdb_show:127532:s1": {"1-13": "13-25"}}

# K-On! on TMDB: specials, season 1 (12), season 2 (K-On!!, 24); AniList's K-On! has 13
# episodes and K-On!! 26. The sample's lines for both:
K_ON_LINES = {"tmdb_show:42253:s0": {"1": "1"}, "tmdb_show:42253:s1": {"2-13": "1-12"}}
K_ON_2_LINES = {"tmdb_show:42253:s0": {"1-2": "13-14"}, "tmdb_show:42253:s2": {"3-26": "1-24"}}
K_ON_SHOW = show({0: 21, 1: 12, 2: 24}, tmdb=42253)
K_ON = entry(5680, hint=fribb(1))
K_ON_2 = entry(7791, hint=fribb(2))
K_ON_CLAIMED = with_claims(K_ON_SHOW, [(K_ON, 13), (K_ON_2, 26)])

# Re:Zero on TMDB: season 1 holds the first season (25), Season 2 (13, from 2020-07-08)
# and its Part 2 (12). Fribb's offsets: +26 and +38 — one too many for Season 2.
RE_ZERO_SHOW = show({1: 50}, tmdb=65942)
RE_ZERO_S2 = entry(108632, hint=fribb(1, 26))
RE_ZERO_S2_PART_2 = entry(119661, hint=fribb(1, 38))
RE_ZERO_CLAIMED = with_claims(
    RE_ZERO_SHOW, [(entry(21355, hint=fribb(1)), 25), (RE_ZERO_S2, 13), (RE_ZERO_S2_PART_2, 12)]
)
RE_ZERO_S2_LINES = {"tmdb_show:65942:s1": {"1-13": "26-38"}}  # the sample's
RE_ZERO_DATED = dated_season_1(
    (utc(2016, 4, 3, 16, 5), 25), (utc(2020, 7, 8, 13, 30), 25), tmdb=65942
)
RE_ZERO_S2_AIRING = Airing(date(2020, 7, 8), date(2020, 9, 30), {}, 13)

# Pokémon on TMDB: a season per year; Fribb counts Black & White: Rival Destinies from
# season 15 and XY from 16, TMDB has them from S15E37 and S18E1 (the sample's lines).
POKEMON = show({15: 49, 16: 45, 17: 48, 18: 45}, tmdb=60572)
RIVAL_DESTINIES_LINES = {
    "tmdb_show:60572:s15": {"1-13": "37-49"},
    "tmdb_show:60572:s16": {"14-24": "1-11"},
}
XY_LINES = {"tmdb_show:60572:s18": {"49-93": "1-45"}}

# One Piece: TMDB numbers episodes absolutely inside each season (S9E326); Trakt does too.
ONE_PIECE_SEASONS = {1: 61, 2: 16, 3: 14, 4: 39, 5: 13, 6: 52, 7: 33, 8: 35, 9: 73, 10: 45}
ONE_PIECE = show(ONE_PIECE_SEASONS, tmdb=37854, numbered_absolutely=True, with_abs=True)
ONE_PIECE_RELATIVE = show(ONE_PIECE_SEASONS, tmdb=37854, with_abs=True)
ONE_PIECE_RELATIVE_NO_ABS = show(ONE_PIECE_SEASONS, tmdb=37854)
ONE_PIECE_LINES = {"tmdb_show:37854:s9": {"264-336": "264-336"}}
NARUTO_SHIPPUDEN = show({1: 32, 2: 21, 3: 18, 4: 17}, tmdb=31910)

# Fate/Zero: one TMDB season of 25; Fate/Zero 2 (AniList 11741) is Fribb `s1 +13`.
FATE_ZERO_SHOW = show({0: 8, 1: 25}, tmdb=45845)
FATE_ZERO_CLAIMED = with_claims(
    FATE_ZERO_SHOW, [(entry(10087, hint=fribb(1)), 13), (entry(11741, hint=fribb(1, 13)), 12)]
)
FATE_ZERO_CAFE_LINES = {"tmdb_show:45845:s0": {"1-2": "1-8|4"}}  # the sample's ratio line
TURN_A_GUNDAM_LINES = {"tmdb_show:37546:s1": {"1-50": "1-25|-2"}}  # the sample's
BUNGO_SHORTS_LINES = {"tmdb_show:65931:s0": {"1-12": "1|-12"}}  # the sample's

SPY_X_FAMILY = show({1: 25, 2: 12}, tmdb=120089)


@pytest.mark.parametrize(
    ("facts", "anilist", "episode", "expected"),
    [
        # Sequels TMDB keeps inside season 1.
        pytest.param(
            JJK,
            entry(145064, lines=JJK_S2_LINES, hint=fribb(2)),
            1,
            (1, 25, Rule.ANIBRIDGE),
            id="jjk-s2-anibridge-first",
        ),
        pytest.param(
            JJK,
            entry(145064, lines=JJK_S2_LINES, hint=fribb(2)),
            23,
            (1, 47, Rule.ANIBRIDGE),
            id="jjk-s2-anibridge-last",
        ),
        pytest.param(
            JJK_DATED,
            entry(145064, hint=fribb(2), airing=JJK_S2_AIRING),
            1,
            (1, 25, Rule.AIRDATE),
            id="jjk-s2-fribb-s2-corrected-by-air-dates",
        ),
        pytest.param(
            JJK_DATED,
            entry(145064, hint=fribb(2), airing=JJK_S2_AIRING),
            23,
            (1, 47, Rule.AIRDATE),
            id="jjk-s2-air-dates-last",
        ),
        pytest.param(
            JJK, entry(145064, hint=fribb(2)), 1, ("review",), id="jjk-s2-fribb-s2-no-dates"
        ),
        pytest.param(
            JJK_DATED,
            entry(145064, airing=JJK_S2_AIRING),
            1,
            (1, 25, Rule.AIRDATE),
            id="jjk-s2-no-hint-not-season-1s-episode-1",
        ),
        pytest.param(
            APOTHECARY,
            entry(176301, lines=APOTHECARY_S2_LINES, hint=fribb(2)),
            24,
            (1, 48, Rule.ANIBRIDGE),
            id="apothecary-2-last",
        ),
        pytest.param(
            APOTHECARY, entry(176301, hint=fribb(2)), 1, ("review",), id="apothecary-2-fribb-only"
        ),
        pytest.param(
            BLUE_LOCK,
            entry(163146, lines=BLUE_LOCK_S2_LINES, hint=fribb(2)),
            1,
            (1, 25, Rule.ANIBRIDGE),
            id="blue-lock-2-first",
        ),
        pytest.param(
            BLUE_LOCK,
            entry(163146, lines=BLUE_LOCK_S2_LINES),
            14,
            (1, 38, Rule.ANIBRIDGE),
            id="blue-lock-2-last",
        ),
        pytest.param(
            SOLO_LEVELING,
            entry(176496, lines=SOLO_LEVELING_S2_LINES, hint=fribb(2)),
            1,
            (1, 13, Rule.ANIBRIDGE),
            id="solo-leveling-2-first",
        ),
        # Specials in the middle: K-On!'s 13th is not K-On!!'s first.
        pytest.param(K_ON_CLAIMED, K_ON, 13, ("review",), id="k-on-13-not-s2e1-claimed-by-k-on-2"),
        pytest.param(K_ON_CLAIMED, K_ON, 12, (1, 12, Rule.FRIBB), id="k-on-12-fribb"),
        pytest.param(K_ON_CLAIMED, K_ON_2, 1, (2, 1, Rule.FRIBB), id="k-on-2-first-is-its-own"),
        pytest.param(
            K_ON_CLAIMED,
            entry(5680, lines=K_ON_LINES, hint=fribb(1)),
            13,
            (1, 12, Rule.ANIBRIDGE),
            id="k-on-13-anibridge",
        ),
        pytest.param(
            K_ON_CLAIMED,
            entry(5680, lines=K_ON_LINES),
            1,
            (0, 1, Rule.ANIBRIDGE),
            id="k-on-1-anibridge-special",
        ),
        pytest.param(
            K_ON_CLAIMED,
            entry(7791, lines=K_ON_2_LINES),
            3,
            (2, 1, Rule.ANIBRIDGE),
            id="k-on-2-anibridge-after-its-specials",
        ),
        # Re:Zero Season 2's last episode and Fribb's offset one too many.
        pytest.param(
            RE_ZERO_CLAIMED, RE_ZERO_S2, 13, ("review",), id="re-zero-s2-last-not-part-2s-first"
        ),
        pytest.param(
            RE_ZERO_CLAIMED,
            RE_ZERO_S2_PART_2,
            1,
            ("review",),
            id="re-zero-part-2-contested-by-fribb-overlap",
        ),
        pytest.param(
            RE_ZERO_CLAIMED,
            entry(108632, lines=RE_ZERO_S2_LINES, hint=fribb(1, 26)),
            13,
            (1, 38, Rule.ANIBRIDGE),
            id="re-zero-s2-last-anibridge",
        ),
        pytest.param(
            RE_ZERO_DATED,
            entry(108632, hint=fribb(1, 26), airing=RE_ZERO_S2_AIRING),
            13,
            (1, 38, Rule.AIRDATE),
            id="re-zero-s2-last-air-dates-correct-the-offset",
        ),
        # Long runners split by year.
        pytest.param(
            POKEMON,
            entry(14093, lines=RIVAL_DESTINIES_LINES, hint=fribb(15)),
            14,
            (16, 1, Rule.ANIBRIDGE),
            id="pokemon-rival-destinies-by-year",
        ),
        pytest.param(
            POKEMON,
            entry(14093, lines=RIVAL_DESTINIES_LINES),
            1,
            (15, 37, Rule.ANIBRIDGE),
            id="pokemon-rival-destinies-first",
        ),
        pytest.param(
            POKEMON,
            entry(19291, lines=XY_LINES, hint=fribb(16)),
            49,
            (18, 1, Rule.ANIBRIDGE),
            id="pokemon-xy-49",
        ),
        pytest.param(
            POKEMON,
            entry(19291, lines=XY_LINES, hint=fribb(16)),
            1,
            ("review",),
            id="pokemon-xy-1-no-line-not-fribbs-s16",
        ),
        # Absolute numbering inside seasons.
        pytest.param(
            ONE_PIECE,
            entry(21, lines=ONE_PIECE_LINES),
            326,
            (9, 326, Rule.ANIBRIDGE),
            id="one-piece-s9e326",
        ),
        pytest.param(ONE_PIECE, entry(21), 326, (9, 326, Rule.ABSOLUTE), id="one-piece-absolute"),
        pytest.param(
            ONE_PIECE_RELATIVE,
            entry(21, lines=ONE_PIECE_LINES),
            326,
            (9, 63, Rule.ANIBRIDGE),
            id="one-piece-trakt-relative-by-number-abs",
        ),
        pytest.param(
            ONE_PIECE_RELATIVE_NO_ABS,
            entry(21, lines=ONE_PIECE_LINES),
            326,
            ("review",),
            id="one-piece-never-arithmetic-alone",
        ),
        pytest.param(
            NARUTO_SHIPPUDEN, entry(1735), 40, (2, 8, Rule.ABSOLUTE), id="naruto-shippuden-abs"
        ),
        # Split seasons by offset.
        pytest.param(
            FATE_ZERO_CLAIMED,
            entry(11741, hint=fribb(1, 13)),
            1,
            (1, 14, Rule.FRIBB),
            id="fate-zero-2-first",
        ),
        pytest.param(
            FATE_ZERO_CLAIMED,
            entry(11741, hint=fribb(1, 12)),
            1,
            ("review",),
            id="fate-zero-2-offset-short-lands-on-fate-zero",
        ),
        # Ratios.
        pytest.param(
            FATE_ZERO_SHOW,
            entry(19165, lines=FATE_ZERO_CAFE_LINES),
            2,
            (0, 5, Rule.ANIBRIDGE),
            id="fate-zero-cafe-ratio-4",
        ),
        pytest.param(
            show({1: 25}, tmdb=37546),
            entry(95, lines=TURN_A_GUNDAM_LINES),
            50,
            (1, 25, Rule.ANIBRIDGE),
            id="turn-a-gundam-ratio-minus-2",
        ),
        pytest.param(
            show({0: 3, 1: 12}, tmdb=65931),
            entry(21311, lines=BUNGO_SHORTS_LINES),
            12,
            (0, 1, Rule.ANIBRIDGE),
            id="bungo-12-shorts-are-one-special",
        ),
        # Hints and their limits.
        pytest.param(
            SPY_X_FAMILY,
            entry(142838, hint=fribb(1, 12)),
            1,
            (1, 13, Rule.FRIBB),
            id="spy-x-family-part-2",
        ),
        pytest.param(
            SPY_X_FAMILY,
            entry(142838, manual=SeasonHint(1, 12)),
            14,
            (2, 1, Rule.MANUAL),
            id="manual-flows-into-an-unclaimed-season",
        ),
        pytest.param(
            SPY_X_FAMILY,
            entry(1, manual=SeasonHint(3)),
            1,
            ("review",),
            id="manual-names-a-season-trakt-lacks",
        ),
        pytest.param(
            SPY_X_FAMILY,
            entry(1, hint=SourceHint(2, 0, SourceName.OTAKU)),
            3,
            (2, 3, Rule.OTAKU),
            id="otaku-season",
        ),
        pytest.param(SPY_X_FAMILY, entry(1, hint=fribb(2)), 13, ("pending",), id="past-the-end"),
        pytest.param(
            FATE_ZERO_SHOW,
            entry(13263, hint=fribb(0, 2)),
            1,
            (0, 3, Rule.FRIBB),
            id="season-0-hint",
        ),
        pytest.param(
            JJK,
            entry(1, lines={"tmdb_show:999:s1": {"1-12": "1-12"}}),
            1,
            ("review",),
            id="anibridge-names-another-show",
        ),
        pytest.param(
            JJK,
            entry(
                1,
                lines={"tmdb_show:95479:s1": {"1-3": "1-3"}, "tmdb_show:95479:s0": {"2-4": "1-3"}},
            ),
            2,
            ("review",),
            id="anibridge-lines-disagree",
        ),
        pytest.param(
            BLUE_LOCK,
            entry(163146, lines={"tmdb_show:131041:s2": {"1-14": "1-14"}}),
            1,
            ("pending",),
            id="anibridge-season-trakt-has-not-listed-yet",
        ),
    ],
)
def test_placement(
    facts: ShowFacts, anilist: EntryFacts, episode: int, expected: tuple[Any, ...]
) -> None:
    assert outcome(place_episode(facts, anilist, episode)) == expected


def test_the_arithmetic_alone_made_the_wrong_plays_the_chain_holds() -> None:
    # The first round counted a missing season absolutely and overflowed anywhere:
    # JJK 2nd Season's first episode became S1E1, K-On!'s 13th K-On!!'s S2E1.
    jjk = episode_at_abs(JJK.episodes, hinted_abs(1, SeasonHint(2), JJK.episodes) or 1)
    k_on = episode_at_abs(
        K_ON_SHOW.episodes, hinted_abs(13, SeasonHint(1), K_ON_SHOW.episodes) or 13
    )

    assert isinstance(jjk, EpisodeRef)
    assert isinstance(k_on, EpisodeRef)
    assert (jjk.season, jjk.number) == (1, 1)
    assert (k_on.season, k_on.number) == (2, 1)
    assert isinstance(place_episode(JJK, entry(145064, hint=fribb(2)), 1), NeedsReview)
    assert isinstance(place_episode(K_ON_CLAIMED, K_ON, 13), NeedsReview)


def test_review_reasons_say_what_a_person_needs_to_fix_it() -> None:
    k_on = place_episode(K_ON_CLAIMED, K_ON, 13)
    jjk = place_episode(JJK, entry(145064, hint=fribb(2)), 1)
    xy = place_episode(POKEMON, entry(19291, lines=XY_LINES, hint=fribb(16)), 1)

    assert isinstance(k_on, NeedsReview)
    assert "S2E1 belongs to AniList 7791" in k_on.reason
    assert isinstance(jjk, NeedsReview)
    assert "season 2" in jjk.reason
    assert isinstance(xy, NeedsReview)
    assert "tmdb_show:60572:s18 49-93" in xy.reason


def test_air_date_correction_is_noted() -> None:
    result = place_episode(JJK_DATED, entry(145064, hint=fribb(2), airing=JJK_S2_AIRING), 1)

    assert isinstance(result, Placed)
    assert result.note is not None
    assert "S1E25" in result.note


def test_override_wins_over_every_source_and_keeps_the_seed_abs() -> None:
    # Fate/Zero 2 with `s1 +13`: its episode 1 is abs 14, whatever anibridge says.
    facts = ShowFacts(FATE_ZERO_SHOW.episodes, tmdb_id=45845, overrides={14: (0, 7)})
    anilist = entry(11741, lines={"tmdb_show:45845:s1": {"1-12": "14-25"}}, hint=fribb(1, 13))

    result = place_episode(facts, anilist, 1)

    assert isinstance(result, Placed)
    assert (result.season, result.number, result.rule, result.abs) == (0, 7, Rule.OVERRIDE, 14)


def test_a_ratio_posts_every_trakt_episode_one_anilist_episode_spans() -> None:
    result = place_episode(FATE_ZERO_SHOW, entry(19165, lines=FATE_ZERO_CAFE_LINES), 1)

    assert isinstance(result, Placed)
    assert result.targets == ((0, 1), (0, 2), (0, 3), (0, 4))


def test_anibridge_gap_is_placed_only_by_its_own_air_date() -> None:
    # Lines for 1-12 of a 13-episode entry; the schedule dates episode 13 on Trakt's S1E13.
    start = utc(2024, 1, 6, 15, 0)
    facts = show({1: 13}, tmdb=1, aired={1: start})
    airing = Airing(date(2024, 1, 7), None, {13: int((start + WEEK * 12).timestamp())}, 13)
    lines = {"tmdb_show:1:s1": {"1-12": "1-12"}}

    dated = place_episode(facts, entry(1, lines=lines, airing=airing), 13)
    undated = place_episode(facts, entry(1, lines=lines), 13)

    assert outcome(dated) == (1, 13, Rule.AIRDATE)
    assert isinstance(undated, NeedsReview)


def test_an_agreeing_hint_still_checks_each_episode_by_its_own_air_date() -> None:
    # K-On! without claims or lines: Fribb's `s1` agrees for episode 1, but episode 13
    # aired a week after 12 — TMDB's special S0E1 — not in 2010 as K-On!!'s S2E1 did.
    start = utc(2009, 4, 2, 16, 25)
    facts = show(
        {0: 2, 1: 12, 2: 24},
        tmdb=42253,
        aired={0: start + WEEK * 12, 1: start, 2: utc(2010, 4, 6, 15, 0)},
    )
    schedule = {k: int((start + WEEK * (k - 1)).timestamp()) for k in range(1, 14)}
    airing = Airing(date(2009, 4, 3), date(2009, 6, 26), schedule, 13)
    k_on = entry(5680, hint=fribb(1), airing=airing)

    results = place_episodes(facts, k_on, (1, 12, 13))

    assert [outcome(r) for r in results] == [
        (1, 1, Rule.FRIBB),
        (1, 12, Rule.FRIBB),
        (0, 1, Rule.AIRDATE),
    ]
    assert isinstance(results[2], Placed)
    assert "aired 2009-06-26" in (results[2].note or "")
    # An episode whose date matches no Trakt episode is held, not posted where counted.
    lost = Airing(date(2009, 4, 3), None, {**schedule, 13: schedule[13] + 86_400 * 30}, 13)
    assert outcome(place_episode(facts, entry(5680, hint=fribb(1), airing=lost), 13)) == ("review",)


def test_hint_that_no_air_date_supports_is_held() -> None:
    anilist = entry(145064, hint=fribb(1), airing=Airing(date(2019, 1, 1)))

    result = place_episode(JJK_DATED, anilist, 1)

    assert isinstance(result, NeedsReview)
    assert "air dates" in result.reason


def test_place_episodes_places_a_whole_entry() -> None:
    anilist = entry(145064, hint=fribb(2), airing=JJK_S2_AIRING)

    results = place_episodes(JJK_DATED, anilist, range(1, 25))

    placed = [(r.season, r.number) for r in results if isinstance(r, Placed)]
    assert placed == [(1, n) for n in range(25, 48)]
    assert isinstance(results[-1], Pending)


# --- claims ------------------------------------------------------------------------


def test_hint_claims_stop_at_the_end_of_the_hinted_season() -> None:
    assert entry_claims(K_ON_SHOW, K_ON, 13) == {(1, n) for n in range(1, 13)}


def test_line_claims_name_every_target_episode_open_ones_to_the_season_end() -> None:
    anilist = entry(
        7791, lines={"tmdb_show:42253:s0": {"1-2": "13-14"}, "tmdb_show:42253:s2": {"3-": "1-"}}
    )

    assert entry_claims(K_ON_SHOW, anilist, None) == {(0, 13), (0, 14)} | {
        (2, n) for n in range(1, 25)
    }


def test_best_source_claims_lines_before_hints_and_absolute_claims_nothing() -> None:
    with_lines = entry(108632, lines=RE_ZERO_S2_LINES, hint=fribb(1, 26))

    claims = build_claims(RE_ZERO_SHOW, [(with_lines, 13), (entry(99), 50)])

    assert claims[(1, 26)] == {108632}
    assert (1, 39) not in claims
    assert (1, 1) not in claims


def test_manual_hint_claims_win_over_lines() -> None:
    anilist = entry(1, lines={"tmdb_show:42253:s2": {"1-2": "1-2"}}, manual=SeasonHint(1, 10))

    assert entry_claims(K_ON_SHOW, anilist, 2) == {(1, 11), (1, 12)}


@pytest.mark.parametrize(
    ("anilist_id", "lines"),
    [
        pytest.param(163146, BLUE_LOCK_S2_LINES, id="blue-lock-2"),
        pytest.param(5680, K_ON_LINES, id="k-on"),
        pytest.param(7791, K_ON_2_LINES, id="k-on-2"),
        pytest.param(108632, RE_ZERO_S2_LINES, id="re-zero-s2"),
        pytest.param(14093, RIVAL_DESTINIES_LINES, id="pokemon-rival-destinies"),
        pytest.param(19291, XY_LINES, id="pokemon-xy"),
        pytest.param(19165, FATE_ZERO_CAFE_LINES, id="fate-zero-cafe"),
        pytest.param(95, TURN_A_GUNDAM_LINES, id="turn-a-gundam"),
        pytest.param(21311, BUNGO_SHORTS_LINES, id="bungo-shorts"),
    ],
)
def test_lines_copied_here_are_the_real_samples(anilist_id: int, lines: dict[str, Any]) -> None:
    if not SAMPLE.is_file():
        pytest.skip(f"real anibridge sample not found at {SAMPLE} (../shared/data is absent)")
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))[f"anilist:{anilist_id}"]

    assert {key: value for key, value in sample.items() if key.startswith("tmdb_show")} == lines


def test_tvdb_lines_are_read_only_when_the_entry_has_no_tmdb_lines() -> None:
    # K-On!! numbers differently on TVDB (S2E1-26) than on TMDB (specials, then S2E1-24).
    facts = ShowFacts(K_ON_SHOW.episodes, tmdb_id=42253, tvdb_id=87501)
    both = entry(7791, lines=K_ON_2_LINES | {"tvdb_show:87501:s2": {"1-26": "1-26"}})
    tvdb_only = entry(7791, lines={"tvdb_show:87501:s2": {"1-24": "1-24"}})
    elsewhere = entry(
        7791, lines={"tmdb_show:1:s1": {"1-26": "1-26"}, "tvdb_show:87501:s2": {"1-26": "1-26"}}
    )

    assert outcome(place_episode(facts, both, 1)) == (0, 13, Rule.ANIBRIDGE)
    assert outcome(place_episode(facts, tvdb_only, 2)) == (2, 2, Rule.ANIBRIDGE)
    assert outcome(place_episode(facts, elsewhere, 1)) == ("review",)


def test_a_descriptor_without_lines_only_links_ids() -> None:
    anilist = entry(11741, lines={"tmdb_show:45845:s1": {}}, hint=fribb(1, 13))

    assert outcome(place_episode(FATE_ZERO_CLAIMED, anilist, 1)) == (1, 14, Rule.FRIBB)
