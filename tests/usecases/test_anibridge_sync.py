"""anibridge-mappings through its real refresh, then a sync against the fakes (issue 14 §1).

The release is written where the world's ANIBRIDGE_URL points (a plain path) and loaded
by `refresh_source`, exactly as `anitrakt refresh anibridge` does; nothing is seeded into
the tables by hand. What is asserted is what lands on the fake Trakt account.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain.values import IdMapping, SourceName
from anitrakt.errors import MappingSourceError
from anitrakt.store.mappings import get_mapping_values
from anitrakt.usecases.sources.refresh import refresh_source
from anitrakt.usecases.sync.modes import run_full
from fakes.files import anibridge_release, anibridge_stats, zstd
from sync_world import JJK_2, JJK_TMDB, JJK_TRAKT, World

BLUE_LOCK_2, BLUE_LOCK_TRAKT, BLUE_LOCK_TMDB = 163146, 7101, 131041
RELEASE: dict[str, Any] = {
    f"anilist:{JJK_2}": {
        "tmdb_show:95479:s1": {"1-23": "25-47"},
        "tvdb_show:377543:s2": {"1-23": "1-23"},
    },
    # Known to no other source: its TMDB id is the only way to Trakt.
    f"anilist:{BLUE_LOCK_2}": {"tmdb_show:131041:s1": {"1-14": "25-38"}},
}


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    w = World(sessions, settings)
    w.jujutsu_kaisen(dated=False)  # no air dates: only the ranges can place it
    return w


def publish(world: World, members: dict[str, Any], *, compressed: bool = False) -> None:
    """Put a release (and its stats.json) where ANIBRIDGE_URL points."""
    path = Path(world.settings.anibridge_url)
    body = anibridge_release(members)
    path.write_bytes(zstd(body) if compressed else body)
    path.with_name("stats.json").write_bytes(anibridge_stats())


def plays(world: World, show: int) -> list[tuple[int, int]]:
    history: Counter[Any] = world.history()
    assert all(count == 1 for count in history.values())
    return sorted((key[1], key[2]) for key in history if key[0] == show)


def details_requests(world: World) -> int:
    return sum("MediaDetails" in r.query for r in world.anilist.requests)


@pytest.mark.parametrize("compressed", [False, True], ids=["json", "zstd"])
def test_a_refreshed_release_places_jjk_2nd_season_in_season_1(
    world: World, compressed: bool
) -> None:
    publish(world, RELEASE, compressed=compressed)
    refresh_source(world.runtime, SourceName.ANIBRIDGE)
    world.watched(JJK_2, "1 - 2")
    world.watched(JJK_2, "23")

    report = run_full(world.deps())

    assert report.error is None
    # Fribb says s2 (Trakt has none); the ranges say S1E25–47, and win.
    assert plays(world, JJK_TRAKT) == [(1, 25), (1, 26), (1, 47)]
    assert {p.rule for p in report.plays} == {"anibridge"}
    assert report.review == []
    assert details_requests(world) == 0


def test_without_the_release_the_same_run_holds_jjk_for_review(world: World) -> None:
    world.watched(JJK_2, "1 - 2")

    report = run_full(world.deps())

    assert plays(world, JJK_TRAKT) == []
    assert report.held == 2


def test_an_entry_only_anibridge_knows_resolves_by_its_tmdb_id_and_lands_by_its_ranges(
    world: World,
) -> None:
    world.trakt.add_show(BLUE_LOCK_TRAKT, "Blue Lock", tmdb=BLUE_LOCK_TMDB, seasons={1: 38})
    world.media(BLUE_LOCK_2, "Blue Lock 2nd Season", episodes=14)
    publish(world, RELEASE)
    refresh_source(world.runtime, SourceName.ANIBRIDGE)
    world.watched(BLUE_LOCK_2, "1 - 3")

    report = run_full(world.deps())

    assert report.error is None
    assert plays(world, BLUE_LOCK_TRAKT) == [(1, 25), (1, 26), (1, 27)]
    with world.sessions() as session:
        saved = get_mapping_values(session, [BLUE_LOCK_2])[BLUE_LOCK_2]
    assert isinstance(saved, IdMapping)
    assert (saved.trakt_id, saved.tmdb_id, saved.manual) == (BLUE_LOCK_TRAKT, BLUE_LOCK_TMDB, False)
    assert any(r.path == f"/search/tmdb/{BLUE_LOCK_TMDB}" for r in world.trakt.requests)


def test_a_broken_release_keeps_the_ranges_the_last_one_gave(world: World) -> None:
    publish(world, RELEASE)
    refresh_source(world.runtime, SourceName.ANIBRIDGE)
    path = Path(world.settings.anibridge_url)
    path.write_bytes(path.read_bytes()[:100])  # truncated
    with pytest.raises(MappingSourceError, match="truncated"):
        refresh_source(world.runtime, SourceName.ANIBRIDGE, force=True)
    world.watched(JJK_2, "1")

    report = run_full(world.deps())

    assert plays(world, JJK_TRAKT) == [(1, 25)]
    assert {p.rule for p in report.plays} == {"anibridge"}


def test_the_tmdb_id_of_jjk_is_what_fribb_and_anibridge_agree_on(world: World) -> None:
    publish(world, RELEASE)
    refresh_source(world.runtime, SourceName.ANIBRIDGE)

    hit = world.runtime.source_index.current().lookup(JJK_2)

    assert hit.fribb is not None
    assert hit.anibridge is not None
    assert (hit.fribb.tmdb_id, hit.anibridge.tmdb_id, hit.anibridge.tvdb_id) == (
        JJK_TMDB,
        JJK_TMDB,
        377543,
    )
