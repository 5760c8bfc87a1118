"""Placement end to end (issue 14, docs/placement.md): real sequels against the fakes.

The fake Trakt serves `first_aired`, the fake AniList dates and airing schedules; Fribb
hints come through a real refresh, anibridge lines through its table. Every test
asserts the plays that land on the fake Trakt account exactly — above all that none
lands on an episode belonging to another entry.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.domain.values import IdMapping, TraktType
from anitrakt.store.anibridge import add_ranges
from anitrakt.store.logs import list_logs
from anitrakt.store.mappings import save_mapping
from anitrakt.store.review import load_review
from anitrakt.store.system_config import get_config
from anitrakt.usecases.explain import explain
from anitrakt.usecases.sync.modes import run_full, run_list
from sync_world import JJK_2, JJK_TMDB, JJK_TRAKT, World

K_ON, K_ON_2, K_ON_TRAKT, K_ON_TMDB = 5680, 7791, 7002, 42253
K_ON_FRIBB = [
    {"anilist_id": K_ON, "type": "TV", "themoviedb_id": {"tv": K_ON_TMDB}, "season": {"tmdb": 1}},
    {"anilist_id": K_ON_2, "type": "TV", "themoviedb_id": {"tv": K_ON_TMDB}, "season": {"tmdb": 2}},
]


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    w = World(sessions, settings)
    w.jujutsu_kaisen(extra_fribb=K_ON_FRIBB)
    return w


def plays(world: World, show: int) -> list[tuple[int, int]]:
    history: Counter[Any] = world.history()
    assert all(count == 1 for count in history.values())
    return sorted((key[1], key[2]) for key in history if key[0] == show)


def details_requests(world: World) -> int:
    return sum("MediaDetails" in r.query for r in world.anilist.requests)


def test_a_sequel_tmdb_keeps_in_season_1_lands_there_by_its_air_dates(world: World) -> None:
    world.watched(JJK_2, "1 - 3")

    report = run_full(world.deps())

    assert report.error is None
    # Not S2 (Trakt has none) and never S1E1–3, which are the first season's.
    assert plays(world, JJK_TRAKT) == [(1, 25), (1, 26), (1, 27)]
    assert {p.rule for p in report.plays} == {"airdate"}
    assert details_requests(world) == 1
    with world.sessions() as session:
        logged = [row.message for row in list_logs(session)]
    assert any("air dates put episode 1 at S1E25" in m for m in logged)


def test_anibridge_lines_place_without_asking_for_air_dates(world: World) -> None:
    with world.sessions.begin() as session:
        add_ranges(session, [(JJK_2, '{"tmdb_show:95479:s1":{"1-23":"25-47"}}', JJK_TMDB, None)])
    world.watched(JJK_2, "1 - 2")
    world.watched(JJK_2, "23")

    report = run_full(world.deps())

    assert plays(world, JJK_TRAKT) == [(1, 25), (1, 26), (1, 47)]
    assert {p.rule for p in report.plays} == {"anibridge"}
    assert details_requests(world) == 0


def test_without_dates_or_ranges_a_missing_hinted_season_is_held_not_counted(
    world: World,
) -> None:
    world.anilist.add_media(JJK_2, title_english="Jujutsu Kaisen Season 2", episodes=23)
    world.watched(JJK_2, "1 - 3")

    report = run_full(world.deps())

    assert report.error is None
    assert plays(world, JJK_TRAKT) == []  # not S1E1–3: nothing at all
    assert report.held == 3
    [held] = report.review
    assert (held.anilist_id, held.episodes, held.rule) == (JJK_2, (1, 2, 3), "fribb")
    assert "season 2" in held.reason
    with world.sessions() as session:
        remembered = load_review(session)
        # Held events are not handled: the next run reads them again.
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) in (None, 0)
    assert remembered[JJK_2].episodes == (1, 2, 3)
    assert remembered[JJK_2].trakt_id == JJK_TRAKT
    assert "held for review" in report.message


def test_a_later_run_that_can_place_the_entry_releases_it(world: World) -> None:
    world.anilist.add_media(JJK_2, title_english="Jujutsu Kaisen Season 2", episodes=23)
    world.watched(JJK_2, "1 - 2")
    run_full(world.deps())
    with world.sessions.begin() as session:
        add_ranges(session, [(JJK_2, '{"tmdb_show:95479:s1":{"1-23":"25-47"}}', JJK_TMDB, None)])

    report = run_full(world.deps())

    assert plays(world, JJK_TRAKT) == [(1, 25), (1, 26)]
    assert report.review == []
    with world.sessions() as session:
        assert load_review(session) == {}
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) == max(
            a.created_at for a in world.anilist.activities
        )


def add_k_on(world: World) -> None:
    """K-On! on TMDB: specials, season 1 (12) and season 2 = K-On!! (24); no air dates."""
    world.trakt.add_show(K_ON_TRAKT, "K-On!", tmdb=K_ON_TMDB, seasons={0: 3, 1: 12, 2: 24})
    world.media(K_ON, "K-On!", episodes=13)
    world.media(K_ON_2, "K-On!!", episodes=26)


def test_an_entry_longer_than_its_season_does_not_overflow_into_the_sequels_episodes(
    world: World,
) -> None:
    add_k_on(world)
    # The person's list also has K-On!! (mapped earlier), so it claims S2E1 onwards.
    with world.sessions.begin() as session:
        save_mapping(
            session,
            IdMapping(
                K_ON_2,
                K_ON_TRAKT,
                tmdb_id=K_ON_TMDB,
                trakt_type=TraktType.SHOW,
                trakt_season=2,
                episode_offset=0,
            ),
        )
    world.watched(K_ON, "1 - 13")

    report = run_full(world.deps())

    assert plays(world, K_ON_TRAKT) == [(1, n) for n in range(1, 13)]  # not S2E1
    [held] = report.review
    assert held.episodes == (13,)
    assert "S2E1 belongs to AniList 7791" in held.reason


def test_the_sequels_own_episodes_still_land_in_its_season(world: World) -> None:
    add_k_on(world)
    world.watched(K_ON, "1 - 12")
    world.watched(K_ON_2, "1 - 2")

    report = run_full(world.deps())

    assert report.review == []
    assert plays(world, K_ON_TRAKT) == [(1, n) for n in range(1, 13)] + [(2, 1), (2, 2)]
    assert {p.rule for p in report.plays} == {"fribb"}


def test_a_dry_run_says_which_rule_placed_each_play(world: World) -> None:
    world.watched(JJK_2, "1")

    report = run_full(world.deps(), dry_run=True)

    [play] = report.plays
    assert (play.season, play.number, play.rule) == (1, 25, "airdate")
    assert play.note is not None
    assert "air dates put episode 1 at S1E25" in play.note
    assert world.history() == Counter()


def test_explain_names_the_disagreement_between_anibridge_and_the_air_dates(
    world: World,
) -> None:
    # Lines one off (24–46) against the air dates, which put episode 1 on S1E25.
    with world.sessions.begin() as session:
        add_ranges(session, [(JJK_2, '{"tmdb_show:95479:s1":{"1-23":"24-46"}}', JJK_TMDB, None)])

    found = explain(world.runtime, JJK_2)

    assert [line.where for line in found.episodes[:2]] == ["S1E24", "S1E25"]  # rule 3 wins
    says = {view.source: view.says for view in found.sources}
    assert says["anibridge"] == "S1E24–S1E46"
    assert says["air dates"] == "S1E25–S1E47"
    assert found.disagreement is not None
    assert "anibridge says S1E24–S1E46" in found.disagreement
    assert "air dates says S1E25–S1E47" in found.disagreement


def test_air_dates_are_asked_only_for_entries_with_episodes_left_to_place(
    world: World,
) -> None:
    world.watched(JJK_2, "1 - 3")
    run_full(world.deps())
    assert details_requests(world) == 1
    world.anilist.add_entry(world.user.id, JJK_2, progress=3, status="CURRENT")

    report = run_list(world.deps(), completed=False)  # all three already recorded

    assert report.error is None
    assert report.added == 0
    assert details_requests(world) == 1


def test_a_hint_the_air_dates_settled_costs_no_refetch_of_the_episode_list(
    world: World,
) -> None:
    world.watched(JJK_2, "1")
    run_full(world.deps())
    reads = sum(r.path.endswith("/seasons") for r in world.trakt.requests)
    world.watched(JJK_2, "2")

    report = run_full(world.deps())

    assert [(p.season, p.number) for p in report.plays] == [(1, 26)]
    assert sum(r.path.endswith("/seasons") for r in world.trakt.requests) == reads
