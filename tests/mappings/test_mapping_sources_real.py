"""Real Fribb lists (../shared/data/mappings) served over HTTP as FRIBBS_URL, on both engines.

The expected values were read from the files themselves (see that folder's README for
their origin). Skipped, with the reason, when ../shared/data is not there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from anitrakt.config import Settings
from anitrakt.domain.mapping_source import SourceEntry, SourceHit, TmdbKind
from anitrakt.domain.values import SourceName
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.index import SharedSourceIndex
from anitrakt.usecases.sources.refresh import refresh_source
from fakes.files import FileServer
from fakes.server import serve_in_thread
from paths import SHARED_DATA

SHARED_DATA = SHARED_DATA
MAPPINGS = SHARED_DATA / "mappings"
CURRENT_FILE = "fribb-anime-list-full-derived.json"
FLAT_FILE = "fribb-anime-list-mini-2024-05-07.json"
# Both files list 33,687 entries, 18,265 of them with an AniList id (README and files).
ANILIST_ENTRIES = 18_265

pytestmark = pytest.mark.skipif(
    not (MAPPINGS / CURRENT_FILE).is_file() or not (MAPPINGS / FLAT_FILE).is_file(),
    reason=f"real Fribb data not found at {MAPPINGS} (../shared/data is absent)",
)


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    server = FileServer()
    for name in (CURRENT_FILE, FLAT_FILE):
        server.put(f"/{name}", (MAPPINGS / name).read_bytes(), content_type="application/json")
    with serve_in_thread(server) as base_url:
        yield base_url


def refresh_and_look_up(settings: Settings, url: str) -> tuple[dict[int, SourceHit], str]:
    """Refresh from `url`, then look the three examples up as a fresh process would."""
    runtime = Runtime.open(settings.model_copy(update={"fribbs_url": url}))
    try:
        outcome = refresh_source(runtime, SourceName.FRIBB)
        assert outcome.meta.count == ANILIST_ENTRIES
        hits = SharedSourceIndex(runtime.sessions).lookup_many([104578, 21, 21519])
        return hits, outcome.meta.shape
    finally:
        runtime.close()


def test_current_shape(settings: Settings, served: str) -> None:
    hits, shape = refresh_and_look_up(settings, f"{served}/{CURRENT_FILE}")

    assert shape == "current"
    aot = hits[104578].fribb
    assert aot is not None
    assert (aot.tvdb_id, aot.tmdb_id, aot.tmdb_kind) == (267440, 1429, TmdbKind.TV)
    assert (aot.season, aot.episode_offset) == (3, 12)
    one_piece = hits[21].fribb
    assert one_piece is not None
    assert (one_piece.tvdb_id, one_piece.tmdb_id, one_piece.season) == (81797, 37854, None)
    assert hits[21].season_hint() is None
    your_name = hits[21519].fribb
    assert your_name is not None
    assert your_name.is_movie
    assert (your_name.tmdb_id, your_name.imdb_id) == (372058, "tt5311514")


def test_older_flat_shape(settings: Settings, served: str) -> None:
    hits, shape = refresh_and_look_up(settings, f"{served}/{FLAT_FILE}")

    assert shape == "flat"
    # The flat shape has no TMDB id or season for TV entries.
    assert hits[104578].fribb == SourceEntry(
        104578, tvdb_id=267440, mal_id=38524, anidb_id=14444, media_type="TV"
    )
    assert hits[21].fribb == SourceEntry(21, tvdb_id=81797, mal_id=21, anidb_id=69, media_type="TV")
    your_name = hits[21519].fribb
    assert your_name is not None
    assert (your_name.tmdb_id, your_name.tmdb_kind, your_name.imdb_id) == (
        372058,
        TmdbKind.MOVIE,
        "tt5311514",
    )
