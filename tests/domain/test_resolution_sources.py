"""The ids the mapping sources give, merged in docs/resolution.md order: Fribb, anibridge, Otaku."""

from __future__ import annotations

import pytest

from anitrakt.domain.anilist import Media
from anitrakt.domain.mapping_source import SourceEntry, SourceHit, TmdbKind
from anitrakt.domain.resolution import KnownIds, candidate
from anitrakt.domain.values import TraktType

FRIBB = SourceEntry(1, tmdb_id=95479, tmdb_kind=TmdbKind.TV)
ANIBRIDGE = SourceEntry(1, tmdb_id=11111, tmdb_kind=TmdbKind.TV, tvdb_id=377543, imdb_id="tt1")
OTAKU = SourceEntry(1, tvdb_id=99999, imdb_id="tt2", trakt_id=7001)
FILM = SourceEntry(1, tmdb_id=11299, tmdb_kind=TmdbKind.MOVIE, media_type="MOVIE")


@pytest.mark.parametrize(
    ("hit", "ids"),
    [
        pytest.param(
            SourceHit(1, FRIBB, OTAKU, ANIBRIDGE),
            KnownIds(95479, TmdbKind.TV, "tt1", 377543),
            id="fribb-first-anibridge-fills-before-otaku",
        ),
        pytest.param(
            SourceHit(1, None, OTAKU, ANIBRIDGE),
            KnownIds(11111, TmdbKind.TV, "tt1", 377543),
            id="anibridge-before-otaku",
        ),
        pytest.param(
            SourceHit(1, None, None, ANIBRIDGE),
            KnownIds(11111, TmdbKind.TV, "tt1", 377543),
            id="anibridge-alone",
        ),
        pytest.param(
            SourceHit(1, FRIBB, OTAKU),
            KnownIds(95479, TmdbKind.TV, "tt2", 99999),
            id="without-anibridge-as-before",
        ),
    ],
)
def test_ids_merge_fribb_then_anibridge_then_otaku(hit: SourceHit, ids: KnownIds) -> None:
    found = candidate(Media(1, "Jujutsu Kaisen Season 2", format="TV"), hit)

    assert found.ids == ids
    assert found.in_sources
    assert found.otaku_trakt_id == (7001 if hit.otaku else None)


def test_an_anibridge_film_is_searched_as_a_movie_when_anilist_does_not_say() -> None:
    found = candidate(Media(1, "Spirited Away"), SourceHit(1, anibridge=FILM))

    assert found.kind is TraktType.MOVIE
    assert found.ids.searches(found.kind) == [("tmdb", 11299)]
