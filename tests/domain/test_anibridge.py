"""anibridge-mappings v3: the range grammar and `locate`, table-driven.

The first half uses small hand-written entries in the release's grammar, so the core
suite never depends on ../shared/data. The second half asserts what the real curated
sample (../shared/data/mappings/anibridge-mappings-edits-v3.min.json) says for named
shows, and skips with the reason when that file is absent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from anitrakt.domain.anibridge import (
    EntryRanges,
    Provider,
    RangeConflict,
    RangeHit,
    TargetKey,
    claimed_spans,
    locate,
    parse_anilist_key,
    parse_entry,
    parse_key,
)
from anitrakt.domain.ranges import LineStatus, Span, parse_line, parse_span
from paths import SHARED_DATA

SHARED_DATA = SHARED_DATA
SAMPLE = SHARED_DATA / "mappings" / "anibridge-mappings-edits-v3.min.json"


def where(entry: EntryRanges, provider: Provider, show: int, episode: int) -> Any:
    """(season, episodes) AniList `episode` is on one show, or None / 'conflict'."""
    hit = locate(entry.keys_for(provider, show), episode)
    if hit is None:
        return None
    if isinstance(hit, RangeConflict):
        return "conflict"
    return (hit.season, hit.episodes)


# --- the grammar -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("7", Span(7, 7), id="single"),
        pytest.param("1-12", Span(1, 12), id="closed"),
        pytest.param("1089-", Span(1089, None), id="open"),
        pytest.param(" 3 - 5 ", Span(3, 5), id="spaces"),
        pytest.param("5-3", None, id="reversed"),
        pytest.param("0", None, id="episode-zero"),
        pytest.param("1,3", None, id="comma-is-not-a-source"),
        pytest.param("-4", None, id="no-start"),
        pytest.param("e1-e13", None, id="old-tvdb-mapping-syntax"),
        pytest.param("", None, id="empty"),
        pytest.param("9999999", None, id="too-many-digits"),
    ],
)
def test_parse_span(text: str, expected: Span | None) -> None:
    assert parse_span(text) == expected


@pytest.mark.parametrize(
    ("source", "target", "status", "episode", "expected"),
    [
        pytest.param("1-12", "1-12", LineStatus.OK, 12, (12,), id="plain"),
        pytest.param("1-14", "25-38", LineStatus.OK, 1, (25,), id="shifted"),
        pytest.param("1089-", "1089-", LineStatus.OK, 1200, (1200,), id="open-both"),
        pytest.param("14-", "13-", LineStatus.OK, 20, (19,), id="open-shifted"),
        pytest.param("1-2", "1,3", LineStatus.OK, 2, (3,), id="comma-list"),
        pytest.param("1-12", "1-6,8-13", LineStatus.OK, 7, (8,), id="comma-skips-one"),
        pytest.param("1-4", "1-8|2", LineStatus.OK, 2, (3, 4), id="ratio-2-spans-two"),
        pytest.param("1", "1-4|4", LineStatus.OK, 1, (1, 2, 3, 4), id="ratio-4-one-episode"),
        pytest.param("1-50", "1-25|-2", LineStatus.OK, 2, (1,), id="ratio-minus-2-second-half"),
        pytest.param("1-50", "1-25|-2", LineStatus.OK, 49, (25,), id="ratio-minus-2-last"),
        pytest.param("1-5", "1-3|-2", LineStatus.OK, 5, (3,), id="ratio-uneven-last-target"),
        pytest.param("13-", "14-|2", LineStatus.OK, 14, (16, 17), id="open-with-ratio"),
        pytest.param("1-2", "36|2", LineStatus.REINTERPRETED, 2, (36,), id="sign-slip"),
        pytest.param("1-26", "1-13|2", LineStatus.REINTERPRETED, 26, (13,), id="sign-slip-26"),
        pytest.param("1", "1-2", LineStatus.REINTERPRETED, 1, (1, 2), id="single-to-two"),
        pytest.param("1-3", "1", LineStatus.REINTERPRETED, 3, (1,), id="three-to-one"),
    ],
)
def test_line_maps_source_episode_to_target_episodes(
    source: str, target: str, status: LineStatus, episode: int, expected: tuple[int, ...]
) -> None:
    line, got_status = parse_line(source, target)

    assert got_status is status
    assert line is not None
    assert line.target_episodes(episode) == expected


@pytest.mark.parametrize(
    ("source", "target", "status"),
    [
        pytest.param("1-12", "1-12|0", LineStatus.DROPPED, id="ratio-zero-drops"),
        pytest.param("1-12", "1-11", LineStatus.MALFORMED, id="lengths-disagree"),
        pytest.param("1-12", "1-12|3", LineStatus.MALFORMED, id="ratio-disagrees"),
        pytest.param("1-", "1-,5", LineStatus.MALFORMED, id="open-not-last"),
        pytest.param("1-2", "1|x", LineStatus.MALFORMED, id="ratio-not-a-number"),
        pytest.param("1-2", "1|", LineStatus.MALFORMED, id="ratio-empty"),
        pytest.param("a", "1", LineStatus.MALFORMED, id="source-not-a-range"),
        pytest.param("1", "S1E1", LineStatus.MALFORMED, id="target-not-a-range"),
        pytest.param("1", 1, LineStatus.MALFORMED, id="target-not-text"),
    ],
)
def test_unusable_lines(source: str, target: Any, status: LineStatus) -> None:
    line, got_status = parse_line(source, target)

    assert line is None
    assert got_status is status


def test_a_line_does_not_cover_episodes_outside_its_source() -> None:
    line, _ = parse_line("2-13", "1-12")

    assert line is not None
    assert line.target_episodes(1) == ()
    assert line.target_episodes(14) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("tmdb_show:95479:s1", TargetKey(Provider.TMDB_SHOW, "95479", 1), id="tmdb"),
        pytest.param("tvdb_show:87501:s0", TargetKey(Provider.TVDB_SHOW, "87501", 0), id="s0"),
        pytest.param("tmdb_movie:11299", TargetKey(Provider.TMDB_MOVIE, "11299"), id="movie"),
        pytest.param(
            "imdb_movie:tt0416938", TargetKey(Provider.IMDB_MOVIE, "tt0416938"), id="imdb"
        ),
        pytest.param("anidb:219:R", TargetKey(Provider.ANIDB, "219", scope="R"), id="anidb"),
        pytest.param("mal:5", TargetKey(Provider.MAL, "5"), id="mal"),
        pytest.param("tmdb_show:95479", None, id="show-without-season"),
        pytest.param("tmdb_show:95479:1", None, id="season-without-s"),
        pytest.param("tmdb_movie:11299:s1", None, id="movie-with-scope"),
        pytest.param("tmdb_show:0:s1", None, id="id-zero"),
        pytest.param("imdb_movie:11299", None, id="imdb-without-tt"),
        pytest.param("simkl_show:1:s1", None, id="unknown-provider"),
        pytest.param(5, None, id="not-text"),
    ],
)
def test_parse_key(text: Any, expected: TargetKey | None) -> None:
    assert parse_key(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("anilist:145064", 145064, id="anilist"),
        pytest.param("anilist:abc", None, id="bad-id"),
        pytest.param("mal:51009", None, id="other-source"),
        pytest.param("$meta", None, id="meta"),
    ],
)
def test_parse_anilist_key(text: str, expected: int | None) -> None:
    assert parse_anilist_key(text) == expected


# Hand-written entries in the release's grammar. JJK 2nd Season, The Apothecary Diaries
# 2nd Season and Solo Leveling Season 2 are among the edits the shared sample leaves out;
# these say what issue 14 reports the real release says for them.
JJK_S2 = {"tmdb_show:95479:s1": {"1-23": "25-47"}, "mal:51009": {"1": "1"}}
APOTHECARY_S2 = {"tmdb_show:220542:s1": {"1-24": "25-48"}}
SOLO_LEVELING_S2 = {"tmdb_show:127532:s1": {"1-13": "13-25"}}
# K-On! as the sample has it: episode 1 is TMDB's S0E1, 2-13 are S1E1-12.
K_ON = {"tmdb_show:42253:s0": {"1": "1"}, "tmdb_show:42253:s1": {"2-13": "1-12"}}
ONE_PIECE_TAIL = {
    "tmdb_show:37854:s21": {"892-1088": "892-1088"},
    "tmdb_show:37854:s22": {"1089-": "1089-"},
    "tvdb_show:81797:s22": {"1086-": "1-"},
}
SPECIFIC = {
    "tmdb_show:1:s1": {"1-": "1-"},
    "tmdb_show:1:s0": {"5": "3"},
    "tmdb_show:1:s2": {"20-": "1-"},
}


@pytest.mark.parametrize(
    ("raw", "provider", "show", "episode", "expected"),
    [
        pytest.param(JJK_S2, Provider.TMDB_SHOW, 95479, 1, (1, (25,)), id="jjk-s2-first"),
        pytest.param(JJK_S2, Provider.TMDB_SHOW, 95479, 23, (1, (47,)), id="jjk-s2-last"),
        pytest.param(JJK_S2, Provider.TMDB_SHOW, 95479, 24, None, id="jjk-s2-past-its-lines"),
        pytest.param(APOTHECARY_S2, Provider.TMDB_SHOW, 220542, 24, (1, (48,)), id="apothecary-2"),
        pytest.param(SOLO_LEVELING_S2, Provider.TMDB_SHOW, 127532, 1, (1, (13,)), id="solo-lv-2"),
        pytest.param(K_ON, Provider.TMDB_SHOW, 42253, 1, (0, (1,)), id="k-on-special-in-s0"),
        pytest.param(K_ON, Provider.TMDB_SHOW, 42253, 13, (1, (12,)), id="k-on-13-stays-in-s1"),
        pytest.param(K_ON, Provider.TMDB_SHOW, 999, 1, None, id="another-show"),
        pytest.param(
            ONE_PIECE_TAIL, Provider.TMDB_SHOW, 37854, 1100, (22, (1100,)), id="one-piece-open"
        ),
        pytest.param(
            ONE_PIECE_TAIL, Provider.TVDB_SHOW, 81797, 1100, (22, (15,)), id="one-piece-tvdb"
        ),
        pytest.param(SPECIFIC, Provider.TMDB_SHOW, 1, 5, (0, (3,)), id="closed-beats-open"),
        pytest.param(SPECIFIC, Provider.TMDB_SHOW, 1, 25, (2, (6,)), id="later-open-wins"),
        pytest.param(SPECIFIC, Provider.TMDB_SHOW, 1, 4, (1, (4,)), id="only-open-covers"),
    ],
)
def test_locate_hand_written(
    raw: dict[str, Any], provider: Provider, show: int, episode: int, expected: Any
) -> None:
    assert where(parse_entry(1, raw), provider, show, episode) == expected


def test_entry_locates_by_provider_and_id() -> None:
    entry = parse_entry(5, {"tmdb_movie:11299": {"1": "1"}, "tvdb_show:76885:s0": {"1": "3"}})

    movie = entry.locate(1, Provider.TMDB_MOVIE)
    special = entry.locate(1, Provider.TVDB_SHOW, 76885)

    assert isinstance(movie, RangeHit)
    assert (movie.key.text, movie.season, movie.episodes) == ("tmdb_movie:11299", None, (1,))
    assert isinstance(special, RangeHit)
    assert (special.season, special.episodes) == (0, (3,))
    assert entry.locate(1, Provider.TMDB_SHOW) is None


def test_narrower_closed_range_wins() -> None:
    entry = parse_entry(1, {"tmdb_show:1:s1": {"1-24": "1-24"}, "tmdb_show:1:s0": {"12-13": "1-2"}})

    assert where(entry, Provider.TMDB_SHOW, 1, 12) == (0, (1,))
    assert where(entry, Provider.TMDB_SHOW, 1, 11) == (1, (11,))


def test_equally_specific_lines_that_disagree_are_a_conflict() -> None:
    entry = parse_entry(1, {"tmdb_show:1:s1": {"1-3": "1-3"}, "tmdb_show:1:s2": {"2-4": "1-3"}})

    conflict = locate(entry.keys_for(Provider.TMDB_SHOW, 1), 2)

    assert isinstance(conflict, RangeConflict)
    assert "tmdb_show:1:s1" in conflict.reason
    assert "tmdb_show:1:s2" in conflict.reason


def test_equally_specific_lines_that_agree_are_one_hit() -> None:
    entry = parse_entry(1, {"tmdb_show:1:s1": {"1-3": "1-3", "2-4": "2-4"}})

    assert isinstance(locate(entry.keys_for(Provider.TMDB_SHOW, 1), 3), RangeHit)


def test_parse_entry_skips_metadata_and_counts_what_it_drops() -> None:
    raw = {
        "$comment": "curated",
        "tmdb_show:1:s1": {"$note": "x", "1-12": "1-12", "13": "13|0", "14": "oops"},
        "tmdb_show:bad": {"1": "1"},
        "tvdb_show:2:s1": ["1-12"],
        "tmdb_show:1:s0": {"1-2": "1|2"},
        "mal:9": {},
    }

    entry = parse_entry(7, raw)

    assert [t.key.text for t in entry.targets] == ["tmdb_show:1:s1", "tmdb_show:1:s0", "mal:9"]
    assert entry.counts.keys_skipped == 2
    assert entry.counts.lines_dropped == 1
    assert entry.counts.lines_skipped == 1
    assert entry.counts.lines_reinterpreted == 1
    assert entry.serialisable() == {
        "tmdb_show:1:s1": {"1-12": "1-12"},
        "tmdb_show:1:s0": {"1-2": "1|-2"},
        "mal:9": {},
    }
    assert where(entry, Provider.TMDB_SHOW, 1, 13) is None


def test_parse_entry_keeps_only_the_providers_asked_for() -> None:
    entry = parse_entry(
        5, {"mal:5": {"1": "1"}, "tmdb_movie:11299": {"1": "1"}}, [Provider.TMDB_MOVIE]
    )

    assert [t.key.text for t in entry.targets] == ["tmdb_movie:11299"]


def test_serialised_form_reads_back_the_same() -> None:
    entry = parse_entry(21, ONE_PIECE_TAIL | {"tmdb_show:37854:s0": {"1-4": "1-8|2"}})

    again = parse_entry(21, entry.serialisable())

    assert again == entry
    assert again.counts.lines_reinterpreted == 0


def test_claimed_spans_name_every_target_span() -> None:
    entry = parse_entry(
        7791, {"tmdb_show:42253:s0": {"1-2": "13-14"}, "tmdb_show:42253:s2": {"3-": "1-"}}
    )

    spans = claimed_spans(entry.keys_for(Provider.TMDB_SHOW, 42253))

    assert [(key.season, span) for key, span in spans] == [(0, Span(13, 14)), (2, Span(1, None))]


# --- the real curated sample -------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    if not SAMPLE.is_file():
        pytest.skip(f"real anibridge sample not found at {SAMPLE} (../shared/data is absent)")
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


TMDB, TVDB, MOVIE = Provider.TMDB_SHOW, Provider.TVDB_SHOW, Provider.TMDB_MOVIE


@pytest.mark.parametrize(
    ("anilist_id", "provider", "show", "episode", "expected"),
    [
        pytest.param(163146, TMDB, 131041, 1, (1, (25,)), id="blue-lock-2-first"),
        pytest.param(163146, TMDB, 131041, 14, (1, (38,)), id="blue-lock-2-last"),
        pytest.param(163146, TMDB, 131041, 15, None, id="blue-lock-2-past-its-lines"),
        pytest.param(5680, TMDB, 42253, 1, (0, (1,)), id="k-on-1-is-a-special"),
        pytest.param(5680, TMDB, 42253, 13, (1, (12,)), id="k-on-13-is-s1e12"),
        pytest.param(7791, TMDB, 42253, 2, (0, (14,)), id="k-on-2-specials-first"),
        pytest.param(7791, TMDB, 42253, 3, (2, (1,)), id="k-on-2-then-s2"),
        pytest.param(7791, TVDB, 87501, 26, (2, (26,)), id="k-on-2-tvdb-numbering"),
        pytest.param(108632, TMDB, 65942, 1, (1, (26,)), id="re-zero-s2-first"),
        pytest.param(108632, TMDB, 65942, 13, (1, (38,)), id="re-zero-s2-last"),
        pytest.param(119661, TMDB, 65942, 1, (1, (39,)), id="re-zero-s2-part-2-first"),
        pytest.param(1564, TMDB, 60572, 1, None, id="pokemon-advanced-1-not-on-tmdb"),
        pytest.param(1564, TMDB, 60572, 42, (7, (1,)), id="pokemon-advanced-by-year"),
        pytest.param(1564, TVDB, 76703, 1, (0, (74,)), id="pokemon-advanced-tvdb-special"),
        pytest.param(14093, TMDB, 60572, 14, (16, (1,)), id="pokemon-rival-destinies-s16"),
        pytest.param(19291, TMDB, 60572, 49, (18, (1,)), id="pokemon-xy-49-is-s18e1"),
        pytest.param(19291, TMDB, 60572, 48, None, id="pokemon-xy-48-no-line"),
        pytest.param(158870, TMDB, 60572, 11, (25, (57,)), id="pokemon-aim-master"),
        pytest.param(158871, TVDB, 76703, 150, (20, (150,)), id="pokemon-horizons-open"),
        pytest.param(21, TMDB, 37854, 326, (9, (326,)), id="one-piece-absolute-in-season"),
        pytest.param(21, TMDB, 37854, 2000, (22, (2000,)), id="one-piece-open-range"),
        pytest.param(21, TVDB, 81797, 1, (0, (39,)), id="one-piece-tvdb-ep1-special"),
        pytest.param(20, TMDB, 46260, 53, (2, (53,)), id="naruto-tmdb-absolute"),
        pytest.param(20, TVDB, 78857, 36, (2, (1,)), id="naruto-tvdb-relative"),
        pytest.param(19511, TMDB, 31910, 1, (0, (3,)), id="naruto-shippuden-special"),
        pytest.param(19165, TMDB, 45845, 2, (0, (5, 6, 7, 8)), id="fate-zero-cafe-ratio-4"),
        pytest.param(95, TMDB, 37546, 50, (1, (25,)), id="turn-a-gundam-ratio-minus-2"),
        pytest.param(20740, TMDB, 62568, 2, (0, (3,)), id="yamada-ova-comma-list"),
        pytest.param(4874, TVDB, 76703, 2, (0, (36,)), id="pokemon-winter-sign-slip"),
        pytest.param(5, MOVIE, 11299, 1, (None, (1,)), id="cowboy-bebop-movie"),
        pytest.param(51, MOVIE, 44370, 3, (None, (1,)), id="angel-sanctuary-3-parts-1-movie"),
        pytest.param(21311, TMDB, 65931, 12, (0, (1,)), id="bungo-12-shorts-one-special"),
        pytest.param(141249, TMDB, 65931, 1, (1, (37,)), id="bungo-4-inside-s1"),
        pytest.param(19603, TMDB, 61415, 1, (0, (1,)), id="ubw-prologue-special"),
        pytest.param(20657, TMDB, 69367, 13, (1, (12,)), id="saekano-13-is-s1e12"),
    ],
)
def test_locate_real_entry(
    sample: dict[str, Any],
    anilist_id: int,
    provider: Provider,
    show: int,
    episode: int,
    expected: Any,
) -> None:
    entry = parse_entry(anilist_id, sample[f"anilist:{anilist_id}"])

    assert where(entry, provider, show, episode) == expected


@pytest.mark.parametrize(
    "anilist_id",
    [
        pytest.param(145064, id="jjk-s2"),
        pytest.param(176301, id="apothecary-2"),
        pytest.param(176496, id="solo-leveling-2"),
        pytest.param(11741, id="fate-zero-2"),
        pytest.param(1735, id="naruto-shippuden"),
    ],
)
def test_entries_the_sample_leaves_out(sample: dict[str, Any], anilist_id: int) -> None:
    # The sample omits some edits on purpose: placement must then rely on the other
    # rules (tests/test_placement.py covers that), never on a guess from here.
    assert f"anilist:{anilist_id}" not in sample


def test_the_whole_sample_parses_with_only_sign_slips_to_fix(sample: dict[str, Any]) -> None:
    entries = [
        parse_entry(anilist_id, raw)
        for key, raw in sample.items()
        if (anilist_id := parse_anilist_key(key)) is not None
    ]

    assert len(entries) == 9302  # the README's count
    assert sum(e.counts.keys_skipped + e.counts.lines_skipped for e in entries) == 0
    assert sum(e.counts.lines_reinterpreted for e in entries) == 25
